"""Runs inside the template's Python (3.13, started with `-S`: no site-packages) with only built artefacts on
PYTHONPATH, the way Lambda would run them, and prints one JSON document on stdout. Standard library only.

    python -S layer_probe.py handler app.lambda_handler       import the handler, list where every module came from
    python -S layer_probe.py modules followup [more ...]      import every module of the packages, report failures
    python -S layer_probe.py templates followup [more ...]    load every template through the packages' own loaders
    python -S layer_probe.py timezones                        IANA zones without the system's tz database
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
import traceback
from collections.abc import Iterator
from types import ModuleType
from typing import Any


def _failure() -> str:
    return "".join(traceback.format_exception_only(*sys.exc_info()[:2])).strip()


def handler(spec: str) -> dict[str, Any]:
    module_name, _, attribute = spec.rpartition(".")
    module = importlib.import_module(module_name)
    entry = getattr(module, attribute)
    import sysconfig

    return {
        "callable": callable(entry),
        "modules": {name: getattr(module, "__file__", None) for name, module in sorted(sys.modules.items())},
        "stdlib": sorted({sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}),
    }


def _walk(packages: list[str], failures: dict[str, str]) -> Iterator[ModuleType]:
    for package_name in packages:
        package = importlib.import_module(package_name)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}.", onerror=lambda name: None):
            try:
                yield importlib.import_module(info.name)
            except Exception:
                failures[info.name] = _failure()


def modules(packages: list[str]) -> dict[str, Any]:
    failures: dict[str, str] = {}
    imported = [module.__name__ for module in _walk(packages, failures)]
    return {"imported": imported, "failures": failures}


def _returns_environment(candidate: Any) -> bool:
    """A module-level function taking no arguments whose return annotation is a Jinja2 Environment."""
    try:
        signature = inspect.signature(candidate)
    except (TypeError, ValueError):
        return False
    required = [
        parameter
        for parameter in signature.parameters.values()
        if parameter.default is inspect.Parameter.empty
        and parameter.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    annotation = signature.return_annotation
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return not required and str(name).rsplit(".", 1)[-1] == "Environment"


def templates(packages: list[str]) -> dict[str, Any]:
    """Every template file is loaded, with what it extends, includes or imports, by at least one of the packages'
    own environments (a file may be listed by several: the message loader also sees the web pages' folder)."""
    import jinja2
    import jinja2.meta

    failures: dict[str, str] = {}
    loaded: dict[str, list[str]] = {}
    succeeded: set[str] = set()
    problems: dict[str, list[str]] = {}
    for module in list(_walk(packages, failures)):
        for attribute, candidate in sorted(vars(module).items()):
            if not callable(candidate) or getattr(candidate, "__module__", None) != module.__name__:
                continue
            if not _returns_environment(candidate):
                continue
            factory = f"{module.__name__}.{attribute}"
            try:
                environment = candidate()
            except Exception:
                failures[factory] = _failure()
                continue
            if not isinstance(environment, jinja2.Environment) or environment.loader is None:
                continue
            loaded[factory] = environment.list_templates()
            for name in loaded[factory]:
                source, filename, _ = environment.loader.get_source(environment, name)
                try:
                    environment.get_template(name)
                    for referenced in jinja2.meta.find_referenced_templates(environment.parse(source)):
                        if referenced is not None:
                            environment.get_template(referenced)
                except Exception:
                    problems.setdefault(str(filename), []).append(f"{factory}({name!r}): {_failure()}")
                else:
                    succeeded.add(str(filename))
    for filename, reasons in problems.items():
        if filename not in succeeded:
            failures[filename] = "; ".join(reasons)
    return {"loaded": loaded, "files": sorted(succeeded | set(problems)), "failures": failures}


def timezones() -> dict[str, Any]:
    import zoneinfo

    names = sorted(zoneinfo.available_timezones())
    failures: dict[str, str] = {}
    for name in names:
        try:
            zoneinfo.ZoneInfo(name)
        except Exception:
            failures[name] = _failure()
    return {"count": len(names), "tzpath": list(zoneinfo.TZPATH), "failures": failures}


def main(argv: list[str]) -> int:
    command, arguments = argv[0], argv[1:]
    if command == "handler":
        result = handler(arguments[0])
    elif command == "modules":
        result = modules(arguments)
    elif command == "templates":
        result = templates(arguments)
    elif command == "timezones":
        result = timezones()
    else:
        raise SystemExit(f"unknown command {command!r}")
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
