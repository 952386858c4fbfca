"""Create, on any AWS endpoint (moto in-process or a moto server), what template.yaml declares for run time.

Everything is derived from the template: the tables' keys and TTL, the queues and their redrive policies, the
bus, the schedule group, the scheduler role, the SES configuration set, S3 buckets (the inbound-mail bucket when
InboundDomain turns it on); then the functions' Environment is evaluated (Ref, GetAtt, Sub, If, Select, Split,
Join, conditions) into the plain strings Lambda would see. Resource types with no local meaning (HTTP API, alarms,
layer, functions, queue and bucket policies, SES event destinations and receipt rules) are skipped on purpose.
Running it again against the same endpoint is harmless.
"""

from __future__ import annotations

import json
import re
import secrets as token_source
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from followup_local.template import SamTemplate, load_template

DEFAULT_STACK_NAME = "followup-local"
DEFAULT_REGION = "us-east-1"
# Parameters the local stack fills in when the caller does not (the template has no default for SenderEmail).
LOCAL_PARAMETER_DEFAULTS: dict[str, str] = {"SenderEmail": "followups@followup.local", "PublicBaseUrl": ""}
SENDER_EMAIL_PARAMETER = "SenderEmail"
# Template parameters whose value is the name of an SSM SecureString the operator creates (see template.yaml).
SSM_NAME_PARAMETER_SUFFIX = "ParameterName"

_NO_VALUE = object()  # AWS::NoValue: the key or list item disappears


class ProvisioningError(RuntimeError):
    """The template asks for something this local provisioner cannot evaluate or create."""


