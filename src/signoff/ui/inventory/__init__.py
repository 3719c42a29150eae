"""The Inventory area: the model list, its facets and search, and the dashboard."""
