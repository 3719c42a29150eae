"""Writing one complete, publishable model folder for a demo version.

The folder is what a data scientist would hand over: ``signoff.toml``, ``score.py`` (the
scoring contract), ``train.py`` (really run here to produce ``model.joblib``), ``config.json``,
the data splits, an executed ``analysis.ipynb``, ``RELEASE_NOTES.md``, ``requirements.txt``
pinning what the scoring code imports, and reference tests whose outputs come from running
``predict`` on the inputs.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import runpy
import sys
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signoff.core.common.files import sha256_file
from signoff.demo.catalog import ModelSpec, VersionSpec
from signoff.demo.datagen import FIELDS, generate
from signoff.demo.notebook import _in_folder, write_executed_notebook

if TYPE_CHECKING:
    from signoff.demo.evidence import Predict

ALGORITHM_NAMES = {
    "logistic": "logistic regression",
    "gbm": "gradient boosting",
    "forest": "random forest",
    "ridge": "ridge regression",
    "gbr": "gradient boosting regression",
}
SCORING_IMPORTS = ("scikit-learn", "numpy", "joblib", "scipy")
N_REFERENCE = 200  # enough scores for monitoring to use them as the PSI reference


def template(name: str) -> str:
    """The text of a template file shipped in ``signoff/demo/templates``."""
    return resources.files("signoff.demo").joinpath("templates").joinpath(name).read_text("utf-8")


def requirements_text() -> str:
    """Exact pins of the packages the scoring code imports, as installed here."""
    pins = [f"{name}=={metadata.version(name)}" for name in SCORING_IMPORTS]
    return "# what score.py needs to load and run model.joblib\n" + "\n".join(pins) + "\n"


def _write_csv(path: Path, records: list[dict[str, Any]], targets: list[float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*records[0], "target"])
        for record, target in zip(records, targets, strict=True):
            writer.writerow([*record.values(), target])


def _jsonl(path: Path, rows: list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), "utf-8")


def load_predict(folder: Path, module_name: str) -> Predict:
    """Import ``folder/score.py`` under a private module name and return its ``predict``."""
    spec = importlib.util.spec_from_file_location(module_name, folder / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = bytecode
    return module.predict


def run_training(folder: Path) -> dict[str, float]:
    """Run ``folder/train.py`` in this process (as ``python train.py`` would); its metrics."""
    before = list(sys.path)
    with _in_folder(folder):
        runpy.run_path(str(folder / "train.py"), run_name="__main__")
    sys.path[:] = before
    return json.loads((folder / "metrics.json").read_text("utf-8"))


def config_for(model: ModelSpec, version: VersionSpec) -> dict[str, Any]:
    """The folder's config.json: features with their valid ranges, algorithm, threshold."""
    fields = {f.name: f for f in FIELDS[model.domain]}
    return {
        "model": model.name,
        "version": version.number,
        "task": model.task,
        "features": [fields[name].to_config() for name in version.features],
        "algorithm": version.algorithm,
        "hyperparameters": version.params,
        "seed": version.data_seed,
        "labels": list(model.labels),
        "threshold": model.threshold,
    }


