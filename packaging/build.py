"""Build the desktop bundle: ``dist/signoff/`` and ``dist/signoff-<version>-linux-x86_64.tar.xz``.

Usage (from the repository, with ``pip install -e '.[package]'`` done)::

    python packaging/build.py                 # icons, PyInstaller, desktop files, archive
    python packaging/build.py --format gz     # .tar.gz (larger, faster to compress)
    python packaging/build.py --no-archive    # the folder only
    python packaging/build.py --git-ref HEAD  # from the last commit, not the working tree

Steps: regenerate the icons from the SVG; run PyInstaller on ``packaging/signoff.spec`` (a clean
build each time, so nothing stale ships); strip the binaries that can safely be stripped; add the
freedesktop files and ``install.sh`` under the
bundle; check the bundle is whole (the executable, QtWebEngineProcess, resources, migrations and
none of the excluded Qt parts); write the archive; record sizes and durations in
``dist/build-info.json``. Exit code 0 on success, 1 if a check failed, 2 if a step could not run.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP_ID = "org.signoff.Signoff"
sys.path.insert(0, str(HERE))

from bundle_filter import keep_binary, keep_data  # noqa: E402

# files a working bundle must contain (relative to dist/signoff/)
REQUIRED = (
    "signoff",
    "_internal/signoff/resources/icons/signoff.svg",
    "_internal/signoff/resources/render/notebook.css",
    "_internal/signoff/core/db/migrations/env.py",
    "_internal/signoff/core/runner/bootstrap.py",
    "_internal/share/jupyter/nbconvert/templates/lab/conf.json",
    "_internal/PySide6/Qt/libexec/QtWebEngineProcess",
    "_internal/PySide6/Qt/resources/qtwebengine_resources.pak",
    "_internal/PySide6/Qt/plugins/platforms/libqxcb.so",
    "_internal/PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "share/applications/org.signoff.Signoff.desktop",
    "share/metainfo/org.signoff.Signoff.metainfo.xml",
    "share/icons/hicolor/256x256/apps/signoff.png",
    "install.sh",
)


def version(root: Path = ROOT) -> str:
    """The application version the bundle is built from (``signoff.__version__``)."""
    text = (root / "src" / "signoff" / "__init__.py").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError("no __version__ in src/signoff/__init__.py")


def folder_size(path: Path) -> int:
    """Bytes of all regular files under *path* (symlinks not followed, not counted twice)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def add_desktop_files(bundle: Path, packaging: Path = HERE) -> None:
    """Put the desktop entry, AppStream metadata, icons and the installer into the bundle."""
    share = bundle / "share"
    (share / "applications").mkdir(parents=True, exist_ok=True)
    (share / "metainfo").mkdir(parents=True, exist_ok=True)
    shutil.copy2(packaging / f"{APP_ID}.desktop", share / "applications")
    shutil.copy2(packaging / f"{APP_ID}.metainfo.xml", share / "metainfo")
    shutil.copytree(
        packaging / "icons" / "hicolor", share / "icons" / "hicolor", dirs_exist_ok=True
    )
    shutil.copy2(packaging / "install.sh", bundle / "install.sh")
    (bundle / "install.sh").chmod(0o755)


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def strip_safe_binaries(bundle: Path) -> int:
    """Strip symbol tables from the bundle's binaries that can take it; returns bytes saved.

    Left alone: libraries repaired by auditwheel/patchelf (anything in a ``*.libs`` folder or
    with an ``$ORIGIN`` RPATH/RUNPATH) -- binutils' strip corrupts their program headers -- and
    Qt (already stripped). What remains is mostly the interpreter built from source (libpython,
    lib-dynload) and Cython extensions shipped with debug symbols. Needs binutils; without it
    nothing is stripped.
    """
    if not (shutil.which("strip") and shutil.which("readelf")):
        print("build: binutils (strip, readelf) not found; binaries are not stripped")
        return 0
    saved = 0
    for path in sorted((bundle / "_internal").rglob("*")):
        rel = path.relative_to(bundle).as_posix()
        if (
            path.is_symlink()
            or not path.is_file()
            or "/PySide6/" in rel
            or any(part.endswith(".libs") for part in path.parts)
            or not _is_elf(path)
        ):
            continue
        dynamic = subprocess.run(
            ["readelf", "-d", str(path)], capture_output=True, text=True
        ).stdout
        if "$ORIGIN" in dynamic:  # auditwheel points repaired modules at their *.libs
            continue
        stripped = path.with_name(path.name + ".stripped")
        result = subprocess.run(
            ["strip", "--strip-unneeded", "-o", str(stripped), str(path)], capture_output=True
        )
        if result.returncode == 0 and stripped.stat().st_size < path.stat().st_size:
            saved += path.stat().st_size - stripped.stat().st_size
            stripped.chmod(path.stat().st_mode)
            stripped.replace(path)
        else:
            stripped.unlink(missing_ok=True)
    return saved


