"""Attestations and model cards on a shared PostgreSQL registry, held by the database.

The Python rules (:mod:`signoff.core.governance.attestations`, :mod:`.cards`) and the
database's ``signoff_attestation_period``, ``signoff_attest`` and ``signoff_edit_card`` are
asked about every person and must agree; a person with psql who writes a period, an
attestation or a card edit directly, or attests a model that is not theirs, is refused with
nothing written.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from signoff.core.audit.verify import verify_registry
from signoff.core.catalog.lookup import get_model, get_version
from signoff.core.common.errors import SignoffError
from signoff.core.db import model_risk as rk
from signoff.core.db.schema import (
    Alert,
    AlertRecipient,
    Attestation,
    AttestationPeriod,
    AuditEvent,
    CardEntry,
    Model,
)
from signoff.core.governance.attestations import (
    attest,
    attest_refusal,
    close_period,
    get_period,
    open_period,
    period_progress,
)
from signoff.core.governance.cards import card_of, card_refusal, edit_card
from signoff.core.governance.people import PermissionDeniedError, roles_of
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder
from tests.helpers.pg_refusals import refused

pytestmark = pytest.mark.postgres

COUNTED = (AttestationPeriod, Attestation, CardEntry, Alert, AuditEvent)
PERSONAS = ("ann", "dual", "vic", "val", "bo", "rel", "aud", "adm", "viv", "run", "ntf")
CARD = '\n[card]\nintended_use = "Approve or refer retail loan applications."\n'


def _refused(team, who: str, sql: str, params: tuple = (), match: str = "") -> str:
    return refused(team, who, sql, params, match, counted=COUNTED)


def _database_allows(team, who: str, sql: str, params: tuple) -> bool:
    """Whether the database lets *who* run *sql*; rolled back either way."""
    conn = team.raw(who)
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(sql, params)
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


@pytest.fixture
def credit(team, tmp_path: Path) -> int:
    """credit v1 by ann (its owner), with a [card] table; returns the model's id."""
    folder = write_model_folder(
        tmp_path / "m", name="credit", author=team.logins["ann"], extra_toml=CARD
    )
    publish(team.regs["ann"], folder)
    with team.admin.read() as s:
        return get_model(s, "credit").id


def test_attestation_period_walk_with_a_correction_alerting_admins_and_validators(
    team, credit
) -> None:
    due = date.today() + timedelta(days=30)
    with team.regs["ann"].write() as s, pytest.raises(PermissionDeniedError, match="admins only"):
        open_period(s, "2026-Q4", due, actor=team.logins["ann"])
    with team.regs["adm"].write() as s:
        open_period(s, "2026-Q4", due, actor=team.logins["adm"])
    with team.regs["vic"].write() as s, pytest.raises(PermissionDeniedError, match="owner"):
        attest(s, "credit", actor=team.logins["vic"])
    with team.regs["ann"].write() as s:
        attest(
            s,
            "credit",
            actor=team.logins["ann"],
            corrections={"business_unit": "Retail", "consumers": "billing is gone"},
            comment="checked",
        )
    with team.admin.read() as s:
        assert get_model(s, "credit").business_unit == "Retail"
        row = s.scalars(select(Attestation)).one()
        assert (row.actor, row.verdict) == (team.logins["ann"], rk.CORRECTED)
        assert row.corrections["consumers"] == {"note": "billing is gone"}
        assert row.snapshot["business_unit"] == "Retail"
        progress = period_progress(s, "2026-Q4")
        assert (progress.total, progress.done) == (1, 1)
        alert = s.scalars(select(Alert).where(Alert.kind == "attestation_correction")).one()
        people = set(
            s.scalars(select(AlertRecipient.person).where(AlertRecipient.alert_id == alert.id))
        )
        expected = {team.logins[w] for w in ("adm", "vic", "val", "dual")} | {team.admin.actor}
        assert people == expected  # every admin and validator (the table owner is an admin)
        raised = s.scalars(select(AuditEvent).where(AuditEvent.action == "alert.raised")).one()
        assert raised.entity_id == alert.dedupe_key
    with team.regs["adm"].write() as s:
        close_period(s, "2026-Q4", actor=team.logins["adm"])
    with team.regs["ann"].write() as s, pytest.raises(PermissionDeniedError, match="is closed"):
        attest(s, "credit", actor=team.logins["ann"], period_name="2026-Q4")
    # nor past the Python check: the database refuses it in its own words
    with team.admin.read() as s:
        period_id = get_period(s, "2026-Q4").id
    _refused(
        team,
        "ann",
        "SELECT signoff_attest(%s, %s, '{}', '', NULL)",
        (period_id, credit),
        "is closed",
    )
    with team.admin.read() as s:
        period = get_period(s, "2026-Q4")
        assert period.closed_by == team.logins["adm"]
        events = [
            (e.action, e.actor)
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.like("attestation.%"))
                .order_by(AuditEvent.seq)
            )
        ]
        assert events == [
            ("attestation.period_opened", team.logins["adm"]),
            ("attestation.recorded", team.logins["ann"]),
            ("attestation.period_closed", team.logins["adm"]),
        ]
        assert verify_registry(s).intact


