"""template.yaml: lints clean, declares the contract's functions and routes, and grants least privilege."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from followup_local.template import SamTemplate, load_cfn_yaml, load_template

# CONTRACT.md section 2: every route, identical on AWS and on the local stack.
CONTRACT_ROUTES = {
    ("POST", "/interviews"),
    ("GET", "/interviews/{id}"),
    ("POST", "/interviews/{id}/outcome"),
    ("PATCH", "/interviews/{id}"),
    ("DELETE", "/interviews/{id}"),
    ("GET", "/form"),
    ("POST", "/form"),
    ("GET", "/form/done/{id}"),
    ("GET", "/a/{token}"),
    ("POST", "/a/{token}"),
    ("POST", "/preview"),
    ("GET", "/openapi.json"),
}

# Action verbs that only read; anything else counts as a write for the wildcard check.
READ_ONLY_VERBS = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "Head")
# Write actions IAM offers no resource-level permission for (the Service Authorization Reference lists no
# resource type): "*" is the only Resource they accept.
NO_RESOURCE_LEVEL_ACTIONS = frozenset({"ses:PutSuppressedDestination"})


@pytest.fixture(scope="module")
def template() -> SamTemplate:
    return load_template()


def _cfn_lint_command() -> list[str]:
    beside_python = Path(sys.executable).parent / "cfn-lint"
    if beside_python.exists():
        return [str(beside_python)]
    on_path = shutil.which("cfn-lint")
    if on_path is None:
        pytest.fail("cfn-lint is not installed (it is in the dev extra)")
    return [on_path]


def test_cfn_lint_reports_nothing(template: SamTemplate) -> None:
    result = subprocess.run(
        [*_cfn_lint_command(), str(template.path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("logical_id", "folder"),
    [
        ("ApiFunction", "functions/api/"),
        ("PlannerFunction", "functions/planner/"),
        ("SenderFunction", "functions/sender/"),
        ("FeedbackFunction", "functions/feedback/"),
    ],
)
def test_contract_functions_point_at_their_folders(template: SamTemplate, logical_id: str, folder: str) -> None:
    resource = template.resources("AWS::Serverless::Function").get(logical_id)
    assert resource is not None, f"{logical_id} missing"
    properties = resource["Properties"]
    assert properties["CodeUri"] == folder
    assert properties["Handler"] == "app.lambda_handler"
    spec = template.function(logical_id)
    assert spec.code_uri == (template.root / folder).resolve()


def test_every_contract_route_is_an_http_api_event_of_the_api_function(template: SamTemplate) -> None:
    routes = {(route.method, route.path) for route in template.http_routes()}
    assert routes >= CONTRACT_ROUTES, f"missing: {sorted(CONTRACT_ROUTES - routes)}"
    assert {route.function for route in template.http_routes()} == {"ApiFunction"}
    events = template.function("ApiFunction").events.values()
    assert all(event["Properties"]["ApiId"] == {"Ref": "HttpApi"} for event in events if event["Type"] == "HttpApi")


def test_send_queue_event_reports_partial_failures_and_caps_concurrency(template: SamTemplate) -> None:
    sources = template.sqs_sources()
    assert [(source.function, source.queue) for source in sources] == [("SenderFunction", "SendQueue")]
    properties = sources[0].properties
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "SenderMaxConcurrency"}}
    assert template.parameters["SenderMaxConcurrency"]["MinValue"] == 2


def test_send_queue_visibility_is_six_function_timeouts_and_redrives_to_its_dlq(template: SamTemplate) -> None:
    timeout = template.body["Globals"]["Function"]["Timeout"]
    queue = template.resources()["SendQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * timeout
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["SendDeadLetterQueue", "Arn"]}


def test_planner_rule_listens_on_the_custom_bus_with_retries_and_a_dlq(template: SamTemplate) -> None:
    (rule,) = [rule for rule in template.event_rules() if rule.function == "PlannerFunction"]
    assert rule.bus == "EventBus"
    assert rule.pattern["source"] == ["followup.api"]
    assert "InterviewSubmitted" in rule.pattern["detail-type"]
    assert rule.properties["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["PlannerDeadLetterQueue", "Arn"]}}
    assert rule.properties["RetryPolicy"]["MaximumRetryAttempts"] == 185


def _statements(template: SamTemplate) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for logical_id, resource in template.resources().items():
        properties = resource.get("Properties") or {}
        documents: list[Any] = []
        if resource["Type"] == "AWS::Serverless::Function":
            documents = [policy for policy in properties.get("Policies") or [] if isinstance(policy, dict)]
        elif resource["Type"] == "AWS::IAM::Role":
            documents = [policy["PolicyDocument"] for policy in properties.get("Policies") or []]
        elif resource["Type"] == "AWS::SQS::QueuePolicy":
            documents = [properties["PolicyDocument"]]
        for document in documents:
            found.extend((logical_id, statement) for statement in document.get("Statement", []))
    return found


def test_no_write_action_is_granted_on_every_resource(template: SamTemplate) -> None:
    statements = _statements(template)
    assert statements, "expected inline policy statements"
    for logical_id, statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        writes = [
            action
            for action in actions
            if not action.split(":", 1)[1].startswith(READ_ONLY_VERBS) and action not in NO_RESOURCE_LEVEL_ACTIONS
        ]
        if writes:
            assert "*" not in resources, f"{logical_id}: {writes} on Resource '*'"


def test_function_policies_are_inline_statements(template: SamTemplate) -> None:
    # SAM policy templates and managed policy names would bypass the least-privilege check above.
    for logical_id, resource in template.resources("AWS::Serverless::Function").items():
        for policy in resource["Properties"].get("Policies") or []:
            assert isinstance(policy, dict), f"{logical_id}: {policy!r}"
            assert "Statement" in policy, f"{logical_id}: {policy!r}"


def test_runtime_is_set_once_in_globals(template: SamTemplate) -> None:
    runtime = template.body["Globals"]["Function"]["Runtime"]
    assert runtime.startswith("python3.")
    for logical_id, resource in template.resources("AWS::Serverless::Function").items():
        assert "Runtime" not in resource["Properties"], f"{logical_id} overrides the Globals runtime"
    layer = template.resources()["SharedLayer"]
    assert layer["Properties"]["CompatibleRuntimes"] == [runtime]
    assert layer["Metadata"]["BuildMethod"] == runtime


def test_globals_give_every_function_the_variables_the_code_reads(template: SamTemplate) -> None:
    expected = {
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_LOG_LEVEL",
        "POWERTOOLS_METRICS_NAMESPACE",
        "TABLE_NAME",
        "IDEMPOTENCY_TABLE_NAME",
        "EVENT_BUS_NAME",
        "SCHEDULE_GROUP_NAME",
        "SCHEDULER_ROLE_ARN",
        "SEND_QUEUE_ARN",
        "SCHEDULER_DLQ_ARN",
        "SENDER_EMAIL",
        "SENDER_NAME",
        "SES_CONFIGURATION_SET",
        "API_KEY_PARAMETER",
        "WEBHOOK_SECRET_PARAMETER",
        "FORM_KEY_PARAMETER",
        "LINK_SECRET_PARAMETER",
        "RETENTION_DAYS",
        "PUBLIC_BASE_URL",
    }
    for logical_id in template.function_ids():
        assert expected <= set(template.function(logical_id).environment), logical_id


def test_api_function_does_not_reference_its_own_http_api(template: SamTemplate) -> None:
    # HttpApi integrates ApiFunction, so ApiFunction referencing HttpApi is a circular dependency on deploy.
    environment = template.function("ApiFunction").environment
    assert "HttpApi" not in repr(environment)


def test_loader_turns_short_tags_into_long_form() -> None:
    body = load_cfn_yaml(
        """
