"""The Audit area: the audit trail, and reproducing a customer's past result."""
