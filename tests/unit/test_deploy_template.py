"""template.yaml as it deploys: the exact permissions of each function's role, the alarms, logs, tags and names,
per-stack secret names, and samconfig.toml environments that `sam deploy --config-env <env>` runs without prompts.

The permissions are read from the template after the SAM transform (aws-sam-translator, what CloudFormation runs
server-side), so what SAM adds on its own (managed policies, destination policies) is pinned too.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from followup_local.provision import Provisioned
from followup_local.template import load_template
from tests.conftest import ROOT
from tests.sam_transform import translated

TEMPLATE = load_template()
FUNCTION_IDS = TEMPLATE.function_ids()

# ------------------------------------------------------------------------------------------- permissions

# (IAM action, what it is granted on) for each function's role, pinned here so a change to a role is a visible
# decision. That each grant is needed, and enough, is proven by the calls the integration suite records
# (tests/integration/least_privilege.py): TransactWriteItems is authorised per item (Put → PutItem, Update →
# UpdateItem, Delete → DeleteItem, ConditionCheck → ConditionCheckItem) and is no IAM action itself; Powertools
# idempotency uses Put/Update/DeleteItem (a failed conditional put returns the record, so no GetItem); Powertools
# Parameters ssm:GetParameter; sesv2 send_email ses:SendEmail.
EXPECTED_GRANTS: dict[str, set[tuple[str, str]]] = {
    "ApiFunction": {
        ("dynamodb:Query", "FollowUpTable"),  # load_interview, delete_interview's key listing
        ("dynamodb:GetItem", "FollowUpTable"),  # natural_key_holder, load_intake, link_use, begin_signature_use
        ("dynamodb:PutItem", "FollowUpTable"),  # append_timeline, use_once, claim_natural_key (transaction)
        ("dynamodb:UpdateItem", "FollowUpTable"),  # cancel_follow_up, approve, update_interview, tombstone
        ("dynamodb:DeleteItem", "FollowUpTable"),  # release_natural_key, forget_signature_use, abandon_claim
        ("dynamodb:ConditionCheckItem", "FollowUpTable"),  # record_early_action (transaction)
        ("dynamodb:BatchWriteItem", "FollowUpTable"),  # delete_interview
        ("dynamodb:PutItem", "IdempotencyTable"),
        ("dynamodb:UpdateItem", "IdempotencyTable"),
        ("dynamodb:DeleteItem", "IdempotencyTable"),
        ("events:PutEvents", "EventBus"),
        ("ssm:GetParameter", "ssm:ApiKeyParameterName"),
        ("ssm:GetParameter", "ssm:WebhookSecretParameterName"),
        ("ssm:GetParameter", "ssm:FormKeyParameterName"),
        ("ssm:GetParameter", "ssm:LinkSecretParameterName"),
        ("ssm:GetParameter", "ssm:OperatorKeyParameterName"),
        ("ses:SendEmail", "ses:identity/*"),  # the control panel's sign-in links (From pinned to SenderEmail)
        ("ses:SendEmail", "ConfigurationSet"),
        ("ses:GetIdentityVerificationAttributes", "*"),  # the panel's Settings: sending from their own address?
    },
    "PlannerFunction": {
        ("scheduler:CreateSchedule", "ScheduleGroup"),
        ("scheduler:DeleteSchedule", "ScheduleGroup"),
        ("iam:PassRole", "SchedulerRole"),
        ("dynamodb:Query", "FollowUpTable"),  # load_interview
        ("dynamodb:GetItem", "FollowUpTable"),  # load_intake
        ("dynamodb:BatchGetItem", "FollowUpTable"),  # is_suppressed
        ("dynamodb:PutItem", "FollowUpTable"),  # store_interview (transaction of puts)
        ("dynamodb:UpdateItem", "FollowUpTable"),  # reschedule
        ("sqs:SendMessage", "PlannerDeadLetterQueue"),  # SAM: EventInvokeConfig OnFailure destination
    },
    "SenderFunction": {
        ("sqs:ReceiveMessage", "SendQueue"),  # the event source mapping
        ("sqs:DeleteMessage", "SendQueue"),
        ("sqs:GetQueueAttributes", "SendQueue"),
        ("sqs:ChangeMessageVisibility", "SendQueue"),  # back_off
        ("sqs:GetQueueUrl", "SendQueue"),
        ("ses:SendEmail", "ses:identity/*"),  # From pinned to SenderEmail unless candidates send as themselves
        ("ses:GetIdentityVerificationAttributes", "*"),  # is the candidate's address a verified identity
        ("ses:SendEmail", "ConfigurationSet"),
        ("dynamodb:GetItem", "FollowUpTable"),  # a failed claim whose item is gone
        ("dynamodb:Query", "FollowUpTable"),  # load_interview
        ("dynamodb:PutItem", "FollowUpTable"),  # timeline and MessageId index (transactions)
        ("dynamodb:UpdateItem", "FollowUpTable"),  # claim, release, mark_failed, await_approval, mark_sent
        ("dynamodb:BatchGetItem", "FollowUpTable"),  # suppression checked again at send time
        ("ssm:GetParameter", "ssm:LinkSecretParameterName"),
    },
    "FeedbackFunction": {
        ("dynamodb:GetItem", "FollowUpTable"),  # find_sent_message
        ("dynamodb:Query", "FollowUpTable"),  # load_interview
        ("dynamodb:PutItem", "FollowUpTable"),  # append_timeline
        ("dynamodb:UpdateItem", "FollowUpTable"),  # cancel_follow_up, SuppressionList.suppress
        ("events:PutEvents", "EventBus"),
        ("ses:PutSuppressedDestination", "*"),  # no resource-level permission exists
        ("ssm:GetParameter", "ssm:LinkSecretParameterName"),
        ("sqs:SendMessage", "FeedbackDeadLetterQueue"),  # SAM: EventInvokeConfig OnFailure destination
    },
}
# Grants that exist only under a condition: replies on (InboundDomain) add reading the stored mail.
EXPECTED_CONDITIONAL_GRANTS: dict[str, dict[str, set[tuple[str, str]]]] = {
    "FeedbackFunction": {"HasInboundDomain": {("s3:GetObject", "InboundMailBucket")}},
    # Custom message templates, only when a templates bucket is configured: the sender reads them at cold start
    # to send with them, the API on the first message it shows (previews, the panel, the link pages).
    "SenderFunction": {
        "HasTemplatesBucket": {
            ("s3:ListBucket", "param:TemplatesBucket"),
            ("s3:GetObject", "param:TemplatesBucket,param:TemplatesPrefix"),
        }
    },
    "ApiFunction": {
        "HasTemplatesBucket": {
            ("s3:ListBucket", "param:TemplatesBucket"),
            ("s3:GetObject", "param:TemplatesBucket,param:TemplatesPrefix"),
        }
    },
}
# Managed policies of every function role: what SAM gives a role it generates (logs, X-Ray for Tracing: Active).
EXPECTED_MANAGED_POLICIES = {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}


def _references(value: Any) -> set[str]:
    """Names a value refers to through Ref, Fn::GetAtt and ${...} in Fn::Sub (pseudo parameters excluded)."""
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
                found |= {name.split(".", 1)[0] for name in re.findall(r"\$\{([^}!]+)\}", text)}
                if isinstance(item, list):
                    found |= _references(item[1]) - set(item[1])
            else:
                found |= _references(item)
    return {name for name in found if not name.startswith("AWS::")}


def _target(resource: Any, resources: dict[str, Any], parameters: dict[str, Any]) -> str:
    """What a statement's Resource entry is: a logical id, an SSM secret parameter, or a literal ARN pattern."""
    if resource == "*":
        return "*"
    referenced = _references(resource)
    logical = sorted(name for name in referenced if name in resources)
    if logical:
        return ",".join(logical)
    secrets = sorted(name for name in referenced if name in parameters and name.endswith("ParameterName"))
    if secrets:
        return ",".join(f"ssm:{name}" for name in secrets)
    named = sorted(name for name in referenced if name in parameters)
    if named:
        return ",".join(f"param:{name}" for name in named)
    text = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
    match = re.fullmatch(r"arn:\$\{AWS::Partition\}:(\w+):\$\{AWS::Region\}:\$\{AWS::AccountId\}:(.+)", str(text))
    assert match, f"cannot classify Resource {resource!r}"
    return f"{match.group(1)}:{match.group(2)}"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _role_of(function_id: str) -> str:
    role = translated()["Resources"][function_id]["Properties"]["Role"]
    assert isinstance(role, dict), f"{function_id}: Role {role!r}"
    assert "Fn::GetAtt" in role, f"{function_id}: Role {role!r}"
    return str(role["Fn::GetAtt"][0])


