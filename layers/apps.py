from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "网格一张图 layers"
    default_auto_field = "django.db.models.BigAutoField"
