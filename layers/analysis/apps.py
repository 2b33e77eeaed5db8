from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    """The analyses and the dashboard capability as a Django app, so its templates and static files
    live beside its views (its models are the layers app's)."""

    name = "layers.analysis"
    label = "layers_analysis"
