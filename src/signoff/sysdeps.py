"""What the operating system must provide before Qt can open a window, checked without Qt.

Qt aborts the whole process (exit 134, a core dump on some systems) when its platform plugin
cannot load or cannot reach a display, and it does so only when the application object is
created, which for ``signoff --demo`` comes after a long demo build. This module answers the
same question up front, in plain Python: it reads which shared libraries the Qt platform plugin
needs (the ``DT_NEEDED`` entries of its ELF files), tries to load each one exactly as the dynamic
loader would, and tries to connect to the X server or find the Wayland socket. The answer is a
message in words with the install line for Debian/Ubuntu and Fedora, or ``None``.

No Qt is imported here, so a check that fails costs milliseconds and cannot itself abort.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import stat
import struct
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

#: platforms that need no display at all; Qt's own check is enough for them
_HEADLESS = {"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"}

#: soname stem -> (Debian/Ubuntu package, Fedora package)
_PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-xkb": ("libxcb-xkb1", "libxcb"),
    "libxcb-randr": ("libxcb-randr0", "libxcb"),
    "libxcb-shape": ("libxcb-shape0", "libxcb"),
    "libxcb-shm": ("libxcb-shm0", "libxcb"),
    "libxcb-sync": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render": ("libxcb-render0", "libxcb"),
    "libxcb": ("libxcb1", "libxcb"),
    "libX11-xcb": ("libx11-xcb1", "libX11-xcb"),
    "libX11": ("libx11-6", "libX11"),
    "libGL": ("libgl1", "mesa-libGL"),
    "libEGL": ("libegl1", "mesa-libEGL"),
    "libfontconfig": ("libfontconfig1", "fontconfig"),
    "libfreetype": ("libfreetype6", "freetype"),
    "libglib-2.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0": ("libglib2.0-0", "glib2"),
    "libdbus-1": ("libdbus-1-3", "dbus-libs"),
    "libwayland-client": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor": ("libwayland-cursor0", "libwayland-cursor"),
    "libXcomposite": ("libxcomposite1", "libXcomposite"),
    "libXdamage": ("libxdamage1", "libXdamage"),
    "libXext": ("libxext6", "libXext"),
    "libXfixes": ("libxfixes3", "libXfixes"),
    "libXrandr": ("libxrandr2", "libXrandr"),
    "libXtst": ("libxtst6", "libXtst"),
    "libxkbfile": ("libxkbfile1", "libxkbfile"),
    "libasound": ("libasound2", "alsa-lib"),
    "libgbm": ("libgbm1", "mesa-libgbm"),
    "libnss3": ("libnss3", "nss"),
    "libnssutil3": ("libnss3", "nss"),
    "libsmime3": ("libnss3", "nss"),
    "libnspr4": ("libnspr4", "nspr"),
    "libexpat": ("libexpat1", "expat"),
    "libudev": ("libudev1", "systemd-libs"),
    "libbrotlicommon": ("libbrotli1", "brotli"),
    "libbrotlidec": ("libbrotli1", "brotli"),
    "libxcb-dri3": ("libxcb-dri3-0", "libxcb"),
    "libxcb-glx": ("libxcb-glx0", "libxcb"),
    "libz": ("zlib1g", "zlib"),
    "libzstd": ("libzstd1", "libzstd"),
}

_MISSING_IN_ERROR = re.compile(r"([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file")


def elf_needed(path: str | os.PathLike[str]) -> list[str]:
    """The ``DT_NEEDED`` names of a 64-bit little-endian ELF file; [] for anything else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                return []
            (phoff,) = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            handle.seek(phoff)
            table = handle.read(phentsize * phnum)
            loads, dynamic = [], None
            for i in range(phnum):
                p_type, _flags, offset, vaddr, _paddr, filesz = struct.unpack_from(
                    "<IIQQQQ", table, i * phentsize
                )
                if p_type == 1:  # PT_LOAD: maps file offsets to addresses
                    loads.append((vaddr, offset, filesz))
                elif p_type == 2:  # PT_DYNAMIC
                    dynamic = (offset, filesz)
            if dynamic is None:
                return []
            handle.seek(dynamic[0])
            section = handle.read(dynamic[1])
            needed, strtab = [], None
            for pos in range(0, len(section) - 15, 16):
                tag, value = struct.unpack_from("<qQ", section, pos)
                if tag == 0:  # DT_NULL
                    break
                if tag == 1:  # DT_NEEDED: an offset into the string table
                    needed.append(value)
                elif tag == 5:  # DT_STRTAB: the string table's address
                    strtab = value
            base = next(
                (
                    strtab - vaddr + offset
                    for vaddr, offset, size in loads
                    if strtab is not None and vaddr <= strtab < vaddr + size
                ),
                None,
            )
            if base is None:
                return []
            names = []
            for offset in needed:
                handle.seek(base + offset)
                names.append(handle.read(512).split(b"\0", 1)[0].decode("utf-8", "replace"))
            return names
    except (OSError, struct.error):
        return []


