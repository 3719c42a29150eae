"""Take the README screenshots from the real window on a registry (normally the demo).

    signoff --home /tmp/demo-shots demo
    python -m tests.gui.screenshots --home /tmp/demo-shots [--out docs/screenshots]

Picks the model with the longest deployment history, shows the inventory, that model's page,
its live version and a comparison of its two newest versions, and saves each window as PNG.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--model", default="")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    parser.add_argument("--suffix", default="", help="added to each file name (e.g. -dark)")
    args = parser.parse_args()

    from PySide6.QtCore import QEventLoop, QTimer
    from sqlalchemy import func, select

    from signoff.core.db.registry import open_registry
    from signoff.core.db.schema import Deployment, Model, Version
    from signoff.ui.services.settings import Settings
    from signoff.ui.shell.app import build_window, make_application

    app = make_application([])
    registry = open_registry(home=args.home)
    with registry.read() as s:
        name = args.model or s.scalar(
            select(Model.name)
            .join(Deployment, Deployment.model_id == Model.id)
            .group_by(Model.name)
            .order_by(func.count(Deployment.id).desc())
            .limit(1)
        )
        model = s.scalar(select(Model).where(Model.name == name))
        numbers = list(
            s.scalars(
                select(Version.number).where(Version.model_id == model.id).order_by(Version.number)
            )
        )
        live = model.live_version or numbers[-1]
    settings = Settings(Path(tempfile.mkdtemp()) / "shots.ini")
    settings.set("ui/theme", args.theme)
    window = build_window(registry, settings)
    window.resize(1440, 900)
    window.show()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def settle(ms: int = 400) -> None:
        for _ in range(200):
            loop = QEventLoop()
            QTimer.singleShot(50, loop.quit)
            loop.exec()
            if window.ctx.runner.active_count == 0:
                break
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    settle(800)
    window.grab().save(str(out / f"inventory{args.suffix}.png"))
    window.open_model(name)
    settle()
    window.grab().save(str(out / f"model{args.suffix}.png"))
    window.open_version(name, live)
    settle()
    window.grab().save(str(out / f"version{args.suffix}.png"))
    window.open_compare(name, numbers[-2:])
    settle(800)
    window.grab().save(str(out / f"compare{args.suffix}.png"))
    print(f"saved screenshots of {name} (v{live} live; compared {numbers[-2:]}) to {out}")
    window.close()
    app.processEvents()


if __name__ == "__main__":
    main()
