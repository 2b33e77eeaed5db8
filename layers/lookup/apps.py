from django.apps import AppConfig


class LookupConfig(AppConfig):
    """The address and point lookup capability as a Django app, so its templates and static files
    live beside its views (its models are the layers app's)."""

    name = "layers.lookup"
    label = "layers_lookup"
