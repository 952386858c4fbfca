"""Least privilege, proven: every AWS call each function makes in the integration suite is checked against what its
role grants in template.yaml, and every grant must be needed by some call (or be a listed exception).

What is compared
- Grants: the roles of template.yaml after the SAM transform (tests/sam_transform.py), so what SAM adds on its own
  (managed policies, EventInvokeConfig destination policies, policy templates) counts. One grant is one (role,
  policy, statement, action, Resource entry); Conditions on AWS::IAM::Policy resources (InboundDomain,
  TemplatesBucket) are honoured per deployment. Besides the four functions' roles, SchedulerRole: its trust policy
  and its permissions are checked against what EventBridge Scheduler does with the schedules the planner creates.
- Calls: `botocore.client.BaseClient._make_api_call` is wrapped; a call made while a function's handler runs is
  that function's. Handlers run through `FunctionRuntime.invoke` (LocalCloud's event router, queue poller and HTTP
  front, and the tests that invoke a handler directly), which is wrapped to set a context variable naming the
  function and its deployment: nested invocations (a test's hook invoking FeedbackFunction in the middle of a
  send) and handlers run on worker threads are attributed correctly. Calls outside a handler (provisioning, the
  emulators standing in for Lambda and Scheduler, the tests' own reads) are not attributed. A call counts when it
  is attempted, before botocore's hooks: a request refused by a test's fault injection needed its permission all
  the same.
- Each call becomes the IAM authorisations it needs (`needs`): TransactWriteItems/TransactGetItems have no action
  of their own (each item needs PutItem, UpdateItem, DeleteItem, ConditionCheckItem or GetItem on its table), a
  Query on an index needs the index's ARN, SES SendEmail needs the sending identity and the configuration set,
  CreateSchedule with a role needs iam:PassRole too. `delegated` adds what Scheduler then does on the planner's
  behalf, as SchedulerRole: sts:AssumeRole (aws:SourceAccount, aws:SourceArn = the schedule's group) and
  sqs:SendMessage to the target and the dead-letter queue.
- Each authorisation is evaluated at once against the role's Allow statements resolved for that deployment (its
  parameters, conditions and the moto resources' real ARNs): Action, Resource and Condition must all match.

When it fails
- A call not granted: the test that made it fails at teardown (autouse fixture in tests/integration/conftest.py),
  and the session fails with the list.
- A grant no call needed, unless listed in EXCEPTIONS (the one place for deliberate exceptions, each with its
  reason); an exception that matches no grant any more, or whose grants the code does use, fails too.
- The unused-grant half only runs when the whole integration suite ran: every tests/integration test file
  collected, nothing under it deselected (-k, -m, --deselect, --lf) or picked by node id (`path::test`), every
  collected integration test passed (a failure, skip, -x or --maxfail stop, or a crashed xdist worker leaves grants
  unexercised for reasons that are not the template's), and every worker handed its record back. Otherwise the
  summary says why it did not run; ungranted calls fail in any run.

Limits: resource-based policies (the DLQ queue policies for events.amazonaws.com, the inbound bucket's policy for
SES) and the Lambda roles' trust policies are not exercised here (tests/unit/test_deploy_template.py pins them); a
code path no integration test reaches proves nothing, which is why its grant then fails as never exercised; SES
authorises SendEmail against whichever identity verifies the From address, taken here as the address's own identity
(the grant is on identity/*, pinned by the ses:FromAddress condition when candidates may not send as themselves); a
thread a handler started without copying its context would go unattributed (the handlers start none).

Plumbing: this module is a pytest plugin (tests/conftest.py lists it in `pytest_plugins`, so the xdist controller
loads it too). Patches are installed when the first integration test starts, so other runs pay nothing. Under
pytest-xdist each worker keeps its own record and hands it to the controller in `config.workeroutput` (as
pytest-cov does); the controller merges them in `pytest_testnodedown` and judges in `pytest_sessionfinish`, setting
the exit status; without xdist one process does both. The verdict is printed at the end of the terminal summary.

Rerun: `.venv/bin/pytest -q -n 2 tests/integration` (or `make integration`, `make test`).
"""

from __future__ import annotations

