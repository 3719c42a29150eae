"""The runner: a version's scoring entry point, run in a separate process on verified files.

Public API: :func:`run_version` (verify, compare environment, score), :func:`run_entry_point`
(score a prepared folder), :func:`prepare_workspace`, :func:`compare_environment` and the
result types.
"""

from signoff.core.catalog.component_ref import ComponentRef
from signoff.core.runner.environment import (
    Difference,
    EnvironmentReport,
    compare_environment,
    parse_requirements,
)
from signoff.core.runner.process import (
    CANCELLED,
    CRASHED,
    ERROR,
    INVALID_OUTPUT,
    LOAD_ERROR,
    MEMORY,
    OK,
    REFUSED,
    TIMEOUT,
    Limits,
    RunResult,
    run_entry_point,
)
from signoff.core.runner.run import (
    PreparedVersion,
    VersionRun,
    VersionSpec,
    load_version_spec,
    run_version,
    runner_settings,
)
from signoff.core.runner.workspace import HashCheck, Workspace, prepare_workspace

__all__ = [
    "CANCELLED",
    "CRASHED",
    "ERROR",
    "INVALID_OUTPUT",
    "LOAD_ERROR",
    "MEMORY",
    "OK",
    "REFUSED",
    "TIMEOUT",
    "ComponentRef",
    "Difference",
    "EnvironmentReport",
    "HashCheck",
    "Limits",
    "PreparedVersion",
    "RunResult",
    "VersionRun",
    "VersionSpec",
    "Workspace",
    "compare_environment",
    "load_version_spec",
    "parse_requirements",
    "prepare_workspace",
    "run_entry_point",
    "run_version",
    "runner_settings",
]
