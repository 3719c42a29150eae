"""The chain's head anchored in a file or a second SQLite database, and every corrupted
variant of the chain relative to that anchor refused (as Certificate Transparency's verifier
tests refuse every corrupted variant of a proof)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from signoff.cli import main
from signoff.core.audit.anchor import verify_anchored
from signoff.core.audit.anchor_store import ANCHOR_ENV, CONFIG_NAME
from signoff.core.audit.chain import append_event
from signoff.core.db.registry import open_registry
from tests.helpers.chain_tamper import alter, drop, rechain, sqlite_owner

EVENTS = 7


def add_events(registry, count: int, actor: str = "alice", first: int = 1) -> None:
    with registry.write() as s:
        for i in range(first, first + count):
            append_event(
                s,
                actor=actor,
                action="test.event",
                entity_type="test",
                entity_id=i,
                payload={"n": i, "note": f"event {i}"},
            )


@pytest.fixture
def chain(registry, home: Path) -> Path:
    add_events(registry, EVENTS)
    return home / "registry.db"


@pytest.fixture(params=["file", "sqlite"])
def anchor(request, tmp_path: Path) -> str:
    """An anchor on "another share": a JSON file, or a second SQLite database."""
    share = tmp_path / "other-share"
    if request.param == "file":
        return str(share / "signoff-anchor.json")
    return f"sqlite:///{share / 'anchors.db'}"


def cli(home: Path, *args: str, capsys) -> tuple[int, str]:
    code = main(["--home", str(home), "audit", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_without_an_anchor_verify_says_a_rewrite_would_go_unnoticed(chain, home, capsys) -> None:
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 0
    assert "no anchor: a rewrite of the whole chain would not be detected" in said
    assert "signoff audit anchor set LOCATION" in said


def test_set_writes_the_head_and_verify_names_its_time_and_seq(
    chain, home, registry, anchor, own_anchor_settings, capsys
) -> None:
    code, said = cli(home, "anchor", "set", anchor, capsys=capsys)
    assert code == 0, said
    assert f"head #{EVENTS}" in said
    settings = json.loads((own_anchor_settings / CONFIG_NAME).read_text())
    assert list(settings["anchors"].values()) == [anchor]
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 0, said
    assert "verified against the head exported at " in said and f"(seq {EVENTS})" in said
    add_events(registry, 2, first=EVENTS + 1)
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 0 and "2 later event(s) not anchored yet" in said
    code, said = cli(home, "anchor", "write", capsys=capsys)
    assert code == 0 and f"head #{EVENTS + 2}" in said
    code, said = cli(home, "anchor", "show", capsys=capsys)
    assert code == 0 and f"(seq {EVENTS + 2})" in said and "not anchored" not in said


def _truncate_and_extend(conn: Connection) -> None:
    rechain(conn, drop(6, 7))
    rechain(
        conn, lambda rows: [*rows, *(dict(rows[-1], payload=f'{{"n":{n}}}') for n in (1, 2, 3))]
    )


def _rewrite_everything(conn: Connection) -> None:
    rechain(conn, lambda rows: [dict(r, actor="mallory") for r in rows])


#: each way to corrupt the chain relative to its anchor, and the words verify must say
VARIANTS: dict[str, tuple[Callable[[Connection], None], str]] = {
    "a byte changed, hashes left": (
        lambda c: c.execute(
            text("UPDATE audit_events SET payload = replace(payload, '4', '5') WHERE seq = 4")
        ),
        "broken at event #4",
    ),
    "an event altered and the chain re-hashed": (
        lambda c: rechain(c, alter(4, actor="mallory")),
        "rewritten: event #7 no longer has the hash",
    ),
    "an event deleted, the gap closed": (
        lambda c: rechain(c, drop(5)),
        "truncated: the chain ends at #6",
    ),
    "an event deleted, the gap left": (
        lambda c: c.execute(text("DELETE FROM audit_events WHERE seq = 5")),
        "event #5 is missing",
    ),
    "the tail cut off": (
        lambda c: c.execute(text("DELETE FROM audit_events WHERE seq >= 6")),
        "truncated: the chain ends at #5, but the head exported at",
    ),
    "the tail cut off and new events added": (
        _truncate_and_extend,
        "rewritten: event #7",
    ),
    "the whole chain rewritten with valid hashes": (
        _rewrite_everything,
        "the whole chain was rewritten",
    ),
    "every event removed": (
        lambda c: c.execute(text("DELETE FROM audit_events")),
        "this chain has no events at all",
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_corrupted_variant_fails_against_the_anchor(
    chain, home, anchor, variant, capsys
) -> None:
    assert cli(home, "anchor", "set", anchor, capsys=capsys)[0] == 0
    corrupt, words = VARIANTS[variant]
    with sqlite_owner(chain) as conn:
        corrupt(conn)
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 1, said
    assert words in said, said
    assert "verified against" not in said
    reg = open_registry(home=home)
    try:
        with reg.read() as s:
            assert not verify_anchored(s, reg.location.db_url).intact
    finally:
        reg.close()
    # and the anchor is never moved onto the corrupted chain
    code, said = cli(home, "anchor", "write", capsys=capsys)
    assert code == 2, said
    refusals = ("not anchoring a broken chain", "the anchor keeps the head it has", "is empty")
    assert any(words in said for words in refusals), said


def test_the_anchor_of_another_registry_does_not_vouch_for_this_one(
    chain, home, tmp_path, anchor, capsys
) -> None:
    other_home = tmp_path / "other-registry"
    other = open_registry(home=other_home)
    other.set_actor_for_embedded("bob")
    add_events(other, 3, actor="bob")
    other.close()
    assert main(["--home", str(other_home), "audit", "anchor", "set", anchor]) == 0
    capsys.readouterr()
    code, said = cli(home, "verify", "--anchor", anchor, capsys=capsys)
    assert code == 1
    assert "holds no head of this registry (it holds the heads of 1 other registries)" in said


def test_a_forged_anchor_claiming_a_later_head_fails(chain, home, tmp_path, capsys) -> None:
    anchor = tmp_path / "share" / "anchor.json"
    assert cli(home, "anchor", "set", str(anchor), capsys=capsys)[0] == 0
    doc = json.loads(anchor.read_text())
    doc["heads"][0]["seq"] = EVENTS + 3
    anchor.write_text(json.dumps(doc))
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 1 and f"event(s) #{EVENTS + 1}–#{EVENTS + 3} were removed" in said


def test_the_environment_variable_names_the_anchor(
    chain, home, tmp_path, monkeypatch, capsys
) -> None:
    anchor = tmp_path / "share" / "env-anchor.json"
    monkeypatch.setenv(ANCHOR_ENV, str(anchor))
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 1 and "holds no head of this registry" in said
    code, said = cli(home, "export", str(tmp_path / "audit.json"), capsys=capsys)
    assert code == 0 and f"head #{EVENTS} anchored in {anchor}" in said
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 0 and f"(seq {EVENTS}) in {anchor}" in said


@pytest.mark.parametrize(
    ("corrupt", "first", "words"),
    [
        (alter(4, actor="mallory"), 4, "actor was 'alice', now 'mallory'"),
        (drop(5), 5, "entity_id was '5', now '6'"),
        (drop(6, 7), 6, "the chain ends at #5; exported events #6–#7 were removed"),
        (lambda rows: [dict(r, actor="mallory") for r in rows], 1, "actor was 'alice'"),
    ],
    ids=["altered", "deleted", "truncated", "all rewritten"],
)
def test_a_full_export_names_the_first_altered_event(
    chain, home, tmp_path, corrupt, first, words, capsys
) -> None:
    export = tmp_path / "audit.json"
    assert cli(home, "export", str(export), capsys=capsys)[0] == 0
    code, said = cli(home, "verify", "--against-export", str(export), capsys=capsys)
    assert code == 0 and f"all {EVENTS} exported events are unchanged" in said
    with sqlite_owner(chain) as conn:
        rechain(conn, corrupt)
    code, said = cli(home, "verify", "--against-export", str(export), capsys=capsys)
    assert code == 1
    assert f"first altered event: #{first}:" in said and words in said, said
    code, said = cli(home, "verify", "--against-export", str(export), "--json", capsys=capsys)
    assert json.loads(said)["export"]["first_altered"] == first


def test_an_edited_or_unsuitable_export_is_refused(chain, home, tmp_path, capsys) -> None:
    export = tmp_path / "audit.json"
    assert cli(home, "export", str(export), capsys=capsys)[0] == 0
    doc = json.loads(export.read_text())
    doc["events"][2]["actor"] = "mallory"
    export.write_text(json.dumps(doc))
    code, said = cli(home, "verify", "--against-export", str(export), capsys=capsys)
    assert code == 2 and "is itself altered (its event #3" in said
    assert cli(home, "export", str(tmp_path / "audit.csv"), capsys=capsys)[0] == 0
    code, said = cli(home, "verify", "--against-export", str(tmp_path / "audit.csv"), capsys=capsys)
    assert code == 2 and "a CSV export cannot be compared" in said
    assert "Traceback" not in said


def test_bad_anchor_locations_are_refused_with_a_reason(
    chain, home, tmp_path, own_anchor_settings, capsys
) -> None:
    cases = {
        "ftp://share/anchor": "an anchor database is sqlite:///FILE or postgresql://",
        "postgresql://anchor:hunter2@db.example/anchors": "holds a password",
        f"sqlite:///{chain}": "outside the registry's own database",
        "  ": "not empty",
        "/tmp/a\nb": "control characters",
    }
    for location, words in cases.items():
        code, said = cli(home, "anchor", "set", location, capsys=capsys)
        assert code == 2 and words in said, (location, said)
        assert "Traceback" not in said
    assert not (own_anchor_settings / CONFIG_NAME).exists()  # nothing remembered


def test_an_unreadable_anchor_or_settings_file_is_exit_2(
    chain, home, tmp_path, own_anchor_settings, capsys
) -> None:
    anchor = tmp_path / "share" / "anchor.json"
    assert cli(home, "anchor", "set", str(anchor), capsys=capsys)[0] == 0
    anchor.write_text("{not json")
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 2 and "the anchor could not be consulted" in said and str(anchor) in said
    assert "audit chain intact" in said  # the walk itself still reported
    (own_anchor_settings / CONFIG_NAME).write_text('{"anchors": ["x"]}')
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 2 and "is not Signoff's anchor settings" in said


def test_unset_forgets_the_anchor(chain, home, tmp_path, capsys) -> None:
    assert cli(home, "anchor", "set", str(tmp_path / "s" / "a.json"), capsys=capsys)[0] == 0
    assert cli(home, "anchor", "unset", capsys=capsys)[0] == 0
    code, said = cli(home, "verify", capsys=capsys)
    assert code == 0 and "no anchor:" in said
