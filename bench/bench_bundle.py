"""Benchmark: the desktop bundle's size and its start time (process start → main window shown).

    python bench/bench_bundle.py [--dist dist] [--build [--git-ref HEAD]] [--runs 3]
                                 [--registry HOME]

* sizes: the unpacked ``dist/signoff/`` folder, the compressed archive, and the largest parts;
* start time: ``signoff --home HOME --self-test`` run with a bare environment (no PYTHONPATH, a
  fresh HOME), offscreen; the self-test reports how long after the process started the main
  window was shown *listing the registry's models* (imports, registry open, Qt, window, first
  query). The first run after the build is the coldest this machine can offer without dropping
  the page cache for everyone; the median of the others is the warm start. The same is measured
  for the pip installation for comparison.
* with ``--build``: the build's own duration (packaging/build.py).

HOME defaults to a demo registry built by the bundle itself (``signoff --home … demo``).
Writes bench/results/bundle.md. Targets: unpacked < 450 MB, archive < 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
TARGET_UNPACKED_MB = 450
TARGET_ARCHIVE_MB = 200
SHOWN = re.compile(r"shown ([0-9.]+) s after the process started")


def bare_env(home: Path) -> dict[str, str]:
    """An environment with nothing of this Python in it."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox --log-level=3",
    }


def parts(bundle: Path, top: int = 12) -> list[tuple[str, int]]:
    """The largest entries of the bundle (top-level names under _internal, Qt libraries apart)."""
    sizes: Counter[str] = Counter()
    for path in bundle.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(bundle).parts
        if rel[0] == "_internal" and len(rel) > 1:
            key = "/".join(rel[1:5]) if rel[1] == "PySide6" and len(rel) > 4 else rel[1]
        elif rel == ("signoff",):
            key = "signoff executable (with every Python module, compressed)"
        else:
            key = rel[0]
        sizes[key] += path.stat().st_size
    return sizes.most_common(top)


def start_time(command: list[str], home: Path, registry: Path) -> tuple[float, float]:
    """(seconds from process start to window shown, wall seconds of the whole self-test)."""
    started = time.perf_counter()
    result = subprocess.run(
        [*command, "--home", str(registry), "--self-test"],
        capture_output=True,
        text=True,
        env=bare_env(home),
        cwd=home,
        timeout=1200,
    )
    wall = time.perf_counter() - started
    match = SHOWN.search(result.stdout)
    if result.returncode != 0 or not match:
        raise SystemExit(
            f"self-test failed ({' '.join(command)}):\n{result.stdout}\n{result.stderr[-3000:]}"
        )
    return float(match.group(1)), wall


def main() -> int:
    """Measure, print and write bench/results/bundle.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--build", action="store_true", help="build the bundle first")
    parser.add_argument("--git-ref", help="with --build: build this commit")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--registry", type=Path, help="registry home to open (default: demo)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "bundle.md")
    args = parser.parse_args()
    dist = args.dist.resolve()
    if args.build:
        cmd = [sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(dist)]
        if args.git_ref:
            cmd += ["--git-ref", args.git_ref]
        subprocess.run(cmd, check=True)
    info = json.loads((dist / "build-info.json").read_text("utf-8"))
    bundle = dist / "signoff"
    exe = bundle / "signoff"
    unpacked = sum(
        p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()
    )
    archive = Path(info["archive"]) if info.get("archive") else None
    archive_bytes = archive.stat().st_size if archive and archive.is_file() else None

    with tempfile.TemporaryDirectory(prefix="signoff-bench-bundle-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        registry = args.registry
        demo_seconds = None
        if registry is None:
            registry = Path(tmp) / "demo"
            started = time.perf_counter()
            subprocess.run(
                [str(exe), "--home", str(registry), "demo"],
                check=True,
                env=bare_env(home),
                cwd=home,
                capture_output=True,
                timeout=3600,
            )
            demo_seconds = time.perf_counter() - started
        bundle_runs = [start_time([str(exe)], home, registry) for _ in range(args.runs)]
        pip_runs = [
            start_time([sys.executable, "-m", "signoff"], home, registry) for _ in range(args.runs)
        ]
    load = os.getloadavg()

    def warm(runs: list[tuple[float, float]]) -> float:
        return statistics.median(r[0] for r in (runs[1:] or runs))

    lines = [
        "# Desktop bundle: size and start time",
        "",
        f"Recorded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python bench/bench_bundle.py` on "
        f"{platform.machine()} ({os.cpu_count()} cores shared with other work; load average "
        f"{load[0]:.1f} when it finished), PyInstaller one-folder bundle of signoff "
        f"{info['version']} built from {info.get('source', 'the working tree')}.",
        "",
        "| measure | value | target |",
        "|---|---:|---:|",
        f"| unpacked `dist/signoff/` | {unpacked / MB:.0f} MB ({info['files']} files) | "
        f"< {TARGET_UNPACKED_MB} MB {'met' if unpacked / MB < TARGET_UNPACKED_MB else 'NOT met'}"
        " |",
    ]
    if archive_bytes:
        lines.append(
            f"| archive `{archive.name}` | {archive_bytes / MB:.0f} MB | "
            f"< {TARGET_ARCHIVE_MB} MB "
            f"{'met' if archive_bytes / MB < TARGET_ARCHIVE_MB else 'NOT met'} |"
        )
    for step, seconds in info.get("seconds", {}).items():
        lines.append(f"| build step: {step} | {seconds:.0f} s | |")
    if demo_seconds is not None:
        lines.append(f"| demo registry built by the bundle | {demo_seconds:.0f} s | |")
    lines += [
        f"| bundle: process start → window shown, first run | {bundle_runs[0][0]:.1f} s | |",
        f"| bundle: process start → window shown, median of later runs | "
        f"{warm(bundle_runs):.1f} s | |",
        f"| pip install: process start → window shown, first run | {pip_runs[0][0]:.1f} s | |",
        f"| pip install: process start → window shown, median of later runs | "
        f"{warm(pip_runs):.1f} s | |",
        "",
        "Window shown means: the main window is visible and its inventory lists the registry's "
        "models (so it includes opening the registry and the first query). All runs: bundle "
        + ", ".join(f"{r[0]:.1f}" for r in bundle_runs)
        + " s; pip "
        + ", ".join(f"{r[0]:.1f}" for r in pip_runs)
        + " s.",
        "",
        "## Largest parts of the bundle",
        "",
        "| part | MB |",
        "|---|---:|",
    ]
    lines += [f"| `{name}` | {size / MB:.1f} |" for name, size in parts(bundle)]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
