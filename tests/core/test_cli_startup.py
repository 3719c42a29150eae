"""The command line imports only the command it runs, yet parses and helps exactly as before.

The full parser (every command module registered) is the reference: the table in
:mod:`signoff.cli.commands` must name what each module registers, a lazily built parser must
print the same help for every command and subcommand, and ``signoff ls`` run as a real process
must not import numpy, requests, matplotlib, Qt or SQLAlchemy's PostgreSQL dialect.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from signoff.cli import build_parser, main
from signoff.cli.commands import ALL_MODULES, COMMANDS_BY_MODULE, command_word, modules_for
from tests.helpers.scripts import signoff_command


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _every_command(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Each (sub)command path with its parser, depth first (``("audit", "verify")``…)."""
    sub = _subparsers(parser)
    if sub is None:
        return
    for name, child in sub.choices.items():
        yield (*path, name), child
        yield from _every_command(child, (*path, name))


def test_the_table_names_what_each_module_registers() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    for module in ALL_MODULES:
        before = set(sub.choices)
        importlib.import_module(f"signoff.cli.{module}").register(sub)
        added = tuple(name for name in sub.choices if name not in before)
        assert added == COMMANDS_BY_MODULE[module], module


def test_a_lazy_parser_helps_every_command_as_the_full_one_does() -> None:
    full = dict(_every_command(build_parser()))
    assert len(full) > 40  # every top-level command and the subcommands of the groups
    for path, reference in full.items():
        lazy = dict(_every_command(build_parser([*path, "--help"])))
        assert lazy[path].format_help() == reference.format_help(), path


def test_the_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for commands in COMMANDS_BY_MODULE.values():
        for name in commands:
            assert f"    {name} " in out or f"    {name}\n" in out, name


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["ls"], "ls"),
        (["--home", "h", "ls", "--json"], "ls"),
        (["--home=h", "--db", "sqlite:///x", "-v", "audit", "verify"], "audit"),
        (["--demo"], ""),
        ([], ""),
        (["--version"], ""),
        (["-h", "ls"], None),  # the top-level help, which lists everything
        (["--ho", "h", "ls"], None),  # an abbreviation argparse expands: not guessed at
        (["--", "ls"], None),
    ],
)
def test_the_command_word_is_read_as_argparse_would(argv: list[str], word: str | None) -> None:
    assert command_word(argv) == word


def test_modules_needed_for_a_command() -> None:
    assert modules_for(["ls"]) == ("registry",)
    assert modules_for(["audit", "sample"]) == ("audit", "casefile")  # casefile adds to audit
    assert modules_for(["data-locations", "ls"]) == ("audit", "casefile")
    assert modules_for(["no-such-command"]) == ALL_MODULES
    assert modules_for([]) == ()


def test_an_unknown_command_still_lists_the_valid_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["lss"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'lss'" in err and "'ls'" in err and "'reproduce'" in err


def _run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_ls_in_a_fresh_process_imports_only_what_it_needs(home, capsys) -> None:  # noqa: ANN001
    assert main(["--home", str(home), "ls"]) == 0  # creates the registry (that runs Alembic)
    capsys.readouterr()
    code = (
        "import json, sys\n"
        "from signoff.cli import main\n"
        "status = main(['--home', sys.argv[1], 'ls'])\n"
        "print(json.dumps({'status': status, 'modules': sorted(sys.modules)}))\n"
    )
    done = _run_python(code, str(home))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == 0
    loaded = set(report["modules"])
    for heavy in (
        "numpy",
        "requests",
        "matplotlib",
        "PySide6",
        "alembic",
        "nbconvert",
        "sqlalchemy.dialects.postgresql",
        "signoff.core.monitoring",
        "signoff.core.importers",
        "signoff.core.publishing",
        "signoff.ui",
    ):
        assert heavy not in loaded, heavy
    assert "signoff.cli.registry" in loaded
    assert not {m for m in loaded if m.startswith("signoff.cli.")} - {
        "signoff.cli.commands",
        "signoff.cli.common",
        "signoff.cli.registry",
    }


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["ls", "--help"], ["audit", "--help"], ["data-locations", "--help"]],
)
def test_help_of_the_real_console_script(argv: list[str]) -> None:
    done = subprocess.run(
        [*signoff_command(), *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: signoff")
    if argv[0] == "audit":
        assert "sample" in done.stdout and "verify" in done.stdout  # casefile's and audit's own


def test_a_postgresql_engine_gets_the_partial_index_condition() -> None:
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    from signoff.core.db.registry import make_engine
    from signoff.core.db.schema import Deployment

    make_engine("postgresql://nobody@127.0.0.1:9/none").dispose()  # no connection is made
    (index,) = [i for i in Deployment.__table__.indexes if i.name == "uq_deployments_open"]
    ddl = str(CreateIndex(index).compile(dialect=postgresql.dialect()))
    assert ddl.endswith("WHERE live_to IS NULL")