@dataclass
class Provisioned:
    """What ``provision`` created, and the means to evaluate the template against it."""

    region: str
    stack_name: str
    account_id: str
    parameters: dict[str, str]
    physical: dict[str, str]
    arns: dict[str, str]
    secrets: dict[str, str]
    template: SamTemplate = field(repr=False)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    def resolve(self, value: Any) -> Any:
        """Evaluate CloudFormation intrinsic functions in ``value`` against the provisioned resources."""
        return _Resolver(self).resolve(value)

    def condition(self, name: str) -> bool:
        return _Resolver(self).condition(name)

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The resolved environment variables of one function (Globals merged), as Lambda would set them."""
        spec = self.template.function(logical_id)
        resolver = _Resolver(self)
        environment: dict[str, str] = {}
        for name, raw in spec.environment.items():
            value = resolver.resolve(raw)
            if value is _NO_VALUE:
                continue
            environment[name] = _as_string(value, f"{logical_id} Environment {name}")
        return environment


def provision(
    session: boto3.session.Session,
    *,
    endpoint_url: str | None = None,
    stack_name: str = DEFAULT_STACK_NAME,
    parameters: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    template: SamTemplate | None = None,
) -> Provisioned:
    """Create every run-time resource of the template on the endpoint and return how to reach them.

    ``parameters`` override template parameter defaults; ``secrets`` maps the *ParameterName parameters'
    logical ids to secret values (missing ones keep an existing value, or get a random one).
    """
    template = template or load_template()
    region = session.region_name or DEFAULT_REGION

    def client(service: str) -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint_url)  # type: ignore[call-overload]

    account_id = str(client("sts").get_caller_identity()["Account"])
    provisioned = Provisioned(
        region=region,
        stack_name=stack_name,
        account_id=account_id,
        parameters=_resolve_parameters(template, parameters or {}),
        physical={},
        arns={},
        secrets={},
        template=template,
    )
    resolver = _Resolver(provisioned)
    resources = {
        logical_id: resource
        for logical_id, resource in template.resources().items()
        if resource.get("Type") in _CREATORS and _included(resolver, resource)
    }
    for logical_id in _creation_order(resources):
        resource = resources[logical_id]
        properties = resource.get("Properties") or {}
        creator = _CREATORS[resource["Type"]]
        creator(_Context(provisioned, resolver, client, logical_id), properties)

    _verify_sender(provisioned, client("sesv2"))
    provisioned.secrets = _store_secrets(provisioned, client("ssm"), secrets or {})
    return provisioned


# ------------------------------------------------------------------------------------------- parameters


def _resolve_parameters(template: SamTemplate, overrides: Mapping[str, str]) -> dict[str, str]:
    declared = template.parameters
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise ProvisioningError(f"unknown template parameters: {', '.join(unknown)}")
    resolved: dict[str, str] = {}
    for name, spec in declared.items():
        if name in overrides:
            value = overrides[name]
        elif name in LOCAL_PARAMETER_DEFAULTS:
            value = LOCAL_PARAMETER_DEFAULTS[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise ProvisioningError(f"template parameter {name} has no default; pass it in parameters")
        value = _as_string(value, f"parameter {name}")
        _check_parameter(name, spec, value)
        resolved[name] = value
    return resolved


def _check_parameter(name: str, spec: Mapping[str, Any], value: str) -> None:
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [_as_string(v, name) for v in allowed]:
        raise ProvisioningError(f"parameter {name}={value!r} is not one of {allowed}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(pattern, value) is None:
        raise ProvisioningError(f"parameter {name}={value!r} does not match {pattern}")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise ProvisioningError(f"parameter {name}={value!r} is not a number") from None
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise ProvisioningError(f"parameter {name}={value} is below MinValue {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise ProvisioningError(f"parameter {name}={value} is above MaxValue {spec['MaxValue']}")


def _as_string(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ProvisioningError(f"{where} did not resolve to a string: {value!r}")


# ------------------------------------------------------------------------------------------- intrinsics

_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class _Resolver:
    """Evaluates intrinsic functions the way CloudFormation would, against a ``Provisioned``."""

    def __init__(self, provisioned: Provisioned) -> None:
        self._p = provisioned

    def pseudo(self, name: str) -> Any:
        p = self._p
        values: dict[str, Any] = {
            "AWS::Region": p.region,
            "AWS::AccountId": p.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": p.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{p.region}:{p.account_id}:stack/{p.stack_name}/local",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": _NO_VALUE,
        }
        if name not in values:
            raise ProvisioningError(f"unknown pseudo parameter {name}")
        return values[name]

    def ref(self, name: str) -> Any:
        p = self._p
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in p.parameters:
            spec = p.template.parameters[name]
            value = p.parameters[name]
            is_list = spec.get("Type") == "CommaDelimitedList" or str(spec.get("Type", "")).startswith("List<")
            return value.split(",") if is_list else value
        if name in p.physical:
            return p.physical[name]
        if name in p.template.resources():
            # Not created locally (HTTP API, layer, ...): a stable stand-in keeps Subs such as URLs well formed.
            return f"{p.stack_name}-{name}".lower()
        raise ProvisioningError(f"Ref to unknown name {name}")

    def get_att(self, logical_id: str, attribute: str) -> str:
        attributes = self._p.attributes.get(logical_id)
        if attributes is None or attribute not in attributes:
            raise ProvisioningError(f"Fn::GetAtt {logical_id}.{attribute} is not available locally")
        return attributes[attribute]

    def condition(self, name: str) -> bool:
        conditions = self._p.template.conditions
        if name not in conditions:
            raise ProvisioningError(f"unknown condition {name}")
        return self._truth(conditions[name])

    def _truth(self, expression: Any) -> bool:
        if isinstance(expression, dict) and len(expression) == 1:
            ((function, args),) = expression.items()
            if function == "Condition":
                return self.condition(args)
            if function == "Fn::Equals":
                left, right = (self.resolve(arg) for arg in args)
                return _as_string(left, "Fn::Equals") == _as_string(right, "Fn::Equals")
            if function == "Fn::Not":
                return not self._truth(args[0])
            if function == "Fn::And":
                return all(self._truth(arg) for arg in args)
            if function == "Fn::Or":
                return any(self._truth(arg) for arg in args)
        raise ProvisioningError(f"unsupported condition expression {expression!r}")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, args),) = value.items()
            handler = self._FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, args)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _ref(self, args: Any) -> Any:
        return self.ref(args)

    def _get_att(self, args: Any) -> Any:
        logical_id, attribute = args.split(".", 1) if isinstance(args, str) else args
        return self.get_att(str(logical_id), str(self.resolve(attribute)))

    def _sub(self, args: Any) -> str:
        if isinstance(args, list):
            text, variables = args[0], {name: self.resolve(item) for name, item in args[1].items()}
        else:
            text, variables = args, {}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _as_string(variables[name], f"Fn::Sub ${{{name}}}")
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return _as_string(self.ref(name), f"Fn::Sub ${{{name}}}")

        return _SUB_VARIABLE.sub(substitute, text)

    def _if(self, args: Any) -> Any:
        name, when_true, when_false = args
        return self.resolve(when_true if self.condition(name) else when_false)

    def _select(self, args: Any) -> Any:
        index, items = self.resolve(args[0]), self.resolve(args[1])
        return items[int(index)]

    def _split(self, args: Any) -> list[str]:
        delimiter, text = args[0], self.resolve(args[1])
        return _as_string(text, "Fn::Split").split(delimiter)

    def _join(self, args: Any) -> str:
        delimiter, items = args[0], self.resolve(args[1])
        return delimiter.join(_as_string(item, "Fn::Join") for item in items)

    def _condition(self, args: Any) -> bool:
        return self.condition(args)

    _FUNCTIONS: dict[str, Callable[[_Resolver, Any], Any]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Sub": _sub,
        "Fn::If": _if,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::Join": _join,
        "Condition": _condition,
    }


def _included(resolver: _Resolver, resource: Mapping[str, Any]) -> bool:
    condition = resource.get("Condition")
    return condition is None or resolver.condition(condition)


def _references(value: Any) -> set[str]:
    """Logical ids (and parameter names) that ``value`` refers to, through Ref, GetAtt and Sub."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= _references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item.split(".", 1)[0] if isinstance(item, str) else str(item[0]))
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                found |= {name.split(".", 1)[0] for name in _SUB_VARIABLE.findall(text) if not name.startswith("!")}
                if isinstance(item, list):
                    found |= _references(item[1])
            else:
                found |= _references(item)
    return found


