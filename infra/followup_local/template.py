"""Read template.yaml into plain dicts so the local stack is derived from the deployed definition.

CloudFormation short tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...) become their long form (``{"Ref": ...}``,
``{"Fn::GetAtt": [...]}``, ``{"Fn::Sub": ...}``); nothing is resolved here (see ``provision``).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

DEFAULT_TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"

# Short tags whose long form drops the "Fn::" prefix.
_UNPREFIXED_TAGS = frozenset({"Ref", "Condition"})


# libyaml's parser when PyYAML has it (about ten times faster on template.yaml; the constructors stay Python's).
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CfnLoader(_SafeLoader):
    """SafeLoader that understands CloudFormation's short-form intrinsic function tags."""


def _construct_intrinsic(loader: Any, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = tag_suffix if tag_suffix in _UNPREFIXED_TAGS else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if key == "Fn::GetAtt":
            # "!GetAtt Resource.Attribute" is the only scalar form; the long form is a two-item list.
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - yaml has no other node kinds
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{tag_suffix}", node.start_mark)
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)
# CloudFormation keeps unquoted dates such as AWSTemplateFormatVersion as strings.
_CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_cfn_yaml(text: str) -> dict[str, Any]:
    """Parse CloudFormation YAML text into plain dicts with long-form intrinsic functions."""
    body = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - _CfnLoader is a SafeLoader subclass
    if not isinstance(body, dict):
        raise ValueError("a CloudFormation template must be a mapping")
    return body


@dataclass(frozen=True)
class FunctionSpec:
    """An ``AWS::Serverless::Function`` with Globals merged in (intrinsics left unresolved)."""

    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, Any]
    events: dict[str, Any]
    properties: dict[str, Any]


class HttpRoute(NamedTuple):
    method: str
    path: str
    function: str


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridgeRule event of a function: which bus it listens on and what it matches."""

    function: str
    bus: str  # logical id of the bus resource, or "default"
    pattern: dict[str, Any]
    rule_name: str
    properties: dict[str, Any]


class SqsSource(NamedTuple):
    function: str
    queue: str  # logical id of the queue
    properties: dict[str, Any]


def _logical_id_of(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at, or None for anything else."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            if isinstance(target, list) and target:
                return str(target[0])
            if isinstance(target, str):
                return target.split(".", 1)[0]
    return None


@dataclass(frozen=True)
class SamTemplate:
    """A parsed SAM template and the views of it the local stack needs."""

    path: Path
    body: dict[str, Any]

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return dict(self.body.get("Parameters") or {})

    @property
    def conditions(self) -> dict[str, Any]:
        return dict(self.body.get("Conditions") or {})

    def resources(self, type_: str | None = None) -> dict[str, dict[str, Any]]:
        """Resources by logical id, optionally only those of one ``Type``."""
        all_resources: dict[str, dict[str, Any]] = self.body.get("Resources") or {}
        return {
            logical_id: resource
            for logical_id, resource in all_resources.items()
            if type_ is None or resource.get("Type") == type_
        }

    def function(self, logical_id: str) -> FunctionSpec:
        """The function with ``Globals.Function`` merged the way SAM merges it (maps merge, scalars override)."""
        functions = self.resources("AWS::Serverless::Function")
        if logical_id not in functions:
            raise KeyError(f"{logical_id} is not an AWS::Serverless::Function in {self.path}")
        own = functions[logical_id].get("Properties") or {}
        globals_ = (self.body.get("Globals") or {}).get("Function") or {}
        properties = _merge_globals(copy.deepcopy(globals_), copy.deepcopy(own))
        code_uri = properties.get("CodeUri")
        if not isinstance(code_uri, str):
            raise ValueError(f"{logical_id}: CodeUri must be a local folder, got {code_uri!r}")
        return FunctionSpec(
            logical_id=logical_id,
            code_uri=(self.root / code_uri).resolve(),
            handler=str(properties.get("Handler", "")),
            environment=dict((properties.get("Environment") or {}).get("Variables") or {}),
            events=dict(properties.get("Events") or {}),
            properties=properties,
        )

    def function_ids(self) -> list[str]:
        return list(self.resources("AWS::Serverless::Function"))

    def _events(self, event_type: str) -> list[tuple[str, str, dict[str, Any]]]:
        found = []
        for function_id, resource in self.resources("AWS::Serverless::Function").items():
            events = (resource.get("Properties") or {}).get("Events") or {}
            for event_name, event in events.items():
                if event.get("Type") == event_type:
                    found.append((function_id, event_name, dict(event.get("Properties") or {})))
        return found

    def http_routes(self) -> list[HttpRoute]:
        """(METHOD, path, function logical id) for every HttpApi event, methods upper-cased."""
        return [
            HttpRoute(str(props.get("Method", "ANY")).upper(), str(props.get("Path", "/")), function_id)
            for function_id, _, props in self._events("HttpApi")
        ]

    def event_rules(self) -> list[RuleSpec]:
        """Every EventBridgeRule event; the bus is a logical id when the template references one."""
        rules = []
        for function_id, event_name, props in self._events("EventBridgeRule"):
            bus_ref = props.get("EventBusName")
            bus = "default" if bus_ref is None else (_logical_id_of(bus_ref) or str(bus_ref))
            rules.append(
                RuleSpec(
                    function=function_id,
                    bus=bus,
                    pattern=dict(props.get("Pattern") or {}),
                    # SAM names the generated rule resource <Function><Event> unless RuleName is given.
                    rule_name=str(props.get("RuleName") or f"{function_id}{event_name}"),
                    properties=props,
                )
            )
        return rules

    def sqs_sources(self) -> list[SqsSource]:
        """(function, queue logical id, event properties) for every SQS event."""
        sources = []
        for function_id, _, props in self._events("SQS"):
            queue = _logical_id_of(props.get("Queue"))
            if queue is None:
                raise ValueError(f"{function_id}: SQS event Queue must reference a queue in the template")
            sources.append(SqsSource(function_id, queue, props))
        return sources


def _merge_globals(globals_: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals rule: maps merge, lists are Globals' entries then the resource's, scalars are overridden."""
    merged = dict(globals_)
    for key, value in own.items():
        inherited = merged.get(key)
        if (
            isinstance(value, dict)
            and isinstance(inherited, dict)
            and not (_is_intrinsic(value) or _is_intrinsic(inherited))
        ):
            merged[key] = _merge_globals(inherited, value)
        elif isinstance(value, list) and isinstance(inherited, list):
            merged[key] = inherited + value
        else:
            merged[key] = value
    return merged


def _is_intrinsic(value: dict[str, Any]) -> bool:
    return len(value) == 1 and any(key == "Ref" or str(key).startswith("Fn::") for key in value)


def load_template(path: Path | None = None) -> SamTemplate:
    """Load the repository's template.yaml (or ``path``).

    The parsed body is kept per file version (path, size, modification time) and each caller gets its own copy: the
    tests and the benchmark provision a fresh deployment many times, and parsing the YAML was a tenth of that.
    """
    template_path = (path or DEFAULT_TEMPLATE_PATH).resolve()
    status = template_path.stat()
    body = _parsed(template_path, status.st_size, status.st_mtime_ns)
    return SamTemplate(path=template_path, body=copy.deepcopy(body))


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, size: int, modified_ns: int) -> dict[str, Any]:
    return load_cfn_yaml(path.read_text(encoding="utf-8"))
