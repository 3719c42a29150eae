"""Building registries with people, versions and check evidence for the workflow tests."""

from __future__ import annotations

from pathlib import Path

from signoff.core.catalog.lookup import get_version
from signoff.core.db.registry import Registry, db_now
from signoff.core.governance.evidence import record_evidence
from signoff.core.governance.people import save_person
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder

PEOPLE = {
    "root": ("Rita Root", ["admin"]),
    "alice": ("Alice Author", ["author"]),
    "val": ("Victor Validator", ["validator"]),
    "biz": ("Beatrice Business", ["business_owner"]),
    "rel": ("Ravi Release", ["release_manager"]),
    "multi": ("Mona Multi", ["validator", "business_owner"]),
    "runner": ("Check Runner", ["runner"]),
}


def add_people(registry: Registry) -> None:
    """Create the cast above (root bootstraps itself as the first admin)."""
    with registry.write() as s:
        for login, (name, roles) in PEOPLE.items():
            save_person(s, login, actor="root", display_name=name, roles=roles)


def publish_version(
    registry: Registry,
    tmp: Path,
    *,
    name: str = "credit",
    tier: str = "high",
    weights: str = '{"a": 0.1, "b": 0.2}',
) -> int:
    """Publish a version authored by alice; returns its number."""
    folder = write_model_folder(
        tmp / f"{name}-{weights.__hash__()}", name=name, author="alice", tier=tier, weights=weights
    )
    return publish(registry, folder, actor="alice").number


def add_evidence(
    registry: Registry, model: str, number: int, checks: list[str], passed: bool = True
) -> None:
    """Store check evidence as the deployment checks do: recorded by the runner service login,
    bound to the manifest hash, with its audit event."""
    with registry.write() as s:
        v = get_version(s, model, number)
        for check in checks:
            record_evidence(
                s,
                v,
                check,
                passed,
                "ok" if passed else "outputs differ",
                {},
                actor="runner",
                at=db_now(s),
            )


ALL_CHECKS = ["reference_outputs", "robustness", "environment"]
