"""What every layer of the core may use: its errors, time handling, and small helpers."""