def test_python_and_the_database_agree_on_who_opens_attests_and_edits_cards(team, credit) -> None:
    due = date.today() + timedelta(days=30)
    with team.regs["adm"].write() as s:
        period_id = open_period(s, "2027-Q1", due, actor=team.logins["adm"])
    with team.admin.read() as s:
        version = get_version(s, "credit", 1)
        model = s.get(Model, credit)
        period = get_period(s, "2027-Q1")
        python = {
            who: (
                bool(roles_of(s, team.logins[who]) & set(rk.PERIOD_OPENERS)),
                attest_refusal(s, period, model, team.logins[who]) == "",
                card_refusal(s, version, team.logins[who]) == "",
            )
            for who in PERSONAS
        }
        version_id = version.id
    for who in PERSONAS:
        database = (
            _database_allows(
                team,
                who,
                "SELECT signoff_attestation_period('open', 'probe', %s, NULL, NULL)",
                (due,),
            ),
            _database_allows(
                team, who, "SELECT signoff_attest(%s, %s, '{}', '', NULL)", (period_id, credit)
            ),
            _database_allows(
                team,
                who,
                "SELECT signoff_edit_card(%s, 'users', %s, 'probe', NULL)",
                (version_id, f"probe by {who}"),
            ),
        )
        assert database == python[who], who
    assert python["ann"] == (False, True, True)  # the owner and author
    assert python["bo"] == (False, False, False)  # a business owner of nothing here
    assert python["adm"] == (True, False, True)
    with team.admin.read() as s:
        assert s.scalar(select(func.count()).select_from(Attestation)) == 0
        assert s.scalar(select(func.count()).select_from(CardEntry)) == 0


def test_card_edits_are_audited_decisions_held_by_the_database(team, credit) -> None:
    with team.regs["vic"].write() as s:
        edit_card(
            s,
            "credit",
            1,
            "limitations",
            "Not for business lending.",
            reason="validation",
            actor=team.logins["vic"],
        )
    with team.regs["bo"].write() as s, pytest.raises(PermissionDeniedError, match="may not edit"):
        edit_card(s, "credit", 1, "users", "x", reason="r", actor=team.logins["bo"])
    with team.regs["ann"].write() as s, pytest.raises(SignoffError, match="already that"):
        edit_card(
            s,
            "credit",
            1,
            "intended_use",
            "Approve or refer retail loan applications.",
            reason="same",
            actor=team.logins["ann"],
        )
    with team.admin.read() as s:
        card = card_of(s, "credit", 1)
        assert card.value("limitations") == "Not for business lending."
        assert card.fields[6].source.startswith(f"edited by {team.logins['vic']} on")
        entry = s.scalars(select(CardEntry)).one()
        assert entry.actor == team.logins["vic"]
        version_id = get_version(s, "credit", 1).id
    # the database refuses a forged actor, a backdated edit and a bare reason from anyone
    _refused(
        team,
        "ann",
        "SELECT signoff_edit_card(%s, 'users', 'x', ' ', NULL)",
        (version_id,),
        "a reason is required",
    )
    _refused(
        team,
        "bo",
        "SELECT signoff_edit_card(%s, 'users', 'x', 'r', NULL)",
        (version_id,),
        "may not edit the card",
    )
    team.raw("ann").execute(
        "SELECT signoff_edit_card(%s, 'users', 'loan officers', 'r', '2001-01-01')", (version_id,)
    )
    with team.admin.read() as s:
        newest = s.scalars(select(CardEntry).order_by(CardEntry.id.desc())).first()
        assert newest.at.year > 2001 and newest.actor == team.logins["ann"]


def test_psql_cannot_write_periods_attestations_or_cards_directly(team, credit) -> None:
    with team.admin.read() as s:
        version_id = get_version(s, "credit", 1).id
    for who in PERSONAS:
        for sql in (
            "INSERT INTO attestation_periods (name, due, opened_by, opened_at, closed_by, scope) "
            "VALUES ('forged', '2030-01-01', 'x', now(), '', '[]')",
            "UPDATE attestation_periods SET closed_at = now() WHERE false",
            "INSERT INTO attestations (period_id, model_id, actor, at, verdict, comment, "
            f"corrections, snapshot) VALUES (1, {credit}, 'x', now(), 'attested', '', '{{}}', "
            "'{}')",
            "INSERT INTO card_entries (model_id, version_id, field, value, reason, actor, at) "
            f"VALUES ({credit}, {version_id}, 'users', 'x', 'r', 'x', now())",
        ):
            _refused(team, who, sql, match="permission denied")
        _refused(
            team,
            who,
            "INSERT INTO audit_events (seq, at, actor, action, entity_type, entity_id, payload, "
            "prev_hash, hash) VALUES (0, now(), 'x', 'card.edited', 'version', 'credit v1', "
            "'{}', '', 'pending-x')",
            match="denied" if who == "viv" else "written only by the database",
        )
    # an author may not open a period even by calling the function
    _refused(
        team,
        "ann",
        "SELECT signoff_attestation_period('open', 'mine', '2030-01-01', NULL, NULL)",
        match="permission denied",
    )
