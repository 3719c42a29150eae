"""My reviews: what waits for the person signed in, oldest first."""
