"""The Monitoring area: every live model against its baseline, and its chart."""
