"""Every native extension `sam build` put into .aws-sam/build runs on the architecture its function declares.

A layer builds for x86_64 unless its Metadata says otherwise, and pip then fetches x86_64 wheels (pydantic-core,
markupsafe): on arm64 functions they fail to import on the first invocation, which no local test sees. Reading the
ELF header of each `.so` catches it before a deploy.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from followup_local.template import SamTemplate
from tests.build.support import (
    BUILD_DIR,
    ELF_MACHINE,
    function_architecture,
    layer_ids,
    layer_users,
    missing,
)

pytestmark = pytest.mark.build

MACHINE_NAMES = {number: name for name, number in ELF_MACHINE.items()}


def elf_machine(path: Path) -> int | None:
    """e_machine from the ELF header (offset 18, in the file's own byte order), or None when not ELF."""
    with path.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    byte_order = "<" if header[5] == 1 else ">"
    (machine,) = struct.unpack(f"{byte_order}H", header[18:20])
    return int(machine)


def native_files(folder: Path) -> list[Path]:
    """Shared objects: extension modules (`*.so`) and the libraries wheels vendor next to them (`*.so.N`)."""
    return sorted(
        path for path in folder.rglob("*") if path.is_file() and (path.suffix == ".so" or ".so." in path.name)
    )


def expected_architectures(template: SamTemplate) -> dict[str, str]:
    """Built folder (logical id) → the architecture its native code must have."""
    expected = {function_id: function_architecture(template, function_id) for function_id in template.function_ids()}
    for layer_id in layer_ids(template):
        users = {function_architecture(template, function_id) for function_id in layer_users(template, layer_id)}
        assert len(users) == 1, f"{layer_id} serves functions of several architectures {sorted(users)}"
        expected[layer_id] = users.pop()
    return expected


@pytest.fixture(scope="module")
def built() -> Path:
    if not (BUILD_DIR / "template.yaml").is_file():
        missing(f"no sam build output in {BUILD_DIR}")
    return BUILD_DIR


def test_every_function_and_layer_was_built(template: SamTemplate, built: Path) -> None:
    absent = [logical_id for logical_id in expected_architectures(template) if not (built / logical_id).is_dir()]
    assert not absent, f"not in {built}: {absent} (stale build? run `make build`)"


def test_every_native_extension_matches_its_functions_architecture(template: SamTemplate, built: Path) -> None:
    checked: list[str] = []
    wrong: list[str] = []
    for logical_id, architecture in expected_architectures(template).items():
        for path in native_files(built / logical_id):
            machine = elf_machine(path)
            if machine is None:
                continue
            checked.append(str(path.relative_to(built)))
            if machine != ELF_MACHINE[architecture]:
                found = MACHINE_NAMES.get(machine, f"e_machine {machine}")
                wrong.append(f"{path.relative_to(built)}: {found}, expected {architecture}")
    assert checked, f"no native extension under {built}: the check would prove nothing (did the layer build?)"
    assert not wrong, "native code for the wrong architecture:\n" + "\n".join(wrong)
