"""Looking things up: a model, a version, a reference like ``model@3``, deployments.

Each returns ORM rows for use inside the caller's session, or raises NotFoundError.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from signoff.core.common.errors import NotFoundError
from signoff.core.common.text import version_number
from signoff.core.db.schema import PRODUCTION, Consumer, Deployment, Model, Version


def get_model(session: Session, name: str) -> Model:
    """The model called *name*, or NotFoundError."""
    model = session.scalar(select(Model).where(Model.name == name))
    if model is None:
        raise NotFoundError(f"no model called '{name}'")
    return model


def get_version(session: Session, model_name: str, number: int | None = None) -> Version:
    """A version of a model (the latest when *number* is None), components and metrics loaded."""
    model = get_model(session, model_name)
    stmt = (
        select(Version)
        .where(Version.model_id == model.id)
        .options(selectinload(Version.components), selectinload(Version.metrics))
    )
    if number is None:
        stmt = stmt.order_by(Version.number.desc()).limit(1)
    else:
        stmt = stmt.where(Version.number == number)
    version = session.scalar(stmt)
    if version is None:
        which = f"v{number}" if number is not None else "any version"
        raise NotFoundError(f"model '{model_name}' has no {which}")
    return version


def parse_ref(ref: str) -> tuple[str, int | None]:
    """Split ``MODEL[@VERSION]`` (``credit-risk@3`` or ``credit-risk@v3``)."""
    name, sep, number_text = ref.partition("@")
    if not sep:
        return name, None
    number = version_number(number_text.removeprefix("v").removeprefix("V"))
    if number is None:
        raise NotFoundError(
            f"{ref!r}: the version after '@' must be a whole number from 1, like {name}@3"
        )
    return name, number


def live_version_at(
    session: Session, model_name: str, at: datetime, environment: str = PRODUCTION
) -> Version | None:
    """The version that was live in *environment* at time *at*, or None."""
    model = get_model(session, model_name)
    return session.scalar(
        select(Version)
        .join(Deployment, Deployment.version_id == Version.id)
        .where(
            Deployment.model_id == model.id,
            Deployment.environment == environment,
            Deployment.live_from <= at,
            or_(Deployment.live_to.is_(None), Deployment.live_to > at),
        )
        .order_by(Deployment.live_from.desc())
        .limit(1)
    )


def deployment_history(session: Session, model_name: str) -> list[Deployment]:
    """Every period a version of the model was live, oldest first, versions loaded."""
    model = get_model(session, model_name)
    return list(
        session.scalars(
            select(Deployment)
            .where(Deployment.model_id == model.id)
            .options(selectinload(Deployment.version))
            .order_by(Deployment.environment, Deployment.live_from)
        )
    )


def live_version_of(
    session: Session, model_id: int, environment: str = PRODUCTION
) -> Version | None:
    """The version of the model live in *environment* now, or None."""
    return session.scalar(
        select(Version)
        .join(Deployment, Deployment.version_id == Version.id)
        .where(
            Deployment.model_id == model_id,
            Deployment.environment == environment,
            Deployment.live_to.is_(None),
        )
        .order_by(Deployment.live_from.desc())
        .limit(1)
    )


def live_versions(session: Session, model_id: int) -> dict[str, int]:
    """Environment → live version number, for one model."""
    rows = session.execute(
        select(Deployment.environment, Version.number)
        .join(Version, Version.id == Deployment.version_id)
        .where(Deployment.model_id == model_id, Deployment.live_to.is_(None))
    ).all()
    return {env: number for env, number in rows}


def consumers_of(session: Session, model_id: int) -> list[Consumer]:
    return list(
        session.scalars(
            select(Consumer)
            .where(Consumer.model_id == model_id)
            .order_by(Consumer.name)
            .options(selectinload(Consumer.pinned_version))
        )
    )


def source_of(version: Version) -> dict[str, Any] | None:
    """Where an imported version came from, as that registry describes it (None when it was
    published to Signoff): MLflow's name, version, aliases, tags, stage, description, run."""
    meta = (version.manifest or {}).get("mlflow")
    if not isinstance(meta, dict):
        return None
    return {
        "registry": "mlflow",
        "server": meta.get("server"),
        "name": meta.get("name"),
        "version": meta.get("version"),
        "aliases": list(meta.get("aliases") or []),
        "tags": dict(meta.get("tags") or {}),
        "stage": meta.get("stage"),
        "description": meta.get("description") or "",
        "run_id": meta.get("run_id"),
        "run_deleted": bool(meta.get("run_deleted")),
        "status": meta.get("status"),
    }


def version_to_json(version: Version) -> dict[str, Any]:
    """A version as plain data: state, hashes, components, metrics and, for an imported
    version, its source registry's own description of it (see :func:`source_of`)."""
    return {
        "model": version.model.name,
        "version": version.number,
        "state": version.state,
        "author": version.author,
        "created_at": version.created_at.isoformat(),
        "manifest_hash": version.manifest_hash,
        "entry_point": version.entry_point,
        "components": [
            {
                "kind": c.kind,
                "name": c.name,
                "path": c.path,
                "uri": c.uri,
                "sha256": c.sha256,
                "size": c.size,
                "role": c.role,
            }
            for c in version.components
        ],
        "metrics": [
            {"name": m.name, "value": m.value, "dataset": m.dataset} for m in version.metrics
        ],
        "source": source_of(version),
    }
