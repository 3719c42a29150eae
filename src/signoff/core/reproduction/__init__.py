"""Reproduction: re-run the version that produced a recorded prediction, and report on it.

``signoff.core.reproduction.input_hash(record)`` is the documented way to hash an input record.
"""

from signoff.core.reproduction.reproduce import input_hash

__all__ = ["input_hash"]
