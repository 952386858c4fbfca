"""Custom templates: loaded from a folder or an S3 prefix, sandboxed, validated at load with clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from followup.domain.models import FollowUpKind, InterviewRequest
from followup.messages.custom_templates import (
    S3TemplateSource,
    TemplateLoadError,
    TemplateSet,
    load_custom_templates,
    parse_templates_uri,
    sample_follow_ups,
    sample_interview,
)
from followup.messages.lint import lint_message
from followup.messages.render import TEMPLATE_VARIABLES, render_follow_up

ROOT = Path(__file__).resolve().parents[2]

GOOD_THANK_YOU = """\
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


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(TemplateLoadError) as caught:
        load_custom_templates(root)
    return [str(problem) for problem in caught.value.problems]


def with_tone(request: InterviewRequest, tone: str) -> InterviewRequest:
    return request.model_copy(update={"preferences": request.preferences.model_copy(update={"tone": tone})})


# --- loading and rendering ----------------------------------------------------------------------------------------


def test_a_folder_of_templates_loads_and_renders_in_every_tone(tmp_path: Path) -> None:
    # Given a body for every tone and a subject of its own
    write(tmp_path, {"thank_you/any.txt.j2": GOOD_THANK_YOU, "thank_you/any.subject.j2": "Thanks, {{ first_name }}"})

    # When it is loaded and used
    templates = load_custom_templates(tmp_path)
    request = sample_interview()
    thank_you, check_in = sample_follow_ups(request)[0], sample_follow_ups(request)[1]

    # Then the thank-you uses it in every tone, and the kinds it does not define keep the built-in wording
    assert isinstance(templates, TemplateSet)
    assert templates.warnings == ()
    assert templates.origin == str(tmp_path)
    for tone in ("formal", "warm", "concise"):
        toned = with_tone(request, tone)
        message = render_follow_up(toned, thank_you, templates=templates)
        assert message.subject == "Thanks, Grace"
        greeting = "Dear Grace Hopper," if tone == "formal" else "Dear Grace,"
        assert message.text.startswith(f"{greeting}\n\nThank you for meeting me during today's virtual onsite")
        assert message.text.endswith("Best,\nAda Lovelace\nhttps://ada.dev\n")
        assert lint_message(toned, thank_you, message) == []
        built_in = render_follow_up(toned, check_in)
        assert render_follow_up(toned, check_in, templates=templates) == built_in


def test_a_tone_specific_template_wins_over_any(tmp_path: Path) -> None:
    formal = GOOD_THANK_YOU.replace("Thank you for meeting me", "I thank you sincerely for meeting me")
    write(tmp_path, {"thank_you/any.txt.j2": GOOD_THANK_YOU, "thank_you/formal.txt.j2": formal})
    templates = load_custom_templates(tmp_path)
    request = sample_interview()
    follow_up = sample_follow_ups(request)[0]

    assert "sincerely" in render_follow_up(with_tone(request, "formal"), follow_up, templates=templates).text
    assert "sincerely" not in render_follow_up(with_tone(request, "warm"), follow_up, templates=templates).text


def test_custom_templates_may_import_their_own_partials_and_the_built_in_macros(tmp_path: Path) -> None:
    body = (
        '{% import "_macros.txt.j2" as m %}{% import "_mine.txt.j2" as mine %}'
        "Hi {{ greeting_name }},\n\n{{ mine.line(role, company, decision_date) }}\n\n"
        "{{ m.sign('Best,', signature)|trim }}\n"
    )
    partial = (
        "{% macro line(role, company, decision_date) %}Checking in on the {{ role }} role at {{ company }}, "
        "as the decision was due {{ decision_date }}. I am still very interested.{% endmacro %}"
    )
    write(tmp_path, {"check_in/warm.txt.j2": body, "_mine.txt.j2": partial})

    templates = load_custom_templates(tmp_path)
    request = with_tone(sample_interview(), "warm")
    text = render_follow_up(request, sample_follow_ups(request)[1], templates=templates).text

    assert text.startswith("Hi Grace,\n\nChecking in on the Senior Data Engineer role at Analytical Engines")
    assert "Friday, December 4" in text


def test_submitted_text_stays_data_in_a_custom_template(tmp_path: Path) -> None:
    write(tmp_path, {"thank_you/any.txt.j2": GOOD_THANK_YOU})
    templates = load_custom_templates(tmp_path)
    document = json.loads((ROOT / "examples" / "interview.json").read_text())
    document["interviewers"][0]["topics"] = ["templating with {{ 7*7 }}", "<b>bold</b> markup"]
    request = InterviewRequest.model_validate(document)

    message = render_follow_up(request, sample_follow_ups(request)[0], templates=templates)

    assert "{{ 7*7 }}" in message.text
    assert "49" not in message.text
    assert "&lt;b&gt;bold&lt;/b&gt;" in message.html


# --- validation: clear errors with file and line ------------------------------------------------------------------


