"""The field workers' lookup: the phone page, the lookup API and its background jobs."""
