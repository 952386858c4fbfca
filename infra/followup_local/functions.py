"""Loads the template's functions and runs their handlers in-process, unchanged, as Lambda would."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from followup_local.template import SamTemplate


@dataclass
class LocalLambdaContext:
    """The attributes of Lambda's context object the handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 256
    timeout_seconds: int = 30
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    function_version: str = "$LATEST"
    _deadline_ms: int = 0

    def __post_init__(self) -> None:
        import time

        self._deadline_ms = int(time.monotonic() * 1000) + self.timeout_seconds * 1000
        self.invoked_function_arn = self.invoked_function_arn or (
            f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        )
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        import time

        return max(0, self._deadline_ms - int(time.monotonic() * 1000))


class FunctionRuntime:
    """Imports each function's handler module once (like a warm Lambda) and invokes it with its environment."""

    def __init__(self, template: SamTemplate, environments: Mapping[str, Mapping[str, str]]) -> None:
        self._template = template
        self._environments = environments
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._lock = threading.RLock()

    def handler(self, logical_id: str) -> Callable[[Any, Any], Any]:
        with self._lock:
            if logical_id not in self._handlers:
                spec = self._template.function(logical_id)
                module_name, _, attribute = spec.handler.rpartition(".")
                path = spec.code_uri / f"{module_name.replace('.', '/')}.py"
                self._apply_environment(logical_id)
                module = _import_file(f"followup_function_{logical_id}", str(path))
                self._handlers[logical_id] = getattr(module, attribute)
            return self._handlers[logical_id]

    def _apply_environment(self, logical_id: str) -> None:
        os.environ.update(self._environments.get(logical_id, {}))

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run the function's handler on `event`; exceptions propagate as a failed invocation would."""
        handler = self.handler(logical_id)
        spec = self._template.function(logical_id)
        context = LocalLambdaContext(
            function_name=logical_id,
            memory_limit_in_mb=int(spec.properties.get("MemorySize", 128)),
            timeout_seconds=int(spec.properties.get("Timeout", 3)),
        )
        with self._lock:
            self._apply_environment(logical_id)
        return handler(event, context)


def _import_file(module_name: str, path: str) -> ModuleType:
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load handler module from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


COMPOSITION_ROOTS = (
    "followup.api.services",
    "followup.feedback.services",
    "followup.planner.services",
    "followup.sender.services",
)


def reset_handler_caches() -> None:
    """Forget the handlers' warm state (clients, settings): a fresh 'cold start' in this process. A function whose
    modules were never imported has none (and is not imported for it: `followup invoke` loads only what it runs)."""
    from followup.core import aws

    aws.reset_clients()
    for name in COMPOSITION_ROOTS:
        composition_root = sys.modules.get(name)
        if composition_root is not None:
            composition_root.reset()