def _release_notes(model: ModelSpec, version: VersionSpec, metrics: dict[str, float]) -> str:
    lines = [
        f"# {model.title} v{version.number}",
        "",
        version.summary,
        "",
        version.notes,
        "",
        "## Changes",
        "",
        f"- Algorithm: {ALGORITHM_NAMES[version.algorithm]} "
        f"({', '.join(f'{k}={v}' for k, v in version.params.items())})",
        f"- Features: {', '.join(f'`{f}`' for f in version.features)}",
        f"- Training data: {version.n_train:,} records (seed {version.data_seed}), "
        f"validated on {version.n_train // 3:,} held-out records",
        "",
        "## Validation metrics",
        "",
        "| metric | value |",
        "| --- | --- |",
    ]
    lines += [f"| {k} | {v:.4f} |" for k, v in metrics.items()]
    lines += [
        "",
        "## Known limitations",
        "",
        "Trained on generated data for the Signoff demo; not for real decisions.",
        "",
    ]
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def _manifest(
    model: ModelSpec, version: VersionSpec, metrics: dict[str, float], train_sha: str, extras: bool
) -> str:
    monitoring = dict(model.monitoring)
    monitoring["baseline"] = metrics[monitoring["metric"]]
    if model.task == "classification":
        monitoring["threshold"] = model.threshold
    model_table = {
        "name": model.name,
        "title": model.title,
        "description": model.description,
        "owner": model.owner,
        "business_unit": model.business_unit,
        "risk_tier": model.risk_tier,
        "task": model.task,
        "tags": list(model.tags),
    }
    version_table = {
        "author": version.author,
        "entry_point": "score.py:predict",
        "model_object": "model.joblib",
        "environment": "requirements.txt",
        "release_notes": "RELEASE_NOTES.md",
        "notebook": "analysis.ipynb",
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    out = ["# Signoff manifest: what this model folder contains and how to score with it.", ""]
    for name, table in (("model", model_table), ("version", version_table)):
        out.append(f"[{name}]")
        out += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        out.append("")
    out += [
        "[[data]]",
        'name = "training set"',
        'path = "data/train.csv"',
        f'sha256 = "{train_sha}"',
        f'description = "{version.n_train:,} generated records used to fit the model"',
        "",
        "[[data]]",
        'name = "validation set"',
        'path = "data/validation.csv"',
        'description = "held-out records the development metrics are computed on"',
        "",
    ]
    if extras:
        source = f"{model.name}/{version.data_seed}/source-extract"
        out += [
            "[[data]]",
            'name = "source extract"',
            f'uri = "s3://signoff-demo-lake/{model.domain}/extract-{version.data_seed}.parquet"',
            f'sha256 = "{hashlib.sha256(source.encode()).hexdigest()}"',
            'description = "the warehouse extract the CSV splits were sampled from (not stored)"',
            "",
        ]
    out += [
        "[[scripts]]",
        'name = "training"',
        'path = "train.py"',
        "",
        "[[configuration]]",
        'name = "features and hyper-parameters"',
        'path = "config.json"',
        "",
    ]
    if extras:
        out += ["[[documentation]]", 'name = "readme"', 'path = "README.md"', ""]
    out += [
        "[[tests]]",
        'name = "reference"',
        'inputs = "tests/reference_inputs.jsonl"',
        'outputs = "tests/reference_outputs.jsonl"',
        "tolerance = 1e-6",
        "",
    ]
    for name, value in metrics.items():
        out += [
            "[[metrics]]",
            f'name = "{name}"',
            f"value = {value!r}",
            'dataset = "validation"',
            "",
        ]
    out.append("[monitoring]")
    out += [f"{k} = {_toml_value(v)}" for k, v in monitoring.items()]
    out += ["", "[card]"]
    out += [f"{k} = {_toml_value(v)}" for k, v in _card(model, version, metrics).items()]
    return "\n".join(out) + "\n"


def _card(model: ModelSpec, version: VersionSpec, metrics: dict[str, float]) -> dict[str, str]:
    """The version's model card (the manifest's ``[card]`` table), from what the demo knows."""
    return {
        "intended_use": model.description,
        "out_of_scope_uses": "Any decision about real people or transactions: the model is "
        "trained on generated data for the Signoff demo.",
        "users": f"{model.business_unit}; owned by {model.owner}",
        "data": f"{version.n_train:,} generated records; features: {', '.join(version.features)}",
        "method": version.summary,
        "performance": ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())
        + " on the validation set",
        "limitations": "Validated only on the generated population it was trained on.",
        "risk_rationale": f"{model.risk_tier} tier, set by the model's owner and the validator.",
    }


def write_version_folder(
    model: ModelSpec, version: VersionSpec, dest: Path, *, extras: bool = False, readme: str = ""
) -> Path:
    """Write, train, test and document one version's folder at *dest* (created fresh).

    *extras* adds an external data reference and a README (the shipped example has them).
    """
    dest = Path(dest).absolute()
    dest.mkdir(parents=True, exist_ok=False)
    n_valid = version.n_train // 3
    records, targets = generate(model.domain, version.n_train + n_valid, version.data_seed)
    _write_csv(dest / "data" / "train.csv", records[: version.n_train], targets[: version.n_train])
    _write_csv(
        dest / "data" / "validation.csv", records[version.n_train :], targets[version.n_train :]
    )
    (dest / "config.json").write_text(
        json.dumps(config_for(model, version), indent=2) + "\n", "utf-8"
    )
    (dest / "score.py").write_text(template("score.py"), "utf-8")
    (dest / "train.py").write_text(template("train.py"), "utf-8")
    (dest / "requirements.txt").write_text(requirements_text(), "utf-8")
    metrics = run_training(dest)

    reference, _ = generate(model.domain, N_REFERENCE, version.data_seed + 7919)
    reference = [{k: r[k] for k in version.features} for r in reference]
    predict = load_predict(dest, f"_signoff_demo_{model.name.replace('-', '_')}_v{version.number}")
    _jsonl(dest / "tests" / "reference_inputs.jsonl", reference)
    _jsonl(dest / "tests" / "reference_outputs.jsonl", predict(reference))

    write_executed_notebook(
        dest,
        model.title,
        version.number,
        version.summary,
        ALGORITHM_NAMES[version.algorithm],
        model.task,
    )
    (dest / "RELEASE_NOTES.md").write_text(_release_notes(model, version, metrics), "utf-8")
    if extras:
        (dest / "README.md").write_text(readme, "utf-8")
    train_sha = sha256_file(dest / "data" / "train.csv")
    (dest / "signoff.toml").write_text(
        _manifest(model, version, metrics, train_sha, extras), "utf-8"
    )
    return dest
