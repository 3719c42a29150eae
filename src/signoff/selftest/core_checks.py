"""The self-test's checks that need no Qt: installed files, the registry, audit, render, runner."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from signoff.selftest.harness import CheckFailed, SelfTest

if TYPE_CHECKING:  # each check imports what it checks, so a missing part fails only that check
    from signoff.core.db.registry import Registry

# -- checks without Qt -------------------------------------------------------------------------


def run_core_checks(
    test: SelfTest,
    workdir: Path,
    existing: tuple[str | Path | None, str | None, str | Path | None] | None = None,
) -> None:
    """The installed files and the registry: a new demo, or *existing* (home, db, artifacts)."""
    test.check("resources", _check_resources)
    if existing is not None:
        test.check("registry", lambda: _check_existing(test, *existing))
    else:
        test.check("demo registry", lambda: _check_demo(test, workdir / "demo"))


def _check_resources() -> str:
    from importlib.resources import files

    root = files("signoff")
    wanted = (
        "resources/icons/signoff.svg",
        "resources/icons/signoff-256.png",
        "resources/style.qss",
        "resources/render/notebook.css",
        "core/db/migrations/env.py",
        "core/db/migrations/script.py.mako",
    )
    missing = []
    for rel in wanted:
        node = root.joinpath(*rel.split("/"))
        if not node.is_file():
            missing.append(rel)
    if missing:
        raise CheckFailed(f"missing from the installation: {', '.join(missing)}")
    versions = root / "core" / "db" / "migrations" / "versions"
    scripts = [n.name for n in versions.iterdir() if n.name.endswith(".py")]
    return f"{len(wanted)} files and {len(scripts)} migration scripts present"


def _check_demo(test: SelfTest, home: Path) -> str:
    from signoff.core.db.registry import open_registry
    from signoff.demo import build_demo

    summary = build_demo(home)
    registry = open_registry(home=home)
    test.state["registry"] = registry
    test.state["models"] = _model_names(registry)
    return summary


def _model_names(registry: Registry) -> list[str]:
    from sqlalchemy import select

    from signoff.core.db.schema import Model

    with registry.read() as session:
        return sorted(session.scalars(select(Model.name)))


def _check_existing(
    test: SelfTest, home: str | Path | None, db: str | None, artifacts: str | Path | None
) -> str:
    from signoff.core.db.registry import open_registry

    if home and not db and not Path(home).expanduser().is_dir():
        raise CheckFailed(f"there is no registry at {home} (the folder does not exist)")
    registry = open_registry(home=home, db=db, artifacts=artifacts, upgrade=False)
    test.state["registry"] = registry
    test.state["models"] = _model_names(registry)
    return f"{registry.display_url}: {len(test.state['models'])} models"


def check_audit(test: SelfTest) -> str:
    from signoff.core.audit.chain import verify_chain

    with test.state["registry"].read() as session:
        report = verify_chain(session)
    if not report.intact:
        raise CheckFailed(report.describe())
    return f"{report.events} events, hashes chain intact"


def check_render(test: SelfTest) -> str:
    from sqlalchemy import select

    from signoff.core.db.schema import Model, Version
    from signoff.core.render import load_version_document, render_notebook

    registry = test.state["registry"]
    with registry.read() as session:
        rows = session.execute(
            select(Model.name, Version.number)
            .join(Version.model)
            .order_by(Model.name, Version.number.desc())
        ).all()
    for name, number in rows:
        doc = load_version_document(registry, name, number, "notebook")
        if doc.data is not None:
            break
    else:
        raise CheckFailed("no version in the demo registry has a notebook")
    page = render_notebook(doc.data, title=f"{name} v{number}")
    lowered = page.html.lower()
    if "<script" in lowered or " onerror=" in lowered:
        raise CheckFailed("the rendered page contains script")
    headings = [entry.text for entry in page.toc if len(entry.text) >= 4]
    if not headings:
        raise CheckFailed(f"the notebook of {name} v{number} rendered without any heading")
    images = lowered.count("<img")
    test.state["notebook"] = (f"{name} v{number}", page.html, headings[0])
    return (
        f"{name} v{number}: {len(page.html) // 1024} KiB of HTML, {len(page.toc)} headings, "
        f"{images} images, no script"
    )


def check_model_subprocess(test: SelfTest) -> str:
    from sqlalchemy import select

    from signoff.core.common.child import child_command
    from signoff.core.db.schema import Evidence, Model, Version
    from signoff.core.governance.checks import run_checks

    registry = test.state["registry"]
    # a version whose reference outputs reproduced when the demo built it (in process): the
    # runner's child must reproduce them too
    with registry.read() as session:
        row = session.execute(
            select(Version.id, Model.name, Version.number)
            .join(Version.model)
            .join(
                Evidence,
                (Evidence.version_id == Version.id)
                & (Evidence.manifest_hash == Version.manifest_hash),
            )
            .where(Evidence.check == "reference_outputs", Evidence.passed.is_(True))
            .order_by(Model.name, Version.number.desc())
            .limit(1)
        ).first()
    if row is None:
        raise CheckFailed("no version in the demo registry has reference outputs to re-check")
    version_id, name, number = row
    [result] = run_checks(
        # the demo's release manager records it: a version's author never records its checks
        registry,
        version_id,
        checks=("reference_outputs",),
        actor="dave",
    )
    if not result.passed:
        raise CheckFailed(f"{name} v{number}: {result.summary}")
    command = child_command("bootstrap.py", "JOB.json")
    started_as = " ".join([Path(command[0]).name, *command[1:]])
    return f"{name} v{number}: {result.summary}, scored by `{started_as}`"
