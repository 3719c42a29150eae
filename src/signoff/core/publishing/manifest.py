"""Reading and validating a model folder's ``signoff.toml`` manifest.

Every path in a manifest is confined to the model folder: absolute paths, ``..`` parts and
symlinks that resolve outside the folder are refused before anything is read.
See the README ("The manifest") for the format; ``examples/credit-risk`` is a complete one.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from signoff.core.common.errors import ManifestError, PathEscapeError
from signoff.core.common.text import name_problem, number_problem
from signoff.core.db import model_risk as rk
from signoff.core.db.schema import RISK_TIERS
from signoff.core.publishing.manifest_values import (
    MAX_MANIFEST_BYTES,
    check_manifest_values,
    name_text,
    one_line,
)

MANIFEST_NAME = "signoff.toml"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
TASKS = ("classification", "regression", "other")
TOP_LEVEL = {
    "model",
    "version",
    "data",
    "scripts",
    "configuration",
    "tests",
    "documentation",
    "metrics",
    "monitoring",
    "card",  # the model card's fields (signoff.core.db.model_risk.CARD_FIELDS)
}
MODEL_KEYS = {"name", "title", "description", "owner", "business_unit", "risk_tier", "tags", "task"}
VERSION_KEYS = {
    "author",
    "release_notes",
    "notebook",
    "entry_point",
    "model_object",
    "environment",
    "python",
}


@dataclass
class ComponentSpec:
    """One component named by the manifest, before it is stored."""

    kind: str
    name: str
    rel_path: str | None = None  # inside the model folder
    source: Path | None = None  # absolute, confined path of the file to store
    uri: str | None = None  # external location (not stored)
    pinned_sha256: str | None = None
    role: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Manifest:
    """A validated manifest: model metadata, version fields, components and metrics."""

    folder: Path
    model: dict[str, Any]
    version: dict[str, Any]
    components: list[ComponentSpec]
    metrics: list[dict[str, Any]]
    monitoring: dict[str, Any]
    raw: dict[str, Any]


def model_name_problem(name: object) -> str | None:
    """Why *name* cannot name a Signoff model, or None when it can (the manifest's rule)."""
    if isinstance(name, str) and NAME_RE.fullmatch(name):
        return None
    return (
        "a model name must be 1-100 lower-case letters, digits, '.', '-' or '_', "
        "starting with a letter or digit"
    )


def confine(folder: Path, rel: object, what: str) -> Path:
    """Resolve *rel* inside *folder*, refusing anything that would leave it."""
    if not isinstance(rel, str) or not rel.strip():
        raise ManifestError(f"{what}: expected a relative file path, got {rel!r}")
    problem = name_problem(rel, 500)
    if problem:
        raise ManifestError(f"{what}: the path {rel!r} {problem}")
    absolute = PureWindowsPath(rel).drive or PurePosixPath(rel).is_absolute()
    if absolute or rel.startswith(("/", "\\")):
        raise PathEscapeError(
            f"{what}: absolute path {rel!r} is not allowed; "
            "paths must be relative to the model folder"
        )
    parts = re.split(r"[\\/]", rel)
    if ".." in parts:
        raise PathEscapeError(
            f"{what}: path {rel!r} contains '..'; paths must stay inside the model folder"
        )
    root = folder.resolve()
    candidate = folder / rel
    resolved = candidate.resolve()
    if not resolved.is_relative_to(root):
        raise PathEscapeError(
            f"{what}: {rel!r} resolves outside the model folder (a symlink to {resolved})"
        )
    if not resolved.exists():
        raise ManifestError(f"{what}: file {rel!r} does not exist in {folder}")
    if not resolved.is_file():
        raise ManifestError(f"{what}: {rel!r} is not a regular file")
    return resolved


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table or table[key] in ("", None):
        raise ManifestError(f"[{where}] is missing the required key '{key}'")
    return table[key]


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ManifestError(
            f"[{where}] has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _table_list(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key, [])
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ManifestError(f"'{key}' must be an array of tables ([[{key}]])")
    return value


def _pin(entry: dict[str, Any], where: str) -> str | None:
    pin = entry.get("sha256")
    if pin is None:
        return None
    if not isinstance(pin, str) or not SHA_RE.fullmatch(pin.lower()):
        raise ManifestError(f"{where}: sha256 must be 64 hexadecimal characters, got {pin!r}")
    return pin.lower()


def _check_card(card: object) -> None:
    """A ``[card]`` table: known fields, each text of bounded length."""
    if not isinstance(card, dict):
        raise ManifestError("[card] must be a table")
    _check_keys(card, set(rk.CARD_FIELDS), "card")
    for key, value in card.items():
        if not isinstance(value, str) or len(value) > rk.CARD_TEXT_LIMIT:
            raise ManifestError(
                f"[card] {key} must be text of at most {rk.CARD_TEXT_LIMIT} characters"
            )


def read_manifest(folder: Path) -> Manifest:
    """Parse and validate ``folder/signoff.toml``; raises ManifestError naming the problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ManifestError(f"{folder} is not a folder")
    path = folder / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(f"{folder} has no {MANIFEST_NAME} manifest")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ManifestError(
            f"{path} is larger than {MAX_MANIFEST_BYTES // 1024} KiB; a manifest names the "
            "files of a version, it does not hold them"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError:
        raise ManifestError(f"{path}: not valid TOML: nested too deeply") from None
    check_manifest_values(raw)
    _check_keys(raw, TOP_LEVEL, "manifest")
    model = raw.get("model")
    version = raw.get("version")
    if not isinstance(model, dict):
        raise ManifestError("the manifest has no [model] table")
    if not isinstance(version, dict):
        raise ManifestError("the manifest has no [version] table")
    _check_keys(model, MODEL_KEYS, "model")
    _check_keys(version, VERSION_KEYS, "version")

    name = _require(model, "name", "model")
    if model_name_problem(name):
        raise ManifestError(
            f"[model] name {name!r} must be lower-case letters, digits, '.', '-' "
            "or '_', starting with a letter or digit"
        )
    tier = model.get("risk_tier", "medium")
    if tier not in RISK_TIERS:
        raise ManifestError(f"[model] risk_tier {tier!r} must be one of {', '.join(RISK_TIERS)}")
    task = model.get("task", "classification")
    if task not in TASKS:
        raise ManifestError(f"[model] task {task!r} must be one of {', '.join(TASKS)}")
    tags = model.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ManifestError("[model] tags must be a list of strings")
    for tag in tags:
        name_text(tag, "[model] tag", 100)
    for key, limit in (("title", 300), ("owner", 200), ("business_unit", 200)):
        one_line(model, key, "model", limit)
    if not isinstance(model.get("description", ""), str):
        raise ManifestError("[model] description must be text")

    author = _require(version, "author", "version")
    one_line(version, "author", "version", 200)
    if not author.strip():
        raise ManifestError("[version] author must name a person, not blank space")
    one_line(version, "python", "version", 40)
    components = _version_components(folder, version)
    components += _listed_components(folder, raw)
    metrics = _metrics(raw)
    monitoring = raw.get("monitoring", {})
    if not isinstance(monitoring, dict):
        raise ManifestError("[monitoring] must be a table")
    _check_card(raw.get("card", {}))
    names = [(c.kind, c.name) for c in components]
    dupes = sorted({f"{k}:{n}" for k, n in names if names.count((k, n)) > 1})
    if dupes:
        raise ManifestError(f"component(s) named twice: {', '.join(dupes)}")
    model_out = {
        "name": name,
        "title": model.get("title", ""),
        "description": model.get("description", ""),
        "owner": model.get("owner", ""),
        "business_unit": model.get("business_unit", ""),
        "risk_tier": tier,
        "tags": tags,
        "task": task,
    }
    return Manifest(folder, model_out, dict(version), components, metrics, monitoring, raw)


def _version_components(folder: Path, version: dict[str, Any]) -> list[ComponentSpec]:
    out: list[ComponentSpec] = []
    entry = _require(version, "entry_point", "version")
    if not isinstance(entry, str) or not re.fullmatch(r"[^:]+\.py:[A-Za-z_][A-Za-z0-9_]*", entry):
        raise ManifestError(f"[version] entry_point {entry!r} must look like 'score.py:predict'")
    script = entry.split(":", 1)[0]
    out.append(
        ComponentSpec(
            "script",
            script,
            script,
            confine(folder, script, "entry_point"),
            role="entry_point",
            details={"entry_point": entry},
        )
    )
    required = {
        "model_object": ("model_object", "model_object"),
        "environment": ("environment", "environment"),
        "release_notes": ("documentation", "release_notes"),
    }
    for key, (kind, role) in required.items():
        rel = _require(version, key, "version")
        out.append(
            ComponentSpec(kind, rel, rel, confine(folder, rel, f"[version] {key}"), role=role)
        )
    if "notebook" in version:
        rel = version["notebook"]
        out.append(
            ComponentSpec(
                "documentation",
                rel,
                rel,
                confine(folder, rel, "[version] notebook"),
                role="notebook",
            )
        )
    return out


def _listed_components(folder: Path, raw: dict[str, Any]) -> list[ComponentSpec]:
    out: list[ComponentSpec] = []
    for i, entry in enumerate(_table_list(raw, "data"), 1):
        where = f"[[data]] #{i}"
        _check_keys(entry, {"name", "path", "uri", "sha256", "description"}, where)
        has_path, has_uri = "path" in entry, "uri" in entry
        if has_path == has_uri:
            raise ManifestError(
                f"{where}: give exactly one of 'path' (a file in the folder) "
                "or 'uri' (an external location)"
            )
        pin = _pin(entry, where)
        description = entry.get("description", "")
        if not isinstance(description, str):
            raise ManifestError(f"{where}: description must be text")
        details = {"description": description}
        if has_path:
            rel = entry["path"]
            out.append(
                ComponentSpec(
                    "data",
                    name_text(entry.get("name", rel), f"{where} name", 300),
                    rel,
                    confine(folder, rel, where),
                    pinned_sha256=pin,
                    details=details,
                )
            )
        else:
            uri = entry["uri"]
            if not isinstance(uri, str) or "://" not in uri:
                raise ManifestError(
                    f"{where}: uri {uri!r} must be a URI such as s3://… or file://…"
                )
            if name_problem(uri, 1000):
                raise ManifestError(f"{where}: uri {uri!r} {name_problem(uri, 1000)}")
            out.append(
                ComponentSpec(
                    "data",
                    name_text(entry.get("name", uri), f"{where} name", 300),
                    uri=uri,
                    pinned_sha256=pin,
                    details=details,
                )
            )
    for key, kind in (
        ("scripts", "script"),
        ("configuration", "configuration"),
        ("documentation", "documentation"),
    ):
        for i, entry in enumerate(_table_list(raw, key), 1):
            where = f"[[{key}]] #{i}"
            _check_keys(entry, {"name", "path", "sha256"}, where)
            rel = _require(entry, "path", key)
            out.append(
                ComponentSpec(
                    kind,
                    name_text(entry.get("name", rel), f"{where} name", 300),
                    rel,
                    confine(folder, rel, where),
                    pinned_sha256=_pin(entry, where),
                )
            )
    for i, entry in enumerate(_table_list(raw, "tests"), 1):
        where = f"[[tests]] #{i}"
        _check_keys(entry, {"name", "inputs", "outputs", "tolerance", "sha256"}, where)
        name = name_text(entry.get("name", f"reference-{i}"), f"{where} name", 200)
        tolerance = entry.get("tolerance", 1e-9)
        if not isinstance(tolerance, int | float) or tolerance < 0:
            raise ManifestError(f"{where}: tolerance must be a non-negative number")
        for part in ("inputs", "outputs"):
            rel = _require(entry, part, "tests")
            out.append(
                ComponentSpec(
                    "tests",
                    f"{name} {part}",
                    rel,
                    confine(folder, rel, where),
                    role=f"reference_{part}",
                    details={"test": name, "tolerance": tolerance},
                )
            )
    return out


def _metrics(raw: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for i, entry in enumerate(_table_list(raw, "metrics"), 1):
        where = f"[[metrics]] #{i}"
        _check_keys(entry, {"name", "value", "dataset"}, where)
        name = name_text(_require(entry, "name", "metrics"), f"{where} name", 100)
        value = entry.get("value")
        problem = number_problem(value)
        if problem or not isinstance(value, int | float):
            raise ManifestError(f"{where} ({name}): value must be a number: {problem}")
        dataset = name_text(entry.get("dataset", "validation"), f"{where} dataset", 100)
        out.append({"name": name, "value": float(value), "dataset": dataset})
    return out
