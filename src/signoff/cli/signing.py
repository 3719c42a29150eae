"""The password a person gives again to sign on a shared registry, from the command line.

On PostgreSQL a signature takes two components: the login and the password typed again at
signing (21 CFR 11.200), checked with a fresh connection before anything is written — the same
rule the desktop's decision dialog applies (:func:`signoff.core.governance.signing.sign_decision`).
Sources, in order: ``--password-stdin`` (one line; for scripts that hold it safely), the system
keyring where the person asked Signoff to remember it, an interactive prompt on a terminal.
Never an environment variable or an argument, which other users of the machine can read.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from signoff.core.common.errors import SignoffError
from signoff.core.db.registry import Registry
from signoff.core.governance.identity import remembered_password


def add_password_options(parser: argparse.ArgumentParser) -> None:
    """``--password-stdin`` for a decision command."""
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="on a shared registry, read your password (asked again to sign) from stdin",
    )


def signing_password(registry: Registry, args: argparse.Namespace) -> str | None:
    """The password to re-authenticate with, or None on the embedded registry."""
    if registry.is_embedded:
        return None
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise SignoffError("--password-stdin was given but stdin held no password")
        return line
    remembered = remembered_password(registry.location.db_url)
    if remembered:
        return remembered
    if not sys.stdin.isatty():
        raise SignoffError(
            "signing on a shared registry asks for your password again: run in a terminal, "
            "pipe it with --password-stdin, or let Signoff remember it in the system keyring"
        )
    return getpass.getpass(f"Password for {registry.actor} (to sign): ")
