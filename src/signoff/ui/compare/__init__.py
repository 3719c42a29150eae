"""Comparing versions of one model side by side."""