def _role_documents(role_id: str) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(condition, policy document) of every policy on the role: inline ones and AWS::IAM::Policy resources."""
    resources = translated()["Resources"]
    for policy in resources[role_id]["Properties"].get("Policies") or []:
        yield None, policy["PolicyDocument"]
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in resource["Properties"]["Roles"]:
            yield resource.get("Condition"), resource["Properties"]["PolicyDocument"]


def _grants(function_id: str) -> dict[str | None, set[tuple[str, str]]]:
    resources = translated()["Resources"]
    parameters = translated().get("Parameters") or {}
    grants: dict[str | None, set[tuple[str, str]]] = {}
    for condition, document in _role_documents(_role_of(function_id)):
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow", statement
            for action in _listed(statement["Action"]):
                for resource in _listed(statement["Resource"]):
                    grants.setdefault(condition, set()).add((action, _target(resource, resources, parameters)))
    return grants


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_each_function_role_grants_exactly_what_its_code_calls(function_id: str) -> None:
    grants = _grants(function_id)
    granted = grants.pop(None, set())
    expected = EXPECTED_GRANTS[function_id]
    assert granted == expected, (
        f"{function_id}: granted but not expected {sorted(granted - expected)}; "
        f"expected but not granted {sorted(expected - granted)}"
    )
    assert grants == EXPECTED_CONDITIONAL_GRANTS.get(function_id, {})


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_each_function_role_has_only_the_basic_managed_policies(function_id: str) -> None:
    # In particular no AWSLambdaSQSQueueExecutionRole, which SAM adds to a role it generates for an SQS event
    # (ReceiveMessage and DeleteMessage on every queue of the account).
    arns = translated()["Resources"][_role_of(function_id)]["Properties"].get("ManagedPolicyArns") or []
    names = {json.dumps(arn).rsplit("/", 1)[-1].strip('"}') for arn in arns}
    assert names == EXPECTED_MANAGED_POLICIES, f"{function_id}: {sorted(names)}"


def test_every_granted_action_is_a_real_iam_action() -> None:
    # cfn-lint ships IAM's list of actions; a misspelt (or invented, like dynamodb:TransactWriteItems) action
    # grants nothing and hides what the code really needs.
    specs = json.loads(
        (importlib.resources.files("cfnlint") / "data" / "AdditionalSpecs" / "Policies.json").read_text()
    )
    known = {f"{service}:{action}".lower() for service, spec in specs.items() for action in spec.get("Actions", {})}
    unknown = [
        f"{function_id}: {action}"
        for function_id in FUNCTION_IDS
        for grants in _grants(function_id).values()
        for action, _ in grants
        if action.lower() not in known
    ]
    assert not unknown, unknown


def test_sending_from_any_identity_is_bound_to_the_sender_address() -> None:
    # identity/* lets SES authorise the From address by whichever identity verifies it (the address, its domain
    # or a parent domain), so the statement must pin the From address itself.
    statements = [
        statement
        for _, document in _role_documents(_role_of("SenderFunction"))
        for statement in document["Statement"]
        if "identity/*" in json.dumps(statement["Resource"])
    ]
    assert len(statements) == 1
    assert statements[0]["Action"] == "ses:SendEmail"
    # Pinned to SenderEmail, unless the deployment lets candidates with a verified address send as themselves.
    assert statements[0]["Condition"] == {
        "Fn::If": [
            "SendsFromCandidates",
            {"Ref": "AWS::NoValue"},
            {"StringEqualsIgnoreCase": {"ses:FromAddress": {"Ref": "SenderEmail"}}},
        ]
    }


def test_event_bridge_may_write_each_rule_dlq_only_from_its_own_rule() -> None:
    for policy in TEMPLATE.resources("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            source = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
            rule = source["Fn::GetAtt"][0]
            assert translated()["Resources"][rule]["Type"] == "AWS::Events::Rule", rule
            dead_letter = translated()["Resources"][rule]["Properties"]["Targets"][0]["DeadLetterConfig"]["Arn"]
            assert dead_letter == statement["Resource"], rule


def test_scheduler_may_assume_its_role_only_for_this_stacks_schedule_group() -> None:
    (statement,) = TEMPLATE.resources()["SchedulerRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ScheduleGroup", "Arn"]}},
    }


# ------------------------------------------------------------------------------------------- queues


def test_send_queue_visibility_covers_six_sender_timeouts_and_the_batching_window() -> None:
    # Lambda's rule for SQS event sources: visibility ≥ 6 × function timeout + MaximumBatchingWindowInSeconds.
    for source in TEMPLATE.sqs_sources():
        timeout = int(TEMPLATE.function(source.function).properties["Timeout"])
        window = int(source.properties.get("MaximumBatchingWindowInSeconds", 0))
        visibility = int(TEMPLATE.resources()[source.queue]["Properties"]["VisibilityTimeout"])
        assert visibility >= 6 * timeout + window, (source.queue, visibility, timeout, window)


NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
NUMBER_WORDS |= {"ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20}
COUNT = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
# "maxReceiveCount is 10", "fails 10 times", "failed ten deliveries", "ten receives"
REDRIVE_PHRASES = [
    re.compile(r"maxReceiveCount\W{0,3}(?:is |of |= ?|: ?)?" + COUNT, re.IGNORECASE),
    re.compile(r"\bfail(?:s|ed)? " + COUNT + r" (?:times|deliveries|receives)\b", re.IGNORECASE),
    re.compile(r"\b" + COUNT + r" (?:failed )?(?:receives|deliveries)\b", re.IGNORECASE),
]


def _documents() -> list[Path]:
    return [ROOT / "template.yaml", ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_text_naming_the_redrive_count_agrees_with_the_template() -> None:
    redrive = TEMPLATE.resources()["SendQueue"]["Properties"]["RedrivePolicy"]
    count = int(redrive["maxReceiveCount"])
    found, wrong = 0, []
    for path in _documents():
        text = path.read_text(encoding="utf-8")
        # Phrases may wrap: match on the text with each line break (and a comment's leading "#") as one space.
        flat = re.sub(r"\s*\n\s*(?:#\s*)?", " ", text)
        for pattern in REDRIVE_PHRASES:
            for match in pattern.finditer(flat):
                word = match.group(1).lower()
                value = int(word) if word.isdigit() else NUMBER_WORDS[word]
                found += 1
                if value != count:
                    wrong.append(f"{path.relative_to(ROOT)}: {match.group(0)!r}")
    assert found, "no text names the redrive count: the check would prove nothing"
    assert not wrong, f"maxReceiveCount is {count}, but: {wrong}"


# ------------------------------------------------------------------------------------------- alarms

ALARM_ACTIONS = [
    {"Fn::If": ["HasAlarmEmail", {"Ref": "AlarmTopic"}, {"Ref": "AWS::NoValue"}]},
    {"Fn::If": ["HasAlarmTopic", {"Ref": "AlarmTopicArn"}, {"Ref": "AWS::NoValue"}]},
]


def _alarms() -> dict[str, dict[str, Any]]:
    return {logical_id: r["Properties"] for logical_id, r in TEMPLATE.resources("AWS::CloudWatch::Alarm").items()}


def _alarms_on(namespace: Any, metric: str, dimensions: dict[str, Any] | None = None) -> list[str]:
    return [
        logical_id
        for logical_id, alarm in _alarms().items()
        if alarm["Namespace"] == namespace
        and alarm["MetricName"] == metric
        and (dimensions is None or {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])} == dimensions)
    ]


def test_every_alarm_notifies_the_alarm_email_topic_and_the_optional_topic() -> None:
    alarms = _alarms()
    assert alarms
    for logical_id, alarm in alarms.items():
        assert alarm["AlarmActions"] == ALARM_ACTIONS, logical_id
        assert alarm["TreatMissingData"] == "notBreaching", logical_id
    resources = TEMPLATE.resources()
    assert resources["AlarmTopic"]["Condition"] == "HasAlarmEmail"
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_every_function_has_an_errors_and_a_throttles_alarm(function_id: str, metric: str) -> None:
    assert _alarms_on("AWS/Lambda", metric, {"FunctionName": {"Ref": function_id}}), (function_id, metric)


def test_every_dead_letter_queue_has_a_depth_alarm_and_the_send_queue_an_age_alarm() -> None:
    event_sources = {source.queue for source in TEMPLATE.sqs_sources()}
    for queue in TEMPLATE.resources("AWS::SQS::Queue"):
        dimension = {"QueueName": {"Fn::GetAtt": [queue, "QueueName"]}}
        if queue in event_sources:
            assert _alarms_on("AWS/SQS", "ApproximateAgeOfOldestMessage", dimension), queue
        else:
            assert _alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", dimension), queue


def test_api_5xx_and_ses_reputation_are_alarmed() -> None:
    assert _alarms_on("AWS/ApiGateway", "5xx", {"ApiId": {"Ref": "HttpApi"}})
    (bounce,) = _alarms_on("AWS/SES", "Reputation.BounceRate", {})
    (complaint,) = _alarms_on("AWS/SES", "Reputation.ComplaintRate", {})
    # Below the rates at which SES puts an account under review (5 % bounces, 0.1 % complaints).
    assert 0 < float(_alarms()[bounce]["Threshold"]) < 0.05
    assert 0 < float(_alarms()[complaint]["Threshold"]) < 0.001


def _metric_names_in_code() -> set[str]:
    """Every string literal of the shared package (the metrics it emits are among them)."""
    literals: set[str] = set()
    for path in (ROOT / "shared").rglob("*.py"):
        literals |= set(re.findall(r"\"([A-Za-z]+)\"", path.read_text(encoding="utf-8")))
    return literals


def test_custom_metric_alarms_match_what_the_code_emits() -> None:
    environment = TEMPLATE.body["Globals"]["Function"]["Environment"]["Variables"]
    namespace = environment["POWERTOOLS_METRICS_NAMESPACE"]
    service = environment["POWERTOOLS_SERVICE_NAME"]
    custom = {
        alarm["MetricName"]: alarm
        for alarm in _alarms().values()
        if not (isinstance(alarm["Namespace"], str) and alarm["Namespace"].startswith("AWS/"))
    }
    assert {"SendsFailed", "InterruptedSends", "SendingPaused"} <= set(custom)
    emitted = _metric_names_in_code()
    for metric, alarm in custom.items():
        assert alarm["Namespace"] == namespace, metric
        assert alarm["Dimensions"] == [{"Name": "service", "Value": service}], metric
        assert metric in emitted, f"{metric}: no such metric in shared/ (add_metric names)"


# ------------------------------------------------------------------------------------------- logs and tags


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_every_function_has_its_log_group_with_the_retention_parameter(function_id: str) -> None:
    groups = [
        properties
        for properties in (r["Properties"] for r in TEMPLATE.resources("AWS::Logs::LogGroup").values())
        if properties.get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{function_id}}}"}
    ]
    assert len(groups) == 1, function_id
    assert groups[0]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_every_log_group_expires() -> None:
    for logical_id, group in TEMPLATE.resources("AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, logical_id


PROJECT_TAGS = {"Project": "interview-followup", "Stage": {"Ref": "Stage"}}


def _tags(properties: dict[str, Any]) -> dict[str, Any]:
    tags = properties.get("Tags") or {}
    return {tag["Key"]: tag["Value"] for tag in tags} if isinstance(tags, list) else dict(tags)


@cache
def _taggable(resource_type: str) -> bool:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return "Tags" in schema.get("properties", {})


def test_every_taggable_resource_carries_project_and_stage() -> None:
    untagged = []
    for logical_id, resource in TEMPLATE.resources().items():
        kind = resource["Type"]
        if kind == "AWS::Serverless::Function":
            properties = TEMPLATE.function(logical_id).properties
        elif kind == "AWS::Serverless::HttpApi":
            properties = resource["Properties"]
        elif kind.startswith("AWS::Serverless::") or not _taggable(kind):
            continue  # layers, permissions, policies, receipt rules, subscriptions: the service has no tags
        else:
            properties = resource.get("Properties") or {}
        if {key: _tags(properties).get(key) for key in PROJECT_TAGS} != PROJECT_TAGS:
            untagged.append(logical_id)
    assert not untagged, untagged


# ------------------------------------------------------------------------------------------- concurrency, SnapStart


@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_every_function_has_an_unreserved_by_default_concurrency_parameter(function_id: str) -> None:
    short = function_id.removesuffix("Function")
    properties = TEMPLATE.function(function_id).properties
    assert properties["ReservedConcurrentExecutions"] == {
        "Fn::If": [f"Reserves{short}Concurrency", {"Ref": f"{short}ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    parameter = TEMPLATE.parameters[f"{short}ReservedConcurrency"]
    assert (parameter["Type"], parameter["Default"], parameter["MinValue"]) == ("Number", -1, -1)
    assert TEMPLATE.conditions[f"Reserves{short}Concurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": f"{short}ReservedConcurrency"}, "-1"]}]
    }


def test_snap_start_is_a_switch_on_the_api_function_only_and_the_api_calls_its_alias() -> None:
    for function_id in FUNCTION_IDS:
        properties = TEMPLATE.function(function_id).properties
        if function_id != "ApiFunction":
            assert "SnapStart" not in properties, function_id
            assert "AutoPublishAlias" not in properties, function_id
    api = TEMPLATE.function("ApiFunction").properties
    assert api["SnapStart"] == {"ApplyOn": {"Fn::If": ["ApiSnapStartOn", "PublishedVersions", "None"]}}
    assert api["AutoPublishAlias"] == "live"
    assert api["AutoPublishAliasAllProperties"] is True
    assert TEMPLATE.conditions["ApiSnapStartOn"] == {"Fn::Equals": [{"Ref": "ApiSnapStart"}, "Enabled"]}
    runtime = TEMPLATE.body["Globals"]["Function"]["Runtime"]
    assert tuple(map(int, runtime.removeprefix("python").split("."))) >= (3, 12), "SnapStart starts at python3.12"
    resources = translated()["Resources"]
    paths = resources["HttpApi"]["Properties"]["Body"]["paths"]
    uris = {json.dumps(op["x-amazon-apigateway-integration"]["uri"]) for ops in paths.values() for op in ops.values()}
    alias_uri = (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${ApiFunctionAliaslive}"
        "/invocations"
    )
    assert uris == {json.dumps({"Fn::Sub": alias_uri})}
    permissions = [
        resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::Permission" and "apigateway" in resource["Properties"]["Principal"]
    ]
    assert permissions
    assert all(permission["FunctionName"] == {"Ref": "ApiFunctionAliaslive"} for permission in permissions)


# ------------------------------------------------------------------------------------------- names

MAX_STACK_NAME = 54  # "<stack>-followups" (schedule group, configuration set) must fit in 64
MAX_FUNCTION_NAME = 64
# The property that names a resource of each type in the template, and the service's limit; None: no such property.
NAMING = {
    "AWS::Serverless::Function": ("FunctionName", 64),
    "AWS::Serverless::LayerVersion": ("LayerName", 140),
    "AWS::Serverless::HttpApi": ("Name", 128),
    "AWS::DynamoDB::Table": ("TableName", 255),
    "AWS::Events::EventBus": ("Name", 256),
    "AWS::Scheduler::ScheduleGroup": ("Name", 64),
    "AWS::IAM::Role": ("RoleName", 64),
    "AWS::IAM::Policy": ("PolicyName", 128),
    "AWS::SQS::Queue": ("QueueName", 80),
    "AWS::SQS::QueuePolicy": None,
    "AWS::SNS::Topic": ("TopicName", 256),
    "AWS::SNS::Subscription": None,
    "AWS::CloudWatch::Alarm": ("AlarmName", 255),
    "AWS::Logs::LogGroup": ("LogGroupName", 512),
    "AWS::SES::ConfigurationSet": ("Name", 64),
    "AWS::SES::ConfigurationSetEventDestination": ("EventDestination.Name", 64),
    "AWS::SES::ReceiptRuleSet": ("RuleSetName", 64),
    "AWS::SES::ReceiptRule": ("Rule.Name", 64),
    "AWS::S3::Bucket": ("BucketName", 63),
    "AWS::S3::BucketPolicy": None,
    "AWS::Lambda::Permission": None,
}


def _render(value: Any, stack_name: str) -> str:
    """An explicit name at its longest: the stack name as given, a function's name at Lambda's maximum."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "AWS::StackName":
                return stack_name
            if TEMPLATE.resources().get(name, {}).get("Type") == "AWS::Serverless::Function":
                return "f" * MAX_FUNCTION_NAME
            raise AssertionError(f"cannot size ${{{name}}}")

        return re.sub(r"\$\{([^}]+)\}", substitute, value["Fn::Sub"])
    raise AssertionError(f"cannot size name {value!r}")