def _creation_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids ordered so every resource comes after the ones it references (a DLQ before its queue)."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in ordered:
            return
        if logical_id in visiting:
            raise ProvisioningError(f"circular reference through {logical_id}")
        visiting.add(logical_id)
        for dependency in sorted(_references(resources[logical_id].get("Properties") or {}) & set(resources)):
            visit(dependency)
        visiting.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in resources:
        visit(logical_id)
    return ordered


# ------------------------------------------------------------------------------------------- creators


@dataclass
class _Context:
    provisioned: Provisioned
    resolver: _Resolver
    client: Callable[[str], Any]
    logical_id: str

    def name(self, properties: Mapping[str, Any], key: str, max_length: int = 255) -> str:
        """The template's explicit name, else "<stack>-<LogicalId>"."""
        if key in properties:
            return _as_string(self.resolver.resolve(properties[key]), f"{self.logical_id}.{key}")
        return f"{self.provisioned.stack_name}-{self.logical_id}"[:max_length]

    def record(self, physical: str, arn: str, **attributes: str) -> None:
        self.provisioned.physical[self.logical_id] = physical
        self.provisioned.arns[self.logical_id] = arn
        self.provisioned.attributes[self.logical_id] = {"Arn": arn, **attributes}


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _create_table(ctx: _Context, properties: Mapping[str, Any]) -> None:
    dynamodb = ctx.client("dynamodb")
    spec = ctx.resolver.resolve(dict(properties))
    name = ctx.name(properties, "TableName")
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": spec["KeySchema"],
        "AttributeDefinitions": spec["AttributeDefinitions"],
        "BillingMode": spec.get("BillingMode", "PROVISIONED"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
        if key in spec:
            request[key] = spec[key]
    if "StreamSpecification" in spec:
        request["StreamSpecification"] = {"StreamEnabled": True, **spec["StreamSpecification"]}
    try:
        description = dynamodb.create_table(**request)["TableDescription"]
    except ClientError as error:
        if _error_code(error) != "ResourceInUseException":
            raise
        description = dynamodb.describe_table(TableName=name)["Table"]

    ttl = spec.get("TimeToLiveSpecification") or {}
    if ttl.get("Enabled") in (True, "true"):
        current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
            )
    attributes = {"StreamArn": description["LatestStreamArn"]} if description.get("LatestStreamArn") else {}
    ctx.record(name, description["TableArn"], **attributes)


