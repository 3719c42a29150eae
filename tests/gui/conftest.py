"""Fixtures for the GUI tests: a registry with real published versions and an app context."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.browse import add_bulk_models, build_browse_registry


@pytest.fixture
def browse_registry(registry, tmp_path: Path):
    """credit-risk v1..v3, fraud-alert, churn-propensity (see tests/helpers/browse.py)."""
    build_browse_registry(registry, tmp_path / "folders")
    return registry


@pytest.fixture
def big_registry(browse_registry):
    """The browse registry plus 300 bulk models, for paging."""
    add_bulk_models(browse_registry, 300)
    return browse_registry


@pytest.fixture
def settings(tmp_path: Path):
    from signoff.ui.services.settings import Settings

    return Settings(tmp_path / "settings.ini")


@pytest.fixture
def make_ctx(qtbot, settings):
    """Build an AppContext on a registry; shut down its workers after the test."""
    from signoff.ui.services.context import AppContext

    made = []

    def make(registry):
        ctx = AppContext(registry, settings)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.shutdown()
