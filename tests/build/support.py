"""What the build tests share: where `make build` leaves its artefacts, and the rule for when they are missing.

Missing artefacts skip a test on a developer's machine (with the command that makes them) and fail it in CI
(`CI=true`), where `make test` builds first and a skip would hide a broken build.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

from followup_local.template import SamTemplate

ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = ROOT / ".aws-sam" / "build"
SAM_VENV = ROOT / ".venv-sam"
SAM = SAM_VENV / "bin" / "sam"
SAM_PYTHON = SAM_VENV / "bin" / "python"

# ELF e_machine of each Lambda architecture.
ELF_MACHINE = {"x86_64": 62, "arm64": 183}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(what: str) -> NoReturn:
    """Skip (a developer's machine) or fail (CI) because a build artefact is absent."""
    if in_ci():
        pytest.fail(f"{what}; in CI `make test` runs `make build` first, so this is a broken build")
    pytest.skip(f"{what}: run `make build` first")


def function_architecture(template: SamTemplate, logical_id: str) -> str:
    """The one architecture a function declares (Globals merged); a list of one literal string."""
    architectures = template.function(logical_id).properties.get("Architectures", ["x86_64"])
    assert isinstance(architectures, list), f"{logical_id}: Architectures must be a literal list"
    assert len(architectures) == 1, f"{logical_id}: Lambda takes exactly one architecture, got {architectures}"
    assert architectures[0] in ELF_MACHINE, f"{logical_id}: unknown architecture {architectures[0]!r}"
    return str(architectures[0])


def layer_users(template: SamTemplate, layer_id: str) -> list[str]:
    return [
        function_id
        for function_id in template.function_ids()
        if {"Ref": layer_id} in (template.function(function_id).properties.get("Layers") or [])
    ]


def layer_ids(template: SamTemplate) -> list[str]:
    return list(template.resources("AWS::Serverless::LayerVersion"))


def resource_properties(template: SamTemplate, logical_id: str) -> dict[str, Any]:
    return dict(template.resources()[logical_id].get("Properties") or {})
