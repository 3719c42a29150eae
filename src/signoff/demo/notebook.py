"""Development notebooks for the demo's model folders, really executed in process.

:func:`execute_notebook` runs each code cell the way a Jupyter kernel would show it: the cell's
printed text becomes a ``stream`` output, and its last expression becomes the result — an HTML
table for objects with ``_repr_html_``, a PNG image for a matplotlib ``Figure`` (rendered with
the Agg canvas, never a GUI backend), plain text otherwise. Starting a Jupyter kernel per
notebook would cost seconds each; the demo builds seventeen of them.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

if TYPE_CHECKING:  # matplotlib is imported when a notebook draws its first figure
    from matplotlib.figure import Figure


class NotebookExecutionError(RuntimeError):
    """A cell of a generated notebook raised; the demo material is broken."""


def _figure_png(fig: Figure) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _result_output(value: object, count: int) -> NotebookNode:
    from matplotlib.figure import Figure

    if isinstance(value, Figure):
        return new_output(
            "display_data",
            data={"image/png": _figure_png(value), "text/plain": f"<{type(value).__name__}>"},
        )
    data = {"text/plain": repr(value)}
    if hasattr(value, "_repr_html_"):
        data["text/html"] = value._repr_html_()
    return new_output("execute_result", data=data, execution_count=count)


@contextlib.contextmanager
def _in_folder(folder: Path) -> Iterator[None]:
    """Run with *folder* as working directory and first on sys.path, as a kernel started there.

    The folder's own ``score`` module is dropped from ``sys.modules`` before and after, so
    folders of different versions never see each other's code.
    """
    previous, bytecode = os.getcwd(), sys.dont_write_bytecode
    saved = sys.modules.pop("score", None)
    sys.path.insert(0, str(folder))
    sys.dont_write_bytecode = True  # keep __pycache__ out of the model folder
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
        sys.dont_write_bytecode = bytecode
        sys.path.remove(str(folder))
        sys.modules.pop("score", None)
        if saved is not None:
            sys.modules["score"] = saved


def execute_notebook(nb: NotebookNode, folder: Path) -> NotebookNode:
    """Execute every code cell of *nb* in *folder*, filling outputs and execution counts."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    count = 0
    with _in_folder(folder):
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            count += 1
            tree = ast.parse(cell.source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            stdout = io.StringIO()
            try:
                with contextlib.redirect_stdout(stdout):
                    exec(compile(tree, f"<cell {count}>", "exec"), namespace)  # noqa: S102
                    value = (
                        eval(
                            compile(ast.Expression(last.value), f"<cell {count}>", "eval"),
                            namespace,
                        )
                        if last is not None
                        else None
                    )
            except Exception as exc:
                raise NotebookExecutionError(
                    f"cell {count} of {folder / 'analysis.ipynb'} raised "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            outputs = []
            if stdout.getvalue():
                outputs.append(new_output("stream", name="stdout", text=stdout.getvalue()))
            if value is not None:
                outputs.append(_result_output(value, count))
            cell.outputs = outputs
            cell.execution_count = count
    return nb


SETUP = '''\
import csv
import json
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import score

config = json.loads(Path("config.json").read_text())


class Table:
    """A small table that renders as HTML, like a data frame would."""

    def __init__(self, columns, rows):
        self.columns, self.rows = columns, rows

    def _repr_html_(self):
        head = "".join(f"<th>{c}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
                       for row in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self):
        lines = ["  ".join(str(c) for c in self.columns)]
        lines += ["  ".join(str(v) for v in row) for row in self.rows]
        return "\\n".join(lines)


def read_split(name):
    with open(Path("data") / name, newline="") as handle:
        rows = list(csv.DictReader(handle))
    numeric = {f["name"] for f in config["features"] if f["type"] == "number"}
    targets = np.array([float(r.pop("target")) for r in rows])
    return [{k: float(v) if k in numeric else v for k, v in r.items()} for r in rows], targets


train, y_train = read_split("train.csv")
valid, y_valid = read_split("validation.csv")
print(f"{len(train)} training rows, {len(valid)} validation rows")
print(f"features: {', '.join(f['name'] for f in config['features'])}")
'''

SUMMARY = """\
rows = []
for f in config["features"]:
    if f["type"] == "number":
        values = np.array([r[f["name"]] for r in train])
        rows.append([f["name"], "number", f"{values.min():.2f}", f"{values.mean():.2f}",
                     f"{values.max():.2f}"])
    else:
        counts = {v: sum(r[f["name"]] == v for r in train) for v in f["values"]}
        rows.append([f["name"], "category", "", ", ".join(f"{k}: {n}" for k, n in counts.items()),
                     ""])
Table(["feature", "type", "min", "mean / counts", "max"], rows)
"""

CLASSIFIER_EVAL = """\
from sklearn import metrics

outputs = score.predict(valid)
scores = np.array([o["score"] for o in outputs])
fpr, tpr, _ = metrics.roc_curve(y_valid, scores)
auc = metrics.roc_auc_score(y_valid, scores)
print(f"validation AUC {auc:.4f}, positive rate {y_valid.mean():.3f}")
Table(["metric", "value"], [[k, f"{v:.4f}"] for k, v in
                            json.loads(Path("metrics.json").read_text()).items()])
"""

CLASSIFIER_FIGURES = [
    """\
fig = Figure(figsize=(6, 4))
fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.92)
ax = fig.subplots()
ax.plot(fpr, tpr, label=f"validation (AUC {auc:.3f})")
ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
ax.set_xlabel("false positive rate")
ax.set_ylabel("true positive rate")
ax.set_title("ROC curve")
ax.legend(loc="lower right")
fig
""",
    """\
fig = Figure(figsize=(6, 4))
fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.92)
ax = fig.subplots()
bins = np.linspace(0, 1, 21)
ax.hist(scores[y_valid == 0], bins=bins, alpha=0.6, label=config["labels"][0])
ax.hist(scores[y_valid == 1], bins=bins, alpha=0.6, label=config["labels"][1])
ax.axvline(config["threshold"], color="black", linestyle=":", label="threshold")
ax.set_xlabel("score (probability of the positive class)")
ax.set_ylabel("validation records")
ax.set_title("Score distribution by actual outcome")
ax.legend()
fig
""",
]

REGRESSOR_EVAL = """\
outputs = score.predict(valid)
predicted = np.array([o["prediction"] for o in outputs])
residuals = y_valid - predicted
print(f"validation RMSE {np.sqrt(np.mean(residuals ** 2)):.2f} units")
Table(["metric", "value"], [[k, f"{v:.4f}"] for k, v in
                            json.loads(Path("metrics.json").read_text()).items()])
"""

REGRESSOR_FIGURES = [
    """\
fig = Figure(figsize=(6, 4))
fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.92)
ax = fig.subplots()
ax.scatter(y_valid, predicted, s=6, alpha=0.5)
low, high = float(y_valid.min()), float(y_valid.max())
ax.plot([low, high], [low, high], color="grey", linestyle="--", label="perfect forecast")
ax.set_xlabel("actual units")
ax.set_ylabel("forecast units")
ax.set_title("Forecast against actual (validation)")
ax.legend()
fig
""",
    """\
fig = Figure(figsize=(6, 4))
fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.92)
ax = fig.subplots()
ax.hist(residuals, bins=30)
ax.set_xlabel("actual minus forecast (units)")
ax.set_ylabel("validation records")
ax.set_title("Residuals")
fig
""",
]


def build_notebook(
    title: str, number: int, summary: str, algorithm: str, task: str
) -> NotebookNode:
    """The (not yet executed) development notebook of one version."""
    classifier = task == "classification"
    cells = [
        new_markdown_cell(
            f"# {title} — v{number}\n\n{summary}\n\n"
            f"Algorithm: **{algorithm}**. This notebook loads the training and "
            "validation splits in `data/`, the trained `model.joblib` through the "
            "folder's own `score.predict`, and shows how the version performs."
        ),
        new_code_cell(SETUP),
        new_markdown_cell(
            "## Training data\n\nRange of each numeric feature and the counts of each category."
        ),
        new_code_cell(SUMMARY),
        new_markdown_cell("## Validation performance"),
        new_code_cell(CLASSIFIER_EVAL if classifier else REGRESSOR_EVAL),
        *[new_code_cell(src) for src in (CLASSIFIER_FIGURES if classifier else REGRESSOR_FIGURES)],
        new_markdown_cell(
            "## Conclusion\n\nThe metrics above are recorded in the manifest "
            "as development metrics; monitoring compares the live results with "
            "them."
        ),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python", "version": "3.11"}
    return nb


def write_executed_notebook(
    folder: Path, title: str, number: int, summary: str, algorithm: str, task: str
) -> Path:
    """Build, execute and write ``folder/analysis.ipynb``; returns its path."""
    nb = execute_notebook(build_notebook(title, number, summary, algorithm, task), folder)
    nbformat.validate(nb)
    path = folder / "analysis.ipynb"
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path
