"""The artifact store: files kept under their sha256 and re-checked on every read."""
