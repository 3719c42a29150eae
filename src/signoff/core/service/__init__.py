"""``signoff serve``: the team's headless service (monitoring schedule, alerts, delivery)."""
