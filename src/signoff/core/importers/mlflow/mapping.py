"""How MLflow's vocabulary maps onto Signoff's: components, metrics, lifecycle, metadata.

Pure functions, no I/O, so the mapping can be read (and tested) in one place.

Lifecycle mapping (also stated in the README):

* a version an alias in :data:`LIVE_ALIASES` points at (``champion``, ``production``,
  ``prod``, ``live``) goes live in Signoff's production deployment history; if no such
  alias exists, the highest version in the deprecated stage ``Production`` goes live;
* a version in the stage ``Archived`` is imported as ``retired``;
* every other ready version is imported as a ``draft``: it has not passed Signoff's two
  gates yet (``Staging``, ``challenger`` and other aliases are kept as facts on the version);
* versions still ``PENDING_REGISTRATION`` are skipped until a later import; versions whose
  registration ``FAILED`` are skipped and reported.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from signoff.core.audit.chain import canonical_json
from signoff.core.common.files import sha256_bytes
from signoff.core.common.text import name_problem
from signoff.core.db.schema import DRAFT, RETIRED, RISK_TIERS

LIVE_ALIASES = ("champion", "production", "prod", "live")
LIVE_STAGE = "Production"
ARCHIVED_STAGE = "Archived"
ENVIRONMENT_FILES = {
    "requirements.txt",
    "conda.yaml",
    "python_env.yaml",
    "environment.yml",
    "environment.yaml",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
}
MODEL_OBJECT_SUFFIXES = (
    ".pkl",
    ".pickle",
    ".joblib",
    ".skops",
    ".onnx",
    ".pt",
    ".pth",
    ".h5",
    ".keras",
    ".ubj",
    ".cbm",
    ".txt.gz",
    ".safetensors",
    ".bin",
)
DATA_SUFFIXES = (".csv", ".parquet", ".feather", ".jsonl", ".tsv", ".arrow")
# metric-name prefixes that say which data a metric was measured on
DATASET_PREFIXES = (
    ("training_", "train"),
    ("train_", "train"),
    ("test_", "test"),
    ("validation_", "validation"),
    ("valid_", "validation"),
    ("val_", "validation"),
    ("eval_", "validation"),
)
MODEL_TAG_COLUMNS = ("title", "owner", "business_unit", "risk_tier")
COLUMN_LIMITS = {"title": 300, "owner": 200, "business_unit": 200}
MAX_TIMESTAMP_MS = 253_402_300_800_000  # 10000-01-01: datetime's last year is 9999


def ms_to_datetime(value: object) -> datetime | None:
    """An MLflow millisecond timestamp as naive UTC (None when missing, malformed, or outside
    the years 1970-9999: a timestamp of 10**20 ms is no time a version was created)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        millis = int(value) if not isinstance(value, str) else int(value.strip(), 10)
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < millis < MAX_TIMESTAMP_MS:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC).replace(tzinfo=None)


