"""Publish benchmark: a model with a 1 GiB model object, next to ``openssl dgst -sha256``.

    python bench/bench_publish.py [--size-mib 1024] [--rounds 3] [--baseline REV]

Builds a model folder once (``/tmp/signoff-bench-publish/model``) whose model object is
``--size-mib`` MiB of random bytes, then per round, one after the other (interleaved, so a load
spike on the shared machine falls on all of them alike):

* ``openssl dgst -sha256`` of the model object: the hashing limit, the file read once;
* ``publish()`` of this tree in a fresh process, into a new registry (the registry is created
  before the clock starts): every file hashed while it is copied into the artifact store,
  the blob forced to disk, the version written;
* with ``--baseline REV``: the same of revision REV (its ``src/`` exported with ``git archive``);
* two parts of a publish alone, for where the time goes: ``hashlib.file_digest`` of the model
  object (the hashing, no copy) and the kernel's copy of it (``copy_file_range``) followed by
  ``fsync`` (the storing, no hash). Publish must do both; on two cores they can overlap.

The model object stays in the page cache throughout (the machine has far more memory than the
file), so the figures compare the CPU work of hashing and copying rather than the disk's read
speed; storing a blob includes ``fsync``, which waits for the disk to take the 1 GiB.

Target (issue 22): publish at ≥ 80% of ``openssl dgst -sha256`` throughput.
``--record`` appends to bench/results/publish.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = 0.8
HASH_ONLY = "part: hashlib.file_digest alone (no copy)"
COPY_ONLY = "part: copy_file_range + fsync alone (no hash)"

MANIFEST = """\
[model]
name = "large-model"
title = "A model with a large model object"
description = "For the publish benchmark."
owner = "bench"
business_unit = "Testing"
risk_tier = "medium"
tags = ["bench"]

[version]
author = "bench"
entry_point = "score.py:predict"
model_object = "model.bin"
environment = "requirements.txt"
release_notes = "RELEASE_NOTES.md"
python = "3.11"

