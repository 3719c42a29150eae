"""The demo's stored audit campaign: August's high-tier predictions sampled and re-run by Erin,
the auditor, with three exceptions planted first so the report has something to explain.

The sample is drawn exactly as the campaign will draw it (same criteria, same seed), and
three of its predictions are then spoiled the way real ones get spoiled, each plant recorded
in the audit trail (``demo.exception_planted``, with what was done and why) before the campaign
starts:

* a card-fraud prediction whose recorded label was overwritten after scoring: it *differs*;
* a credit-risk prediction whose record in the data lake was rewritten after scoring: its
  input no longer hashes to what was recorded, so it *could not run*;
* a card-fraud prediction whose recorded reference points past the end of its run's input
  file (the factory wrote a wrong line number): its record cannot be read, so it *could not
  run*.

Everything else in the sample reproduces.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from signoff.core.audit import events
from signoff.core.audit.chain import append_event, canonical_json
from signoff.core.db.registry import Registry
from signoff.core.db.schema import Model, Prediction, Version
from signoff.core.reproduction.campaign import CampaignOutcome, run_campaign
from signoff.core.reproduction.datalocations import add_data_location
from signoff.core.reproduction.sampling import SampleCriteria, draw_sample
from signoff.demo.history import LAKE_BUCKET, LAKE_FOLDER

AUDITOR = "erin"
ADMIN = "frank"
CRITERIA = SampleCriteria(
    datetime(2026, 8, 1), datetime(2026, 9, 1), 100, "demo-2026-08", tier="high"
)


def configure_lake(registry: Registry) -> None:
    """Make the demo's data lake folder the read-only source of the factory's references."""
    add_data_location(registry, LAKE_FOLDER, LAKE_BUCKET, actor=ADMIN)


def _drawn(registry: Registry) -> list[tuple[int, str, str, Any]]:
    with registry.read() as session:
        ids = draw_sample(session, CRITERIA).ids
        rows = session.execute(
            select(Prediction.id, Model.name, Prediction.input_ref, Prediction.output)
            .join(Version, Version.id == Prediction.version_id)
            .join(Model, Model.id == Version.model_id)
            .where(Prediction.id.in_(ids))
        ).all()
    by_id = {r[0]: (r[0], r[1], r[2], r[3]) for r in rows}
    return [by_id[i] for i in ids]


def _lake_file(home: Path, ref: str) -> tuple[Path, int]:
    path, _, line = ref.removeprefix(LAKE_BUCKET).partition("#")
    return home / LAKE_FOLDER / path, int(line)


def _plant(registry: Registry, prediction_id: int, what: str, why: str) -> None:
    with registry.write() as session:
        append_event(
            session,
            actor=ADMIN,
            action=events.EXCEPTION_PLANTED,
            entity_type="prediction",
            entity_id=prediction_id,
            payload={"what": what, "why": why},
        )


def plant_exceptions(registry: Registry, home: Path) -> list[int]:
    """Spoil three drawn predictions (see the module's description); returns their ids."""
    drawn = _drawn(registry)
    fraud, misfiled = [p for p in drawn if p[1] == "card-fraud"][:2]
    rewritten = next(p for p in drawn if p[1] == "credit-risk")

    output = dict(fraud[3])
    output["label"] = "legit" if output["label"] == "fraud" else "fraud"
    with registry.write() as session:
        session.execute(update(Prediction).where(Prediction.id == fraud[0]).values(output=output))
    _plant(
        registry,
        fraud[0],
        f"recorded output's label overwritten with '{output['label']}'",
        "a manual correction in the factory's database after scoring",
    )

    path, line = _lake_file(home, rewritten[2])
    lines = path.read_text("utf-8").splitlines()
    record = json.loads(lines[line - 1])
    record["income"] = round(record["income"] + 1000, 2)
    lines[line - 1] = canonical_json(record)
    path.write_text("".join(x + "\n" for x in lines), "utf-8")
    _plant(
        registry,
        rewritten[0],
        f"line {line} of {rewritten[2].partition('#')[0]} rewritten (income + 1000)",
        "a later job re-wrote the data lake file in place",
    )

    path, _line = _lake_file(home, misfiled[2])
    past_end = f"{misfiled[2].partition('#')[0]}#{len(path.read_bytes().splitlines()) + 1}"
    with registry.write() as session:
        session.execute(
            update(Prediction).where(Prediction.id == misfiled[0]).values(input_ref=past_end)
        )
    _plant(
        registry,
        misfiled[0],
        f"input reference changed from {misfiled[2]} to {past_end}",
        "the factory recorded a line number past the end of the run's input file",
    )
    return [fraud[0], rewritten[0], misfiled[0]]


def run_demo_campaign(registry: Registry, home: Path) -> CampaignOutcome:
    """Plant the exceptions, then run and store the demo's campaign as the auditor."""
    plant_exceptions(registry, home)
    return run_campaign(registry, CRITERIA, actor=AUDITOR, workers=2)
