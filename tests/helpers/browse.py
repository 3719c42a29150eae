"""Registries with real published versions for the browsing tests (no Qt here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from signoff.core.catalog.summary import refresh_model_summary
from signoff.core.db.schema import Consumer, Model, Version
from signoff.core.governance.deployment import record_go_live
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder

UNITS = ("Retail credit", "Fraud", "Marketing")


def publish_variant(
    registry,
    folder: Path,
    *,
    name: str,
    unit: str = "Retail credit",
    tier: str = "medium",
    title: str = "",
    owner: str = "alice",
    weights: str = '{"a": 0.1, "b": 0.2}',
    config: str | None = None,
    auc: float = 0.8,
    extra_script: bool = False,
    tags: str = '"toy"',
):
    """Publish a small real model folder with the given metadata and content."""
    write_model_folder(folder, name=name, tier=tier, weights=weights, auc=auc, author=owner)
    manifest = (folder / "signoff.toml").read_text()
    manifest = manifest.replace('business_unit = "Testing"', f'business_unit = "{unit}"')
    manifest = manifest.replace('title = "A toy model"', f'title = "{title or name}"')
    manifest = manifest.replace('tags = ["toy", "linear"]', f"tags = [{tags}]")
    if config is not None:
        (folder / "config.json").write_text(config)
    if extra_script:
        (folder / "features.py").write_text("def features(r):\n    return [r['x']]\n")
        manifest += '\n[[scripts]]\nname = "features"\npath = "features.py"\n'
    (folder / "signoff.toml").write_text(manifest)
    return publish(registry, folder, actor=owner)


def set_state(registry, name: str, number: int, state: str, at: datetime | None = None) -> None:
    with registry.write() as s:
        v = s.scalar(
            select(Version).join(Model).where(Model.name == name, Version.number == number)
        )
        v.state = state
        if at is not None:
            v.state_changed_at = at
        refresh_model_summary(s, v.model_id)


def go_live(registry, name: str, number: int, at: datetime) -> None:
    with registry.write() as s:
        v = s.scalar(
            select(Version).join(Model).where(Model.name == name, Version.number == number)
        )
        record_go_live(s, v, actor="rita", at=at)


def build_browse_registry(registry, tmp_path: Path) -> None:
    """credit-risk v1..v3 (v1 live Jan–Mar 2026, v2 live since 1 Mar, v3 in review),
    fraud-alert (high tier, Fraud) and churn-propensity (low tier, Marketing)."""
    publish_variant(
        registry,
        tmp_path / "cr1",
        name="credit-risk",
        title="Credit risk scorecard",
        tier="high",
        auc=0.80,
        tags='"credit", "scorecard"',
    )
    publish_variant(
        registry,
        tmp_path / "cr2",
        name="credit-risk",
        title="Credit risk scorecard",
        tier="high",
        weights='{"a": 0.12, "b": 0.18}',
        config='{"threshold": 0.55}\n',
        auc=0.83,
        extra_script=True,
        tags='"credit", "scorecard"',
    )
    publish_variant(
        registry,
        tmp_path / "cr3",
        name="credit-risk",
        title="Credit risk scorecard",
        tier="high",
        weights='{"a": 0.13, "b": 0.18}',
        config='{"threshold": 0.55}\n',
        auc=0.84,
        extra_script=True,
        tags='"credit", "scorecard"',
    )
    go_live(registry, "credit-risk", 1, datetime(2026, 1, 10, 9, 0))
    go_live(registry, "credit-risk", 2, datetime(2026, 3, 1, 9, 0))
    set_state(registry, "credit-risk", 3, "in_review", datetime(2026, 10, 1, 12, 0))
    publish_variant(
        registry,
        tmp_path / "fa1",
        name="fraud-alert",
        title="Card fraud alert",
        unit="Fraud",
        tier="high",
        owner="bob",
        auc=0.91,
        tags='"fraud"',
    )
    publish_variant(
        registry,
        tmp_path / "ch1",
        name="churn-propensity",
        title="Churn propensity",
        unit="Marketing",
        tier="low",
        owner="carol",
        auc=0.7,
        tags='"marketing"',
    )
    with registry.write() as s:
        model = s.scalar(select(Model).where(Model.name == "credit-risk"))
        s.add(
            Consumer(
                model_id=model.id,
                name="loan-origination",
                kind="online",
                contact="lending@example.com",
            )
        )
        s.flush()
        refresh_model_summary(s, model.id)


def add_bulk_models(registry, count: int, start: datetime | None = None) -> None:
    """Insert *count* models straight through the ORM with their summary columns set
    (a big inventory for paging tests; no versions behind them)."""
    start = start or datetime(2026, 1, 1)
    tiers = ("high", "medium", "low")
    states = ("draft", "in_review", "approved", "live")
    with registry.write() as s:
        for i in range(count):
            name = f"bulk-{i:04d}"
            unit = UNITS[i % len(UNITS)]
            s.add(
                Model(
                    name=name,
                    title=f"Bulk model {i}",
                    owner=f"owner{i % 7}",
                    business_unit=unit,
                    risk_tier=tiers[i % 3],
                    tags=["bulk"],
                    latest_version=1 + i % 5,
                    latest_state=states[i % 4],
                    version_count=1 + i % 5,
                    last_activity_at=start + timedelta(hours=i),
                    created_at=start,
                    flag_stale=(i % 10 == 0),
                    flag_open_review=(i % 4 == 1),
                    search_text=f"{name} bulk model {i} owner{i % 7} bulk",
                )
            )
