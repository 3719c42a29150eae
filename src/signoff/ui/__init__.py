"""Qt widgets and Qt models. Talks to ``signoff.core`` through worker threads only."""
