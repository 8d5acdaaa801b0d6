"""File sources: CSV and Excel exports mapped declaratively (one YAML per source) onto the canonical order."""