import contextvars
import functools
import json
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

INTEGRATION_DIR = Path(__file__).resolve().parent

# ------------------------------------------------------------------------------------------- deliberate exceptions


@dataclass(frozen=True)
class Exemption:
    """Grants of `principal` ("*": every function) whose action matches `action` (IAM wildcards) that no code calls."""

    principal: str
    action: str
    reason: str


EXCEPTIONS: tuple[Exemption, ...] = (
    Exemption(
        "*",
        "logs:*",
        "AWSLambdaBasicExecutionRole: the Lambda service writes each function's log stream with its role; the code "
        "only prints",
    ),
    Exemption(
        "*",
        "xray:*",
        "AWSXrayWriteOnlyAccess, for Tracing: Active: Lambda and its X-Ray daemon send the traces with the role (the "
        "X-Ray SDK talks to the daemon over UDP, never to the X-Ray API)",
    ),
    Exemption(
        "SenderFunction",
        "sqs:ReceiveMessage",
        "the SQS event source mapping polls SendQueue with the function's role (LocalCloud's poller plays it)",
    ),
    Exemption(
        "SenderFunction",
        "sqs:DeleteMessage",
        "the SQS event source mapping deletes every record the batch did not report as failed",
    ),
    Exemption(
        "SenderFunction",
        "sqs:GetQueueAttributes",
        "the SQS event source mapping reads SendQueue's attributes when it is created and while it polls",
    ),
    Exemption(
        "PlannerFunction",
        "sqs:SendMessage",
        "EventInvokeConfig OnFailure: Lambda itself sends an event whose retries failed to PlannerDeadLetterQueue, "
        "with the function's role (SAM adds the statement)",
    ),
    Exemption(
        "FeedbackFunction",
        "sqs:SendMessage",
        "EventInvokeConfig OnFailure: Lambda itself sends an event whose retries failed to FeedbackDeadLetterQueue, "
        "with the function's role (SAM adds the statement)",
    ),
)

# Roles assumed by a service the local stack emulates, and that service: what it does with them is derived from the
# calls that hand it the role (see `delegated`). Every other role of the template must be a function's.
SERVICE_ROLES = {"SchedulerRole": "scheduler.amazonaws.com"}

# AWS managed policies a role may carry, by name: their actions (all on "*").
MANAGED_POLICIES: dict[str, tuple[str, ...]] = {
    "AWSLambdaBasicExecutionRole": ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
    "AWSXrayWriteOnlyAccess": (
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    ),
    "AWSLambdaSQSQueueExecutionRole": (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ),
}

# ------------------------------------------------------------------------------------------- calls → authorisations


