"""The analyses on the web: the JSON reports, downloads, heatmaps and the dashboard pages."""
