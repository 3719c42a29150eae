"""Publishing: a model folder with its manifest becomes the next draft version.

``signoff.core.publishing.publish(registry, folder)`` is the documented entry point.
"""

from signoff.core.publishing.publisher import publish

__all__ = ["publish"]
