"""Deployment history answers "which version was live at time T"."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from signoff.core.catalog import inventory, lookup
from signoff.core.governance.deployment import record_go_live
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder


def test_live_version_at_time_t(registry, tmp_path: Path) -> None:
    for i in range(3):
        publish(registry, write_model_folder(tmp_path / f"v{i}", weights=f'{{"a": {i}, "b": 0}}'))
    times = [datetime(2026, 1, 1), datetime(2026, 3, 1), datetime(2026, 6, 1)]
    with registry.write() as s:
        for number, at in zip((1, 2, 3), times, strict=True):
            record_go_live(s, lookup.get_version(s, "toy-model", number), actor="dave", at=at)
    with registry.read() as s:

        def live(at: datetime) -> int | None:
            v = lookup.live_version_at(s, "toy-model", at)
            return v.number if v else None

        assert live(datetime(2025, 12, 31)) is None
        assert live(datetime(2026, 1, 1)) == 1
        assert live(datetime(2026, 2, 28, 23, 59)) == 1
        assert live(datetime(2026, 3, 1)) == 2
        assert live(datetime(2026, 5, 31)) == 2
        assert live(datetime(2027, 1, 1)) == 3
        assert live(datetime(2026, 4, 1)) == 2
        assert live(datetime(2026, 4, 1)) == 2
        states = {v.number: v.state for v in lookup.get_model(s, "toy-model").versions}
        assert states == {1: "superseded", 2: "superseded", 3: "live"}
        history = lookup.deployment_history(s, "toy-model")
        assert [(d.version.number, d.live_from, d.live_to) for d in history] == [
            (1, times[0], times[1]),
            (2, times[1], times[2]),
            (3, times[2], None),
        ]
        assert inventory.inventory(s)[0].live_version == 3
        assert lookup.live_version_at(s, "toy-model", datetime(2026, 4, 1), "staging") is None
