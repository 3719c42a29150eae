#!/bin/sh
# Install the unpacked Signoff bundle for the current user (or system-wide with PREFIX=/usr/local).
#
#   ./install.sh              # into ~/.local: app in ~/.local/lib/signoff, command ~/.local/bin/signoff
#   sudo PREFIX=/usr/local ./install.sh
#   ~/.local/lib/signoff/install.sh --uninstall   # remove that installation
#
# Copies this folder to $PREFIX/lib/signoff, links $PREFIX/bin/signoff to its executable, and
# installs the desktop entry, AppStream metadata and icons so the desktop's menu shows Signoff.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
# run from an installed copy ($PREFIX/lib/signoff/install.sh), the prefix is where it lives
case "$HERE" in
    */lib/signoff) DEFAULT_PREFIX="$(dirname "$(dirname "$HERE")")" ;;
    *) DEFAULT_PREFIX="$HOME/.local" ;;
esac
PREFIX="${PREFIX:-$DEFAULT_PREFIX}"
APP_ID=org.signoff.Signoff
LIB="$PREFIX/lib/signoff"
SHARE="$PREFIX/share"

uninstall() {
    rm -rf "$LIB"
    rm -f "$PREFIX/bin/signoff" "$SHARE/applications/$APP_ID.desktop" \
          "$SHARE/metainfo/$APP_ID.metainfo.xml"
    for icon in "$SHARE"/icons/hicolor/*/apps/signoff.png; do
        [ -e "$icon" ] && rm -f "$icon"
    done
    echo "Signoff removed from $PREFIX"
}

if [ "${1:-}" = "--uninstall" ]; then
    uninstall
    exit 0
fi
if [ ! -x "$HERE/signoff" ]; then
    echo "install.sh: run me from the unpacked bundle (no executable at $HERE/signoff)" >&2
    exit 2
fi

mkdir -p "$PREFIX/bin" "$PREFIX/lib" "$SHARE/applications" "$SHARE/metainfo"
if [ "$HERE" != "$LIB" ]; then
    rm -rf "$LIB.new"
    cp -a "$HERE" "$LIB.new"
    rm -rf "$LIB"
    mv "$LIB.new" "$LIB"
fi
ln -sf "$LIB/signoff" "$PREFIX/bin/signoff"
# the menu entry runs the installed executable even when $PREFIX/bin is not on PATH
sed -e "s|^Exec=signoff|Exec=$LIB/signoff|" -e "s|^TryExec=signoff|TryExec=$LIB/signoff|" \
    "$HERE/share/applications/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$SHARE/metainfo/"
cp -r "$HERE/share/icons" "$SHARE/"
command -v update-desktop-database >/dev/null 2>&1 \
    && update-desktop-database -q "$SHARE/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 \
    && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
echo "Signoff installed: $PREFIX/bin/signoff (menu entry: Signoff)"
"$LIB/signoff" --version
