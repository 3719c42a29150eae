"""What a decision did, as plain data (returned by the workflow on both databases)."""

from __future__ import annotations

from dataclasses import dataclass

from signoff.core.catalog.words import action_word, role_word, state_word


@dataclass(frozen=True)
class Outcome:
    """What a transition did."""

    action: str
    model: str
    number: int
    state_before: str
    state_after: str
    decision_id: int
    gate: str = ""
    role: str = ""
    gate_complete: bool = False
    notified: int = 0
    meaning: str = ""

    def describe(self) -> str:
        """One line for a person: ``credit-risk v3: Approve as business owner (in review →
        approved; gate complete)``, states and roles in words."""
        change = (
            f"{state_word(self.state_before)} → {state_word(self.state_after)}"
            if self.state_before != self.state_after
            else f"still {state_word(self.state_after)}"
        )
        extra = f" as {role_word(self.role)}" if self.role else ""
        done = "; gate complete" if self.gate_complete else ""
        return f"{self.model} v{self.number}: {action_word(self.action)}{extra} ({change}{done})"
