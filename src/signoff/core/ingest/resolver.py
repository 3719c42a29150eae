"""Looking up the models, versions and executions an ingest row names, once per ingest.

:func:`version_of` reads a row's version reference ("model@3", or a model column and a
version column) and returns the version's and model's ids, caching the answer (or the reason
the reference is wrong) by the cells as given, so a million rows naming one version cost one
query.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signoff.core.common.text import BLANKS, name_problem, version_number
from signoff.core.db.schema import Deployment, Execution, Model, Version
from signoff.core.ingest.lifetime import INSIDE, Lifetime


class RowError(ValueError):
    """One row is wrong; the message names each bad field."""


class Resolver:
    """Looks up models, versions and executions by name once per ingest, then from a cache."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # the ingest's writer thread shares the session's connection; look-ups take this lock
        self.lock = threading.Lock()
        self._models: dict[str, int | None] = {}
        self._versions: dict[tuple[int, int], int | None] = {}
        self._lifetimes: dict[int, Lifetime] = {}
        self._executions: dict[str, int | None] = {}
        # (version cell, model cell) -> (version id, model id), or the reason it is wrong
        self.refs: dict[tuple[Any, Any], tuple[int | None, int | None] | str] = {}

    def model_id(self, name: str) -> int:
        """The id of the model called *name*; RowError when there is none."""
        if name not in self._models:
            with self.lock:
                self._models[name] = self.session.scalar(select(Model.id).where(Model.name == name))
        found = self._models[name]
        if found is None:
            raise RowError(f"unknown model '{name}'")
        return found

    def version_id(self, name: str, number: int) -> tuple[int, int]:
        """(version id, model id) of ``name`` v*number*; RowError when unknown."""
        model_id = self.model_id(name)
        key = (model_id, number)
        if key not in self._versions:
            with self.lock:
                first_live = (
                    select(func.min(Deployment.live_from))
                    .where(Deployment.version_id == Version.id)
                    .scalar_subquery()
                )
                row = self.session.execute(
                    select(
                        Version.id,
                        Version.created_at,
                        Version.state,
                        Version.state_changed_at,
                        first_live,
                    ).where(Version.model_id == model_id, Version.number == number)
                ).first()
            self._versions[key] = row[0] if row else None
            if row:
                self._lifetimes[row[0]] = Lifetime.of(row[1], row[2], row[3], row[4])
        found = self._versions[key]
        if found is None:
            raise RowError(f"unknown version: model '{name}' has no v{number}")
        return found, model_id

    def outside_lifetime(self, version_id: int, at: datetime) -> str:
        """INSIDE, or why a prediction at *at* falls outside the version's lifetime."""
        lifetime = self._lifetimes.get(version_id)
        return lifetime.judge(at) if lifetime is not None else INSIDE

    def execution_id(self, external_id: str) -> int:
        """The id of the execution reported as *external_id*; RowError when unknown."""
        if external_id not in self._executions:
            with self.lock:
                self._executions[external_id] = self.session.scalar(
                    select(Execution.id).where(Execution.external_id == external_id)
                )
        found = self._executions[external_id]
        if found is None:
            raise RowError(f"unknown execution '{external_id}' (ingest executions first)")
        return found

    def lifetime(self, version_id: int) -> Lifetime | None:
        """The lifetime of a version looked up by :meth:`version_id` (None: not known)."""
        return self._lifetimes.get(version_id)


def version_of(
    record: dict[str, Any], resolver: Resolver, errors: list[str]
) -> tuple[int | None, int | None]:
    """(version id, model id) the row names; (None, None) with the reason in *errors*."""
    cache_key = (record.get("version"), record.get("model"))
    try:
        cached = resolver.refs.get(cache_key)
    except TypeError:  # an unhashable value (a JSON list or object)
        cached = None
    if cached is not None:
        if isinstance(cached, str):
            errors.append(cached)
            return None, None
        return cached
    before = len(errors)
    found = _resolve_version(record, resolver, errors)
    with contextlib.suppress(TypeError):
        resolver.refs[cache_key] = found if len(errors) == before else errors[-1]
    return found


def _resolve_version(
    record: dict[str, Any], resolver: Resolver, errors: list[str]
) -> tuple[int | None, int | None]:
    try:
        ref = str(record.get("version", "")).strip(BLANKS)
        model = str(record.get("model", "")).strip(BLANKS)
    except ValueError:  # an integer beyond Python's digit limit
        errors.append("version: does not name a version number")
        return None, None
    if not ref:
        errors.append("version: missing (give 'model@number', or a model and a version column)")
        return None, None
    if model:
        name, number_text = model, ref
    else:
        name, sep, number_text = ref.rpartition("@")
        if not sep:
            errors.append(
                f"version: {_short(ref)} must be 'model@number' when there is no model column"
            )
            return None, None
    number_text = number_text.strip(BLANKS).removeprefix("v").removeprefix("V")
    number = version_number(number_text)
    if number is None:
        errors.append(
            f"version: {_short(ref)} does not name a version number "
            "(a whole number from 1, in the digits 0-9)"
        )
        return None, None
    name = name.strip(BLANKS)
    problem = name_problem(name, 200)
    if problem:
        errors.append(f"version: the model name {problem}")
        return None, None
    try:
        return resolver.version_id(name, number)
    except RowError as exc:
        errors.append(str(exc))
        return None, None


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")
