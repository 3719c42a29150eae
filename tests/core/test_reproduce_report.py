"""The reproduction report: what it says, and that it is stored with its hash audited."""

from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import select

from signoff.core.common.files import sha256_bytes
from signoff.core.db.schema import AuditEvent, Decision, User
from signoff.core.reproduction.filing import reproduce_with_report
from signoff.core.reproduction.report import report_data, store_report, write_report
from signoff.core.reproduction.reproduce import reproduce
from tests.helpers.reproduction import alter_prediction, prediction_id, publish_scored_customers


def _sign(registry, version_id: int, manifest_hash: str) -> None:
    with registry.write() as session:
        # the signer is a person of the registry (a test may have saved her already)
        if session.scalar(select(User.id).where(User.login == "vera.validator")) is None:
            session.add(User(login="vera.validator", display_name="Vera Lindqvist"))
        session.add(
            Decision(
                version_id=version_id,
                actor="vera.validator",
                at=datetime(2026, 2, 20, 10, 30),
                action="approve",
                gate="production_use",
                role="validator",
                meaning="approved for production use",
                comment="looks right",
                manifest_hash=manifest_hash,
            )
        )
        session.add(
            Decision(
                version_id=version_id,
                actor="bob.owner",
                at=datetime(2026, 2, 21, 11, 0),
                action="approve",
                gate="production_use",
                role="business_owner",
                meaning="approved for production use",
                manifest_hash="0" * 64,
            )
        )


def test_html_report_states_everything_a_regulator_needs(registry, tmp_path):
    _, published = publish_scored_customers(registry, tmp_path)
    _sign(registry, published.version_id, published.manifest_hash)
    pid = prediction_id(registry, "C-1001")
    alter_prediction(registry, pid, output={"score": 0.11, "label": "accept"})
    repro = reproduce(registry, pid)
    path = tmp_path / "report.html"
    stored = write_report(registry, repro, path, actor="audrey")
    page = path.read_text()
    assert "Verdict: differs: output.score: recorded 0.11, reproduced 0.205769" in page
    assert "C-1001" in page and "credit-limit" in page and published.manifest_hash in page
    # a printed name with the login that signed, the gate and the role in words
    assert "<td>Vera Lindqvist (vera.validator)</td>" in page
    assert "2026-02-20 10:30:00 UTC" in page
    assert "<td>Validator</td>" in page  # the role, in words
    assert "<td>Approved</td><td>Approval for production use</td>" in page
    assert "<td>Business owner</td>" in page
    assert "production_use" not in page and "business_owner" not in page
    assert "approved for production use" in page
    # the business owner's signature is bound to another manifest: flagged, not hidden
    row = re.search(r"<tr class=\"bad\"><td>bob.owner</td>.*?</tr>", page)
    assert row and "<td>NO</td>" in row.group(0)
    assert page.count("(found identical)") == 0 and "score.py" in page  # HTML shows both hashes
    assert "<td>output.score</td><td>0.11</td><td>0.205769</td><td>NO</td>" in page
    assert "<script" not in page
    # stored in the artifact store, hash in the audit trail
    assert sha256_bytes(path.read_bytes()) == stored.html_sha256
    assert registry.store.read_bytes(stored.html_sha256) == path.read_bytes()
    with registry.read() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "report.stored")
        ).one()
        payload, actor = json.loads(event.payload), event.actor
    assert payload["html_sha256"] == stored.html_sha256
    assert payload["pdf_sha256"] == stored.pdf_sha256 and actor == "audrey"


