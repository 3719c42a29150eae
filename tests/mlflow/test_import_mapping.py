"""The MLflow → Signoff mapping: component kinds, metric datasets, lifecycle, model columns."""

from __future__ import annotations

from datetime import datetime

import pytest

from signoff.core.db.schema import DRAFT, RETIRED
from signoff.core.importers.mlflow import mapping as mapping
from signoff.core.importers.mlflow.client import (
    HostileAnswerError,
    MlflowError,
    artifact_root_path,
    credentials_from_environment,
)


@pytest.mark.parametrize(
    "path, origin, expected",
    [
        ("model/MLmodel", "model", ("configuration", "mlmodel")),
        ("model/model.pkl", "model", ("model_object", "model_object")),
        ("model/requirements.txt", "model", ("environment", "environment")),
        ("run/notebooks/eda.ipynb", "run", ("documentation", "notebook")),
        ("run/RELEASE_NOTES.md", "run", ("documentation", "release_notes")),
        ("run/train.py", "run", ("script", "")),
        ("run/data/holdout.csv", "run", ("data", "")),
        ("run/plot.png", "run", ("documentation", "")),
    ],
)
def test_component_kinds(path, origin, expected):
    assert mapping.component_for(path, origin) == expected


def test_metric_datasets_follow_the_name_prefix():
    assert [
        mapping.metric_dataset(k)
        for k in ("auc", "val_auc", "train_loss", "test_f1", "training_rmse")
    ] == ["validation", "validation", "train", "test", "train"]


def test_an_alias_beats_a_stage_and_champion_beats_production_alias():
    registered = {
        "aliases": [{"alias": "production", "version": "4"}, {"alias": "champion", "version": "3"}]
    }
    versions = [{"version": "5", "current_stage": "Production"}]
    assert mapping.live_target(registered, versions) == ("3", "alias 'champion'")
    assert mapping.live_target({}, versions) == ("5", "stage 'Production'")
    assert mapping.live_target(
        {"aliases": [{"alias": "challenger", "version": "2"}]},
        [{"version": "2", "current_stage": "Staging"}],
    ) == (None, "")


def test_archived_versions_are_retired_others_start_as_drafts():
    assert mapping.initial_state({"current_stage": "Archived"}) == RETIRED
    assert mapping.initial_state({"current_stage": "Staging"}) == DRAFT
    assert mapping.initial_state({}) == DRAFT


def test_model_columns_from_tags():
    cols = mapping.model_columns(
        {
            "description": "PD",
            "tags": [
                {"key": "owner", "value": "risk"},
                {"key": "risk_tier", "value": "extreme"},
                {"key": "mlflow.internal", "value": "x"},
                {"key": "pii", "value": ""},
            ],
        }
    )
    assert cols == {
        "description": "PD",
        "owner": "risk",
        "tags": ["owner=risk", "pii", "risk_tier=extreme"],
    }


def test_timestamps_and_python_pins():
    assert mapping.ms_to_datetime(0) is None and mapping.ms_to_datetime("x") is None
    assert mapping.ms_to_datetime(1_700_000_000_000) == datetime(2023, 11, 14, 22, 13, 20)
    assert mapping.python_version_from("python: 3.11.7\nbuild_dependencies:\n") == "3.11.7"


def test_artifact_locations():
    assert (
        artifact_root_path("mlflow-artifacts:/1/models/m-1/artifacts", "x")
        == "1/models/m-1/artifacts"
    )
    with pytest.raises(HostileAnswerError, match="another host"):
        artifact_root_path("mlflow-artifacts://evil:80/1/x", "x")
    with pytest.raises(HostileAnswerError, match="'..'"):
        artifact_root_path("mlflow-artifacts:/1/../../etc", "x")
    with pytest.raises(MlflowError, match="--serve-artifacts"):
        artifact_root_path("s3://bucket/1/x", "x")


def test_credentials_prefer_a_token():
    assert credentials_from_environment({}) == (None, None)
    assert credentials_from_environment(
        {"MLFLOW_TRACKING_USERNAME": "a", "MLFLOW_TRACKING_PASSWORD": "b"}
    ) == (("a", "b"), None)
    assert credentials_from_environment({"MLFLOW_TRACKING_TOKEN": "t"}) == (None, "t")
