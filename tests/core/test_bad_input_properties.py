"""Generated bad input thrown at the manifest reader, ``signoff publish`` and ``signoff ingest``.

Whatever Hypothesis makes up — a manifest field with a control character, NaN, a TOML date, a
path out of the folder, a TOML file of arrays nested 100,000 deep, an ingest row with a
5000-digit number or a version written in Arabic-Indic digits — the answer is the project's
own error: exit 2 with a one-line "signoff: error: …" message, no traceback, and the registry
exactly as it was (every table's row count, the audit chain's head).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from signoff.cli import main
from signoff.core.common.errors import SignoffError
from signoff.core.publishing.manifest import read_manifest
from signoff.core.publishing.publisher import publish
from tests.helpers.bad_input import (
    EXAMPLES,
    bad_numbers,
    bad_version_numbers,
    deep_array,
    registry_state,
    toml_value,
    with_bad_char,
)
from tests.helpers.folders import write_model_folder

SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# the manifest as tables of values, so that one value at a time can be made bad
MANIFEST: dict[str, Any] = {
    "model": {
        "name": "toy-model",
        "title": "A toy model",
        "description": "Scores x linearly.",
        "owner": "alice",
        "business_unit": "Testing",
        "risk_tier": "medium",
        "tags": ["toy", "linear"],
    },
    "version": {
        "author": "alice",
        "entry_point": "score.py:predict",
        "model_object": "model.json",
        "environment": "requirements.txt",
        "release_notes": "RELEASE_NOTES.md",
        "python": "3.11",
    },
    "data": [{"name": "training set", "path": "data/train.csv"}],
    "tests": [
        {"name": "reference", "inputs": "tests/inputs.jsonl", "outputs": "tests/outputs.jsonl"}
    ],
    "metrics": [{"name": "auc", "value": 0.8, "dataset": "validation"}],
    "monitoring": {"metric": "auc", "tolerance": 0.05},
}

TEXT_FIELDS = [
    ("model", "title"),
    ("model", "owner"),
    ("model", "business_unit"),
    ("version", "author"),
    ("version", "python"),
    ("data", "name"),
    ("metrics", "name"),
    ("metrics", "dataset"),
    ("tests", "name"),
]
PATH_FIELDS = [
    ("version", "model_object"),
    ("version", "environment"),
    ("version", "release_notes"),
    ("data", "path"),
    ("tests", "inputs"),
]
BAD_PATHS = ["../outside.txt", "/etc/passwd", "missing.txt", "data", "a\x00b", "C:\\x", "..\\x"]


def _bad_names() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=30).filter(
            lambda t: (
                not (t[:1].isalnum() and t.isascii() and t == t.lower())
                or any(c not in "abcdefghijklmnopqrstuvwxyz0123456789._-" for c in t)
                or len(t) > 100
            )
        ),
        st.sampled_from(["credit@2", "../x", "a/b", "Credit", "x" * 101, ""]),
        st.integers(),
        st.lists(st.text(max_size=3), max_size=2),
    )


def _set(manifest: dict[str, Any], table: str, key: str, value: Any) -> None:
    target = manifest[table]
    (target[0] if isinstance(target, list) else target)[key] = value


@st.composite
def bad_manifests(draw: st.DrawFn) -> str:
    """The text of a signoff.toml with at least one thing wrong with it."""
    manifest = json.loads(json.dumps(MANIFEST))
    kind = draw(
        st.sampled_from(
            [
                "text",
                "name",
                "number",
                "infinite",
                "path",
                "tier",
                "date",
                "unknown",
                "type",
                "raw",
                "deep",
            ]
        )
    )
    if kind == "text":
        table, key = draw(st.sampled_from(TEXT_FIELDS))
        _set(manifest, table, key, draw(with_bad_char() | st.text(min_size=301, max_size=320)))
    elif kind == "name":
        _set(manifest, "model", "name", draw(_bad_names()))
    elif kind == "number":
        _set(manifest, "metrics", "value", draw(bad_numbers()))
    elif kind == "infinite":  # anywhere a number may be, it must be finite
        table, key = draw(st.sampled_from([("tests", "tolerance"), ("monitoring", "baseline")]))
        _set(manifest, table, key, draw(st.sampled_from([math.nan, math.inf, -math.inf, 10**400])))
    elif kind == "path":
        table, key = draw(st.sampled_from(PATH_FIELDS))
        _set(manifest, table, key, draw(st.sampled_from(BAD_PATHS) | with_bad_char()))
    elif kind == "tier":
        _set(manifest, "model", "risk_tier", draw(st.text(max_size=8)))
        assume(manifest["model"]["risk_tier"] not in ("high", "medium", "low"))
    elif kind == "date":
        table, key = draw(st.sampled_from([("monitoring", "since"), ("data", "description")]))
        _set(manifest, table, key, draw(st.dates() | st.datetimes() | st.times()))
    elif kind == "unknown":
        table = draw(st.sampled_from(["model", "version", "data", "metrics"]))
        _set(manifest, table, "surprise_" + draw(st.text("abc", max_size=3)), "x")
    elif kind == "type":  # a number or a list where text belongs, text where a list does
        table, key = draw(st.sampled_from(TEXT_FIELDS + [("model", "tags")]))
        wrong = st.integers() | st.floats(allow_nan=False) | st.lists(st.integers(), max_size=3)
        if key == "tags":
            wrong = st.text(max_size=5) | st.lists(st.integers(), min_size=1, max_size=3)
        _set(manifest, table, key, draw(wrong))
    elif kind == "deep":
        depth = draw(st.sampled_from([20, 1000, 100_000]))
        return _to_toml(manifest) + f"\n[extra]\nvalue = {deep_array(depth)}\n"
    else:
        return draw(st.text(max_size=200))  # not a manifest at all (or not TOML at all)
    return _to_toml(manifest)


def _to_toml(manifest: dict[str, Any]) -> str:
    lines = []
    for table, body in manifest.items():
        rows = body if isinstance(body, list) else [body]
        for row in rows:
            lines.append(f"[[{table}]]" if isinstance(body, list) else f"[{table}]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in row.items()]
            lines.append("")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete model folder whose manifest the tests replace."""
    return write_model_folder(tmp_path_factory.mktemp("template") / "model")


