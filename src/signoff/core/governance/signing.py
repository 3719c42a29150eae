"""Signing a decision: prove it is still the signer, then record the decision on the version.

On a shared (PostgreSQL) registry a signature takes two components (21 CFR 11.200): the
signer's login, and the password typed again at signing, checked with a fresh connection
(:func:`~signoff.core.governance.identity.verify_password`) before anything is written. On
the embedded registry the operating-system login is the identity and no password is asked.
The desktop's decision dialog and the command line both sign through :func:`sign_decision`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from signoff.core.db.registry import Registry
from signoff.core.db.schema import PRODUCTION
from signoff.core.governance.finding_gates import ConditionRequest
from signoff.core.governance.identity import verify_password
from signoff.core.governance.workflow import Outcome, run_transition


@dataclass(frozen=True)
class DecisionRequest:
    """What the signer entered: the action, the role signed in, the comment, the password.

    *password* is None when none was asked for (the embedded registry). *conditions*: findings
    an approval or a revalidation is given on condition of (each to be resolved by a date).
    """

    action: str
    role: str | None
    comment: str
    password: str | None
    environment: str = PRODUCTION
    conditions: tuple[ConditionRequest, ...] = field(default=())


def sign_decision(
    registry: Registry,
    model: str,
    number: int,
    request: DecisionRequest,
    expected_row_version: int,
    expected_live: int | None,
) -> Outcome:
    """Re-authenticate when a password was given, then take the decision on ``model vNUMBER``.

    *expected_row_version* (and, for ``go_live``, *expected_live*, the live version number the
    signer saw) make a decision on a version someone else changed meanwhile fail with
    ConcurrentChangeError instead of applying to what the signer did not see. A wrong password
    raises ReauthenticationError, audited, with nothing signed; a decision the rules refuse
    raises TransitionError naming the reason.
    """
    if request.password is not None:
        verify_password(registry, request.password)
    kwargs: dict[str, Any] = {
        "comment": request.comment,
        "expected_row_version": expected_row_version,
    }
    if request.role:
        kwargs["role"] = request.role
    if request.conditions:
        kwargs["conditions"] = request.conditions
    if request.action == "go_live":
        kwargs["expected_live_version"] = expected_live
        kwargs["environment"] = request.environment
    return run_transition(registry, request.action, model, number, **kwargs)
