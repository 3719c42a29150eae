"""Signoff: a desktop workstation for model governance."""

__version__ = "0.1.0"
