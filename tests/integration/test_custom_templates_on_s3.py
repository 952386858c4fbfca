"""A deployment with TemplatesBucket/TemplatesPrefix: the sender reads its custom templates from S3 at cold start
(and only under the prefix, as the conditional read policy allows) and sends with them — on moto."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from followup_local.cloud import LocalCloud, in_process_cloud
from tests.conftest import load_example
from tests.integration.conftest import SUBMITTED_AT

pytestmark = pytest.mark.integration

BUCKET = "followup-templates-test"
PREFIX = "templates/"
CUSTOM_THANK_YOU = """\
Dear {{ greeting_name }},

Thank you for meeting me {{ meeting }} about the {{ role }} role at {{ company }}.
{% if topics %}
I enjoyed discussing {{ topics|join_and }}.
{% endif %}
{% if skills %}
My {{ skills|join_and }} work fits the team well, and I am very interested in joining.
{% else %}
I am very interested in joining.
{% endif %}

Best,{{ br }}{{ signature|join(br) }}
"""


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    parameters = {"TemplatesBucket": BUCKET, "TemplatesPrefix": PREFIX}
    with in_process_cloud(SUBMITTED_AT, parameters=parameters) as deployed:
        s3 = deployed.session.client("s3", region_name=deployed.provisioned.region)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}thank_you/any.txt.j2", Body=CUSTOM_THANK_YOU.encode())
        # Another deployment's broken set beside it: outside the prefix, so never read.
        s3.put_object(Bucket=BUCKET, Key="elsewhere/thank_you/any.txt.j2", Body=b"{% broken")
        yield deployed


def test_the_sender_sends_with_the_custom_templates_under_its_prefix(cloud: LocalCloud) -> None:
    environment = cloud.provisioned.function_environment("SenderFunction")
    assert environment["TEMPLATES_URI"] == f"s3://{BUCKET}/{PREFIX}"

    status, accepted = cloud.api("POST", "/interviews", load_example("interview.json"))
    assert status == 202, accepted
    cloud.advance(18 * 3600)

    (thank_you,) = [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]
    assert "work fits the team well, and I am very interested in joining." in " ".join(thank_you["text"].split())
    # A kind the set does not define keeps the built-in wording.
    cloud.advance(14 * 86400)
    (check_in,) = [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "check_in"]
    assert "fits the team well" not in check_in["text"]


def test_the_preview_and_the_panel_show_the_custom_wording(cloud: LocalCloud) -> None:
    import re

    assert cloud.provisioned.function_environment("ApiFunction")["TEMPLATES_URI"] == f"s3://{BUCKET}/{PREFIX}"
    custom = "work fits the team well, and I am very interested in joining."

    # The JSON preview renders with the set the sender will use
    status, preview = cloud.api("POST", "/preview", load_example("interview.json"))
    assert status == 200, preview
    texts = {item["id"]: " ".join(item["text"].split()) for item in preview["follow_ups"]}
    assert custom in texts["thank_you-0"]
    assert custom not in texts["check_in"]  # a kind the set leaves out keeps the built-in wording

    assert cloud.api("POST", "/interviews", load_example("interview.json"))[0] == 202

    # The control panel, opened from the manage link of the reminder the candidate got
    cloud.advance(3 * 86400)
    reminder = next(m for m in cloud.outbox.follow_ups() if "/panel/m/" in m["text"])
    path = re.search(r"(/panel/m/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", reminder["text"]).group(1)  # type: ignore[union-attr]
    status, headers, _ = cloud.http("POST", path, headers={"content-type": "application/x-www-form-urlencoded"})
    assert status == 303
    cookie = headers["set-cookie"].split(";", 1)[0]
    status, _, page = cloud.http("GET", headers["location"], headers={"cookie": cookie})
    assert status == 200
    assert custom in " ".join(page.decode().split())
