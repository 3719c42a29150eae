"""The audit trail: append-only, hash-chained events, verified and exported."""