def _explicit_names(stack_name: str) -> Iterator[tuple[str, str, int]]:
    for logical_id, resource in TEMPLATE.resources().items():
        assert resource["Type"] in NAMING, f"{resource['Type']}: add its naming property and limit to NAMING"
        naming = NAMING[resource["Type"]]
        if naming is None:
            continue
        key, limit = naming
        value: Any = resource.get("Properties") or {}
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            yield logical_id, _render(value, stack_name), limit


def test_explicit_names_fit_their_limits_for_the_longest_allowed_stack_name() -> None:
    names = list(_explicit_names("s" * MAX_STACK_NAME))
    assert names
    too_long = [(logical_id, len(name), limit) for logical_id, name, limit in names if len(name) > limit]
    assert not too_long, too_long
    # The documented bound is the real one: one more character and some name no longer fits.
    assert any(len(name) > limit for _, name, limit in _explicit_names("s" * (MAX_STACK_NAME + 1)))


# ------------------------------------------------------------------------------------------- secret names


def _provisioned(stack_name: str, overrides: dict[str, str]) -> Provisioned:
    parameters = {name: str(spec.get("Default", "")) for name, spec in TEMPLATE.parameters.items()} | overrides
    return Provisioned(
        region="us-east-1",
        stack_name=stack_name,
        account_id="123456789012",
        parameters=parameters,
        physical={},
        arns={},
        secrets={},
        template=TEMPLATE,
    )