def _qt_folder() -> Path | None:
    """PySide6's ``Qt`` folder (wheel or desktop bundle), found without importing PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "Qt"
        if folder.is_dir():
            return folder
    return None


def _plugin_files(platform: str, qt: Path) -> list[Path]:
    names = {
        "xcb": ["plugins/platforms/libqxcb.so", "lib/libQt6XcbQpa.so.6"],
        "wayland": ["plugins/platforms/libqwayland.so", "lib/libQt6WaylandClient.so.6"],
    }
    # the widgets, and the engine behind the notebook view (NSS, ALSA, X extensions)
    core = [
        "lib/libQt6Core.so.6",
        "lib/libQt6Gui.so.6",
        "lib/libQt6Widgets.so.6",
        "lib/libQt6WebEngineCore.so.6",
    ]
    return [qt / name for name in core + names.get(platform, []) if (qt / name).is_file()]


def missing_libraries(elf_files: Iterable[Path], bundled: Iterable[str] = ()) -> list[str]:
    """Shared libraries the given ELF files need that the dynamic loader cannot load here.

    Names shipped beside the files (*bundled*) are skipped. When a library exists but one of
    its own dependencies does not, the dependency is named, as the loader's message does.
    """
    skip = set(bundled)
    missing: list[str] = []
    for name in dict.fromkeys(n for path in elf_files for n in elf_needed(path)):
        if name in skip or name.startswith("ld-linux"):
            continue
        try:
            ctypes.CDLL(name)
        except OSError as exc:
            found = _MISSING_IN_ERROR.search(str(exc))
            culprit = found.group(1) if found else name
            if culprit not in missing:
                missing.append(culprit)
    return missing


def _stem(soname: str) -> str:
    return soname.split(".so", 1)[0]


def install_lines(sonames: Iterable[str]) -> list[str]:
    """``Debian/Ubuntu: sudo apt install …`` and ``Fedora: sudo dnf install …`` for *sonames*."""
    debian: list[str] = []
    fedora: list[str] = []
    unknown: list[str] = []
    for soname in sonames:
        packages = _PACKAGES.get(_stem(soname))
        if packages is None:
            unknown.append(soname)
            continue
        if packages[0] not in debian:
            debian.append(packages[0])
        if packages[1] not in fedora:
            fedora.append(packages[1])
    lines = []
    if debian:
        lines.append(f"  Debian/Ubuntu:  sudo apt install {' '.join(debian)}")
        lines.append(f"  Fedora:         sudo dnf install {' '.join(fedora)}")
    if unknown:
        lines.append(f"  (install the package that provides {', '.join(unknown)})")
    return lines


def _x_display_problem(display: str) -> str | None:
    """Why we cannot connect to the X server *display*, or None when we can."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None  # reported with the missing libraries
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        if connection and xcb.xcb_connection_has_error(connection) == 0:
            return None
    finally:
        if connection:
            xcb.xcb_disconnect(connection)
    return (
        f"cannot connect to the X display {display!r}: is an X server running there, and "
        "may this user use it (XAUTHORITY, xhost)?"
    )


def _wayland_problem(env: Mapping[str, str]) -> str | None:
    name = env.get("WAYLAND_DISPLAY") or "wayland-0"
    runtime = env.get("XDG_RUNTIME_DIR", "")
    socket = Path(name) if os.path.isabs(name) else Path(runtime) / name
    try:
        if stat.S_ISSOCK(socket.stat().st_mode):
            return None
    except OSError:
        pass
    return f"no Wayland compositor socket at {socket}"


def requested_platforms(env: Mapping[str, str]) -> list[str]:
    """The Qt platform plugins Qt will try, in order (Qt 6's rule for Linux desktops)."""
    explicit = env.get("QT_QPA_PLATFORM", "").strip()
    if explicit:
        return [part.split(":", 1)[0].strip() for part in explicit.split(";") if part.strip()]
    order: list[str] = []
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        order.append("wayland")
    if env.get("DISPLAY") or not order:
        order.append("xcb")
    return order


def display_problem(
    env: Mapping[str, str] | None = None, qt_folder: Path | None = None
) -> str | None:
    """``None`` when Qt can open a window here; otherwise what is wrong, in words.

    Only Linux desktops are checked (elsewhere Qt ships what it needs); a headless platform
    such as ``offscreen`` is always accepted.
    """
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    platforms = requested_platforms(env)
    if any(p in _HEADLESS or p not in ("xcb", "wayland") for p in platforms):
        return None
    qt = qt_folder or _qt_folder()
    reasons: list[str] = []
    for platform in platforms:
        libraries: list[str] = []
        if qt is not None:
            bundled = [p.name for p in (qt / "lib").glob("*.so*")]
            libraries = missing_libraries(_plugin_files(platform, qt), bundled)
        if libraries:
            reasons.append(
                f'The Qt platform plugin "{platform}" needs system libraries that are not '
                f"installed: {', '.join(libraries)}. Install them with:\n"
                + "\n".join(install_lines(libraries))
            )
            continue
        if platform == "xcb":
            display = env.get("DISPLAY", "")
            problem = (
                _x_display_problem(display)
                if display
                else "there is no X display (DISPLAY is not set) and no Wayland session"
            )
        else:
            problem = _wayland_problem(env)
        if problem is None:
            return None
        reasons.append(problem[0].upper() + problem[1:] + ".")
    return (
        "Signoff cannot open its window here.\n" + "\n".join(reasons) + "\n"
        "Commands such as `signoff ls`, `signoff approvals` or `signoff audit verify` work "
        "without a display."
    )