# Queue properties that are not queue attributes.
_QUEUE_NON_ATTRIBUTES = frozenset({"QueueName", "Tags"})
# Attributes SetQueueAttributes refuses to change on an existing queue.
_QUEUE_CREATE_ONLY = frozenset({"FifoQueue"})


def _create_queue(ctx: _Context, properties: Mapping[str, Any]) -> None:
    sqs = ctx.client("sqs")
    spec = ctx.resolver.resolve(dict(properties))
    name = ctx.name(properties, "QueueName", max_length=80)
    if spec.get("FifoQueue") in (True, "true") and not name.endswith(".fifo"):
        name = f"{name[:75]}.fifo"
    attributes = {
        key: json.dumps(value) if isinstance(value, dict) else _as_string(value, f"{ctx.logical_id}.{key}")
        for key, value in spec.items()
        if key not in _QUEUE_NON_ATTRIBUTES
    }
    try:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except ClientError as error:
        if _error_code(error) not in ("QueueAlreadyExists", "QueueNameExists"):
            raise
        # Same name, other attributes (the template changed): bring the existing queue up to date.
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        mutable = {key: value for key, value in attributes.items() if key not in _QUEUE_CREATE_ONLY}
        if mutable:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    ctx.record(url, arn, QueueName=name, QueueUrl=url)


def _create_event_bus(ctx: _Context, properties: Mapping[str, Any]) -> None:
    events = ctx.client("events")
    name = ctx.name(properties, "Name")
    try:
        arn = events.create_event_bus(Name=name)["EventBusArn"]
    except ClientError as error:
        if _error_code(error) != "ResourceAlreadyExistsException":
            raise
        arn = events.describe_event_bus(Name=name)["Arn"]
    ctx.record(name, arn, Name=name)


def _create_schedule_group(ctx: _Context, properties: Mapping[str, Any]) -> None:
    scheduler = ctx.client("scheduler")
    name = ctx.name(properties, "Name")
    try:
        arn = scheduler.create_schedule_group(Name=name)["ScheduleGroupArn"]
    except ClientError as error:
        if _error_code(error) != "ConflictException":
            raise
        arn = scheduler.get_schedule_group(Name=name)["Arn"]
    ctx.record(name, arn)


def _create_role(ctx: _Context, properties: Mapping[str, Any]) -> None:
    iam = ctx.client("iam")
    spec = ctx.resolver.resolve(dict(properties))
    name = ctx.name(properties, "RoleName", max_length=64)
    request: dict[str, Any] = {
        "RoleName": name,
        "AssumeRolePolicyDocument": json.dumps(spec["AssumeRolePolicyDocument"]),
        "Path": spec.get("Path", "/"),
    }
    if "Description" in spec:
        request["Description"] = spec["Description"]
    try:
        role = iam.create_role(**request)["Role"]
    except ClientError as error:
        if _error_code(error) != "EntityAlreadyExists":
            raise
        role = iam.get_role(RoleName=name)["Role"]
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=request["AssumeRolePolicyDocument"])
    for policy in spec.get("Policies") or []:
        iam.put_role_policy(
            RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(policy["PolicyDocument"])
        )
    ctx.record(name, role["Arn"], RoleId=role["RoleId"])


