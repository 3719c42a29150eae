"""Which module registers each subcommand, so that a command imports only its own module.

Importing every command module costs a person running ``signoff ls`` about 0.4 s of start-up:
the monitoring commands bring numpy, the importer requests, the checks the runner and the
reproduction machinery. :func:`modules_for` reads the command line the way argparse will and
names only the modules the command needs. Whenever that reading is not certain (``--help``
before the command, an unknown or abbreviated word, an option it does not know), it names every
module, which is exactly the parser of old; so the lazy parser can only ever be the full one or
one that parses the given command the same way.

``tests/core/test_cli_startup.py`` checks this table against what each module registers.
"""

from __future__ import annotations

from collections.abc import Sequence

# module -> the top-level commands its ``register`` adds, in the order ``signoff --help`` lists
# them; casefile also adds to the ``audit`` group, so it comes after audit and needs it
COMMANDS_BY_MODULE: dict[str, tuple[str, ...]] = {
    "registry": ("publish", "ls", "show", "db"),
    "demo": ("demo",),
    "ingest": ("ingest",),
    "monitor": ("monitor",),
    "importers": ("import",),
    "audit": ("audit",),
    "render": ("render",),
    "workflow": (
        "submit",
        "approve",
        "reject",
        "request-changes",
        "comment",
        "do-not-use",
        "withdraw",
        "go-live",
        "retire",
        "revalidate",
        "approvals",
        "reviews",
        "policy",
        "users",
        "tier",
    ),
    "risk": ("findings", "revalidation", "attest", "report"),
    "cards": ("card",),
    "notify": ("notify", "consumers"),
    "runner": ("check", "reproduce"),
    "casefile": ("data-locations",),
    "lookups": ("history", "live-at", "diff"),
    "artifacts": ("artifacts",),
    "serve": ("serve",),
    "alerts": ("alerts",),
}

# a module that adds to another module's group needs that module registered first
_NEEDS: dict[str, tuple[str, ...]] = {"casefile": ("audit",), "audit": ("casefile",)}

# the global options that take a value (``--home DIR``); the others are flags
OPTIONS_WITH_VALUE = frozenset({"--home", "--db", "--artifacts"})
FLAGS = frozenset({"--demo", "-v", "--verbose", "--self-test"})

ALL_MODULES: tuple[str, ...] = tuple(COMMANDS_BY_MODULE)


def module_of(command: str) -> str | None:
    """The module that registers top-level *command*, or None for a word no module registers."""
    for module, commands in COMMANDS_BY_MODULE.items():
        if command in commands:
            return module
    return None


def command_word(argv: Sequence[str]) -> str | None:
    """The subcommand *argv* names, or None when there is none or it cannot be told for sure.

    Returns ``""`` when the command line has only global flags and options (the desktop
    application, ``--self-test``): no command module is needed then.
    """
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return None
        if not word.startswith("-") or word == "-":
            return word
        name = word.split("=", 1)[0]
        if name in OPTIONS_WITH_VALUE:
            i += 1 if "=" in word else 2
        elif word in FLAGS:
            i += 1
        elif word == "--version":  # argparse prints it and exits before any command
            return ""
        else:  # --help, --version, an abbreviation argparse would expand, a mistake
            return None
    return ""


def modules_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The command modules, in registration order, the parser needs to parse *argv* exactly.

    Every module when the command cannot be told for sure (see :func:`command_word`).
    """
    word = command_word(argv)
    if word is None:
        return ALL_MODULES
    if word == "":
        return ()
    module = module_of(word)
    if module is None:  # argparse's own message lists the valid choices: it needs them all
        return ALL_MODULES
    wanted = {module, *_NEEDS.get(module, ())}
    return tuple(m for m in ALL_MODULES if m in wanted)
