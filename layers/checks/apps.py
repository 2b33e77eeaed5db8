from django.apps import AppConfig


class ChecksConfig(AppConfig):
    """The boundary check page capability as a Django app, so its templates and static files live
    beside its views (its models are the layers app's)."""

    name = "layers.checks"
    label = "layers_checks"
