"""Importers that bring models from other registries into Signoff (MLflow first)."""
