"""Text a person types on the command line — logins, printed names, consumer names, comments,
reasons — refuses control characters and bidirectional overrides, which would make it display
as something other than what is stored ("bob" + U+202E + NUL prints as "bob"). Each refusal
names the character, exits 2 without a traceback, and changes nothing in the registry."""

from __future__ import annotations

import pytest

from signoff.cli import main
from signoff.core.publishing.publisher import publish
from tests.helpers.bad_input import registry_state
from tests.helpers.folders import write_model_folder

NUL, RLO = "\x00", "\u202e"


@pytest.fixture
def published(registry, home, tmp_path, monkeypatch):
    monkeypatch.setenv("SIGNOFF_USER", "root")
    publish(registry, write_model_folder(tmp_path / "m"), actor="alice")
    assert main(["--home", str(home), "users", "add", "root", "--role", "admin"]) == 0
    return registry


@pytest.mark.parametrize("bad", [NUL, RLO, "\x1b[2J", "\u2066"])
@pytest.mark.parametrize(
    "command",
    [
        ["users", "add", "bob{bad}", "--role", "validator"],
        ["users", "add", "bob", "--name", "Bob{bad}", "--role", "validator"],
        ["consumers", "add", "toy-model", "billing{bad}"],
        ["consumers", "add", "toy-model", "billing", "--contact", "ops{bad}@example.com"],
        ["comment", "toy-model@1", "--comment", "looks fine{bad}"],
        ["tier", "toy-model", "high", "--reason", "reassessed{bad}"],
        ["do-not-use", "toy-model@1", "--reason", "leaks the target{bad}"],
    ],
    ids=["login", "printed-name", "consumer", "contact", "comment", "tier-reason", "dnu-reason"],
)
def test_typed_text_with_hidden_characters_is_refused(
    published, home, capsys, command: list[str], bad: str
) -> None:
    before = registry_state(published)
    code = main(["--home", str(home), *[part.format(bad=bad) for part in command]])
    captured = capsys.readouterr()
    assert code == 2, (captured.out, captured.err)
    assert captured.err.startswith("signoff: error: ") and "Traceback" not in captured.err
    assert "control character" in captured.err or "bidirectional" in captured.err, captured.err
    assert registry_state(published) == before