def export_commit(ref: str, dest: Path) -> None:
    """Write the files of commit *ref* (and nothing uncommitted) into an empty *dest*."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def git_describe(ref: str) -> str:
    """The commit *ref* names, as ``<short hash> <subject>``."""
    return subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", ref],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def check_bundle(bundle: Path) -> list[str]:
    """Problems with the built bundle (an empty list when it is whole and lean)."""
    problems = [f"missing {rel}" for rel in REQUIRED if not (bundle / rel).exists()]
    internal = bundle / "_internal"
    for path in internal.rglob("*"):
        rel = path.relative_to(internal).as_posix()
        if path.is_file() and (not keep_binary(rel) or not keep_data(rel)):
            problems.append(f"excluded part present: {rel}")
            if len(problems) > 20:
                break
    return problems


def make_archive(bundle: Path, archive: Path, fmt: str) -> None:
    """Write *bundle* as ``signoff/…`` into a compressed tar at *archive*.

    Uses GNU tar with a multi-threaded compressor when the system has them (much faster than
    Python's single-threaded zlib/lzma on a 600 MB tree), else the tarfile module.
    """
    tmp = archive.with_name(archive.name + ".part")
    compressor = {"gz": "gzip -6", "xz": "xz -T0 -6"}[fmt]
    if shutil.which("tar") and shutil.which(compressor.split()[0]):
        subprocess.run(
            ["tar", "-C", str(bundle.parent), "-I", compressor, "-cf", str(tmp), bundle.name],
            check=True,
        )
    else:
        mode = {"gz": "w:gz", "xz": "w:xz"}[fmt]
        with tarfile.open(tmp, mode) as tar:
            tar.add(bundle, arcname=bundle.name)
    tmp.replace(archive)


def main(argv: list[str] | None = None) -> int:
    """Run the build; print and record what it produced."""
    parser = argparse.ArgumentParser(description="Build the Signoff desktop bundle.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument(
        "--work",
        type=Path,
        default=ROOT / "build" / "pyinstaller",
        help="PyInstaller's work folder",
    )
    parser.add_argument(
        "--format",
        choices=("xz", "gz"),
        default="xz",
        help="archive compression (xz: smaller; gz: faster to unpack)",
    )
    parser.add_argument("--no-archive", action="store_true", help="build the folder only")
    parser.add_argument(
        "--git-ref",
        metavar="REF",
        help="build from this commit (exported with git archive) instead of the "
        "working tree, so uncommitted files never ship",
    )
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()
    timings: dict[str, float] = {}

    root = ROOT
    if args.git_ref:
        root = work / "source"
        try:
            export_commit(args.git_ref, root)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"build: cannot export {args.git_ref}: {exc}", file=sys.stderr)
            return 2
    packaging = root / "packaging"

    started = time.perf_counter()
    icons = subprocess.run(
        [sys.executable, str(packaging / "make_icons.py")], capture_output=True, text=True
    )
    if icons.returncode != 0:
        print(f"build: icons failed:\n{icons.stderr}", file=sys.stderr)
        return 2
    timings["icons"] = time.perf_counter() - started

    started = time.perf_counter()
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--clean",
                "--log-level",
                "WARN",
                "--distpath",
                str(dist),
                "--workpath",
                str(work),
                str(packaging / "signoff.spec"),
            ],
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(
            f"build: PyInstaller failed: {exc} (is it installed? pip install -e '.[package]')",
            file=sys.stderr,
        )
        return 2
    timings["pyinstaller"] = time.perf_counter() - started

    bundle = dist / "signoff"
    started = time.perf_counter()
    stripped = strip_safe_binaries(bundle)
    timings["strip"] = time.perf_counter() - started
    add_desktop_files(bundle, packaging)
    problems = check_bundle(bundle)
    for problem in problems:
        print(f"build: {problem}", file=sys.stderr)

    info = {
        "version": version(root),
        "source": args.git_ref and git_describe(args.git_ref) or "working tree",
        "python": platform.python_version(),
        "bundle": str(bundle),
        "unpacked_bytes": folder_size(bundle),
        "files": sum(1 for p in bundle.rglob("*") if p.is_file()),
        "stripped_bytes": stripped,
        "problems": problems,
    }
    if not args.no_archive:
        started = time.perf_counter()
        archive = dist / f"signoff-{version(root)}-linux-{platform.machine()}.tar.{args.format}"
        make_archive(bundle, archive, args.format)
        timings["archive"] = time.perf_counter() - started
        info["archive"] = str(archive)
        info["archive_bytes"] = archive.stat().st_size
    info["seconds"] = {k: round(v, 1) for k, v in timings.items()}
    (dist / "build-info.json").write_text(json.dumps(info, indent=2) + "\n", "utf-8")
    mb = 1024 * 1024
    print(f"bundle {bundle}: {info['unpacked_bytes'] / mb:.0f} MB in {info['files']} files")
    if "archive" in info:
        print(f"archive {info['archive']}: {info['archive_bytes'] / mb:.0f} MB")
    print("seconds: " + ", ".join(f"{k} {v}" for k, v in info["seconds"].items()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