SECRETS = {  # environment variable → (template parameter, name under the prefix)
    "API_KEY_PARAMETER": ("ApiKeyParameterName", "api-key"),
    "WEBHOOK_SECRET_PARAMETER": ("WebhookSecretParameterName", "webhook-secret"),
    "FORM_KEY_PARAMETER": ("FormKeyParameterName", "form-key"),
    "LINK_SECRET_PARAMETER": ("LinkSecretParameterName", "link-secret"),
    "OPERATOR_KEY_PARAMETER": ("OperatorKeyParameterName", "operator-key"),
}
EMPTY_NAMES = {parameter: "" for parameter, _ in SECRETS.values()}


@pytest.mark.parametrize(
    ("stack_name", "overrides", "expected"),
    [
        # The local stack's defaults: literal names (infra/followup_local creates SecureStrings under them).
        ("followup-local", {}, "/followup/{leaf}"),
        # samconfig.toml's environments: empty names, so each stack has its own under /<stack name>/.
        ("followup-prod", EMPTY_NAMES, "/followup-prod/{leaf}"),
        ("followup-prod", EMPTY_NAMES | {"SsmParameterPrefix": "/team/followup"}, "/team/followup/{leaf}"),
    ],
)
def test_secret_names_in_environment_iam_and_outputs_agree(
    stack_name: str, overrides: dict[str, str], expected: str
) -> None:
    provisioned = _provisioned(stack_name, overrides)
    environment = TEMPLATE.body["Globals"]["Function"]["Environment"]["Variables"]
    outputs = TEMPLATE.body["Outputs"]
    names = {}
    for variable, (parameter, leaf) in SECRETS.items():
        names[parameter] = provisioned.resolve(environment[variable])
        assert names[parameter] == expected.format(leaf=leaf), variable
        output = parameter.removesuffix("Name")
        assert provisioned.resolve(outputs[output]["Value"]) == names[parameter], output
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter{}"
    api_statements = TEMPLATE.function("ApiFunction").properties["Policies"][0]["Statement"]
    (read_secrets,) = [s for s in api_statements if s["Sid"] == "ReadSecrets"]
    assert provisioned.resolve(read_secrets["Resource"]) == [arn.format(names[p]) for p, _ in SECRETS.values()]
    link = arn.format(names["LinkSecretParameterName"])
    sender_statements = TEMPLATE.resources()["SenderFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    feedback_statements = TEMPLATE.function("FeedbackFunction").properties["Policies"][0]["Statement"]
    for statements in (sender_statements["Statement"], feedback_statements):
        (read_link,) = [s for s in statements if s["Sid"] == "ReadLinkSecret"]
        assert provisioned.resolve(read_link["Resource"]) == link


# ------------------------------------------------------------------------------------------- samconfig.toml

SAMCONFIG = ROOT / "samconfig.toml"
ENVIRONMENTS = ("default", "dev", "prod")
NAMED_IAM_PROPERTIES = {"AWS::IAM::Role": "RoleName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName"}


def samconfig() -> dict[str, Any]:
    return tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))


