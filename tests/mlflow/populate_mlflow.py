"""Populate a running MLflow server with the real MLflow client (run as a subprocess by tests).

    python populate_mlflow.py URL base  OUT.json   # three models, five versions, aliases, stages
    python populate_mlflow.py URL late  OUT.json   # a new version of credit-risk arrives

OUT.json receives what was created (names, versions, run ids, metrics, params, artifact
locations) so the tests can compare the import against it.
"""

from __future__ import annotations

import json
import sys
import tempfile
import warnings
from pathlib import Path

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")

NOTEBOOK = {
    "cells": [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": ["# Credit risk model\n", "Validation notes."],
        },
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": ["print('auc', 0.85)"],
        },
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def log_version(
    client: MlflowClient,
    model: str,
    seed: int,
    metrics: dict,
    params: dict,
    extra_files: dict[str, str],
    dataset: bool = False,
) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.random((60, 3))
    y = (x[:, 0] + 0.1 * rng.random(60) > 0.5).astype(int)
    with mlflow.start_run() as run:
        fitted = LogisticRegression(C=float(params.get("C", 1.0))).fit(x, y)
        mlflow.log_metrics(metrics)
        mlflow.log_params(params)
        mlflow.set_tag("team", "lab")
        if dataset:
            mlflow.log_input(
                mlflow.data.from_numpy(x, source="s3://bucket/train.npy", name="train-2026q3"),
                context="training",
            )
        with tempfile.TemporaryDirectory() as tmp:
            for rel, text in extra_files.items():
                path = Path(tmp) / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
            mlflow.log_artifacts(tmp)
        info = mlflow.sklearn.log_model(
            fitted,
            name="model",
            registered_model_name=model,
            pip_requirements=["scikit-learn"],
            serialization_format="pickle",
            await_registration_for=0,
        )
        run_id = run.info.run_id
        run_artifacts = run.info.artifact_uri
    version = info.registered_model_version
    return {
        "version": str(version),
        "run_id": run_id,
        "metrics": metrics,
        "params": params,
        "run_artifact_uri": run_artifacts,
        "model_artifact_uri": client.get_model_version_download_uri(model, str(version)),
        "run_files": sorted(extra_files),
    }


def base(client: MlflowClient) -> dict:
    mlflow.set_experiment("governance-tests")
    out: dict = {}
    client.create_registered_model(
        "credit-risk",
        description="Probability of default",
        tags={"owner": "risk-team", "risk_tier": "high", "business_unit": "retail"},
    )
    v1 = log_version(
        client,
        "credit-risk",
        1,
        {"auc": 0.81, "val_loss": 0.42, "train_auc": 0.9},
        {"C": "1.0", "penalty": "l2"},
        {
            "notebooks/validation.ipynb": json.dumps(NOTEBOOK),
            "requirements.txt": "scikit-learn==1.9.1\n",
        },
        dataset=True,
    )
    v2 = log_version(
        client,
        "credit-risk",
        2,
        {"auc": 0.85, "val_loss": 0.37, "train_auc": 0.93},
        {"C": "0.5", "penalty": "l2"},
        {
            "notebooks/validation.ipynb": json.dumps(NOTEBOOK).replace("0.85", "0.86"),
            "RELEASE_NOTES.md": "# v2\n\nRetrained on Q3 data.\n",
        },
    )
    client.update_model_version("credit-risk", "2", description="Retrained on Q3 data")
    client.set_model_version_tag("credit-risk", "2", "validated_by", "carol")
    client.set_registered_model_alias("credit-risk", "champion", "2")
    client.set_registered_model_alias("credit-risk", "challenger", "1")
    out["credit-risk"] = {
        "versions": [v1, v2],
        "live": "2",
        "aliases": {"1": ["challenger"], "2": ["champion"]},
    }

    client.create_registered_model("churn", description="Customer churn", tags={"owner": "crm"})
    c1 = log_version(client, "churn", 3, {"f1": 0.61}, {"depth": "4"}, {"README.md": "# churn\n"})
    c2 = log_version(client, "churn", 4, {"f1": 0.64}, {"depth": "6"}, {})
    client.transition_model_version_stage("churn", "1", "Archived")
    client.transition_model_version_stage("churn", "2", "Production")
    out["churn"] = {"versions": [c1, c2], "live": "2", "aliases": {}}

    client.create_registered_model("fraud-screening", description="Not trained yet")
    out["fraud-screening"] = {"versions": [], "live": None, "aliases": {}}
    return out


def late(client: MlflowClient) -> dict:
    mlflow.set_experiment("governance-tests")
    v3 = log_version(
        client,
        "credit-risk",
        5,
        {"auc": 0.87, "val_loss": 0.33, "train_auc": 0.94},
        {"C": "0.25", "penalty": "l2"},
        {"notebooks/validation.ipynb": json.dumps(NOTEBOOK).replace("0.85", "0.87")},
    )
    client.set_registered_model_alias("credit-risk", "champion", "3")
    client.update_registered_model("credit-risk", description="Probability of default (PD)")
    return {"credit-risk": {"versions": [v3], "live": "3"}}


def main() -> None:
    url, mode, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    result = base(client) if mode == "base" else late(client)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
