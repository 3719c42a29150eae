"""Notifications: outbox rows written with their cause, delivered as signed webhooks."""
