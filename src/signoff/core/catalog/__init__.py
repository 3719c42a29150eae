"""The read side: the inventory, lookups by name, model and version pages, comparisons.

Queries return plain dataclasses built inside one session, so the GUI's workers, the command
line and the tests share them; the database filters, sorts and pages.
"""