AWSTemplateFormatVersion: 2010-09-09
Resources:
  R:
    Properties:
      A: !Ref Thing
      B: !GetAtt Queue.Arn
      C: !Sub "${AWS::Region}-x"
      D: !Sub ["${X}", {X: !Select [1, !Split ["@", !Ref Email]]}]
      E: !If [Cond, !Join [",", [a, b]], !Ref AWS::NoValue]
      F: !GetAtt [Queue, QueueName]
"""
    )
    assert body["AWSTemplateFormatVersion"] == "2010-09-09"
    properties = body["Resources"]["R"]["Properties"]
    assert properties["A"] == {"Ref": "Thing"}
    assert properties["B"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert properties["C"] == {"Fn::Sub": "${AWS::Region}-x"}
    assert properties["D"] == {"Fn::Sub": ["${X}", {"X": {"Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "Email"}]}]}}]}
    assert properties["E"] == {"Fn::If": ["Cond", {"Fn::Join": [",", ["a", "b"]]}, {"Ref": "AWS::NoValue"}]}
    assert properties["F"] == {"Fn::GetAtt": ["Queue", "QueueName"]}


def test_function_spec_merges_globals_like_sam(template: SamTemplate) -> None:
    sender = template.function("SenderFunction")
    api = template.function("ApiFunction")
    assert sender.handler == "app.lambda_handler"
    assert sender.environment["TABLE_NAME"] == {"Ref": "FollowUpTable"}
    assert sender.environment["SES_MAX_SEND_RATE"] == {"Ref": "SesMaxSendRate"}
    assert api.environment["PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}
    assert api.properties["MemorySize"] == 512
    assert sender.properties["MemorySize"] == 256
    assert sender.properties["Layers"] == [{"Ref": "SharedLayer"}]
