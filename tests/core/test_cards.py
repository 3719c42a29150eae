"""Model cards: filled from the manifest's [card] table, edited through audited decisions by
the right people, compared between versions and exported to HTML and PDF."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from signoff.cli import main
from signoff.core.audit.verify import verify_registry
from signoff.core.common.errors import ManifestError
from signoff.core.governance.cards import card_of
from signoff.core.publishing.publisher import publish
from tests.helpers.folders import write_model_folder
from tests.helpers.workflow import add_people

CARD = """
[card]
intended_use = "Approve or refer retail loan applications."
limitations = "Not for business lending."
"""


def run(home, who, monkeypatch, capsys, *argv):
    monkeypatch.setenv("SIGNOFF_USER", who)
    code = main(["--home", str(home), *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def reg(registry, tmp_path):
    add_people(registry)
    for number, weights in ((1, '{"a": 0.1, "b": 0.2}'), (2, '{"a": 0.3, "b": 0.2}')):
        folder = write_model_folder(
            tmp_path / f"v{number}", name="credit", tier="high", weights=weights, extra_toml=CARD
        )
        publish(registry, folder, actor="alice")
    return registry


def test_card_from_manifest_edited_compared_and_exported(
    reg, home, tmp_path, monkeypatch, capsys
) -> None:
    cli = lambda who, *a: run(home, who, monkeypatch, capsys, *a)  # noqa: E731
    with reg.read() as s:
        card = card_of(s, "credit", 1)
    assert card.value("intended_use") == "Approve or refer retail loan applications."
    assert card.fields[0].source == "manifest" and card.value("users") == ""
    code, text = cli("biz", "card", "edit", "credit@2", "limitations", "x", "--reason", "r")
    assert code == 2 and "may not edit the card" in text
    code, text = cli("val", "card", "edit", "credit@2", "limitations", "x", "--reason", " ")
    assert code == 2 and "a reason is required" in text
    code, text = cli(
        "val",
        "card",
        "edit",
        "credit@2",
        "limitations",
        "Not for business lending or applicants under 21.",
        "--reason",
        "validation found the age gap",
    )
    assert code == 0
    code, text = cli("val", "card", "show", "credit@2")
    assert "Not for business lending or applicants under 21.  [edited by val on" in text
    code, text = cli("val", "card", "compare", "credit@1", "credit@2")
    assert "≠ Limitations: Not for business lending. → Not for business lending or" in text
    assert "  Intended use: Approve or refer" in text
    with reg.read() as s:
        assert verify_registry(s).records == []
    html_file = tmp_path / "card.html"
    assert cli("val", "card", "export", "credit@2", "-o", str(html_file))[0] == 0
    assert "applicants under 21" in html_file.read_text()
    code, text = cli("val", "card", "export", "credit@2", "-o", str(tmp_path / "card.docx"))
    assert code == 2 and ".html or .pdf" in text
    pdf_file = tmp_path / "card.pdf"
    assert cli("val", "card", "export", "credit@2", "-o", str(pdf_file))[0] == 0
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed")
    shown = subprocess.run(
        ["pdftotext", str(pdf_file), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Model card: credit v2" in shown and "Ethical considerations" in shown


def test_a_card_in_the_manifest_is_checked(tmp_path) -> None:
    from signoff.core.publishing.manifest import read_manifest

    folder = write_model_folder(tmp_path / "m", extra_toml='[card]\nsecret_sauce = "x"\n')
    with pytest.raises(ManifestError, match=r"\[card\] has unknown key"):
        read_manifest(folder)
    folder = write_model_folder(tmp_path / "n", extra_toml="[card]\nusers = 3\n")
    with pytest.raises(ManifestError, match="must be text"):
        read_manifest(folder)
