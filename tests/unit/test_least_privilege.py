"""The least-privilege checker itself (tests/integration/least_privilege.py): how calls become IAM authorisations,
how they are evaluated against template.yaml's roles on a deployment, and when the verdict fails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.least_privilege import (
    EXCEPTIONS,
    Deployment,
    Exemption,
    Grant,
    Need,
    delegated,
    exemption_of,
    judge,
    needs,
    template_grants,
)

REGION, ACCOUNT = "us-east-1", "123456789012"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/T"


def _needs(service: str, operation: str, **params: Any) -> list[Need]:
    return needs(service, operation, params, region=REGION, account=ACCOUNT)


# -- calls → authorisations ------------------------------------------------------------------------------------------


def test_a_transaction_needs_each_items_own_action_and_none_of_its_own() -> None:
    items = [
        {"Put": {"TableName": "T"}},
        {"Update": {"TableName": "T"}},
        {"Delete": {"TableName": "T"}},
        {"ConditionCheck": {"TableName": "T"}},
    ]
    assert [n.action for n in _needs("dynamodb", "TransactWriteItems", TransactItems=items)] == [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
    ]
    assert _needs("dynamodb", "TransactGetItems", TransactItems=[{"Get": {"TableName": "T"}}]) == [
        Need("dynamodb:GetItem", TABLE)
    ]


def test_a_query_on_an_index_needs_the_index_and_a_batch_needs_each_table() -> None:
    assert _needs("dynamodb", "Query", TableName="T", IndexName="ByX") == [Need("dynamodb:Query", f"{TABLE}/index/ByX")]
    assert _needs("dynamodb", "Query", TableName="T") == [Need("dynamodb:Query", TABLE)]
    batch = _needs("dynamodb", "BatchWriteItem", RequestItems={"T": [], "U": []})
    assert [n.resource.rsplit("/", 1)[-1] for n in batch] == ["T", "U"]
    assert {n.action for n in batch} == {"dynamodb:BatchWriteItem"}


def test_sesv2_send_email_needs_the_identity_and_the_configuration_set_with_the_from_address() -> None:
    found = _needs("sesv2", "SendEmail", FromEmailAddress="Ada Lovelace <ada@example.com>", ConfigurationSetName="cs")
    context = (("ses:FromAddress", "ada@example.com"),)
    assert found == [
        Need("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/ada@example.com", context),
        Need("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/cs", context),
    ]
    assert _needs("sesv2", "PutSuppressedDestination", EmailAddress="a@b.c", Reason="BOUNCE") == [
        Need("ses:PutSuppressedDestination", "*")
    ]


def test_creating_a_schedule_with_a_role_passes_the_role_and_scheduler_then_acts_as_it() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/R"
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
    dlq = f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq"
    params = {
        "Name": "s",
        "GroupName": "g",
        "Target": {"RoleArn": role, "Arn": queue, "DeadLetterConfig": {"Arn": dlq}},
    }
    assert needs("scheduler", "CreateSchedule", params, region=REGION, account=ACCOUNT) == [
        Need("scheduler:CreateSchedule", f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/g/s"),
        Need("iam:PassRole", role, (("iam:PassedToService", "scheduler.amazonaws.com"),)),
    ]
    assume, target, dead_letter = delegated("scheduler", "CreateSchedule", params, region=REGION, account=ACCOUNT)
    assert assume[1].action == "sts:AssumeRole"
    assert dict(assume[1].context)["aws:SourceArn"] == f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/g"
    assert (target, dead_letter) == ((role, Need("sqs:SendMessage", queue)), (role, Need("sqs:SendMessage", dlq)))


def test_sqs_s3_and_unknown_calls() -> None:
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/q"
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
    assert _needs("sqs", "DeleteMessageBatch", QueueUrl=url, Entries=[]) == [Need("sqs:DeleteMessage", queue)]
    assert _needs("sqs", "GetQueueUrl", QueueName="q") == [Need("sqs:GetQueueUrl", queue)]
    assert _needs("s3", "ListObjectsV2", Bucket="b", Prefix="p/") == [
        Need("s3:ListBucket", "arn:aws:s3:::b", (("s3:prefix", "p/"),))
    ]
    assert _needs("s3", "GetObject", Bucket="b", Key="p/x") == [Need("s3:GetObject", "arn:aws:s3:::b/p/x")]
    # Not taught: the action on "*", which no scoped grant covers.
    assert _needs("kms", "Decrypt", KeyId="k") == [Need("kms:Decrypt", "*")]
    assert _needs("sts", "GetCallerIdentity") == []


# -- evaluation against template.yaml on a deployment --------------------------------------------------------------


@pytest.fixture(scope="module")
def deployments() -> Iterator[dict[str, Deployment]]:
    import boto3
    from moto import mock_aws

    from followup_local.provision import provision

    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        yield {
            "default": Deployment(provision(session)),
            "pinned": Deployment(
                provision(session, stack_name="pinned", parameters={"SendFromCandidateAddress": "false"})
            ),
        }


def _arn(deployment: Deployment, logical_id: str) -> str:
    return str(deployment.provisioned.arns[logical_id])


def test_table_and_index_are_different_resources(deployments: dict[str, Deployment]) -> None:
    d = deployments["default"]
    table = _arn(d, "FollowUpTable")
    assert d.allowed_by("ApiFunction", Need("dynamodb:PutItem", table))
    assert not d.allowed_by("ApiFunction", Need("dynamodb:Scan", table))
    assert not d.allowed_by("ApiFunction", Need("dynamodb:PutItem", _arn(d, "IdempotencyTable").replace("Id", "X")))
    assert d.allowed_by("FeedbackFunction", Need("dynamodb:Query", f"{table}/index/PendingByRecipient"))
    assert not d.allowed_by("FeedbackFunction", Need("dynamodb:Query", f"{table}/index/Other"))
    assert not d.allowed_by("ApiFunction", Need("dynamodb:Query", f"{table}/index/PendingByRecipient"))


def test_conditions_are_evaluated(deployments: dict[str, Deployment]) -> None:
    d = deployments["default"]
    role = _arn(d, "SchedulerRole")
    assert d.allowed_by(
        "PlannerFunction", Need("iam:PassRole", role, (("iam:PassedToService", "scheduler.amazonaws.com"),))
    )
    assert not d.allowed_by(
        "PlannerFunction", Need("iam:PassRole", role, (("iam:PassedToService", "lambda.amazonaws.com"),))
    )
    assert not d.allowed_by("PlannerFunction", Need("iam:PassRole", role))

    group = d.provisioned.attributes["ScheduleGroup"]["Arn"]
    assume = Need(
        "sts:AssumeRole",
        role,
        (("aws:SourceAccount", d.account), ("aws:SourceArn", group)),
        service_principal="scheduler.amazonaws.com",
    )
    assert d.allowed_by("SchedulerRole", assume)
    other_group = Need(
        assume.action,
        role,
        (("aws:SourceAccount", d.account), ("aws:SourceArn", f"{group}-other")),
        service_principal="scheduler.amazonaws.com",
    )
    assert not d.allowed_by("SchedulerRole", other_group)
    assert not d.allowed_by(
        "SchedulerRole", Need(assume.action, role, assume.context, service_principal="lambda.amazonaws.com")
    )


def test_send_from_candidate_address_off_pins_the_from_address(deployments: dict[str, Deployment]) -> None:
    def send(deployment: Deployment, address: str) -> Need:
        identity = f"arn:aws:ses:{REGION}:{deployment.account}:identity/{address}"
        return Need("ses:SendEmail", identity, (("ses:FromAddress", address),))

    sender = deployments["pinned"].provisioned.parameters["SenderEmail"]
    assert deployments["pinned"].allowed_by("SenderFunction", send(deployments["pinned"], sender.upper()))
    assert not deployments["pinned"].allowed_by("SenderFunction", send(deployments["pinned"], "ada@example.com"))
    assert deployments["default"].allowed_by("SenderFunction", send(deployments["default"], "ada@example.com"))


def test_a_policy_attached_under_a_condition_grants_only_when_it_holds(deployments: dict[str, Deployment]) -> None:
    d = deployments["default"]  # no InboundDomain, no TemplatesBucket
    assert not d.allowed_by("FeedbackFunction", Need("s3:GetObject", "arn:aws:s3:::any/inbound/x"))
    assert not d.allowed_by("SenderFunction", Need("s3:GetObject", "arn:aws:s3:::any/x"))


# -- the verdict ----------------------------------------------------------------------------------------------------


def _record(**fields: Any) -> dict[str, Any]:
    return {"calls": 0, "invocations": 0, "used": {}, "violations": {}, "errors": [], **fields}


def _not_stale(problems: list[str]) -> list[str]:
    return [problem for problem in problems if not problem.startswith("stale exception")]


def test_a_call_not_granted_fails_even_a_partial_run() -> None:
    violation = {"ApiFunction: dynamodb:Scan on T": {"count": 2, "tests": ["t::a"], "operation": "dynamodb.Scan"}}
    verdict = judge([_record(violations=violation)], incomplete=["only one file ran"])
    assert verdict.problems == ["not granted: ApiFunction: dynamodb:Scan on T (dynamodb.Scan, 2x; t::a)"]
    assert "unused grants not checked: only one file ran" in verdict.notes


def test_a_grant_no_call_needed_fails_a_whole_run_only() -> None:
    grants = [g for g in template_grants() if g.principal == "ApiFunction"]
    used = {g.key: 1 for g in grants if not exemption_of(g)}
    unused = next(g for g in grants if g.action == "dynamodb:BatchWriteItem")
    used.pop(unused.key)

    assert _not_stale(judge([_record(used=used)], incomplete=[], grants=grants).problems) == [
        f"never exercised: {unused.describe()}"
    ]
    assert _not_stale(judge([_record(used=used)], incomplete=["a test failed"], grants=grants).problems) == []


def test_an_exception_the_code_uses_or_that_matches_nothing_fails() -> None:
    grants = [g for g in template_grants() if g.principal == "SenderFunction"]
    used = {g.key: 1 for g in grants if not exemption_of(g)}
    receive = next(g for g in grants if g.action == "sqs:ReceiveMessage")
    verdict = judge([_record(used={**used, receive.key: 3})], incomplete=[], grants=grants)
    assert [p.split(":", 1)[0] for p in _not_stale(verdict.problems)] == ["exception not needed, the code uses it"]

    # The planner's role has no SQS event source: the sender's exceptions match nothing there.
    planner = [g for g in template_grants() if g.principal == "PlannerFunction"]
    problems = judge([_record()], incomplete=["partial"], grants=planner).problems
    assert "stale exception (matches no grant): SenderFunction sqs:ReceiveMessage" in problems
    assert exemption_of(receive, [Exemption("SenderFunction", "sqs:PurgeQueue", "no such grant")]) is None


def test_every_exception_of_the_template_matches_a_grant_and_has_a_reason() -> None:
    grants = template_grants()
    for exemption in EXCEPTIONS:
        assert exemption.reason.strip(), exemption
        assert any(exemption_of(grant, [exemption]) for grant in grants), exemption
    assert judge([_record()], incomplete=["partial"]).problems == []


def test_every_role_is_checked_and_every_grant_names_a_principal() -> None:
    principals = {grant.principal for grant in template_grants()}
    assert principals == {"ApiFunction", "PlannerFunction", "SenderFunction", "FeedbackFunction", "SchedulerRole"}
    assert all(isinstance(grant, Grant) and grant.key.startswith(grant.principal) for grant in template_grants())
