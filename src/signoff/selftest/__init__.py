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
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from signoff import __version__
from signoff.selftest.core_checks import check_model_subprocess, run_core_checks
from signoff.selftest.harness import SelfTest, install_kind, prepare_offscreen_qt


def run_self_test(
    out: Callable[[str], None] = print,
    keep: Path | None = None,
    *,
    home: str | Path | None = None,
    db: str | None = None,
    artifacts: str | Path | None = None,
) -> int:
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
    out(
        f"signoff self-test {__version__}: {install_kind()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="signoff-selftest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    saved_env = {
        key: os.environ.pop(key)
        for key in ("SIGNOFF_DB", "SIGNOFF_ARTIFACTS")
        if key in os.environ and not (home or db)
    }
    try:
        run_core_checks(test, workdir, existing=(home, db, artifacts) if home or db else None)
        if "registry" in test.state:
            from signoff.selftest.gui_checks import run_gui_checks

            run_gui_checks(test, workdir)
            if not (home or db):
                test.check(
                    "deployment check (model subprocess)", lambda: check_model_subprocess(test)
                )
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
        out(
            f"self-test FAILED: {len(failed)} of {len(test.results)} checks failed "
            f"({', '.join(failed)}) in {total:.1f} s"
        )
        return 1
    out(f"self-test passed: {len(test.results)} checks in {total:.1f} s")
    return 0
