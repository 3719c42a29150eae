"""Worker processes for the race tests: read what a screen shows, meet at a barrier, decide."""

from __future__ import annotations

from typing import Any


def decide_after_barrier(
    db: str,
    artifacts: str,
    actor: str,
    action: str,
    model: str,
    number: int,
    kwargs: dict[str, Any],
    barrier: Any,
    results: Any,
) -> None:
    """Open the registry, load the version as a screen would, wait for the rival, then act."""
    from signoff.core.catalog.lookup import get_version, live_versions
    from signoff.core.common.errors import ConcurrentChangeError, TransitionError
    from signoff.core.db.registry import open_registry
    from signoff.core.governance.workflow import run_transition

    registry = open_registry(db=db, artifacts=artifacts, upgrade=False)
    try:
        if registry.is_embedded:
            registry.set_actor_for_embedded(actor)
        with registry.read() as s:
            version = get_version(s, model, number)
            seen_row = version.row_version
            seen_live = live_versions(s, version.model_id).get("production")
        if action == "go_live":
            kwargs = {**kwargs, "expected_live_version": seen_live}
        barrier.wait(timeout=60)
        try:
            out = run_transition(
                registry, action, model, number, expected_row_version=seen_row, **kwargs
            )
            results.put((actor, action, "won", out.state_after))
        except (ConcurrentChangeError, TransitionError) as exc:
            results.put((actor, action, "lost", str(exc)))
    except Exception as exc:  # noqa: BLE001 - report anything else to the test
        results.put((actor, action, "error", repr(exc)))
    finally:
        registry.close()
