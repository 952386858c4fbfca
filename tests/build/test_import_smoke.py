"""The built artefacts run: a `sam build` for this machine's architecture, then Python 3.13 (the template's runtime)
with nothing but the built function folder, the built layer and boto3 (what the Lambda runtime provides) imports
each handler, every module of the layer's own packages, and every template those packages load.

Nothing here names a module of the code beyond each function's handler (from template.yaml): the packages are
found by walking the layer's source folder, so moving modules into subpackages needs no change here.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from followup_local.template import SamTemplate, load_cfn_yaml, load_template
from tests.build.support import SAM, SAM_PYTHON, layer_ids, missing

pytestmark = [pytest.mark.build, pytest.mark.slow, pytest.mark.xdist_group("sam-native-build")]

PROBE = Path(__file__).with_name("layer_probe.py")
ARCHITECTURE_KEYS = {"Architectures": ["{arch}"], "CompatibleArchitectures": ["{arch}"], "BuildArchitecture": "{arch}"}
# What the Lambda runtime puts beside the function: the AWS SDK, whose closure is computed in the SAM venv.
RUNTIME_DISTRIBUTIONS = ("boto3",)
FUNCTION_IDS = load_template().function_ids()


def native_architecture() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[machine]


def for_architecture(value: Any, architecture: str) -> Any:
    """The template body with every architecture setting replaced by `architecture`."""
    if isinstance(value, list):
        return [for_architecture(item, architecture) for item in value]
    if not isinstance(value, dict):
        return value
    replaced: dict[str, Any] = {}
    for key, item in value.items():
        if key in ARCHITECTURE_KEYS:
            replaced[key] = json.loads(json.dumps(ARCHITECTURE_KEYS[key]).replace("{arch}", architecture))
        else:
            replaced[key] = for_architecture(item, architecture)
    return replaced


def native_template(template: SamTemplate, architecture: str) -> dict[str, Any]:
    """template.yaml for `architecture`, its code folders made absolute so it can live in a temporary folder."""
    body: dict[str, Any] = for_architecture(load_cfn_yaml(template.path.read_text(encoding="utf-8")), architecture)
    for resource in body["Resources"].values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = str((template.root / properties[key]).resolve())
    return body


@dataclass(frozen=True)
class NativeBuild:
    build_dir: Path
    runtime_dir: Path
    workdir: Path

    def layer_python(self, layer_id: str) -> Path:
        return self.build_dir / layer_id / "python"

    def probe(self, python_path: list[Path], *arguments: str, extra_env: dict[str, str] | None = None) -> Any:
        """Run layer_probe.py in Python 3.13 with exactly `python_path` (+ the runtime's boto3) importable."""
        environment = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.workdir),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join(str(path) for path in [*python_path, self.runtime_dir]),
            "PYTHONDONTWRITEBYTECODE": "1",
            # Lambda-like, and never real AWS: any call would go to a closed loopback port.
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_EC2_METADATA_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            **(extra_env or {}),
        }
        result = subprocess.run(
            [str(SAM_PYTHON), "-S", "-P", str(PROBE), *arguments],
            capture_output=True,
            text=True,
            env=environment,
            cwd=self.workdir,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, f"probe {arguments} failed:\n{result.stderr[-4000:]}"
        return json.loads(result.stdout)


def _runtime_packages(target: Path) -> None:
    """Link boto3 and what it needs (from the SAM venv, Python 3.13) into `target`, like Lambda's /var/runtime."""
    script = """
import importlib.metadata as md, json, re, sys
wanted, seen = list(sys.argv[1:]), set()
while wanted:
    name = re.split(r"[^A-Za-z0-9._-]", wanted.pop(), maxsplit=1)[0].lower().replace("_", "-")
    if name in seen:
        continue
    seen.add(name)
    for requirement in md.distribution(name).requires or []:
        if "extra ==" not in requirement:
            wanted.append(requirement)
paths = set()
for top, distributions in md.packages_distributions().items():
    if any(d.lower().replace("_", "-") in seen for d in distributions):
        import importlib.util
        spec = importlib.util.find_spec(top)
        if spec and spec.origin:
            paths.add(spec.submodule_search_locations[0] if spec.submodule_search_locations else spec.origin)
print(json.dumps(sorted(paths)))
"""
    result = subprocess.run(
        [str(SAM_PYTHON), "-c", script, *RUNTIME_DISTRIBUTIONS],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    target.mkdir()
    for path in map(Path, json.loads(result.stdout)):
        (target / path.name).symlink_to(path)


@pytest.fixture(scope="module")
def native_build(tmp_path_factory: pytest.TempPathFactory) -> NativeBuild:
    if not SAM.exists() or not SAM_PYTHON.exists():
        missing(f"no SAM CLI in {SAM.parent.parent} (made by `make build`)")
    template = load_template()
    workdir = tmp_path_factory.mktemp("native-build")
    template_file = workdir / "template.json"
    template_file.write_text(json.dumps(native_template(template, native_architecture()), indent=1))
    build_dir = workdir / "build"
    environment = {
        **os.environ,
        "PATH": f"{SAM.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
    }
    result = subprocess.run(
        [str(SAM), "build", "--template-file", str(template_file), "--build-dir", str(build_dir)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=workdir,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (
        f"sam build for {native_architecture()} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    )
    runtime_dir = workdir / "runtime"
    _runtime_packages(runtime_dir)
    return NativeBuild(build_dir=build_dir, runtime_dir=runtime_dir, workdir=workdir)


def _own_packages(template: SamTemplate, layer_id: str) -> list[str]:
    """The importable packages of the layer's own source folder (ContentUri), e.g. ["followup"]."""
    source = template.root / template.resources()[layer_id]["Properties"]["ContentUri"]
    return sorted(path.parent.name for path in source.glob("*/__init__.py"))


def _own_data_files(template: SamTemplate, layer_id: str) -> list[Path]:
    """Every non-Python file of those packages (templates, samples, markers), relative to the source folder."""
    source = template.root / template.resources()[layer_id]["Properties"]["ContentUri"]
    found = []
    for package in _own_packages(template, layer_id):
        for path in (source / package).rglob("*"):
            if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts:
                found.append(path.relative_to(source))
    return sorted(found)


@pytest.fixture(scope="module")
def layers(template: SamTemplate) -> list[str]:
    found = layer_ids(template)
    assert found, "template.yaml has no AWS::Serverless::LayerVersion"
    return found


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_each_handler_imports_from_the_built_function_and_layer_only(
    native_build: NativeBuild, template: SamTemplate, layers: list[str], function_id: str
) -> None:
    spec = template.function(function_id)
    function_dir = native_build.build_dir / function_id
    layer_dirs = [native_build.layer_python(layer_id) for layer_id in layers]
    # Lambda's order: the function's own folder, then the layers, then the runtime (boto3).
    result = native_build.probe([function_dir, *layer_dirs], "handler", spec.handler)
    assert result["callable"], f"{function_id}: {spec.handler} is not callable"
    roots = [function_dir, *layer_dirs, native_build.runtime_dir, *map(Path, result["stdlib"])]
    strays = {
        name: origin
        for name, origin in result["modules"].items()
        if origin is not None and Path(origin) != PROBE and not _inside(origin, roots)
    }
    assert not strays, f"{function_id} imported modules from outside the build: {strays}"
    from_layer = [name for name, origin in result["modules"].items() if origin and _inside(origin, layer_dirs)]
    assert from_layer, f"{function_id} imported nothing from the layer"


def _inside(origin: str, roots: list[Path]) -> bool:
    """Under one of `roots` as the path reads (symlinks in the runtime folder count as inside it); the base
    interpreter's own site-packages never counts, even though it lies under the standard library's folder."""
    path = Path(os.path.abspath(origin))
    return "site-packages" not in path.parts and any(path.is_relative_to(os.path.abspath(root)) for root in roots)


def test_every_module_of_the_layers_own_packages_imports(
    native_build: NativeBuild, template: SamTemplate, layers: list[str]
) -> None:
    for layer_id in layers:
        packages = _own_packages(template, layer_id)
        assert packages, f"{layer_id}: no package in its ContentUri"
        result = native_build.probe([native_build.layer_python(layer_id)], "modules", *packages)
        assert not result["failures"], f"{layer_id}: modules that do not import: {result['failures']}"
        assert len(result["imported"]) > len(packages), f"{layer_id}: found no module in {packages}"


def test_every_data_file_of_the_layers_own_packages_is_built(
    native_build: NativeBuild, template: SamTemplate, layers: list[str]
) -> None:
    for layer_id in layers:
        expected = _own_data_files(template, layer_id)
        assert expected, f"{layer_id}: no data files found (templates are expected)"
        absent = [str(path) for path in expected if not (native_build.layer_python(layer_id) / path).is_file()]
        assert not absent, f"{layer_id}: not in the built layer: {absent}"


def test_every_template_loads_through_the_packages_own_loaders(
    native_build: NativeBuild, template: SamTemplate, layers: list[str]
) -> None:
    for layer_id in layers:
        result = native_build.probe(
            [native_build.layer_python(layer_id)], "templates", *_own_packages(template, layer_id)
        )
        assert not result["failures"], f"{layer_id}: {result['failures']}"
        assert result["loaded"], f"{layer_id}: no function returning a Jinja2 Environment was found"
        assert all(result["loaded"].values()), f"{layer_id}: a loader lists no template: {result['loaded']}"
        layer_python = native_build.layer_python(layer_id)
        templates = {str(layer_python / path) for path in _own_data_files(template, layer_id) if path.suffix == ".j2"}
        unseen = sorted(templates - set(result["files"]))
        assert not unseen, f"{layer_id}: templates no loader of the package can load: {unseen}"


def test_time_zones_come_from_the_layer_not_the_system(native_build: NativeBuild, layers: list[str]) -> None:
    # Lambda's image may have no /usr/share/zoneinfo: with the system's database hidden the layer's tzdata answers.
    for layer_id in layers:
        result = native_build.probe([native_build.layer_python(layer_id)], "timezones", extra_env={"PYTHONTZPATH": ""})
        assert result["tzpath"] == [], result["tzpath"]
        assert result["count"] > 300, f"{layer_id}: only {result['count']} time zones without the system database"
        assert not result["failures"], result["failures"]
