from django.apps import AppConfig


class EditingConfig(AppConfig):
    """The layout editor capability as a Django app, so its templates and static files live beside
    its views (its models are the layers app's)."""

    name = "layers.editing"
    label = "layers_editing"
