"""Monitoring: live metrics per time window, score drift, and each live model's stale flag."""
