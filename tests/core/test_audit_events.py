"""Every audit event the code writes is named from the one catalogue, core.audit.events."""

from __future__ import annotations

import ast
from pathlib import Path

from signoff.core.audit import events

SRC = Path(__file__).resolve().parents[2] / "src" / "signoff"


def _action_arguments() -> list[tuple[str, ast.expr]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "append_event":
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        found.append((f"{path.relative_to(SRC)}:{node.lineno}", keyword.value))
    return found


def _from_catalogue(value: ast.expr) -> bool:
    def is_events(node: ast.expr) -> bool:
        return isinstance(node, ast.Attribute) and getattr(node.value, "id", "") == "events"

    if isinstance(value, ast.IfExp):
        return _from_catalogue(value.body) and _from_catalogue(value.orelse)
    if isinstance(value, ast.Call):
        return is_events(value.func)
    # a local variable is set from the catalogue a few lines above (staleness, outbox)
    return is_events(value) or isinstance(value, ast.Name)


def test_every_append_event_names_its_action_from_the_catalogue() -> None:
    calls = _action_arguments()
    assert len(calls) > 20
    literal = [where for where, value in calls if not _from_catalogue(value)]
    assert literal == []


def test_catalogue_names_are_unique_and_shaped_subject_dot_event() -> None:
    names = [v for k, v in vars(events).items() if k.isupper() and isinstance(v, str)]
    assert len(names) == len(set(names))
    assert all(n.count(".") == 1 and n == n.lower() for n in names if n != events.DECISION_PREFIX)
    assert events.decision("approve") == "decision.approve" and events.is_decision("decision.x")
    assert events.ingested("predictions") == "monitoring.predictions_ingested"
