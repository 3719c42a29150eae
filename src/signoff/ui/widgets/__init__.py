"""Widgets and table models shared by several pages (no page logic)."""
