"""The catalogue of audit event names: every ``action`` the registry writes to its trail.

An event's name is part of the record an auditor reads and a verifier checks, so each is
spelt once, here, and every :func:`~signoff.core.audit.chain.append_event` call names it by
its constant. A name is ``subject.what_happened``; the constant reads the same.
"""

from __future__ import annotations

# -- models and versions ---------------------------------------------------------------------
MODEL_CREATED = "model.created"
MODEL_UPDATED = "model.updated"
MODEL_IMPORTED = "model.imported"  # a bulk load of MLflow records
MODEL_IMPORT_NOTES = "model.import_notes"  # source values an import changed or left out
VERSION_PUBLISHED = "version.published"
VERSION_IMPORTED = "version.imported"
VERSION_METADATA_UPDATED = "version.metadata_updated"
VERSION_READY = "version.ready"
VERSION_WENT_LIVE = "version.went_live"
VERSION_BACKDATED = "demo.version_backdated"  # only the demo registry gives versions a past
RISK_TIER_CHANGED = "model.risk_tier_changed"  # an admin or business owner, with a reason

# -- decisions (one per action of the lifecycle table: decision.approve, decision.reject ...)
DECISION_PREFIX = "decision."

# -- people, policy, identity ----------------------------------------------------------------
PERSON_CREATED = "person.created"
PERSON_UPDATED = "person.updated"
POLICY_CHANGED = "policy.changed"
REAUTHENTICATION_FAILED = "auth.reauthentication_failed"

# -- evidence, runs, reproduction --------------------------------------------------------------
EVIDENCE_RECORDED = "evidence.recorded"
RUN_REFUSED = "run.refused"
PREDICTION_REPRODUCED = "prediction.reproduced"
REPORT_STORED = "report.stored"
CAMPAIGN_STARTED = "campaign.started"  # an auditor's sampled re-run
CAMPAIGN_FINISHED = "campaign.finished"
DATA_LOCATIONS_CHANGED = "data_locations.changed"  # where recorded inputs are read from
EXCEPTION_PLANTED = "demo.exception_planted"  # only the demo plants a campaign's exceptions

# -- consumers and their notifications -------------------------------------------------------
CONSUMER_ADDED = "consumer.added"
CONSUMER_CHANGED = "consumer.changed"
CONSUMER_ACKNOWLEDGED = "consumer.acknowledged"  # a do-not-use notice acknowledged
NOTIFICATION_DELIVERED = "notification.delivered"
NOTIFICATION_FAILED = "notification.failed"
WEBHOOK_HOST_ALLOWED = "webhooks.host_allowed"
WEBHOOK_HOST_DISALLOWED = "webhooks.host_disallowed"
SMTP_CHANGED = "notifications.smtp_changed"
NOTIFICATION_SETTINGS_CHANGED = "notifications.settings_changed"
MONITORING_SCHEDULE_CHANGED = "monitoring.schedule_changed"


# -- written only by the database itself on a shared PostgreSQL registry: one per changed row
#    of policies, users, user_roles, consumers, consumer_secrets ("users.insert" ...)
def row_change(table: str, operation: str) -> str:
    """The event the database writes for a row of *table* changed by *operation*."""
    return f"{table}.{operation.lower()}"


# -- model risk management (findings, conditions, attestations, cards; see db.model_risk) ----
FINDING_PREFIX = "finding."  # one per finding action: finding.raise, finding.close ...
ATTESTATION_PERIOD_OPENED = "attestation.period_opened"
ATTESTATION_PERIOD_CLOSED = "attestation.period_closed"
ATTESTATION_RECORDED = "attestation.recorded"
CARD_EDITED = "card.edited"
FINDING_SEVERITIES_CHANGED = "policy.finding_severities_changed"
ALERT_RAISED = "alert.raised"  # an overdue condition, revalidation, reminder ...


def finding(action: str) -> str:
    """The event name of a change to a finding: ``finding.raise``, ``finding.close`` ..."""
    return FINDING_PREFIX + action


# -- monitoring ------------------------------------------------------------------------------
FLAGGED_STALE = "monitoring.flagged_stale"
STALE_CLEARED = "monitoring.stale_cleared"
STALE_REASON_CHANGED = "monitoring.stale_reason_changed"
#: executions or predictions by a do-not-use version reported after its notice (flagged)
DO_NOT_USE_USED = "monitoring.do_not_use_used"


def decision(action: str) -> str:
    """The event name of a decision taking lifecycle *action*: ``decision.approve`` ..."""
    return DECISION_PREFIX + action


def is_decision(name: str) -> bool:
    """True for the event of a signed decision (any ``decision.*``)."""
    return name.startswith(DECISION_PREFIX)


def ingested(kind: str) -> str:
    """The event name of factory records of *kind* (``runs``, ``predictions`` ...) ingested."""
    return f"monitoring.{kind}_ingested"
