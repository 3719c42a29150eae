"""What a decision did, as plain data (returned by the workflow on both databases)."""

from __future__ import annotations

from dataclasses import dataclass


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
        change = (
            f"{self.state_before} → {self.state_after}"
            if self.state_before != self.state_after
            else f"still {self.state_after}"
        )
        extra = f" as {self.role}" if self.role else ""
        done = "; gate complete" if self.gate_complete else ""
        return f"{self.model} v{self.number}: {self.action}{extra} ({change}{done})"
