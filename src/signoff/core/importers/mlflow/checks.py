"""What of an MLflow registry Signoff can take, and why the rest is refused.

MLflow accepts nearly any text as a model name, any string as a version number and any bytes
in a tag. Signoff's names are what people type on the command line (``credit-risk@3``) and
what reviewers read beside their signatures, so the import holds MLflow's records to Signoff's
rules and reports, rather than stores, what breaks them:

* a registered model's name must follow the manifest's rule (lower-case letters, digits,
  ``.``, ``-``, ``_``); a name that does not is skipped with the reason, unless the person maps
  it to a Signoff name with an explicit rule (``--rename 'Credit Risk=credit-risk'``);
* a version number must be a positive whole number in ASCII digits ("²", Arabic-Indic digits,
  "0", "03" and 5000-digit numbers are not), and appear once;
* names and text fields (descriptions, tags, aliases, authors, stages) may not hold control
  characters or bidirectional overrides; a model or version that has one is skipped, naming
  the field.
"""

from __future__ import annotations

import re
from typing import Any

from signoff.core.common.errors import SignoffError
from signoff.core.common.text import name_problem, text_problem, version_number
from signoff.core.publishing.manifest import model_name_problem

MAX_NAME = 100  # the manifest's rule allows 100 characters


def suggested_name(mlflow_name: str) -> str:
    """A Signoff model name close to *mlflow_name* ('Credit Risk (EU)' → 'credit-risk-eu'),
    offered in the report; never used without the person's explicit rule."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", mlflow_name.lower()).strip("-._")
    return slug[:MAX_NAME] or "model"


def parse_renames(rules: list[str] | None) -> dict[str, str]:
    """``['MLflow name=signoff-name', …]`` as a dict; SignoffError for a malformed rule or a
    target that breaks the name rule."""
    out: dict[str, str] = {}
    for rule in rules or []:
        source, sep, target = rule.rpartition("=")
        if not sep or not source or not target:
            raise SignoffError(f"--rename {rule!r}: write it as 'MLflow name=signoff-name'")
        problem = model_name_problem(target)
        if problem:
            raise SignoffError(f"--rename {rule!r}: {target!r} cannot be used: {problem}")
        out[source] = target
    return out


def model_name(mlflow_name: str, renames: dict[str, str]) -> tuple[str | None, str]:
    """(the Signoff name for *mlflow_name*, '') or (None, why it is skipped)."""
    if mlflow_name in renames:
        return renames[mlflow_name], ""
    text = name_problem(mlflow_name)
    problem = f"the name {text}" if text else model_name_problem(mlflow_name)
    if problem is None:
        return mlflow_name, ""
    shown = mlflow_name.encode("unicode_escape").decode("ascii")[:120]
    return None, (
        f"MLflow model {shown!r}: not imported: {problem}. Rename it in MLflow, or import it "
        f"under another name with --rename '{shown}={suggested_name(mlflow_name)}'"
    )


def _tag_problems(tags: object, what: str) -> list[str]:
    problems = []
    items = tags if isinstance(tags, list) else []
    for item in items:
        if not isinstance(item, dict):
            continue
        key, value = item.get("key"), item.get("value", "")
        if isinstance(key, str) and (problem := name_problem(key, 250)):
            problems.append(f"{what} tag key {problem}")
        if isinstance(value, str) and (problem := text_problem(value)):
            problems.append(f"{what} tag {key!r} {problem}")
    return problems


def registered_model_problem(registered: dict[str, Any]) -> str | None:
    """Why a registered model's own text cannot be imported (description, tags, aliases)."""
    problems = []
    description = registered.get("description") or ""
    if isinstance(description, str) and (problem := text_problem(description)):
        problems.append(f"its description {problem}")
    problems += _tag_problems(registered.get("tags"), "a")
    for item in registered.get("aliases") or []:
        alias = item.get("alias") if isinstance(item, dict) else None
        if isinstance(alias, str) and (problem := name_problem(alias, 250)):
            problems.append(f"an alias {problem}")
    return "; ".join(problems) or None


def version_problem(v: dict[str, Any]) -> str | None:
    """Why a model version's text cannot be imported (description, tags, author, stage)."""
    problems = []
    description = v.get("description") or ""
    if isinstance(description, str) and (problem := text_problem(description)):
        problems.append(f"its description {problem}")
    for key, what in (("user_id", "author"), ("current_stage", "stage"), ("status", "status")):
        value = v.get(key)
        if isinstance(value, str) and (problem := name_problem(value, 200)):
            problems.append(f"its {what} {problem}")
    problems += _tag_problems(v.get("tags"), "a version")
    return "; ".join(problems) or None


def usable_versions(
    name: str, mlflow_name: str, items: list[dict[str, Any]], skipped: list[str]
) -> list[dict[str, Any]]:
    """The versions of *mlflow_name* Signoff can import, numbers normalised to ``"3"``; every
    other one is described in *skipped* with its reason."""
    by_number: dict[int, list[dict[str, Any]]] = {}
    for v in items:
        raw = v.get("version")
        number = version_number(raw)
        shown = _shown(raw)
        if number is None:
            skipped.append(
                f"{name}: MLflow version {shown} not imported: a version number must be a "
                "whole number from 1, written in the digits 0-9"
            )
            continue
        if v.get("name", mlflow_name) != mlflow_name:
            skipped.append(
                f"{name} v{number}: not imported: the server lists it under another model "
                f"({_shown(v.get('name'))})"
            )
            continue
        problem = version_problem(v)
        if problem:
            skipped.append(f"{name} v{number}: not imported: {problem}")
            continue
        by_number.setdefault(number, []).append({**v, "version": str(number)})
    out = []
    for number, found in sorted(by_number.items()):
        if len(found) > 1:
            skipped.append(
                f"{name} v{number}: not imported: the server lists version {number} "
                f"{len(found)} times; Signoff cannot tell which is the real one"
            )
            continue
        out.append(found[0])
    return out


def _shown(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an integer beyond Python's digit limit
        return "(a number with thousands of digits)"
    text = text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"