@dataclass(frozen=True)
class Need:
    """One authorisation a request needs: an action on a resource, with the request's condition keys."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    # For sts:AssumeRole by a service: the service principal the trust policy must name.
    service_principal: str | None = None

    def describe(self) -> str:
        keys = "".join(f", {key}={value}" for key, value in self.context)
        return f"{self.action} on {self.resource}{keys}"


# API name → IAM prefix where they differ.
IAM_PREFIX = {"sesv2": "ses"}
_TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_SQS_BATCH_ACTIONS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
# Operations that need no permission at all.
_FREE = {("sts", "GetCallerIdentity")}


def _arn(service: str, region: str, account: str, rest: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{rest}"


def queue_arn(url: str, region: str) -> str:
    """SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>) → queue ARN."""
    account, name = urlparse(url).path.strip("/").split("/")[-2:]
    return _arn("sqs", region, account, name)


def needs(service: str, operation: str, params: Mapping[str, Any], *, region: str, account: str) -> list[Need]:
    """The IAM authorisations one API call needs (service as botocore names it: "dynamodb", "sesv2", ...)."""
    if (service, operation) in _FREE:
        return []
    prefix = IAM_PREFIX.get(service, service)

    def arn(rest: str) -> str:
        return _arn(prefix, region, account, rest)

    if service == "dynamodb":

        def table(name: str, index: str | None = None) -> str:
            base = name if name.startswith("arn:") else arn(f"table/{name}")
            return f"{base}/index/{index}" if index else base

        if operation in ("TransactWriteItems", "TransactGetItems"):
            found = []
            for item in params.get("TransactItems", []):
                ((kind, body),) = item.items()
                found.append(Need(f"dynamodb:{_TRANSACT_ITEM_ACTIONS[kind]}", table(body["TableName"])))
            return found
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [Need(f"dynamodb:{operation}", table(name)) for name in params.get("RequestItems", {})]
        if "TableName" in params:
            return [Need(f"dynamodb:{operation}", table(params["TableName"], params.get("IndexName")))]
    elif service == "sqs":
        action = f"sqs:{_SQS_BATCH_ACTIONS.get(operation, operation)}"
        if operation == "GetQueueUrl":
            owner = params.get("QueueOwnerAWSAccountId") or account
            return [Need(action, _arn("sqs", region, owner, params["QueueName"]))]
        if "QueueUrl" in params:
            return [Need(action, queue_arn(params["QueueUrl"], region))]
    elif service == "scheduler":
        if "Name" in params and operation.endswith("Schedule"):
            group = params.get("GroupName") or "default"
            found = [Need(f"scheduler:{operation}", arn(f"schedule/{group}/{params['Name']}"))]
            role = (params.get("Target") or {}).get("RoleArn")
            if role:
                found.append(Need("iam:PassRole", role, (("iam:PassedToService", "scheduler.amazonaws.com"),)))
            return found
    elif service in ("ses", "sesv2"):
        if operation in ("SendEmail", "SendRawEmail"):
            source = params.get("FromEmailAddress") or params.get("Source") or ""
            address = parseaddr(source)[1]
            context = (("ses:FromAddress", address),)
            identity = (
                params.get("FromEmailAddressIdentityArn") or params.get("SourceArn") or arn(f"identity/{address}")
            )
            found = [Need("ses:SendEmail" if service == "sesv2" else f"ses:{operation}", identity, context)]
            configuration_set = params.get("ConfigurationSetName")
            if configuration_set:
                found.append(Need(found[0].action, arn(f"configuration-set/{configuration_set}"), context))
            return found
        # GetIdentityVerificationAttributes, PutSuppressedDestination, ...: no resource-level permissions.
        return [Need(f"ses:{operation}", "*")]
    elif service == "events":
        if operation == "PutEvents":
            buses = sorted({entry.get("EventBusName") or "default" for entry in params.get("Entries", [])})
            return [
                Need("events:PutEvents", bus if bus.startswith("arn:") else arn(f"event-bus/{bus}")) for bus in buses
            ]
    elif service == "ssm":
        names = [params["Name"]] if "Name" in params else list(params.get("Names", []))
        if "Path" in params:
            names.append(params["Path"])
        if names:
            return [
                Need(f"ssm:{operation}", name if name.startswith("arn:") else arn(f"parameter/{name.lstrip('/')}"))
                for name in names
            ]
    elif service == "s3":
        bucket = params.get("Bucket")
        if bucket and operation in ("ListObjects", "ListObjectsV2", "HeadBucket"):
            prefix_key = (("s3:prefix", str(params.get("Prefix") or "")),)
            return [Need("s3:ListBucket", f"arn:aws:s3:::{bucket}", prefix_key)]
        if bucket and "Key" in params:
            action = {"HeadObject": "GetObject"}.get(operation, operation)
            return [Need(f"s3:{action}", f"arn:aws:s3:::{bucket}/{params['Key']}")]
    # Anything else: the action on "*", so a scoped grant never covers it by accident (teach `needs` instead).
    return [Need(f"{prefix}:{operation}", "*")]


def delegated(
    service: str, operation: str, params: Mapping[str, Any], *, region: str, account: str
) -> list[tuple[str, Need]]:
    """(role ARN, authorisation) for what a service does later with a role this call hands it."""
    if service != "scheduler" or operation not in ("CreateSchedule", "UpdateSchedule"):
        return []
    target = params.get("Target") or {}
    role = target.get("RoleArn")
    if not role:
        return []
    group = params.get("GroupName") or "default"
    found = [
        (
            role,
            Need(
                "sts:AssumeRole",
                role,
                (
                    ("aws:SourceAccount", account),
                    ("aws:SourceArn", _arn("scheduler", region, account, f"schedule-group/{group}")),
                ),
                service_principal="scheduler.amazonaws.com",
            ),
        )
    ]
    for arn in (target.get("Arn"), (target.get("DeadLetterConfig") or {}).get("Arn")):
        if arn:
            action = {"sqs": "sqs:SendMessage", "lambda": "lambda:InvokeFunction"}.get(arn.split(":")[2], "*")
            found.append((role, Need(action, arn)))
    return found


# ------------------------------------------------------------------------------------------- grants


@dataclass(frozen=True)
class Grant:
    principal: str  # function logical id, or a SERVICE_ROLES role
    policy: str  # inline:<name> | policy:<AWS::IAM::Policy id> | managed:<name> | trust
    statement: str  # Sid, or #<index>
    action: str
    resource_index: int
    resource: Any  # template expression, unresolved
    condition: Any  # template expression or None
    when: str | None  # the CloudFormation condition of the policy resource
    service_principals: tuple[str, ...] = ()  # trust statements only

    @property
    def key(self) -> str:
        return f"{self.principal} {self.policy} {self.statement} {self.action} [{self.resource_index}]"

    def describe(self) -> str:
        when = f", only if {self.when}" if self.when else ""
        return f"{self.principal}: {self.action} on {render(self.resource)} ({self.policy} {self.statement}{when})"


def render(value: Any) -> str:
    """A template expression, short."""
    if isinstance(value, str):
        return value.replace("arn:${AWS::Partition}:", "arn:").replace(":${AWS::Region}:${AWS::AccountId}:", "::")
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, dict) and len(value) == 1:
        ((key, args),) = value.items()
        if key == "Ref":
            return f"${{{args}}}"
        if key == "Fn::GetAtt":
            return ".".join(args) if isinstance(args, list) else str(args)
        if key == "Fn::Sub":
            return render(args[0] if isinstance(args, list) else args)
        if key == "Fn::If":
            return f"{render(args[1])} if {args[0]} else {render(args[2])}"
    return json.dumps(value, sort_keys=True)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_of(resources: Mapping[str, Any], function_id: str) -> str:
    role = resources[function_id]["Properties"]["Role"]
    if not (isinstance(role, dict) and "Fn::GetAtt" in role):
        raise AssertionError(f"{function_id}: Role {role!r} is not a role of this template")
    return str(role["Fn::GetAtt"][0])


def _documents(resources: Mapping[str, Any], role_id: str) -> Iterator[tuple[str, str | None, Mapping[str, Any]]]:
    """(policy label, CloudFormation condition, document) of every policy on a role."""
    properties = resources[role_id]["Properties"]
    for policy in properties.get("Policies") or []:
        yield f"inline:{policy['PolicyName']}", None, policy["PolicyDocument"]
    for arn in properties.get("ManagedPolicyArns") or []:
        name = render(arn).rsplit("/", 1)[-1]
        if name not in MANAGED_POLICIES:
            raise AssertionError(f"{role_id}: managed policy {name} is not in least_privilege.MANAGED_POLICIES")
        statement = {"Effect": "Allow", "Action": list(MANAGED_POLICIES[name]), "Resource": "*"}
        yield f"managed:{name}", None, {"Statement": [statement]}
    for logical_id, resource in resources.items():
        attached = {"Ref": role_id} in (resource.get("Properties", {}).get("Roles") or [])
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and attached:
            yield f"policy:{logical_id}", resource.get("Condition"), resource["Properties"]["PolicyDocument"]
    if role_id in SERVICE_ROLES:
        yield "trust", None, properties["AssumeRolePolicyDocument"]


def grants_of(template: Mapping[str, Any]) -> tuple[Grant, ...]:
    """Every grant of every function's role and every SERVICE_ROLES role of a transformed template."""
    resources = template["Resources"]
    principals = {
        logical_id: _role_of(resources, logical_id)
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    principals.update({role: role for role in SERVICE_ROLES})
    roles = {logical_id for logical_id, resource in resources.items() if resource["Type"] == "AWS::IAM::Role"}
    unchecked = sorted(roles - set(principals.values()))
    if unchecked:
        raise AssertionError(f"roles neither a function's nor in SERVICE_ROLES, so never checked: {unchecked}")
    found: list[Grant] = []
    for principal, role_id in principals.items():
        for policy, when, document in _documents(resources, role_id):
            for index, statement in enumerate(_listed(document["Statement"])):
                unsupported = {"NotAction", "NotResource", "NotPrincipal"} & set(statement)
                if statement.get("Effect") != "Allow" or unsupported:
                    raise AssertionError(f"{role_id} {policy}: teach least_privilege {statement!r}")
                services = tuple(_listed((statement.get("Principal") or {}).get("Service", [])))
                for action in _listed(statement["Action"]):
                    for resource_index, resource in enumerate(_listed(statement.get("Resource", "*"))):
                        found.append(
                            Grant(
                                principal=principal,
                                policy=policy,
                                statement=statement.get("Sid") or f"#{index}",
                                action=action,
                                resource_index=resource_index,
                                resource=resource,
                                condition=statement.get("Condition"),
                                when=when,
                                service_principals=services,
                            )
                        )
    return tuple(found)


@functools.cache
def template_grants() -> tuple[Grant, ...]:
    from tests.sam_transform import translated

    return grants_of(translated())


def exemption_of(grant: Grant, exemptions: Iterable[Exemption] = EXCEPTIONS) -> Exemption | None:
    for exemption in exemptions:
        if exemption.principal in ("*", grant.principal) and wildcard(exemption.action, ignore_case=True)(grant.action):
            return exemption
    return None


# ------------------------------------------------------------------------------------------- evaluation


@functools.lru_cache(maxsize=4096)
def wildcard(pattern: str, *, ignore_case: bool = False) -> Any:
    """IAM's matching: `*` any run of characters (":" and "/" included), `?` one character."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(expression, re.IGNORECASE if ignore_case else 0).fullmatch


def _equals(actual: str, expected: str) -> bool:
    return actual == expected


def _equals_ignore_case(actual: str, expected: str) -> bool:
    return actual.lower() == expected.lower()


def _like(actual: str, expected: str) -> bool:
    return wildcard(expected)(actual) is not None


# ArnEquals and ArnLike behave alike in IAM (both take wildcards).
_OPERATORS = {
    "StringEquals": _equals,
    "StringEqualsIgnoreCase": _equals_ignore_case,
    "StringLike": _like,
    "ArnEquals": _like,
    "ArnLike": _like,
}


def condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    """Every operator and key must hold; a key the request does not carry fails it (unless ...IfExists)."""
    keys = {key.lower(): value for key, value in context.items()}
    for operator, tests in condition.items():
        name = operator.removesuffix("IfExists")
        if name not in _OPERATORS:
            raise AssertionError(f"teach least_privilege the condition operator {operator}")
        for key, expected in tests.items():
            actual = keys.get(key.lower())
            if actual is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            if not any(_OPERATORS[name](actual, str(value)) for value in _listed(expected)):
                return False
    return True


@dataclass(frozen=True)
class ResolvedGrant:
    grant: Grant
    resources: tuple[str, ...]
    condition: Mapping[str, Any] | None

    def allows(self, need: Need) -> bool:
        if wildcard(self.grant.action, ignore_case=True)(need.action) is None:
            return False
        if (need.service_principal is not None or self.grant.policy == "trust") and (
            need.service_principal not in self.grant.service_principals
        ):
            return False
        if not any(wildcard(pattern)(need.resource) for pattern in self.resources):
            return False
        return self.condition is None or condition_holds(self.condition, dict(need.context))


class Deployment:
    """One provisioned stack: its grants resolved against its parameters and resources (moto's real ARNs)."""

    def __init__(self, provisioned: Any, grants: Iterable[Grant] | None = None) -> None:
        self.provisioned = provisioned
        self.account = str(provisioned.account_id)
        self._grants = tuple(template_grants() if grants is None else grants)
        self._resolved: dict[str, list[ResolvedGrant]] = {}
        self._lock = threading.Lock()
        roles = provisioned.template.resources("AWS::IAM::Role")
        self.role_principals = {provisioned.arns[role]: role for role in roles if role in provisioned.arns}

    def _resolve(self, value: Any) -> Any:
        # Wrapped in a two-key mapping: a value that resolves to AWS::NoValue disappears from it.
        return self.provisioned.resolve({"value": value, "_": None}).get("value")

    def grants_of(self, principal: str) -> list[ResolvedGrant]:
        with self._lock:
            if principal not in self._resolved:
                resolved = []
                for grant in self._grants:
                    if grant.principal != principal or (grant.when and not self.provisioned.condition(grant.when)):
                        continue
                    resources = tuple(str(item) for item in _listed(self._resolve(grant.resource)) if item)
                    condition = self._resolve(grant.condition) if grant.condition is not None else None
                    resolved.append(ResolvedGrant(grant, resources, condition or None))
                self._resolved[principal] = resolved
            return self._resolved[principal]

    def allowed_by(self, principal: str, need: Need) -> list[str]:
        """Keys of the grants that allow `need` (none: not granted)."""
        return [resolved.grant.key for resolved in self.grants_of(principal) if resolved.allows(need)]


# ------------------------------------------------------------------------------------------- recording


@dataclass
class Record:
    """What one process saw: grants used (with counts), calls not granted, and the checker's own errors."""

    calls: int = 0  # API calls made inside handlers
    authorisations: int = 0  # what they needed (a transaction needs one per item, CreateSchedule several)
    invocations: int = 0
    used: Counter[str] = field(default_factory=Counter)
    # "principal: need" → {"count": n, "tests": [...], "operation": "service.Operation"}
    violations: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    collected: list[str] = field(default_factory=list)
    deselected: int = 0
    current_test: str | None = None
    per_test: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, principal: str, need: Need, allowed: list[str], operation: str) -> None:
        with self.lock:
            self.authorisations += 1
            if allowed:
                self.used.update(allowed)
                return
            text = f"{principal}: {need.describe()}"
            entry = self.violations.setdefault(text, {"count": 0, "tests": [], "operation": operation})
            entry["count"] += 1
            test = self.current_test or "?"
            if test not in entry["tests"] and len(entry["tests"]) < 5:
                entry["tests"].append(test)
            self.per_test.setdefault(test, []).append(f"{text} ({operation})")

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)
            self.per_test.setdefault(self.current_test or "?", []).append(text)

    def take_problems(self, nodeid: str) -> list[str]:
        with self.lock:
            return self.per_test.pop(nodeid, [])

    def export(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": self.calls,
                "authorisations": self.authorisations,
                "invocations": self.invocations,
                "used": dict(self.used),
                "violations": self.violations,
                "errors": self.errors,
                "collected": self.collected,
                "deselected": self.deselected,
            }