def timestamp_note(value: object, what: str) -> str | None:
    """A note when *value* is given but is not a usable MLflow timestamp, else None."""
    if value is None or ms_to_datetime(value) is not None:
        return None
    text = str(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
    return f"{what}: creation time {text[:40]!r} is not a usable time; the import time is used"


def component_for(path: str, origin: str) -> tuple[str, str]:
    """(kind, role) of an artifact file at *path* from the *origin* folder ('model' or 'run')."""
    base = path.rsplit("/", 1)[-1]
    lower = base.lower()
    if lower.endswith(".ipynb"):
        return "documentation", "notebook"
    if lower in ENVIRONMENT_FILES:
        return "environment", "environment"
    if base == "MLmodel":
        return "configuration", "mlmodel"
    if lower.endswith((".md", ".rst", ".html", ".pdf")):
        if "release" in lower or "changelog" in lower:
            return "documentation", "release_notes"
        return "documentation", ""
    if lower.endswith(".py"):
        return "script", ""
    if lower.endswith(DATA_SUFFIXES):
        return "data", ""
    if lower.endswith((".json", ".yaml", ".yml", ".toml", ".cfg", ".ini")):
        return "configuration", ""
    if origin == "model" or lower.endswith(MODEL_OBJECT_SUFFIXES):
        return "model_object", "model_object" if lower.endswith(MODEL_OBJECT_SUFFIXES) else ""
    return "documentation", ""


def metric_dataset(key: str) -> str:
    """The dataset a metric name implies (``val_auc`` → validation); validation by default."""
    lower = key.lower()
    for prefix, dataset in DATASET_PREFIXES:
        if lower.startswith(prefix):
            return dataset
    return "validation"


def tag_dict(items: object) -> dict[str, str]:
    """MLflow's ``[{"key": k, "value": v}]`` lists (or a dict) as a plain dict of text."""
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    out: dict[str, str] = {}
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and "key" in item:
                out[str(item["key"])] = str(item.get("value", ""))
    return out


def model_columns(registered: dict[str, Any]) -> dict[str, Any]:
    """Signoff model columns from an MLflow registered model (see :func:`model_mapping`)."""
    return model_mapping(registered)[0]


def model_mapping(registered: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Signoff model columns from an MLflow registered model, and a note for every tag value
    that was changed or left out on the way.

    Tags named ``title``, ``owner``, ``business_unit`` and ``risk_tier`` fill those columns;
    every tag is also kept in Signoff's tag list as ``key=value`` (MLflow-internal
    ``mlflow.*`` tags are left out). The risk tier is read without regard to case or
    surrounding space (``HIGH`` is high, noted); a value that is no Signoff tier is left out
    (noted), so a new model gets the default tier and an imported one keeps its own.
    """
    tags = tag_dict(registered.get("tags"))
    notes: list[str] = []
    out: dict[str, Any] = {"description": str(registered.get("description") or "")}
    for column in MODEL_TAG_COLUMNS:
        if column in tags:
            out[column] = tags[column]
    for column, limit in COLUMN_LIMITS.items():
        value = out.get(column)
        if value is not None and (problem := name_problem(value, limit)):
            notes.append(f"the {column} tag {value[:60]!r} {problem}; it was not used")
            out.pop(column)
    tier = out.get("risk_tier")
    if tier is not None:
        mapped = tier.strip().lower()
        if mapped in RISK_TIERS:
            out["risk_tier"] = mapped
            if mapped != tier:
                notes.append(f"the risk_tier tag {tier!r} was read as {mapped!r}")
        else:
            out.pop("risk_tier")
            notes.append(
                f"the risk_tier tag {tier[:60]!r} is not a Signoff risk tier "
                f"({', '.join(RISK_TIERS)}); it was not used (a new model starts at "
                "'medium', an imported one keeps its tier)"
            )
    out["tags"] = sorted(
        f"{k}={v}" if v else k for k, v in tags.items() if not k.startswith("mlflow.")
    )
    return out, notes


def model_row(registered: dict[str, Any], columns: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The ``models`` columns of a newly imported model; *columns* from :func:`model_columns`.

    Its creation time is MLflow's, or *now* when MLflow does not say.
    """
    return {
        "name": registered["name"],
        "monitoring_rules": {},
        "created_at": ms_to_datetime(registered.get("creation_timestamp")) or now,
        **columns,
    }


def is_ready(version: dict[str, Any]) -> bool:
    """Whether MLflow finished registering a model version (only those are imported)."""
    return version.get("status", "READY") == "READY"


def aliases_by_version(registered: dict[str, Any]) -> dict[str, list[str]]:
    """{version number as text: [aliases]} from a registered model's alias list."""
    out: dict[str, list[str]] = {}
    for item in registered.get("aliases") or []:
        if isinstance(item, dict) and item.get("alias") and item.get("version") is not None:
            out.setdefault(str(item["version"]), []).append(str(item["alias"]))
    return {k: sorted(v) for k, v in out.items()}


def live_target(
    registered: dict[str, Any], versions: list[dict[str, Any]]
) -> tuple[str | None, str]:
    """The version that should be live in production, and why (alias or stage)."""
    aliases = aliases_by_version(registered)
    for alias in LIVE_ALIASES:
        for number, names in sorted(aliases.items(), key=lambda kv: -_int(kv[0])):
            if alias in (n.lower() for n in names):
                return number, f"alias '{alias}'"
    staged = [str(v.get("version")) for v in versions if v.get("current_stage") == LIVE_STAGE]
    if staged:
        return max(staged, key=_int), f"stage '{LIVE_STAGE}'"
    return None, ""


def initial_state(version: dict[str, Any]) -> str:
    """The Signoff state an imported version starts in (live is applied separately)."""
    return RETIRED if version.get("current_stage") == ARCHIVED_STAGE else DRAFT


def python_version_from(python_env_yaml: str) -> str:
    """The ``python:`` pin of an MLflow ``python_env.yaml`` ('' if absent)."""
    match = re.search(r"^python:\s*['\"]?([0-9][0-9.]*)", python_env_yaml, re.MULTILINE)
    return match.group(1) if match else ""


def artifact_listing_digest(files: list[tuple[str, int | None]]) -> str:
    """A fingerprint of an artifact listing (paths and declared sizes)."""
    return sha256_bytes(canonical_json(sorted([p, s] for p, s in files)).encode())


def content_digest(files: list[tuple[str, str]]) -> str:
    """The hash over (path, sha256) of every artifact file of a version."""
    return sha256_bytes(canonical_json(sorted([p, h] for p, h in files)).encode())


def version_manifest_hash(
    model: str,
    components: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
    params: dict[str, str],
) -> str:
    """The content hash of an imported version, computed like a published one's."""
    content = {
        "model": model,
        "source": "mlflow",
        "components": sorted(
            [
                c["kind"],
                c["name"],
                c.get("path") or "",
                c.get("uri") or "",
                c.get("sha256") or "",
                c.get("role", ""),
            ]
            for c in components
        ),
        "metrics": sorted((m["name"], m["dataset"], m["value"]) for m in metrics),
        "params": params,
    }
    return sha256_bytes(canonical_json(content).encode())


def run_metrics(items: list[Any], label: str, problems: list[str]) -> list[dict[str, Any]]:
    """Signoff metrics (latest value per key) from a run's metric list.

    Values that are not finite numbers are left out and described in *problems*; a metric
    without a name is a hostile answer.
    """
    from signoff.core.importers.mlflow.client import HostileAnswerError

    out: dict[str, dict[str, Any]] = {}
    for item in items:
        if not isinstance(item, dict):
            raise HostileAnswerError(f"{label}: a malformed metric")
        key, value = item.get("key"), item.get("value")
        if not isinstance(key, str) or not key:
            raise HostileAnswerError(f"{label}: a metric without a name")
        if problem := name_problem(key, 100):
            problems.append(f"{label}: a metric name {problem}; the metric was left out")
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            problems.append(f"{label}: metric {key} = {value!r} is not a finite number")
            continue
        out[key] = {"name": key[:100], "value": float(value), "dataset": metric_dataset(key)}
    return list(out.values())


def dataset_component(entry: dict[str, Any]) -> dict[str, Any]:
    """A data component (external URI, not stored) for one of a run's dataset inputs."""
    dataset = found if isinstance(found := entry.get("dataset"), dict) else {}
    tags = tag_dict(entry.get("tags"))
    source = str(dataset.get("source", ""))
    uri = None
    try:
        parsed = json.loads(source) if source else {}
        if isinstance(parsed, dict):
            uri = parsed.get("uri") or parsed.get("url") or parsed.get("path")
    except ValueError:
        uri = None
    name = str(dataset.get("name") or "dataset")
    digest = str(dataset.get("digest") or "")
    return {
        "kind": "data",
        "name": name[:300],
        "path": None,
        "uri": str(uri or f"mlflow-dataset:{name}@{digest}")[:1000],
        "sha256": None,
        "size": None,
        "stored": False,
        "role": "",
        "details": {
            "source": "mlflow",
            "digest": digest,
            "source_type": dataset.get("source_type", ""),
            "context": tags.get("mlflow.data.context", ""),
            "schema": dataset.get("schema", ""),
            "profile": dataset.get("profile", ""),
        },
    }


def _int(text: object) -> int:
    if not isinstance(text, int | float | str):
        return -1
    try:
        return int(text)
    except (TypeError, ValueError):
        return -1
