from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "geo"
    verbose_name = "GridAtlas kernel"

    def ready(self):
        from geo import checks  # noqa: F401 - registers the settings checks