def _create_configuration_set(ctx: _Context, properties: Mapping[str, Any]) -> None:
    sesv2 = ctx.client("sesv2")
    name = ctx.name(properties, "Name")
    try:
        sesv2.create_configuration_set(ConfigurationSetName=name)
    except ClientError as error:
        # AWS says AlreadyExistsException; moto says ConfigurationSetAlreadyExistsException.
        if _error_code(error) not in ("AlreadyExistsException", "ConfigurationSetAlreadyExistsException"):
            raise
    p = ctx.provisioned
    ctx.record(name, f"arn:aws:ses:{p.region}:{p.account_id}:configuration-set/{name}")


def _create_bucket(ctx: _Context, properties: Mapping[str, Any]) -> None:
    """A bucket by its template name, else "<stack>-<logicalid>" lower-cased (S3 names are lower-case)."""
    s3 = ctx.client("s3")
    name = ctx.name(properties, "BucketName", max_length=63).lower()
    request: dict[str, Any] = {"Bucket": name}
    if ctx.provisioned.region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": ctx.provisioned.region}
    try:
        s3.create_bucket(**request)
    except ClientError as error:
        if _error_code(error) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    ctx.record(name, f"arn:aws:s3:::{name}", DomainName=f"{name}.s3.amazonaws.com")


_CREATORS: dict[str, Callable[[_Context, Mapping[str, Any]], None]] = {
    "AWS::DynamoDB::Table": _create_table,
    "AWS::SQS::Queue": _create_queue,
    "AWS::Events::EventBus": _create_event_bus,
    "AWS::Scheduler::ScheduleGroup": _create_schedule_group,
    "AWS::IAM::Role": _create_role,
    "AWS::SES::ConfigurationSet": _create_configuration_set,
    "AWS::S3::Bucket": _create_bucket,
}


# ------------------------------------------------------------------------------------------- SES and SSM


def _verify_sender(provisioned: Provisioned, sesv2: Any) -> None:
    """Verify the From address and its domain (the operator does this once on AWS; the template cannot)."""
    sender = provisioned.parameters[SENDER_EMAIL_PARAMETER]
    # moto keeps SES v1 and v2 identities in one backend, so v1 SendRawEmail accepts the sender too.
    for identity in (sender, sender.split("@", 1)[1]):
        try:
            sesv2.create_email_identity(EmailIdentity=identity)
        except ClientError as error:
            if _error_code(error) != "AlreadyExistsException":
                raise


def _store_secrets(provisioned: Provisioned, ssm: Any, given: Mapping[str, str]) -> dict[str, str]:
    """Create the SecureStrings the *ParameterName parameters name; keep existing values unless given."""
    secret_ids = [name for name in provisioned.template.parameters if name.endswith(SSM_NAME_PARAMETER_SUFFIX)]
    unknown = sorted(set(given) - set(secret_ids))
    if unknown:
        raise ProvisioningError(f"unknown secret parameters: {', '.join(unknown)} (expected some of {secret_ids})")
    stored: dict[str, str] = {}
    for logical_id in secret_ids:
        parameter_name = provisioned.parameters[logical_id]
        if logical_id in given:
            value = given[logical_id]
        else:
            try:
                value = ssm.get_parameter(Name=parameter_name, WithDecryption=True)["Parameter"]["Value"]
            except ClientError as error:
                if _error_code(error) != "ParameterNotFound":
                    raise
                value = token_source.token_urlsafe(24)
        ssm.put_parameter(Name=parameter_name, Value=value, Type="SecureString", Overwrite=True)
        stored[logical_id] = value
    return stored
