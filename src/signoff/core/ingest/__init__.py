"""Ingest: executions, predictions and outcomes reported by the factory (CSV, JSON Lines, Python).

``signoff.core.ingest.ingest_records(registry, kind, rows)`` is the documented entry point.
"""

from signoff.core.ingest.records import ingest_records

__all__ = ["ingest_records"]