def _folder_with(template: Path, text: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="bad-manifest-")) / "model"
    shutil.copytree(template, folder)
    (folder / "signoff.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    return folder


def _expect_refusal(capsys, argv: list[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, (code, captured.err)
    assert captured.err.startswith("signoff: error: ")
    assert "Traceback" not in captured.err + captured.out
    return captured.err


def test_the_template_itself_publishes(template, registry) -> None:
    # the strategies make a good manifest bad: the good one must pass, or they prove nothing
    assert read_manifest(template).model["name"] == "toy-model"
    text = _to_toml(json.loads(json.dumps(MANIFEST)))
    assert str(publish(registry, _folder_with(template, text))) == "toy-model v1"


@SETTINGS
@given(text=bad_manifests())
def test_the_manifest_reader_raises_only_its_own_error(template, text: str) -> None:
    folder = _folder_with(template, text)
    try:
        with pytest.raises(SignoffError) as err:
            read_manifest(folder)
        assert str(err.value)
    finally:
        shutil.rmtree(folder.parent)


@SETTINGS
@given(text=bad_manifests())
def test_publish_refuses_bad_manifests_and_changes_nothing(
    template, registry, home, capsys, text: str
) -> None:
    before = registry_state(registry)
    folder = _folder_with(template, text)
    try:
        _expect_refusal(capsys, ["--home", str(home), "publish", str(folder)])
    finally:
        shutil.rmtree(folder.parent)
    assert registry_state(registry) == before


# -- ingest ---------------------------------------------------------------------------------
GOOD_PREDICTION = {
    "subject_key": "S-1",
    "predicted_at": "2030-01-01T00:00:00Z",
    "version": "toy-model@1",
    "score": 0.5,
}


@st.composite
def bad_prediction_lines(draw: st.DrawFn) -> str:
    """One JSON Lines row of predictions with something wrong in it (as text)."""
    row = dict(GOOD_PREDICTION)
    kind = draw(st.sampled_from(["text", "number", "version", "time", "raw", "deep", "huge"]))
    if kind == "text":
        row[draw(st.sampled_from(["subject_key", "input_ref", "execution"]))] = draw(
            with_bad_char()
        )
    elif kind == "number":
        row["score"] = draw(bad_numbers().filter(lambda v: not isinstance(v, int) or abs(v) < 10))
        if isinstance(row["score"], str):
            assume(_not_a_number(row["score"]))
    elif kind == "version":
        number = draw(bad_version_numbers())
        text = str(number).strip().removeprefix("v").removeprefix("V")
        assume(not (text.isascii() and text.isdigit() and text[:1] != "0"))
        row["version"] = f"toy-model@{number}" if not isinstance(number, bool) else number
    elif kind == "time":
        row["predicted_at"] = draw(
            st.sampled_from(["2026-13-01", "0001-01-01T00:00:00+01:00", "yesterday", "", "Z"])
            | st.integers()
        )
        assume(row["predicted_at"] != "")
    elif kind == "deep":
        depth = draw(st.sampled_from([70, 1000, 100_000]))
        return json.dumps(row)[:-1] + f', "output": {deep_array(depth)}}}'
    elif kind == "huge":  # a number Python will not even read
        return json.dumps({**row, "score": 0}).replace('"score": 0', '"score": ' + "7" * 5000)
    else:
        line = draw(st.text(max_size=80))
        assume(line.strip() and "\n" not in line and "\r" not in line)
        return line
    return json.dumps(row, allow_nan=True)


def _not_a_number(text: str) -> bool:
    try:
        value = float(text)
    except (ValueError, OverflowError):
        return True
    return value != value or value in (float("inf"), float("-inf"))


@pytest.fixture
def published(registry, template):
    """The registry with toy-model v1 published (before the predictions' dates)."""
    publish(registry, template)
    return registry


@SETTINGS
@given(lines=st.lists(bad_prediction_lines(), min_size=1, max_size=3), good=st.integers(0, 3))
def test_ingest_refuses_bad_rows_and_stores_nothing(
    published, home, capsys, lines: list[str], good: int
) -> None:
    before = registry_state(published)
    rows = [json.dumps({**GOOD_PREDICTION, "subject_key": f"G-{i}"}) for i in range(good)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        handle.write("\n".join(rows + lines) + "\n")
    try:
        err = _expect_refusal(capsys, ["--home", str(home), "ingest", "predictions", handle.name])
    finally:
        Path(handle.name).unlink()
    assert "rejected, nothing was stored" in err
    assert registry_state(published) == before


@SETTINGS
@given(
    cell=st.tuples(st.sampled_from(["subject_key", "observed_at", "model"]), with_bad_char())
    | st.tuples(
        st.just("actual"),
        st.sampled_from(["nan", "inf", "-inf", "1e999", "7" * 5000, "1,5"]) | with_bad_char(),
    )
)
def test_ingest_refuses_bad_csv_cells(published, home, capsys, cell: tuple[str, str]) -> None:
    row = {"subject_key": "S-1", "observed_at": "2030-01-02", "actual": "1", "model": "toy-model"}
    column, value = cell
    row[column] = value
    before = registry_state(published)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", delete=False, newline="", encoding="utf-8"
    ) as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(row)
        writer.writerow(row.values())
    try:
        _expect_refusal(capsys, ["--home", str(home), "ingest", "outcomes", handle.name])
    finally:
        Path(handle.name).unlink()
    assert registry_state(published) == before


def test_a_huge_integer_and_a_deep_array_are_refused_in_words(published, home, capsys, tmp_path):
    path = tmp_path / "p.jsonl"
    row = json.dumps(GOOD_PREDICTION)
    path.write_text(
        row[:-1]
        + f', "output": {"1" * 5000}}}\n'
        + row[:-1]
        + f', "output": {deep_array(100_000)}}}\n'
    )
    err = _expect_refusal(capsys, ["--home", str(home), "ingest", "predictions", str(path)])
    assert "line 1: is not usable JSON: it holds a whole number too long to read" in err
    assert "line 2: is nested more than 64 deep" in err


def test_dates_in_a_manifest_are_refused_naming_the_key(template, tmp_path) -> None:
    manifest = json.loads(json.dumps(MANIFEST))
    manifest["monitoring"]["since"] = dt.date(2026, 1, 1)
    folder = _folder_with(template, _to_toml(manifest))
    with pytest.raises(SignoffError, match="monitoring.since: TOML dates and times"):
        read_manifest(folder)


@pytest.mark.parametrize(
    ("table", "key", "value", "words"),
    [
        # shows as "bob" on a screen
        ("version", "author", "bob\u202e\x00", "version.author: the text contains a bidi"),
        ("version", "author", "bob\x00", "version.author: the text contains a control character"),
        ("metrics", "value", math.inf, "metrics[0].value: inf is not a finite number"),
        ("metrics", "value", -math.inf, "metrics[0].value: -inf is not a finite number"),
        ("model", "name", "credit@2", "name 'credit@2' must be lower-case letters"),
        ("model", "name", "../escape", "name '../escape' must be lower-case letters"),
    ],
)
def test_the_values_people_reported_are_refused_at_publish(
    template, registry, home, capsys, table: str, key: str, value: Any, words: str
) -> None:
    manifest = json.loads(json.dumps(MANIFEST))
    _set(manifest, table, key, value)
    folder = _folder_with(template, _to_toml(manifest))
    before = registry_state(registry)
    try:
        err = _expect_refusal(capsys, ["--home", str(home), "publish", str(folder)])
    finally:
        shutil.rmtree(folder.parent)
    assert words in err, err
    assert registry_state(registry) == before
