from django.apps import AppConfig


class IoConfig(AppConfig):
    """The import and export capability as a Django app, so its templates and static files live
    beside its views (its models are the layers app's)."""

    name = "layers.io"
    label = "layers_io"