def test_syntax_errors_name_the_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, {"check_in/formal.txt.j2": "Dear {{ greeting_name }},\n\n{% if topics %}\nunfinished\n"})

    (problem,) = problems_of(tmp_path)

    assert problem.startswith("check_in/formal.txt.j2:4: syntax error:")
    assert "endif" in problem


def test_unknown_variables_are_named_with_their_line_and_a_suggestion(tmp_path: Path) -> None:
    write(tmp_path, {"thank_you/warm.txt.j2": GOOD_THANK_YOU.replace("{{ role }}", "{{ job_title }} {{ compnay }}")})

    problems = problems_of(tmp_path)

    assert "thank_you/warm.txt.j2:3: unknown variable 'compnay' (did you mean 'company'?)" in problems
    assert any(p.startswith("thank_you/warm.txt.j2:3: unknown variable 'job_title'") for p in problems)


def test_an_unknown_filter_is_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    write(tmp_path, {"final/any.txt.j2": "Hi {{ greeting_name }},\n\n{{ role|shout }}\n"})

    (problem,) = problems_of(tmp_path)

    assert problem == "final/any.txt.j2:3: syntax error: No filter named 'shout'."


def test_misnamed_and_reserved_files_are_refused_and_every_problem_is_listed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "thank_you/warm.txt": "x",
            "thank-you/warm.txt.j2": "x",
            "thank_you/friendly.txt.j2": "x",
            "layout.html.j2": "<p>x</p>",
            "README.md": "notes are ignored",
        },
    )

    with pytest.raises(TemplateLoadError) as caught:
        load_custom_templates(tmp_path)

    files = sorted(problem.file for problem in caught.value.problems)
    assert files == ["layout.html.j2", "thank-you/warm.txt.j2", "thank_you/friendly.txt.j2", "thank_you/warm.txt"]
    assert "4 problem(s)" in str(caught.value)
    assert "not a template name" in str(caught.value)


def test_an_empty_or_missing_folder_is_an_error(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == [f"{tmp_path}: no templates found (expected files like thank_you/warm.txt.j2)"]
    with pytest.raises(TemplateLoadError, match="is not a folder"):
        load_custom_templates(tmp_path / "missing")


def test_a_template_that_breaks_a_hard_rule_on_the_sample_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "thank_you/warm.txt.j2": GOOD_THANK_YOU.replace("Dear {{ greeting_name }}", "Dear [NAME]"),
            "check_in/any.subject.j2": "FOLLOWING UP!!",
            "final/concise.txt.j2": "Hi {{ greeting_name }},\n\n" + "Thank you so much. " * 40 + "\n",
        },
    )

    problems = "\n".join(problems_of(tmp_path))

    assert "thank_you/warm.txt.j2: recipient_name: the greeting does not address Grace Hopper by name" in problems
    assert "thank_you/warm.txt.j2: placeholder: leftover placeholder(s): '[NAME]'" in problems
    assert "check_in/any.subject.j2: subject_shouting: all-caps words in the subject: FOLLOWING" in problems
    assert re.search(r"final/concise\.txt\.j2: word_limit: 16\d words; a final is at most 100", problems)
    assert "sample thank_you-0 to Grace Hopper" in problems


def test_the_sandbox_refuses_unsafe_attribute_access(tmp_path: Path) -> None:
    write(tmp_path, {"thank_you/any.txt.j2": GOOD_THANK_YOU.replace("{{ role }}", "{{ role.__class__.__mro__ }}")})

    (problem, *_) = problems_of(tmp_path)

    assert problem.startswith("thank_you/any.txt.j2:3: fails to render")
    assert "SecurityError" in problem or "UndefinedError" in problem


def test_a_template_that_fails_at_render_time_reports_its_line(tmp_path: Path) -> None:
    write(tmp_path, {"thank_you/warm.txt.j2": GOOD_THANK_YOU.replace("{{ topics|join_and }}", "{{ topics[5] }}")})

    (problem,) = problems_of(tmp_path)

    assert problem.startswith("thank_you/warm.txt.j2:5: fails to render thank_you/warm.txt.j2 (warm, sample")
    assert "UndefinedError" in problem


def test_rubric_warnings_are_reported_and_strict_refuses_them(tmp_path: Path) -> None:
    no_topic = GOOD_THANK_YOU.replace("I enjoyed discussing {{ topics|join_and }}.", "I enjoyed our talk.")
    write(tmp_path, {"thank_you/concise.txt.j2": no_topic})

    templates = load_custom_templates(tmp_path)

    assert len(templates.warnings) == 1
    assert templates.warnings[0].startswith("thank_you/concise.txt.j2: cites_topic:")
    with pytest.raises(TemplateLoadError, match="cites_topic"):
        load_custom_templates(tmp_path, strict=True)


# --- S3 -----------------------------------------------------------------------------------------------------------