RECORD = Record()
_INVOCATION: contextvars.ContextVar[tuple[str, Deployment] | None] = contextvars.ContextVar(
    "least_privilege_invocation", default=None
)
_installed = False
_install_lock = threading.Lock()


def _check_call(invocation: tuple[str, Deployment], client: Any, operation: str, params: Mapping[str, Any]) -> None:
    function, deployment = invocation
    service = client.meta.service_model.service_name
    region = client.meta.region_name or deployment.provisioned.region
    where = f"{service}.{operation}"
    with RECORD.lock:
        RECORD.calls += 1
    for need in needs(service, operation, params, region=region, account=deployment.account):
        RECORD.note(function, need, deployment.allowed_by(function, need), where)
    for role_arn, need in delegated(service, operation, params, region=region, account=deployment.account):
        role = deployment.role_principals.get(role_arn)
        if role not in SERVICE_ROLES:
            RECORD.note(f"{function} hands over {role_arn}", need, [], where)
            continue
        RECORD.note(role, need, deployment.allowed_by(role, need), f"{where} (then {SERVICE_ROLES[role]})")


def install() -> None:
    """Wrap botocore's call path, FunctionRuntime.invoke and LocalCloud (once per process)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from botocore.client import BaseClient

        from followup_local.cloud import LocalCloud
        from followup_local.functions import FunctionRuntime

        make_api_call = BaseClient._make_api_call
        invoke = FunctionRuntime.invoke
        cloud_init = LocalCloud.__init__

        def recorded_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            invocation = _INVOCATION.get()
            if invocation is not None:
                try:
                    _check_call(invocation, self, operation_name, api_params)
                except Exception as error:  # never let the checker change what the handler sees
                    RECORD.error(f"least_privilege could not check {operation_name}: {error!r}")
            return make_api_call(self, operation_name, api_params)

        def recorded_invoke(self: Any, logical_id: str, event: Any) -> Any:
            deployment = self.__dict__.get("_least_privilege_deployment")
            if RECORD.current_test is None:
                return invoke(self, logical_id, event)
            if deployment is None:
                RECORD.error(f"{logical_id} ran on a FunctionRuntime of no LocalCloud: its calls cannot be checked")
                return invoke(self, logical_id, event)
            with RECORD.lock:
                RECORD.invocations += 1
            token = _INVOCATION.set((logical_id, deployment))
            try:
                return invoke(self, logical_id, event)
            finally:
                _INVOCATION.reset(token)

        def recorded_cloud_init(self: Any, *args: Any, **kwargs: Any) -> None:
            cloud_init(self, *args, **kwargs)
            self.runtime._least_privilege_deployment = Deployment(self.provisioned)

        BaseClient._make_api_call = recorded_api_call  # type: ignore[method-assign]
        FunctionRuntime.invoke = recorded_invoke  # type: ignore[method-assign]
        LocalCloud.__init__ = recorded_cloud_init  # type: ignore[method-assign]
        _installed = True


# ------------------------------------------------------------------------------------------- verdict


@dataclass
class Verdict:
    problems: list[str]
    notes: list[str]


def judge(records: list[dict[str, Any]], incomplete: list[str], grants: Iterable[Grant] | None = None) -> Verdict:
    """Merge the processes' records; ungranted calls and stale exceptions always count, unused grants only when
    nothing in `incomplete` says the run was partial."""
    grants = tuple(template_grants() if grants is None else grants)
    used: Counter[str] = Counter()
    violations: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    calls = authorisations = invocations = 0
    for record in records:
        used.update(record["used"])
        calls += record["calls"]
        authorisations += record.get("authorisations", 0)
        invocations += record["invocations"]
        errors.extend(record["errors"])
        for text, entry in record["violations"].items():
            merged = violations.setdefault(text, {"count": 0, "tests": [], "operation": entry["operation"]})
            merged["count"] += entry["count"]
            merged["tests"] = (merged["tests"] + entry["tests"])[:5]
    problems = [f"checker error: {error}" for error in dict.fromkeys(errors)]
    for text, entry in sorted(violations.items()):
        tests = ", ".join(entry["tests"])
        problems.append(f"not granted: {text} ({entry['operation']}, {entry['count']}x; {tests})")
    for exemption in EXCEPTIONS:
        if not any(exemption_of(grant, [exemption]) for grant in grants):
            problems.append(f"stale exception (matches no grant): {exemption.principal} {exemption.action}")
    exempt = [grant for grant in grants if exemption_of(grant)]
    exercised = [grant for grant in grants if used[grant.key] and not exemption_of(grant)]
    notes = [
        f"{calls} AWS calls ({authorisations} authorisations) in {invocations} handler invocations; "
        f"{len(exercised)} grants exercised, "
        f"{len(exempt)} exempt (least_privilege.EXCEPTIONS), {len(violations)} distinct calls not granted"
    ]
    if incomplete:
        notes.append("unused grants not checked: " + "; ".join(incomplete))
    else:
        for grant in grants:
            exemption = exemption_of(grant)
            if exemption is None and not used[grant.key]:
                problems.append(f"never exercised: {grant.describe()}")
            elif exemption is not None and used[grant.key]:
                problems.append(
                    f"exception not needed, the code uses it: {grant.describe()} "
                    f"(exception {exemption.principal} {exemption.action})"
                )
    return Verdict(problems, notes)


# ------------------------------------------------------------------------------------------- pytest plugin

_STATE = pytest.StashKey[dict[str, Any]]()
# The session's config, for the hooks that are not given it.
_CONFIG: dict[str, pytest.Config] = {}


def _state(config: pytest.Config) -> dict[str, Any]:
    if _STATE not in config.stash:
        config.stash[_STATE] = {"records": [], "lost": [], "passed": set(), "spoiled": set(), "verdict": None}
    return config.stash[_STATE]


@functools.cache
def _integration_file(rootpath: Path, path: str) -> bool:
    return (rootpath / path).resolve().is_relative_to(INTEGRATION_DIR)


def is_integration(config: pytest.Config, nodeid: str) -> bool:
    return _integration_file(config.rootpath, nodeid.split("::", 1)[0])


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    # The xdist controller hears of every worker's tests too; it runs no handler and records nothing.
    config = _CONFIG.get("config")
    if config is not None and not config.pluginmanager.has_plugin("dsession") and is_integration(config, nodeid):
        install()
        RECORD.current_test = nodeid


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    RECORD.current_test = None


def pytest_configure(config: pytest.Config) -> None:
    _CONFIG["config"] = config


def pytest_collection_finish(session: pytest.Session) -> None:
    RECORD.collected = [item.nodeid for item in session.items if is_integration(session.config, item.nodeid)]


def pytest_deselected(items: list[pytest.Item]) -> None:
    config = _CONFIG.get("config")
    if config is not None:
        RECORD.deselected += sum(1 for item in items if is_integration(config, item.nodeid))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _CONFIG.get("config")
    if config is None or not is_integration(config, report.nodeid):
        return
    state = _state(config)
    if report.when == "call" and report.passed:
        state["passed"].add(report.nodeid)
    if report.failed or report.skipped:
        state["spoiled"].add(report.nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: a worker finished; keep the record it handed back."""
    state = _state(node.config)
    output = getattr(node, "workeroutput", None) or {}
    if "least_privilege" in output:
        state["records"].append(json.loads(output["least_privilege"]))
    else:
        state["lost"].append(str(getattr(node, "gateway", None) and node.gateway.id))


