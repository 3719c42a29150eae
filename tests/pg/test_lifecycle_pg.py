"""The Python rules and the database's rules are the same rules.

Both are read from one declaration (:mod:`signoff.core.db.lifecycle`). This test asks both,
for every state a version can be in, every action and every kind of person, whether the action
is allowed, and expects the same answer: the Python check that enables a button and the
PostgreSQL function that records the decision never disagree.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from signoff.core.catalog.lookup import get_version
from signoff.core.common.errors import TransitionError
from signoff.core.db import lifecycle as lc
from signoff.core.db.pgrules import rules_sql
from signoff.core.db.schema import STATES
from signoff.core.governance.gates import check_allowed
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder

pytestmark = pytest.mark.postgres

PERSONAS = ("ann", "dual", "vic", "bo", "rel", "aud", "adm", "viv", "run")


def _python_allows(team, who: str, action: str) -> bool:
    with team.regs[who].read() as s:
        version = get_version(s, "credit", 1)
        try:
            check_allowed(s, version, action, team.logins[who], None, "a comment")
        except TransitionError:
            return False
    return True


def _database_allows(team, who: str, version_id: int, action: str) -> bool:
    conn = team.raw(who)
    conn.autocommit = False
    try:
        conn.execute(
            "SELECT * FROM signoff_decide(%s, NULL, %s, NULL, 'a comment', 'production', NULL, "
            "false, NULL)",
            (version_id, action),
        )
        return True
    except psycopg.Error:
        return False
    finally:
        conn.rollback()
        conn.autocommit = True


def test_python_and_the_database_agree_on_every_state_action_and_person(team, tmp_path) -> None:
    folder = write_model_folder(
        tmp_path / "m", name="credit", author=team.logins["ann"], tier="high"
    )
    version_id = publish(team.regs["ann"], folder).version_id
    disagreements = []
    asked = 0
    for state in STATES:
        with team.admin.write() as s:  # the owner puts the version in the state directly
            s.execute(
                text("UPDATE versions SET state = :s, review_round = 1 WHERE id = :v"),
                {"s": state, "v": version_id},
            )
        for action in lc.ACTIONS:
            for who in PERSONAS:
                python = _python_allows(team, who, action)
                database = _database_allows(team, who, version_id, action)
                asked += 1
                if python != database:
                    disagreements.append((state, action, who, python, database))
    assert asked == len(STATES) * len(lc.ACTIONS) * len(PERSONAS)
    assert disagreements == []


def test_the_functions_are_generated_from_the_declaration() -> None:
    sql = "\n".join(rules_sql())
    for (source, target), roles in lc.moves().items():
        assert f"WHEN '{source}>{target}' THEN RETURN ARRAY[" in sql
        for role in roles:
            assert f"'{role}'" in sql
    for action in lc.ACTIONS.values():
        assert f"WHEN '{action.name}' THEN a_sources :=" in sql
