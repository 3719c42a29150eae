"""Comparing a recorded output with the reproduced one, field by field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass
class OutputDifference:
    """One place where the reproduced output differs from the recorded one."""

    field: str
    recorded: Any
    reproduced: Any

    def describe(self) -> str:
        return f"{self.field}: recorded {self.recorded!r}, reproduced {self.reproduced!r}"


def compare_outputs(
    recorded: Any, reproduced: Any, tolerance: float = 1e-9, path: str = "output"
) -> list[OutputDifference]:
    """Every difference: labels and text exactly, numbers within *tolerance* (abs and rel)."""
    if isinstance(recorded, bool) or isinstance(reproduced, bool):
        return [] if recorded is reproduced else [OutputDifference(path, recorded, reproduced)]
    if isinstance(recorded, int | float) and isinstance(reproduced, dict) and "score" in reproduced:
        # a factory may record only the score of a structured output
        return compare_outputs(recorded, reproduced["score"], tolerance, f"{path}.score")
    if isinstance(recorded, int | float) and isinstance(reproduced, int | float):
        same = (math.isnan(recorded) and math.isnan(reproduced)) or math.isclose(
            recorded, reproduced, rel_tol=tolerance, abs_tol=tolerance
        )
        return [] if same else [OutputDifference(path, recorded, reproduced)]
    if isinstance(recorded, dict) and isinstance(reproduced, dict):
        out: list[OutputDifference] = []
        for key in sorted(set(recorded) | set(reproduced), key=str):
            if key not in recorded or key not in reproduced:
                out.append(
                    OutputDifference(
                        f"{path}.{key}",
                        recorded.get(key, "(absent)"),
                        reproduced.get(key, "(absent)"),
                    )
                )
            else:
                out += compare_outputs(recorded[key], reproduced[key], tolerance, f"{path}.{key}")
        return out
    if (
        isinstance(recorded, list)
        and isinstance(reproduced, list)
        and len(recorded) == len(reproduced)
    ):
        out = []
        for i, (a, b) in enumerate(zip(recorded, reproduced, strict=True)):
            out += compare_outputs(a, b, tolerance, f"{path}[{i}]")
        return out
    return [] if recorded == reproduced else [OutputDifference(path, recorded, reproduced)]