def parameter_overrides(entries: list[str]) -> dict[str, str]:
    """SAM CLI's reading of a list of "Key=Value" entries (a value may be quoted; "" is the empty string).
    tests/build/test_samconfig.py checks that SAM CLI itself reads the file the same way."""
    parsed = {}
    for entry in entries:
        key, _, value = entry.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        parsed[key] = value
    return parsed


def _settings(environment: str) -> dict[str, Any]:
    config = samconfig()[environment]
    return {**config.get("global", {}).get("parameters", {}), **config["deploy"]["parameters"]}


def test_samconfig_has_the_three_environments() -> None:
    assert set(samconfig()) - {"version"} == set(ENVIRONMENTS)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_deploys_without_prompts(environment: str) -> None:
    settings = _settings(environment)
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", settings["stack_name"])
    assert len(settings["stack_name"]) <= MAX_STACK_NAME
    assert settings["region"]
    assert settings["resolve_s3"] is True
    named_iam = any(
        NAMED_IAM_PROPERTIES.get(r["Type"]) in (r.get("Properties") or {}) for r in TEMPLATE.resources().values()
    )
    assert settings["capabilities"] == ("CAPABILITY_NAMED_IAM" if named_iam else "CAPABILITY_IAM")
    if environment == "dev":
        assert settings["confirm_changeset"] is False
    overrides = parameter_overrides(settings["parameter_overrides"])
    declared = TEMPLATE.parameters
    assert set(overrides) <= set(declared), sorted(set(overrides) - set(declared))
    required = {name for name, spec in declared.items() if "Default" not in spec}
    assert required <= set(overrides), f"no value for {sorted(required - set(overrides))}: sam deploy would fail"
    for name, value in overrides.items():
        spec = declared[name]
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), (name, value)
        if "AllowedValues" in spec:
            assert value in [str(allowed) for allowed in spec["AllowedValues"]], (name, value)
        if spec["Type"] == "Number":
            assert float(spec.get("MinValue", "-inf")) <= float(value) <= float(spec.get("MaxValue", "inf")), name
    assert overrides["Stage"] == environment
    # Each stack its own secrets: /<stack name>/api-key and the rest.
    assert {name: overrides.get(name) for name in EMPTY_NAMES} == EMPTY_NAMES
    sender_reserved = int(overrides.get("SenderReservedConcurrency", -1))
    sender_concurrency = int(overrides.get("SenderMaxConcurrency", declared["SenderMaxConcurrency"]["Default"]))
    assert sender_reserved == -1 or sender_reserved >= sender_concurrency, "reserve at least the senders' cap"


def test_environments_deploy_separate_stacks() -> None:
    stacks = [_settings(environment)["stack_name"] for environment in ENVIRONMENTS]
    assert len(set(stacks)) == len(stacks)
