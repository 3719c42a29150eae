"""Notifications to consumers: outbox rows written with their cause, delivered as signed webhooks."""
