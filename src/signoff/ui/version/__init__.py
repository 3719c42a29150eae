"""The version page and its tabs (overview, documents, metrics, approvals, runs, audit)."""
