"""The Consumers area: who consumes each model, and notification delivery."""
