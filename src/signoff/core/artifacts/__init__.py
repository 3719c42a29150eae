"""The artifact store: files kept under their sha256 and re-checked on every read.

``protocol``  what every store promises (:class:`~signoff.core.artifacts.protocol.Store`)
``location``  a folder or ``s3://bucket/prefix`` (:func:`~.location.open_store`)
``store``, ``folder``  the folder store
``s3``, ``s3_client``, ``s3_adopt``, ``transfer``, ``cache``  the bucket store, its parallel
              part-wise transfers and its bounded download cache
``integrity``  checking a whole store against the registry's references; migrating it
"""
