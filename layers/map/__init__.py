"""The map's JSON API (search, feature cards, divisions) and the admin map widgets' outlines."""