def _incomplete(config: pytest.Config, record: Mapping[str, Any], state: Mapping[str, Any]) -> list[str]:
    reasons = []
    if state["lost"]:
        reasons.append(f"no record from xdist worker(s) {', '.join(state['lost'])}")
    on_disk = {
        path.relative_to(config.rootpath).as_posix()
        for pattern in ("test_*.py", "*_test.py")
        for path in INTEGRATION_DIR.rglob(pattern)
    }
    collected = set(record["collected"])
    missing = on_disk - {nodeid.split("::", 1)[0] for nodeid in collected}
    if missing:
        reasons.append(f"{len(missing)} of {len(on_disk)} integration test files not collected")
    if record["deselected"]:
        reasons.append(f"{record['deselected']} integration tests deselected")
    if any("::" in arg and _integration_file(config.rootpath, arg.split("::", 1)[0]) for arg in config.args):
        reasons.append("integration tests picked by node id")
    not_passed = (collected - state["passed"]) | (state["spoiled"] & collected)
    if not_passed:
        reasons.append(f"{len(not_passed)} integration tests did not pass")
    return reasons


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the record to the controller
        workeroutput["least_privilege"] = json.dumps(RECORD.export())
        return
    state = _state(config)
    records = [*state["records"], RECORD.export()]
    merged = {
        "collected": sorted({nodeid for record in records for nodeid in record["collected"]}),
        "deselected": max((record["deselected"] for record in records), default=0),
    }
    if config.option.collectonly or (not merged["collected"] and not any(record["calls"] for record in records)):
        return  # nothing ran, or no integration test in this run
    verdict = judge(records, _incomplete(config, merged, state))
    state["verdict"] = verdict
    if verdict.problems and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    verdict: Verdict | None = _state(config)["verdict"]
    if verdict is None:
        return
    if verdict.problems:
        terminalreporter.section("least privilege: FAILED (tests/integration/least_privilege.py)", sep="=", red=True)
        for problem in verdict.problems:
            terminalreporter.line(problem)
    else:
        terminalreporter.section("least privilege: ok", sep="-", green=True)
    for note in verdict.notes:
        terminalreporter.line(note)
