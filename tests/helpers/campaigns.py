"""A registry with a month of recorded predictions across models, for audit campaigns.

Three pickle models (``limit-a`` and ``limit-b`` high tier, ``limit-c`` medium), each with a v1
live from 1 August and a v2 live from 16 August 2026; every recorded output is what the model
really returns. Even-numbered predictions carry their input record; odd-numbered ones only an
``input_ref`` into a JSON Lines file of a data-lake folder, configured as a data location.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from signoff.core.audit.chain import canonical_json
from signoff.core.db.schema import Model, Prediction, Version
from signoff.core.governance.deployment import record_go_live
from signoff.core.ingest.records import ingest_records
from signoff.core.publishing.publisher import publish
from signoff.core.reproduction.datalocations import add_data_location
from signoff.core.reproduction.inputs import input_hash
from tests.helpers.runner_models import expected_pickle_outputs, write_pickle_model

AUGUST = datetime(2026, 8, 1)
LAKE_PREFIX = "lake://factory/"
MODELS = {"limit-a": "high", "limit-b": "high", "limit-c": "medium"}
WEIGHTS = {1: (0.9, 0.05), 2: (0.7, 0.1)}  # each model's own weights differ a little too


@dataclass
class CampaignRegistry:
    """Where things are: the data lake folder, and the predictions by model."""

    lake: Path
    per_model: int


def _record(model_index: int, i: int) -> dict:
    return {"income": 20_000 + 997 * i + 5_000 * model_index, "debt": 500 + (131 * i) % 25_000}


def build_campaign_registry(
    registry,  # noqa: ANN001 - a Registry
    tmp_path: Path,
    per_model: int = 60,
    *,
    author: str | None = None,
    go_live: bool = True,
    admin=None,  # noqa: ANN001 - the Registry that configures the data location
) -> CampaignRegistry:
    """Publish the three models (two versions each), put them live and record *per_model*
    predictions of each in August, half of them by reference into the data lake.

    On a shared registry *author* is the publishing login, *go_live* False (only the workflow
    puts versions live there) and *admin* an admin's registry."""
    lake = tmp_path / "lake"
    lake.mkdir(parents=True)
    rows = []
    for m, (name, tier) in enumerate(MODELS.items()):
        for number, (w, b) in WEIGHTS.items():
            w = w + 0.01 * m  # so every version's model.pkl is a blob of its own
            folder = write_pickle_model(tmp_path / f"{name}-v{number}", name=name, w=w, b=b)
            manifest = folder / "signoff.toml"
            text = manifest.read_text().replace('"high"', f'"{tier}"')
            if author:
                text = text.replace('author = "alice"', f'author = "{author}"')
            manifest.write_text(text)
            published = publish(registry, folder)
            if not go_live:
                continue
            with registry.write() as session:
                version = session.get(Version, published.version_id)
                record_go_live(
                    session,
                    version,
                    actor="rita",
                    at=AUGUST + timedelta(days=0 if number == 1 else 15),
                )
        lines = []
        for i in range(per_model):
            at = AUGUST + timedelta(hours=2 + 12 * i)
            number = 1 if at < AUGUST + timedelta(days=15) else 2
            w, b = WEIGHTS[number][0] + 0.01 * m, WEIGHTS[number][1]
            record = _record(m, i)
            row = {
                "subject_key": f"{name.upper()}-{i:04d}",
                "predicted_at": at.isoformat(),
                "version": f"{name}@{number}",
                "input_sha256": input_hash(record),
                "output": expected_pickle_outputs({"w": w, "b": b}, [record])[0],
            }
            if i % 2 == 0:
                row["input_record"] = record
            else:
                lines.append(canonical_json(record))
                row["input_ref"] = f"{LAKE_PREFIX}{name}/august.jsonl#{len(lines)}"
            rows.append(row)
        (lake / name).mkdir()
        (lake / name / "august.jsonl").write_text("".join(line + "\n" for line in lines))
    ingest_records(registry, "predictions", rows, actor="factory")
    add_data_location(admin or registry, str(lake), LAKE_PREFIX, actor="frank")
    return CampaignRegistry(lake, per_model)


def prediction_row(registry, prediction_id: int) -> Prediction:  # noqa: ANN001
    """A recorded prediction, detached."""
    with registry.read() as session:
        found = session.get(Prediction, prediction_id)
        session.expunge(found)
        return found


def model_of(registry, prediction_id: int) -> str:  # noqa: ANN001
    """The name of the model that produced a prediction."""
    with registry.read() as session:
        return session.scalar(
            select(Model.name)
            .join(Version, Version.model_id == Model.id)
            .join(Prediction, Prediction.version_id == Version.id)
            .where(Prediction.id == prediction_id)
        )


def plant_difference(registry, prediction_id: int) -> None:  # noqa: ANN001
    """Change a recorded output after the fact, as someone with database access could."""
    with registry.write() as session:
        session.execute(
            update(Prediction)
            .where(Prediction.id == prediction_id)
            .values(output={"score": 0.999, "label": "decline"})
        )


def plant_altered_lake_record(lake_file: Path, line: int) -> None:
    """Rewrite one line of a data-lake file, as a later job overwriting it would."""
    lines = lake_file.read_text().splitlines()
    record = json.loads(lines[line - 1])
    record["debt"] += 1
    lines[line - 1] = canonical_json(record)
    lake_file.write_text("".join(x + "\n" for x in lines))
