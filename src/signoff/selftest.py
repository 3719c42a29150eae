"""``signoff --self-test``: prove an installation works, from pip or from the desktop bundle.

It builds a temporary demo registry (really training its models and executing its notebooks),
then starts Qt offscreen and opens the main window on it, waiting until the inventory lists the
models (and noting how long after the process started that happened: the cold start); then it
verifies the audit chain, renders a version's notebook to HTML, loads that page into QtWebEngine
(the heavy part of a bundle) and reads its text back, and draws and exports a chart of the demo's
data through the shared chart widget. Last, on the demo registry, it runs a real deployment check
(a version's reference inputs re-scored by the runner in a model subprocess: in the desktop
bundle, the ``signoff`` executable's hidden child mode with the bundled packages). With
``--home``/``--db`` the same checks but that last one run on that existing registry instead,
without migrating or writing to it (a check records evidence). Every check prints one line; the
exit code is 0 when all passed, 1 otherwise. Nothing outside a temporary folder is touched (the
window's settings go to a file in that folder, not to the person's own settings).
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signoff import __version__

WINDOW_TIMEOUT_S = 60.0
WEB_TIMEOUT_S = 90.0


class CheckFailed(Exception):
    """A self-test check found something wrong (the message says what)."""


@dataclass
class SelfTest:
    """Runs checks in order, printing one line each; later checks may use earlier results."""

    out: Callable[[str], None] = print
    results: list[tuple[str, bool, str, float]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    escaped: list[str] = field(default_factory=list)  # exceptions Qt reported from slots

    def record_escaped(self, kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        """sys.excepthook while Qt runs: remember the error (and print it as Python would)."""
        self.escaped.append(f"{kind.__name__}: {exc}")
        sys.__excepthook__(kind, exc, tb)

    def check(self, name: str, fn: Callable[[], str]) -> bool:
        """Run *fn*; it returns a detail line or raises. Prints ``ok``/``FAIL`` with timing."""
        started = time.perf_counter()
        escaped_before = len(self.escaped)
        try:
            detail, ok = fn(), True
            if len(self.escaped) > escaped_before:
                detail, ok = f"an error escaped into Qt: {self.escaped[escaped_before]}", False
        except CheckFailed as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # an unexpected error is a failed check, with its cause
            detail, ok = f"{type(exc).__name__}: {exc}", False
            if os.environ.get("SIGNOFF_SELFTEST_TRACEBACK"):
                traceback.print_exc()
        seconds = time.perf_counter() - started
        self.results.append((name, ok, detail, seconds))
        self.out(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail} ({seconds:.1f} s)")
        return ok

    @property
    def passed(self) -> bool:
        """True when every check run so far passed."""
        return all(ok for _name, ok, _detail, _s in self.results)


def install_kind() -> str:
    """How this copy of Signoff was installed: the desktop bundle or a Python environment."""
    if getattr(sys, "frozen", False):
        return f"desktop bundle at {Path(sys.executable).parent}"
    return f"Python package ({sys.executable})"


def prepare_offscreen_qt() -> None:
    """Make Qt render without a display, and QtWebEngine run as root in a container.

    Chromium refuses to start its sandbox as root, so the sandbox is disabled only then.
    Must run before the QApplication exists.
    """
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    # Chromium's own log lines (no D-Bus, no GPU in a container) are noise here
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--log-level=3")
    os.environ.setdefault("MPLBACKEND", "QtAgg")


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Process Qt events until *predicate* is true or *timeout* seconds pass."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QThread

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QThread.msleep(10)
    return predicate()


def run_self_test(out: Callable[[str], None] = print, keep: Path | None = None, *,
                  home: str | Path | None = None, db: str | None = None,
                  artifacts: str | Path | None = None) -> int:
    """Run every check; returns 0 if all passed, else 1.

    By default the checks run on a temporary demo registry built for the purpose (the
    environment's SIGNOFF_DB/SIGNOFF_ARTIFACTS are ignored then, so a team database is never
    written to). With *home* or *db* they run on that existing registry instead, opened without
    migrating it; nothing is written to it. *keep*: a folder for the temporary files that is
    left behind (for debugging); by default a temporary folder is removed afterwards.
    """
    started = time.perf_counter()
    prepare_offscreen_qt()
    test = SelfTest(out=out)
    out(f"signoff self-test {__version__}: {install_kind()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}")
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="signoff-selftest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    saved_env = {key: os.environ.pop(key) for key in ("SIGNOFF_DB", "SIGNOFF_ARTIFACTS")
                 if key in os.environ and not (home or db)}
    try:
        run_core_checks(test, workdir, existing=(home, db, artifacts) if home or db else None)
        if "registry" in test.state:
            from signoff.selftest_gui import run_gui_checks

            run_gui_checks(test, workdir)
            if not (home or db):
                test.check("deployment check (model subprocess)",
                           lambda: _check_model_subprocess(test))
        else:
            out("  skip the window, audit chain, notebook and chart: there is no registry")
    finally:
        os.environ.update(saved_env)
        registry = test.state.get("registry")
        if registry is not None:
            registry.close()
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    failed = [name for name, ok, _d, _s in test.results if not ok]
    total = time.perf_counter() - started
    if failed:
        out(f"self-test FAILED: {len(failed)} of {len(test.results)} checks failed "
            f"({', '.join(failed)}) in {total:.1f} s")
        return 1
    out(f"self-test passed: {len(test.results)} checks in {total:.1f} s")
    return 0


def process_age() -> float | None:
    """Seconds since this process started (Linux /proc; None where unavailable).

    The one-folder bundle runs in a single process, so this covers the bootloader unpacking
    nothing, Python starting and every import: the cold start a person waits through.
    """
    try:
        stat = Path("/proc/self/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# -- checks without Qt -------------------------------------------------------------------------

def run_core_checks(test: SelfTest, workdir: Path,
                    existing: tuple[Any, Any, Any] | None = None) -> None:
    """The installed files and the registry: a new demo, or *existing* (home, db, artifacts)."""
    test.check("resources", _check_resources)
    if existing is not None:
        test.check("registry", lambda: _check_existing(test, *existing))
    else:
        test.check("demo registry", lambda: _check_demo(test, workdir / "demo"))


def _check_resources() -> str:
    from importlib.resources import files

    root = files("signoff")
    wanted = ("resources/icons/signoff.svg", "resources/icons/signoff-256.png",
              "resources/style.qss", "resources/render/notebook.css",
              "core/migrations/env.py", "core/migrations/script.py.mako")
    missing = []
    for rel in wanted:
        node = root.joinpath(*rel.split("/"))
        if not node.is_file():
            missing.append(rel)
    if missing:
        raise CheckFailed(f"missing from the installation: {', '.join(missing)}")
    versions = root / "core" / "migrations" / "versions"
    scripts = [n.name for n in versions.iterdir() if n.name.endswith(".py")]
    return f"{len(wanted)} files and {len(scripts)} migration scripts present"


def _check_demo(test: SelfTest, home: Path) -> str:
    from signoff.core.db import open_registry
    from signoff.demo import build_demo

    summary = build_demo(home)
    registry = open_registry(home=home)
    test.state["registry"] = registry
    test.state["models"] = _model_names(registry)
    return summary


def _model_names(registry: Any) -> list[str]:
    from sqlalchemy import select

    from signoff.core.schema import Model

    with registry.read() as session:
        return sorted(session.scalars(select(Model.name)))


def _check_existing(test: SelfTest, home: Any, db: Any, artifacts: Any) -> str:
    from signoff.core.db import open_registry

    if home and not db and not Path(home).expanduser().is_dir():
        raise CheckFailed(f"there is no registry at {home} (the folder does not exist)")
    registry = open_registry(home=home, db=db, artifacts=artifacts, upgrade=False)
    test.state["registry"] = registry
    test.state["models"] = _model_names(registry)
    return f"{registry.display_url}: {len(test.state['models'])} models"


def check_audit(test: SelfTest) -> str:
    from signoff.core.audit import verify_chain

    with test.state["registry"].read() as session:
        report = verify_chain(session)
    if not report.intact:
        raise CheckFailed(report.describe())
    return f"{report.events} events, hashes chain intact"


def check_render(test: SelfTest) -> str:
    from sqlalchemy import select

    from signoff.core.render import load_version_document, render_notebook
    from signoff.core.schema import Model, Version

    registry = test.state["registry"]
    with registry.read() as session:
        rows = session.execute(select(Model.name, Version.number).join(Version.model)
                               .order_by(Model.name, Version.number.desc())).all()
    for name, number in rows:
        doc = load_version_document(registry, name, number, "notebook")
        if doc.present:
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
    return (f"{name} v{number}: {len(page.html) // 1024} KiB of HTML, {len(page.toc)} headings, "
            f"{images} images, no script")


def _check_model_subprocess(test: SelfTest) -> str:
    from sqlalchemy import select

    from signoff.core.checks import run_checks
    from signoff.core.child import child_command
    from signoff.core.schema import Evidence, Model, Version

    registry = test.state["registry"]
    # a version whose reference outputs reproduced when the demo built it (in process): the
    # runner's child must reproduce them too
    with registry.read() as session:
        row = session.execute(
            select(Version.id, Model.name, Version.number).join(Version.model)
            .join(Evidence, (Evidence.version_id == Version.id)
                  & (Evidence.manifest_hash == Version.manifest_hash))
            .where(Evidence.check == "reference_outputs", Evidence.passed.is_(True))
            .order_by(Model.name, Version.number.desc()).limit(1)).first()
    if row is None:
        raise CheckFailed("no version in the demo registry has reference outputs to re-check")
    version_id, name, number = row
    [result] = run_checks(registry, version_id, checks=("reference_outputs",),
                          actor="signoff self-test")
    if not result.passed:
        raise CheckFailed(f"{name} v{number}: {result.summary}")
    command = child_command("bootstrap.py", "JOB.json")
    started_as = " ".join([Path(command[0]).name, *command[1:]])
    return f"{name} v{number}: {result.summary}, scored by `{started_as}`"
