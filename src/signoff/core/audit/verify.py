"""The whole audit verdict: the chain walked, and every signature and piece of evidence
cross-checked against the events that recorded them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from signoff.core.audit.chain import ChainReport, verify_chain
from signoff.core.audit.records import RecordProblem, check_records
from signoff.core.audit.risk_records import risk_record_problems


@dataclass(frozen=True)
class AuditReport:
    """What ``signoff audit verify`` found."""

    chain: ChainReport
    records: list[RecordProblem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.chain.intact and not self.records

    def describe(self) -> str:
        lines = [self.chain.describe()]
        if self.records:
            lines.append(
                f"{len(self.records)} signature(s) or evidence row(s) do not match the trail "
                "and are not counted:"
            )
            lines.extend(f"  {problem.describe()}" for problem in self.records)
        elif self.chain.intact:
            lines.append(
                "every signature and every piece of evidence matches its audit event "
                "(findings, conditions, attestations and model-card edits too)"
            )
        return "\n".join(lines)


def verify_registry(session: Session, against: tuple[int, str] | None = None) -> AuditReport:
    """Walk the chain (against an exported head if given) and cross-check the records."""
    _decisions, _evidence, problems = check_records(session)
    problems = [*problems, *risk_record_problems(session)]
    return AuditReport(verify_chain(session, against), problems)
