"""provision() builds, on moto, what template.yaml declares, and resolves each function's environment."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from followup_local.provision import Provisioned, ProvisioningError, provision
from followup_local.template import SamTemplate, load_template

pytestmark = pytest.mark.integration


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def template() -> SamTemplate:
    return load_template()


@pytest.fixture
def provisioned(session: boto3.session.Session, template: SamTemplate) -> Provisioned:
    return provision(session, template=template, secrets={"ApiKeyParameterName": "the-api-key"})


def test_tables_have_the_template_keys_and_ttl(
    session: boto3.session.Session, template: SamTemplate, provisioned: Provisioned
) -> None:
    dynamodb = session.client("dynamodb")
    tables = template.resources("AWS::DynamoDB::Table")
    assert set(tables) == {"FollowUpTable", "IdempotencyTable"}
    for logical_id, resource in tables.items():
        declared = resource["Properties"]
        table = dynamodb.describe_table(TableName=provisioned.physical[logical_id])["Table"]
        assert table["KeySchema"] == declared["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
            declared["AttributeDefinitions"], key=lambda a: a["AttributeName"]
        )
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["TableArn"] == provisioned.arns[logical_id]
        ttl = dynamodb.describe_time_to_live(TableName=provisioned.physical[logical_id])["TimeToLiveDescription"]
        assert ttl == {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": declared["TimeToLiveSpecification"]["AttributeName"],
        }


def test_send_queue_redrives_to_its_dead_letter_queue(session: boto3.session.Session, provisioned: Provisioned) -> None:
    attributes = session.client("sqs").get_queue_attributes(
        QueueUrl=provisioned.physical["SendQueue"], AttributeNames=["All"]
    )["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == provisioned.arns["SendDeadLetterQueue"]
    assert int(redrive["maxReceiveCount"]) == 10
    assert attributes["VisibilityTimeout"] == "180"
    for dead_letter_queue in ("SendDeadLetterQueue", "SchedulerDeadLetterQueue", "PlannerDeadLetterQueue"):
        assert provisioned.physical[dead_letter_queue].startswith("https://")


def test_bus_schedule_group_and_scheduler_role_exist(session: boto3.session.Session, provisioned: Provisioned) -> None:
    group = session.client("scheduler").get_schedule_group(Name=provisioned.physical["ScheduleGroup"])
    assert group["Arn"] == provisioned.arns["ScheduleGroup"]
    assert group["Name"] == "followup-local-followups"
    bus = session.client("events").describe_event_bus(Name=provisioned.physical["EventBus"])
    assert bus["Arn"] == provisioned.arns["EventBus"]
    role = session.client("iam").get_role(RoleName=provisioned.physical["SchedulerRole"])["Role"]
    assert role["Arn"] == provisioned.arns["SchedulerRole"]
    policy = session.client("iam").get_role_policy(
        RoleName=provisioned.physical["SchedulerRole"], PolicyName="deliver-due-follow-ups"
    )["PolicyDocument"]
    assert provisioned.arns["SendQueue"] in json.dumps(policy)


def test_secrets_are_secure_strings_that_decrypt(session: boto3.session.Session, provisioned: Provisioned) -> None:
    ssm = session.client("ssm")
    assert set(provisioned.secrets) == {
        "ApiKeyParameterName",
        "WebhookSecretParameterName",
        "FormKeyParameterName",
        "LinkSecretParameterName",
        "OperatorKeyParameterName",
    }
    assert provisioned.secrets["ApiKeyParameterName"] == "the-api-key"
    for logical_id, value in provisioned.secrets.items():
        parameter = ssm.get_parameter(Name=provisioned.parameters[logical_id], WithDecryption=True)["Parameter"]
        assert parameter["Type"] == "SecureString"
        assert parameter["Value"] == value
        if logical_id != "ApiKeyParameterName":
            assert len(value) >= 24, "generated secrets are token_urlsafe(24)"


def test_sender_identity_can_send_through_ses_v2(session: boto3.session.Session, provisioned: Provisioned) -> None:
    sender = provisioned.parameters["SenderEmail"]
    response = session.client("sesv2").send_email(
        FromEmailAddress=f"Interview Follow-ups <{sender}>",
        Destination={"ToAddresses": ["someone@example.org"]},
        ConfigurationSetName=provisioned.physical["ConfigurationSet"],
        Content={"Simple": {"Subject": {"Data": "Thank you"}, "Body": {"Text": {"Data": "Thanks."}}}},
    )
    assert response["MessageId"]


# Off by default, so empty: replies (InboundDomain "") and custom templates (TemplatesBucket ""); AWS_ENDPOINT_URL is
# empty in the template (boto3's default endpoints) and set only locally (the local stack, `followup sam-env`).
OPTIONAL_VARIABLES = frozenset({"INBOUND_DOMAIN", "INBOUND_BUCKET", "TEMPLATES_URI", "AWS_ENDPOINT_URL"})


def test_every_function_environment_resolves_to_plain_strings(template: SamTemplate, provisioned: Provisioned) -> None:
    for logical_id in template.function_ids():
        declared = template.function(logical_id).environment
        environment = provisioned.function_environment(logical_id)
        assert set(environment) == set(declared), logical_id
        for name, value in environment.items():
            assert isinstance(value, str), (logical_id, name)
            # The API gets only the configured base URL (see template.yaml); it is empty by default. Replies are
            # off by default (InboundDomain ""), so their variables are empty too.
            if (logical_id, name) != ("ApiFunction", "PUBLIC_BASE_URL") and name not in OPTIONAL_VARIABLES:
                assert value, (logical_id, name)
        assert environment["TABLE_NAME"] == provisioned.physical["FollowUpTable"]
        assert environment["SEND_QUEUE_ARN"] == provisioned.arns["SendQueue"]
        assert environment["SCHEDULER_ROLE_ARN"] == provisioned.arns["SchedulerRole"]
        assert environment["SES_CONFIGURATION_SET"] == provisioned.physical["ConfigurationSet"]
        assert environment["LINK_SECRET_PARAMETER"] == "/followup/link-secret"


def test_public_base_url_parameter_reaches_every_function(
    session: boto3.session.Session, template: SamTemplate
) -> None:
    provisioned = provision(session, template=template, parameters={"PublicBaseUrl": "http://127.0.0.1:3000"})
    for logical_id in template.function_ids():
        assert provisioned.function_environment(logical_id)["PUBLIC_BASE_URL"] == "http://127.0.0.1:3000"


def test_provisioning_twice_keeps_resources_and_secrets(
    session: boto3.session.Session, template: SamTemplate, provisioned: Provisioned
) -> None:
    again = provision(session, template=template)
    assert again.physical == provisioned.physical
    assert again.arns == provisioned.arns
    assert again.secrets == provisioned.secrets
    rotated = provision(session, template=template, secrets={"LinkSecretParameterName": "rotated"})
    assert rotated.secrets["LinkSecretParameterName"] == "rotated"


def test_invalid_parameters_are_refused(session: boto3.session.Session, template: SamTemplate) -> None:
    with pytest.raises(ProvisioningError, match="SenderMaxConcurrency"):
        provision(session, template=template, parameters={"SenderMaxConcurrency": "1"})
    with pytest.raises(ProvisioningError, match="NoSuchParameter"):
        provision(session, template=template, parameters={"NoSuchParameter": "x"})


def test_provisions_a_moto_server_over_http(monkeypatch: pytest.MonkeyPatch, template: SamTemplate) -> None:
    # The local stack provisions a ThreadedMotoServer, so the endpoint_url path must work end to end.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint_url = f"http://{host}:{port}"
        session = boto3.session.Session(region_name="us-east-1")
        first = provision(session, endpoint_url=endpoint_url, template=template)
        second = provision(session, endpoint_url=endpoint_url, template=template)
        assert second.arns == first.arns
        assert second.secrets == first.secrets
        ssm = session.client("ssm", endpoint_url=endpoint_url)
        parameter_name = first.parameters["WebhookSecretParameterName"]
        stored = ssm.get_parameter(Name=parameter_name, WithDecryption=True)["Parameter"]["Value"]
        assert stored == first.secrets["WebhookSecretParameterName"]
    finally:
        server.stop()


def test_an_inbound_domain_adds_the_inbound_mail_bucket(session: boto3.session.Session) -> None:
    provisioned = provision(session, stack_name="followup-replies", parameters={"InboundDomain": "replies.example"})
    bucket = provisioned.physical["InboundMailBucket"]
    assert bucket == "followup-replies-inboundmailbucket"
    session.client("s3").head_bucket(Bucket=bucket)
    environment = provisioned.function_environment("FeedbackFunction")
    assert (environment["INBOUND_DOMAIN"], environment["INBOUND_BUCKET"]) == ("replies.example", bucket)