@mock_aws
def test_templates_load_from_an_s3_prefix() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="followup-templates")
    s3.put_object(Bucket="followup-templates", Key="users/ada/thank_you/any.txt.j2", Body=GOOD_THANK_YOU.encode())
    s3.put_object(
        Bucket="followup-templates", Key="users/ada/thank_you/any.subject.j2", Body=b"Thanks, {{ first_name }}"
    )
    s3.put_object(Bucket="followup-templates", Key="users/bob/thank_you/any.txt.j2", Body=b"{% broken")

    templates = load_custom_templates(S3TemplateSource(s3, "followup-templates", "users/ada/"))

    assert templates.origin == "s3://followup-templates/users/ada"
    assert sorted(templates.sources) == ["thank_you/any.subject.j2", "thank_you/any.txt.j2"]
    request = sample_interview()
    assert render_follow_up(request, sample_follow_ups(request)[0], templates=templates).subject == "Thanks, Grace"


@mock_aws
def test_a_broken_s3_template_names_the_prefix_file_and_line() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="followup-templates")
    s3.put_object(Bucket="followup-templates", Key="users/bob/final/warm.txt.j2", Body=b"Hi {{ greeting_name }\n")
    s3.put_object(Bucket="followup-templates", Key="users/bob/final/formal.txt.j2", Body=b"\xff\xfe")

    with pytest.raises(TemplateLoadError) as caught:
        load_custom_templates(S3TemplateSource(s3, "followup-templates", "users/bob"))

    message = str(caught.value)
    assert message.startswith("custom templates at s3://followup-templates/users/bob cannot be used (2 problem(s))")
    assert "final/formal.txt.j2: not UTF-8 text" in message
    assert "final/warm.txt.j2:1: syntax error:" in message


# --- the sample and the documentation -----------------------------------------------------------------------------


def test_the_packaged_sample_is_examples_interview_json() -> None:
    packaged = sample_interview()
    example = InterviewRequest.model_validate(json.loads((ROOT / "examples" / "interview.json").read_text()))

    assert packaged == example
    kinds = {follow_up.kind for follow_up in sample_follow_ups(packaged)}
    assert kinds == set(FollowUpKind)


def test_the_guide_documents_every_template_variable() -> None:
    guide = (ROOT / "docs" / "templates.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)`", guide, re.M))

    assert documented >= TEMPLATE_VARIABLES
    assert "UPDATE_GOLDEN=1" in guide


# --- resource limits and wiring -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression",
    [
        "{% set s = 'a' * 200000000 %}{{ s|length }}",
        "{{ ('ab' * 60000)|length }}",
        "{% for i in range(10000000) %}x{% endfor %}",
        "{{ 10 ** 100000 }}",
    ],
)
def test_a_template_cannot_build_huge_values(tmp_path: Path, expression: str) -> None:
    # Given a template whose body tries to allocate far beyond any message
    write(tmp_path, {"thank_you/any.txt.j2": GOOD_THANK_YOU.replace("Best,", expression + "\nBest,")})

    # When it is loaded (and so rendered on the sample), it fails fast with a SecurityError, not 800 MB later
    (problem, *_) = problems_of(tmp_path)
    assert "SecurityError" in problem


def test_a_runaway_loop_of_literal_text_is_stopped_while_rendering(tmp_path: Path) -> None:
    loop = "{% for i in range(1000) %}{% for j in range(1000) %}" + "x" * 100 + "{% endfor %}{% endfor %}"
    write(tmp_path, {"thank_you/any.txt.j2": GOOD_THANK_YOU.replace("Best,", loop + "\nBest,")})

    (problem, *_) = problems_of(tmp_path)
    assert "RenderTooLong" in problem


def test_templates_cannot_change_the_values_they_are_given(tmp_path: Path) -> None:
    mutate = "{% set _ = topics.append('x') %}"
    write(tmp_path, {"thank_you/any.txt.j2": GOOD_THANK_YOU.replace("Best,", mutate + "Best,")})
    (problem, *_) = problems_of(tmp_path)
    assert "SecurityError" in problem


def test_templates_uri_names_a_folder_or_an_s3_prefix(tmp_path: Path) -> None:
    made: list[str] = []

    def client() -> str:
        made.append("s3")
        return "client"

    assert parse_templates_uri("", client) is None
    assert parse_templates_uri(str(tmp_path), client) == tmp_path
    source = parse_templates_uri("s3://bucket/users/ada/", client)
    assert isinstance(source, S3TemplateSource)
    assert (source.bucket, source.prefix) == ("bucket", "users/ada/")
    assert made == ["s3"]  # the S3 client is made only for an s3:// URI
    with pytest.raises(TemplateLoadError):
        parse_templates_uri("s3:///prefix", client)


def test_the_sender_renders_with_the_deployments_custom_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from followup.sender import services

    write(tmp_path, {"thank_you/any.subject.j2": "Thanks from {{ candidate_first_name }}"})
    templates = services._custom_templates(str(tmp_path))
    assert templates is not None
    request = sample_interview()
    assert render_follow_up(request, sample_follow_ups(request)[0], templates=templates).subject == "Thanks from Ada"
    assert services._custom_templates("") is None
