"""Addresses as SES can send them (hardening round two, item 7): internationalised domains become punycode, non-ASCII
mailbox names are refused with the field named."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from followup.domain.models import InterviewRequest
from tests.conftest import load_example


def _with(path: tuple[str | int, ...], value: str) -> dict:
    document = load_example("interview.json")
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("grace@bücher.example", "grace@xn--bcher-kva.example"),
        ("Grace@BÜCHER.example", "Grace@xn--bcher-kva.example"),
        ("grace@例え.テスト", "grace@xn--r8jz45g.xn--zckzah"),
        ("grace@ae.example", "grace@ae.example"),
    ],
)
def test_an_internationalised_domain_is_stored_as_punycode(given: str, stored: str) -> None:
    request = InterviewRequest.model_validate(_with(("interviewers", 0, "email"), given))
    assert request.interviewers[0].email == stored
    assert request.to_document()["interviewers"][0]["email"] == stored


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("interviewers", 0, "email"), "grâce@ae.example", "interviewers.0.email"),
        (("candidate", "email"), "adá@example.com", "candidate.email"),
        (("interviewers", 0, "email"), "grâce@bücher.example", "interviewers.0.email"),
    ],
)
def test_a_non_ascii_mailbox_name_is_refused_naming_the_field(path: tuple, value: str, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        InterviewRequest.model_validate(_with(path, value))
    errors = raised.value.errors()
    assert [".".join(str(p) for p in e["loc"]) for e in errors] == [field]
    assert "SES cannot send" in errors[0]["msg"]


def test_the_same_person_under_unicode_and_punycode_is_one_interviewer() -> None:
    document = _with(("interviewers", 0, "email"), "grace@bücher.example")
    document["interviewers"].append({"name": "Grace again", "email": "grace@xn--bcher-kva.example"})
    with pytest.raises(ValidationError, match="listed twice"):
        InterviewRequest.model_validate(document)
