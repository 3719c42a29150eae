"""Alembic migrations of the registry schema (``signoff db upgrade``, or on open)."""
