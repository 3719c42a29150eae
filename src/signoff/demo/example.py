"""Regenerating the shipped example model folder, ``examples/credit-risk``.

``python -m signoff.demo.example examples/credit-risk`` rewrites it from the same code as the
demo (a fifth credit-risk candidate), so the example and the demo never drift apart. The
output is deterministic: regenerating with the pinned library versions gives identical bytes.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
from pathlib import Path

from signoff.demo.catalog import EXAMPLE_VERSION, model_spec
from signoff.demo.folder import write_version_folder

README = """\
# credit-risk: an example Signoff model folder

Copy this folder to start your own model. Everything Signoff versions is here and named in
`signoff.toml`:

| file | what it is | manifest key |
| --- | --- | --- |
| `score.py` | the scoring entry point, `predict(records) -> list[dict]` | `[version] entry_point` |
| `model.joblib` | the trained model, written by `train.py` | `[version] model_object` |
| `requirements.txt` | exact pins of what `score.py` imports | `[version] environment` |
| `RELEASE_NOTES.md` | what changed in this version | `[version] release_notes` |
| `analysis.ipynb` | the development notebook, executed | `[version] notebook` |
| `data/*.csv` | training and validation splits | `[[data]] path` |
| `train.py` | the training script | `[[scripts]]` |
| `config.json` | features, valid ranges, hyper-parameters, threshold | `[[configuration]]` |
| `tests/reference_*.jsonl` | reference inputs and the validated outputs | `[[tests]]` |

Retrain with `python train.py` (rewrites `model.joblib` and `metrics.json`), then publish:

    signoff publish .

The scoring contract: one output per input record; classifiers return
`{"score": <probability of the positive class>, "label": <text>}`, regressors
`{"prediction": <number>}`; a record with a missing field, a wrong type or a value outside the
range declared in `config.json` is refused with `ValueError`.
"""


def write_example(dest: Path) -> Path:
    """(Re)write the example folder at *dest*; returns it."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    with contextlib.redirect_stdout(io.StringIO()):
        write_version_folder(
            model_spec("credit-risk"), EXAMPLE_VERSION, dest, extras=True, readme=README
        )
    return dest


if __name__ == "__main__":  # pragma: no cover
    print(write_example(Path(sys.argv[1] if len(sys.argv) > 1 else "examples/credit-risk")))
