"""Acceptance on the demo registry: recorded predictions of every demo model reproduce."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from signoff.core.db.schema import Model, Prediction, Version
from signoff.core.reproduction.reproduce import REPRODUCED, reproduce

pytestmark = pytest.mark.slow


def test_a_recorded_prediction_of_every_demo_model_reproduces(demo_registry):
    with demo_registry.read() as session:
        # the newest prediction of each model: a real customer result from the factory
        newest = (
            sa.select(Model.name, sa.func.max(Prediction.id))
            .join(Version, Version.id == Prediction.version_id)
            .join(Model, Model.id == Version.model_id)
            .group_by(Model.name)
            .order_by(Model.name)
        )
        picks = session.execute(newest).all()
        models = session.scalars(sa.select(Model.name).order_by(Model.name)).all()
    assert [name for name, _ in picks] == list(models) and len(models) >= 5
    for name, prediction_id in picks:
        repro = reproduce(demo_registry, prediction_id)
        assert repro.verdict == REPRODUCED, f"{name}: {repro.headline}"
        assert repro.model == name and not repro.differences
        assert repro.input_sha256_recorded == repro.input_sha256_computed
        assert all(c["ok"] for c in repro.hash_checks)
        assert not [f for f in repro.findings if "deployment history" in f], repro.findings
