"""Qt widgets and Qt models of the desktop application (the core never imports this).

PySide6 6.12's ``SignalInstance.emit`` returns ``True`` without taking a reference, so every
emit made from Python drops one reference to ``True`` (and a few paths do the same to
``None``). On CPython before 3.12 those singletons are not immortal: a long session, or a
test run, eventually frees them and the interpreter aborts ("bool_dealloc: deallocating True
or False", "none_dealloc"). Until PySide6 is fixed, importing ``signoff.ui`` gives the three
singletons a reference reserve so large it can never run out — what CPython 3.12 does for
every singleton (PEP 683). ``tests/gui/test_pyside_guard.py`` shows the bug and the guard.
"""

from __future__ import annotations

import sys

_RESERVE = 1 << 40


def _reserve_singleton_references() -> bool:
    """Make True, False and None effectively immortal on CPython < 3.12; True if applied."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import ctypes

    before = sys.getrefcount(True)
    ctypes.c_ssize_t.from_address(id(True)).value += _RESERVE
    if sys.getrefcount(True) - before != _RESERVE:  # unexpected object layout: undo
        ctypes.c_ssize_t.from_address(id(True)).value -= _RESERVE
        return False
    for singleton in (False, None):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _RESERVE
    return True


SINGLETON_GUARD = _reserve_singleton_references()  # module bodies run once per process