[[data]]
name = "training set"
path = "train.csv"
"""


def build_folder(folder: Path, size_mib: int) -> Path:
    """The model folder (kept between runs when its model object has the right size)."""
    blob = folder / "model.bin"
    if blob.exists() and blob.stat().st_size == size_mib << 20:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "signoff.toml").write_text(MANIFEST)
    (folder / "score.py").write_text("def predict(records):\n    return records\n")
    (folder / "requirements.txt").write_text("numpy\n")
    (folder / "RELEASE_NOTES.md").write_text("# Release notes\n\nLarge.\n")
    (folder / "train.csv").write_text("x,y\n1,0\n")
    with blob.open("wb") as out:
        for _ in range(size_mib):
            out.write(os.urandom(1 << 20))
    return folder


def child(folder: str, home: str) -> None:
    """Publish *folder* into a new registry at *home*; print wall and CPU of the publish."""
    from signoff.core.db.registry import open_registry
    from signoff.core.publishing.publisher import publish

    registry = open_registry(home=home)
    t0, c0 = time.perf_counter(), time.process_time()
    published = publish(registry, Path(folder), actor="bench")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    registry.close()
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "version": str(published)}))


def export_revision(rev: str, into: Path) -> Path:
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def openssl(path: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(["openssl", "dgst", "-sha256", str(path)], stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"wall_s": wall, "cpu_s": cpu}


def hash_only(path: Path) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    with path.open("rb") as handle:
        hashlib.file_digest(handle, "sha256")
    return {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}


def copy_and_sync_only(path: Path, scratch: Path) -> dict:
    dest = scratch / "copy.bin"
    t0, c0 = time.perf_counter(), time.process_time()
    with path.open("rb", buffering=0) as src, dest.open("wb", buffering=0) as out:
        while os.copy_file_range(src.fileno(), out.fileno(), 64 << 20):
            pass
        os.fsync(out.fileno())
    result = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
    dest.unlink()
    return result


def publish_in_child(src: Path, folder: Path, scratch: Path) -> dict:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), str(home)],
            env={**os.environ, "PYTHONPATH": str(src)},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        for blob_dir in (home / "artifacts").glob("*"):
            for blob in blob_dir.glob("*"):
                os.chmod(blob, 0o644)
        shutil.rmtree(home)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="git revision to compare with (e.g. HEAD~3)")
    parser.add_argument("--dir", default="/tmp/signoff-bench-publish")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    base = Path(args.dir)
    folder = build_folder(base / "model", args.size_mib)
    blob = folder / "model.bin"
    size = blob.stat().st_size
    scratch = Path(tempfile.mkdtemp(prefix="runs-", dir=base))
    cases: dict[str, object] = {"openssl dgst -sha256 (the limit)": None}
    cases["publish (this tree)"] = ROOT / "src"
    if args.baseline:
        cases[f"publish ({args.baseline})"] = export_revision(args.baseline, scratch)
    cases[HASH_ONLY] = HASH_ONLY
    cases[COPY_ONLY] = COPY_ONLY
    openssl(blob)  # the file into the page cache, outside the timing
    results: dict[str, list[dict]] = {name: [] for name in cases}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, src in cases.items():
            if src is None:
                results[name].append(openssl(blob))
            elif src == HASH_ONLY:
                results[name].append(hash_only(blob))
            elif src == COPY_ONLY:
                results[name].append(copy_and_sync_only(blob, scratch))
            else:
                results[name].append(publish_in_child(Path(str(src)), folder, scratch))
    load_after = os.getloadavg()[0]
    shutil.rmtree(scratch)

    mib = size / (1 << 20)
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"On {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs "
        f"shared with other work (load average {load_before:.1f} before, {load_after:.1f} "
        f"after). Model object {mib:,.0f} MiB of random bytes, in the page cache. Median of "
        f"{args.rounds} rounds, the cases interleaved within each round.",
        "",
        "| case | wall | MiB/s (wall) | CPU | MiB/s (CPU) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    medians = {}
    for name, rs in results.items():
        wall = statistics.median(r["wall_s"] for r in rs)
        cpu = statistics.median(r["cpu_s"] for r in rs)
        medians[name] = (wall, cpu)
        lines.append(
            f"| {name} | {wall:.2f} s | {mib / wall:,.0f} | {cpu:.2f} s | {mib / cpu:,.0f} |"
        )
    limit_wall, limit_cpu = medians["openssl dgst -sha256 (the limit)"]
    wall, cpu = medians["publish (this tree)"]
    ratio_wall, ratio_cpu = limit_wall / wall, limit_cpu / cpu
    verdict = "met" if ratio_wall >= TARGET else "**missed**"
    if max(load_before, load_after) > (os.cpu_count() or 1):
        # openssl runs on one core and a publish on two, each sharing them with the other work
        verdict += (
            "; but the machine was busier than its CPUs, so the wall clock measured the other "
            "work as much as these: see the CPU ratio"
        )
    lines += [
        "",
        f"Publish throughput against openssl's: {ratio_wall:.0%} on the wall clock "
        f"(target ≥ {TARGET:.0%}: {verdict}), {ratio_cpu:.0%} on CPU time.",
    ]
    hash_wall, hash_cpu = medians[HASH_ONLY]
    copy_wall, copy_cpu = medians[COPY_ONLY]
    lines.append(
        f"The parts alone: hashing {hash_wall:.2f} s, copying and syncing {copy_wall:.2f} s "
        f"({copy_cpu:.2f} s CPU). Overlapped on two free cores a publish takes at least the "
        f"longer, {max(hash_wall, copy_wall):.2f} s ({limit_wall / max(hash_wall, copy_wall):.0%} "
        f"of openssl); its CPU at least the sum of the CPU, {hash_cpu + copy_cpu:.2f} s "
        f"({limit_cpu / (hash_cpu + copy_cpu):.0%} of openssl's)."
    )
    if args.baseline:
        old_wall, old_cpu = medians[f"publish ({args.baseline})"]
        lines.append(
            f"Against {args.baseline}: {old_wall / wall:.1f}× faster on the wall clock, "
            f"{old_cpu / cpu:.1f}× less CPU."
        )
    lines += [
        "",
        "Reproduce: `python bench/bench_publish.py --record"
        f"{' --baseline ' + args.baseline if args.baseline else ''}`.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.record:
        out = HERE / "results" / "publish.md"
        previous = out.read_text() if out.exists() else "# Publish benchmark\n"
        out.write_text(previous + "\n" + text)


if __name__ == "__main__":
    main()