def test_pdf_report_is_a_real_pdf_stored_by_hash(registry, tmp_path):
    publish_scored_customers(registry, tmp_path)
    repro = reproduce(registry, prediction_id(registry, "C-2001"))
    path = tmp_path / "report.pdf"
    stored = write_report(registry, repro, path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", data)) >= 1
    assert sha256_bytes(data) == stored.pdf_sha256
    assert registry.store.read_bytes(stored.pdf_sha256) == data


def test_report_of_a_refused_run_shows_the_mismatch_and_no_environment(registry, tmp_path):
    import os

    from signoff.core.common.files import sha256_file

    folder, _ = publish_scored_customers(registry, tmp_path)
    blob = registry.store.path_for(sha256_file(folder / "model.pkl"))
    os.chmod(blob, 0o644)
    blob.write_bytes(b"tampered")
    repro = reproduce(registry, prediction_id(registry, "C-1002"))
    data = report_data(registry, repro)
    assert data["headline"] == "could not run: hash mismatch (model.pkl)"
    bad = [h for h in data["hashes"] if h["result"] != "ok"]
    assert [h["path"] for h in bad] == ["model.pkl"]
    assert bad[0]["actual"] == sha256_bytes(b"tampered")
    assert [r["field"] for r in data["outputs"]] == ["output.label", "output.score"]
    assert {r["reproduced"] for r in data["outputs"]} == {"(not reproduced)"}
    assert data["environment"]["compared"] is False
    _, html_text, pdf = store_report(registry, repro)
    assert "not compared" in html_text and pdf.startswith(b"%PDF-")


def test_hostile_subject_key_is_escaped(registry, tmp_path):
    publish_scored_customers(registry, tmp_path)
    pid = prediction_id(registry, "C-1001")
    alter_prediction(registry, pid, subject_key="<script>alert(1)</script>")
    repro = reproduce(registry, pid)
    _, html_text, _ = store_report(registry, repro)
    assert "<script>" not in html_text and "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text


def test_reproduce_with_report_files_both_copies_named_by_the_event(registry, tmp_path):
    publish_scored_customers(registry, tmp_path)
    pid = prediction_id(registry, "C-1001")
    steps: list[tuple[str, str]] = []
    folder = tmp_path / "reports" / "audrey"
    repro, files = reproduce_with_report(
        registry, pid, folder, on_step=lambda s, st, _d: steps.append((s, st))
    )
    assert repro.verdict == "reproduced" and files is not None
    assert ("compare", "done") in steps
    assert files.pdf.name == f"prediction-{pid}-event-{files.stored.audit_seq}.pdf"
    assert sorted(p.name for p in folder.iterdir()) == sorted([files.pdf.name, files.html.name])
    assert sha256_bytes(files.pdf.read_bytes()) == files.stored.pdf_sha256
    assert sha256_bytes(files.html.read_bytes()) == files.stored.html_sha256
    again, second = reproduce_with_report(registry, pid, folder)
    assert second is not None and second.pdf != files.pdf and files.pdf.exists()


def test_a_cancelled_reproduction_files_no_report(registry, tmp_path):
    publish_scored_customers(registry, tmp_path)
    folder = tmp_path / "reports"
    repro, files = reproduce_with_report(
        registry, prediction_id(registry, "C-1001"), folder, cancelled=lambda: True
    )
    assert repro.verdict == "cancelled" and files is None and not folder.exists()
    with registry.read() as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert "prediction.reproduced" in actions and "report.stored" not in actions


# -- the whole story ------------------------------------------------------------------------
def _story_registry(registry, tmp_path):  # noqa: ANN001, ANN202
    """credit-limit v1 with signers by name, a consumer, a scoring run and an outcome."""
    from signoff.core.db.schema import Model
    from signoff.core.governance.people import save_person
    from signoff.core.ingest.records import ingest_records
    from signoff.core.notifications.outbox import save_consumer

    _, published = publish_scored_customers(registry, tmp_path)
    with registry.write() as session:
        save_person(session, "frank", actor="frank", display_name="Frank Admin", roles=["admin"])
        save_person(
            session,
            "vera.validator",
            actor="frank",
            display_name="Vera Lind",
            roles=["validator"],
        )
        save_person(
            session, "rita", actor="frank", display_name="Rita Release", roles=["release_manager"]
        )
        model = session.get(Model, 1)
        save_consumer(session, model, "loan-desk", actor="frank", contact="desk@bank.example")
    _sign(registry, published.version_id, published.manifest_hash)
    ingest_records(
        registry,
        "executions",
        [
            {
                "external_id": "run-2026-03-02",
                "version": "credit-limit@1",
                "started_at": "2026-03-02T08:55:00",
                "ended_at": "2026-03-02T09:05:00",
                "rows_scored": 1,
                "consumer": "loan-desk",
                "input_uri": "s3://lake/2026-03-02/input.jsonl",
                "input_sha256": "a" * 64,
                "output_uri": "s3://lake/2026-03-02/output.jsonl",
                "output_sha256": "b" * 64,
            }
        ],
        actor="factory",
    )
    pid = prediction_id(registry, "C-1001")
    from sqlalchemy import update

    from signoff.core.db.schema import Execution, Prediction

    with registry.write() as session:
        run_id = session.scalar(select(Execution.id))
        session.execute(update(Prediction).where(Prediction.id == pid).values(execution_id=run_id))
    ingest_records(
        registry,
        "outcomes",
        [{"subject_key": "C-1001", "observed_at": "2026-05-01T09:00:00", "actual": 1}],
        actor="factory",
    )
    return pid


def test_the_report_tells_the_whole_story(registry, tmp_path):
    pid = _story_registry(registry, tmp_path)
    repro = reproduce(registry, pid)
    data = report_data(registry, repro)
    story = data["story"]
    assert story["execution"]["run_id"] == "run-2026-03-02"
    assert story["execution"]["rows_scored"] == 1
    assert story["execution"]["output_sha256"] == "b" * 64
    assert story["execution"]["input_check"] == "not checked: under no configured data location"
    assert story["consumer"]["name"] == "loan-desk" and story["consumer"]["registered"]
    assert story["consumer"]["uses"] == "follows the live version"
    assert story["outcome"]["actual"] == 1.0 and story["outcome"]["after_days"] == 60.0
    assert story["deployment"]["version"] == 1 and story["deployment"]["this_version"]
    assert story["deployment"]["put_live_by"] == "Rita Release"
    signer = data["decisions"][0]
    assert signer["who"] == "Vera Lind (vera.validator)" and signer["role"] == "Validator"
    assert signer["gate"] == "Approval for production use" and signer["action"] == "Approved"
    assert data["findings"] == [] and data["findings_statement"].startswith("No findings.")
    _, page, _pdf = store_report(registry, repro)
    for text in (
        "run-2026-03-02",
        "2026-03-02 08:55:00 UTC / 2026-03-02 09:05:00 UTC",
        "s3://lake/2026-03-02/output.jsonl",
        "b" * 64,
        "loan-desk (batch)",
        "2026-05-01 09:00:00 UTC, 60.0 days later",
        "Vera Lind (vera.validator)",
        "<td>Validator</td>",
        "<td>Business owner</td>",
        "Approval for production use",
        "No findings. The version that produced the prediction",
    ):
        assert text in page, text
    assert "production_use" not in page and "business_owner" not in page


def test_a_failed_reproductions_findings_name_the_cause(registry, tmp_path):
    import os

    from signoff.core.artifacts.store import sha256_file

    folder, _ = publish_scored_customers(registry, tmp_path)
    blob = registry.store.path_for(sha256_file(folder / "score.py"))
    os.chmod(blob, 0o644)
    original = blob.read_bytes()
    blob.write_text("def predict(records):\n    return []\n")
    repro = reproduce(registry, prediction_id(registry, "C-2001"))
    data = report_data(registry, repro)
    assert data["findings"][0] == "the reproduction could not run: hash mismatch (score.py)"
    assert "script 'score.py' does not have the sha256 recorded at publish" in data["findings"][1]
    _, page, _ = store_report(registry, repro)
    assert "<p>None.</p>" not in page and "does not have the sha256 recorded at publish" in page
    blob.write_bytes(original)
    pid = prediction_id(registry, "C-1002")
    alter_prediction(registry, pid, output={"score": 0.99, "label": "decline"})
    differs = report_data(registry, reproduce(registry, pid))
    assert differs["findings"][0].startswith(
        "the reproduced output differs from the recorded one: output.score: recorded 0.99"
    )
