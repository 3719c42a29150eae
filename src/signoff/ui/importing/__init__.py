"""Importing from other registries (the MLflow dialog)."""
