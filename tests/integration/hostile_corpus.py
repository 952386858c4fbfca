"""Hostile requests to the HTTP API, as data: what is sent and the 4xx the contract (§2) promises for it.

Each case starts from the contract's sample interview (examples/interview.json) and breaks one thing, or sends raw
bytes. `test_hostile_input.py` sends every case through ApiFunction on moto and checks the status, the error shape,
that no 5xx escapes and that nothing was written anywhere.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from tests.conftest import load_example

BASE: dict[str, Any] = load_example("interview.json")
KNOWN_ID = "0" * 22  # well-formed interview id that was never issued
MAX_BODY_BYTES = 256 * 1024


@dataclass(frozen=True)
class HostileCase:
    """One bad request and the answer it must get."""

    id: str
    category: str
    status: int
    code: str | None = None  # expected error.code
    field: str | None = None  # a name expected among error.fields[].field (422)
    method: str = "POST"
    path: str = "/interviews"
    payload: Any = None  # JSON-encoded when `body` is None
    body: bytes | None = None  # raw bytes, sent as they are
    headers: Mapping[str, str] = dataclass_field(default_factory=dict)  # over the defaults: Bearer, JSON
    drop_headers: tuple[str, ...] = ()
    event_patch: Mapping[str, Any] | None = None  # keys replaced in the API Gateway event after it is built
    direct: bool = False  # invoke ApiFunction with the event even when no template route matches
    also: tuple[int, ...] = ()  # other acceptable statuses (code and field are then not checked)

    def request_body(self) -> bytes:
        if self.body is not None:
            return self.body
        return json.dumps(self.payload if self.payload is not None else BASE, ensure_ascii=False).encode()


# -- payload surgery on a copy of the sample: paths like "interviewers[0].email" ------------------------------------

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _STEP.findall(path)]


def _parent(document: Any, path: str) -> tuple[Any, str | int]:
    steps = _steps(path)
    node = document
    for step in steps[:-1]:
        node = node[step]
    return node, steps[-1]


def set_field(path: str, value: Any, base: Mapping[str, Any] = BASE) -> dict[str, Any]:
    """A copy of `base` with `path` set to `value` (the key is added when absent)."""
    document = copy.deepcopy(dict(base))
    parent, last = _parent(document, path)
    parent[last] = value
    return document


def drop_field(path: str, base: Mapping[str, Any] = BASE) -> dict[str, Any]:
    document = copy.deepcopy(dict(base))
    parent, last = _parent(document, path)
    del parent[last]
    return document


def edit(change: Callable[[dict[str, Any]], None], base: Mapping[str, Any] = BASE) -> dict[str, Any]:
    document = copy.deepcopy(dict(base))
    change(document)
    return document


def _invalid(case_id: str, category: str, path: str, value: Any, *, field_name: str | None = None, **kw: Any):
    """`path` set to `value` → 422 naming `field_name` (default: `path`)."""
    return HostileCase(
        id=case_id,
        category=category,
        status=422,
        code="invalid_fields",
        field=path if field_name is None else field_name,
        payload=set_field(path, value),
        **kw,
    )


def _sample_bytes() -> bytes:
    return json.dumps(BASE).encode()


def _nested(depth: int, opening: bytes = b"[", closing: bytes = b"]") -> bytes:
    return opening * depth + closing * depth


def _nested_objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


MALFORMED_JSON: list[HostileCase] = [
    HostileCase(id=case_id, category="malformed_json", status=400, code="malformed_json", body=body)
    for case_id, body in [
        ("truncated-object", b'{"candidate": {"name": "Ada"'),
        ("trailing-comma", b'{"candidate": {},}'),
        ("single-quotes", b"{'candidate': {}}"),
        ("unquoted-keys", b"{candidate: {}}"),
        ("js-comment", b'{"candidate": {} /* hi */}'),
        ("bare-word", b"hello"),
        ("extra-closing-brace", b'{"a": 1}}'),
        ("two-documents", b"{} {}"),
        ("bad-escape", b'{"a": "\\x41"}'),
        ("raw-control-char-in-string", b'{"a": "line\nbreak"}'),
        ("invalid-utf8-byte", b'{"a": "\xff\xfe"}'),
        ("overlong-utf8", b'{"a": "\xc0\xaf"}'),
        ("lone-continuation-byte", b'{"a": "\x80"}'),
        ("truncated-utf8-sequence", b'{"a": "\xe2\x82"}'),
        ("sample-cut-in-half", _sample_bytes()[: len(_sample_bytes()) // 2]),
        ("python-literals", b'{"a": True, "b": None}'),
    ]
] + [
    HostileCase(
        id="integer-of-5000-digits",
        category="malformed_json",
        status=400,
        body=_sample_bytes().replace(b'"max_follow_ups": 2', b'"max_follow_ups": ' + b"9" * 5000),
    ),
]

EMPTY: list[HostileCase] = [
    HostileCase(id="empty-body", category="empty", status=400, code="malformed_body", body=b""),
    HostileCase(id="whitespace-body", category="empty", status=400, code="malformed_body", body=b" \r\n\t "),
    HostileCase(id="empty-body-preview", category="empty", status=400, path="/preview", body=b""),
    HostileCase(id="empty-object", category="empty", status=422, code="invalid_fields", field="candidate", body=b"{}"),
    HostileCase(
        id="null-body-in-event", category="empty", status=400, code="malformed_body", event_patch={"body": None}
    ),
]

ROOT_TYPES: list[HostileCase] = [
    HostileCase(id=f"root-{name}", category="wrong_type", status=422, code="invalid_fields", field="", body=body)
    for name, body in [
        ("array", b"[1, 2]"),
        ("string", b'"interview"'),
        ("number", b"42"),
        ("null", b"null"),
        ("true", b"true"),
        ("array-of-sample", b"[" + _sample_bytes() + b"]"),
    ]
]

WRONG_TYPES: list[HostileCase] = [
    _invalid(f"type-{path}-{label}", "wrong_type", path, value)
    for path, label, value in [
        ("candidate", "string", "Ada"),
        ("company", "list", ["Analytical Engines"]),
        ("position", "null", None),
        ("interview", "number", 7),
        ("interviewers", "object", {"name": "Grace", "email": "grace@ae.example"}),
        ("interviewers[0]", "string", "grace@ae.example"),
        ("highlights", "string", "Kafka"),
        ("next_steps", "list", []),
        ("preferences", "string", "warm"),
        ("candidate.name", "number", 123),
        ("candidate.email", "list", ["ada@example.com"]),
        ("company.name", "object", {"en": "Analytical"}),
        ("position.title", "bool", True),
        ("interview.ended_at", "bool", False),
        ("interview.ended_at", "huge-number", 1e20),
        ("interviewers[0].name", "null", None),
        ("interviewers[0].topics", "string", "streaming"),
        ("interviewers[0].topics[0]", "number", 1),
        ("interviewers[0].primary_contact", "object", {"yes": True}),
        ("highlights.skills[0]", "list", []),
        ("preferences.max_follow_ups", "word", "many"),
        ("preferences.max_follow_ups", "fraction", 2.5),
        ("preferences.max_follow_ups", "nan", float("nan")),
        ("preferences.work_samples", "string", "https://github.com/ada/engine"),
        ("preferences.send_window", "string", "9-5"),
        ("preferences.handwritten_note", "list", [True]),
        ("next_steps.decision_expected_by", "words", "next Friday"),
    ]
]

MISSING: list[HostileCase] = [
    HostileCase(
        id=f"missing-{path}",
        category="missing_required",
        status=422,
        code="invalid_fields",
        field=path,
        payload=drop_field(path),
    )
    for path in (
        "candidate",
        "company",
        "position",
        "interview",
        "interviewers",
        "candidate.name",
        "candidate.email",
        "company.name",
        "position.title",
        "interview.ended_at",
        "interviewers[0].name",
        "interviewers[0].email",
    )
] + [
    _invalid("missing-no-interviewers", "missing_required", "interviewers", []),
    _invalid("missing-blank-candidate-name", "missing_required", "candidate.name", "   "),
    _invalid("missing-blank-position-title", "missing_required", "position.title", ""),
]

UNKNOWN: list[HostileCase] = [
    _invalid(f"unknown-{path}", "unknown_field", path, value)
    for path, value in [
        ("admin", True),
        ("__proto__", {"isAdmin": True}),
        ("status", "sent"),
        ("candidate.role", "admin"),
        ("company.domain", "ae.example"),
        ("interviewers[0].cc", "eve@evil.example"),
        ("interview.location", "HQ"),
        ("preferences.send_now", True),
        ("preferences.send_window.timezone", "UTC"),
        ("highlights.salary", 1_000_000),
    ]
]

HUGE: list[HostileCase] = [
    _invalid(f"huge-{label}", "huge_value", path, value)
    for label, path, value in [
        ("candidate-name-121", "candidate.name", "A" * 121),
        ("candidate-name-200k", "candidate.name", "A" * 200_000),
        ("company-name-201", "company.name", "C" * 201),
        ("position-title-201", "position.title", "T" * 201),
        ("interviewer-title-201", "interviewers[0].title", "T" * 201),
        ("topic-201", "interviewers[0].topics[0]", "t" * 201),
        ("topics-11", "interviewers[0].topics", ["topic"] * 11),
        ("topics-10k", "interviewers[0].topics", ["topic"] * 10_000),
        ("skills-11", "highlights.skills", ["Kafka"] * 11),
        ("experience-1001", "highlights.experience", "e" * 1001),
        ("why-fit-1001", "highlights.why_fit", "w" * 1001),
        ("notes-1001", "next_steps.notes", "n" * 1001),
        ("signature-501", "candidate.signature", "s" * 501),
        ("mailing-address-301", "interviewers[0].mailing_address", "m" * 301),
        ("work-samples-11", "preferences.work_samples", ["https://github.com/ada/engine"] * 11),
        ("url-501", "interviewers[0].linkedin_url", "https://www.linkedin.com/in/" + "x" * 480),
        ("timezone-100", "company.timezone", "Europe/" + "L" * 93),
    ]
] + [
    HostileCase(
        id="huge-13-interviewers",
        category="huge_value",
        status=422,
        code="invalid_fields",
        field="interviewers",
        payload=set_field("interviewers", [{"name": f"Person {n}", "email": f"p{n}@ae.example"} for n in range(13)]),
    ),
    HostileCase(
        id="body-over-256KiB",
        category="huge_value",
        status=413,
        code="payload_too_large",
        payload=set_field("highlights.experience", "x" * MAX_BODY_BYTES),
    ),
    HostileCase(
        id="body-over-256KiB-preview",
        category="huge_value",
        status=413,
        code="payload_too_large",
        path="/preview",
        body=b" " * (MAX_BODY_BYTES + 1),
    ),
    HostileCase(
        id="body-over-256KiB-base64",
        category="huge_value",
        status=413,
        code="payload_too_large",
        body=b"\x00" * (MAX_BODY_BYTES + 1),
        headers={"content-type": "application/octet-stream"},
    ),
]

DEEP: list[HostileCase] = [
    # Nesting the stack can parse: a 422 from validation, or a 400 once a depth limit guards the parser.
    HostileCase(id="deep-arrays-500", category="deep_nesting", status=422, field="", body=_nested(500), also=(400,)),
    HostileCase(
        id="deep-arrays-500-in-field",
        category="deep_nesting",
        status=422,
        field="interviewers[0].topics[0]",
        also=(400,),
        body=_sample_bytes().replace(b'["moving nightly', b"[" + _nested(500) + b', "moving nightly'),
    ),
    HostileCase(id="deep-arrays-10k", category="deep_nesting", status=400, body=_nested(10_000)),
    HostileCase(
        id="deep-arrays-10k-in-field",
        category="deep_nesting",
        status=400,
        body=b'{"candidate": ' + _nested(10_000) + b"}",
    ),
    HostileCase(id="deep-objects-10k", category="deep_nesting", status=400, body=_nested_objects(10_000)),
    HostileCase(
        id="deep-arrays-1000-preview",
        category="deep_nesting",
        status=400,
        path="/preview",
        body=_nested(1000),
    ),
]

BAD_EMAILS: list[HostileCase] = [
    _invalid(f"email-{label}", "bad_email", path, value)
    for label, path, value in [
        ("no-at", "candidate.email", "ada.example.com"),
        ("no-domain", "candidate.email", "ada@"),
        ("no-local", "interviewers[0].email", "@ae.example"),
        ("no-tld", "interviewers[0].email", "grace@localhost"),
        ("space", "interviewers[0].email", "grace hopper@ae.example"),
        ("double-dot", "interviewers[0].email", "grace@ae..example"),
        ("two-addresses", "interviewers[0].email", "grace@ae.example, eve@evil.example"),
        ("empty", "candidate.email", ""),
        ("300-chars", "candidate.email", "a" * 60 + "@" + "b" * 236 + ".example"),
        ("crlf-bcc", "interviewers[0].email", "grace@ae.example\r\nBcc: eve@evil.example"),
        ("semicolon-list", "candidate.email", "ada@example.com;eve@evil.example"),
    ]
]

DATETIMES: list[HostileCase] = [
    _invalid(f"datetime-{label}", "bad_datetime", path, value, field_name=field_name)
    for label, path, value, field_name in [
        ("naive-ended-at", "interview.ended_at", "2026-11-24T15:00:00", None),
        ("naive-started-at", "interview.started_at", "2026-11-24T13:00:00", None),
        ("date-only-ended-at", "interview.ended_at", "2026-11-24", None),
        ("words", "interview.ended_at", "yesterday afternoon", None),
        ("year-0001", "interview.ended_at", "0001-01-01T00:00:00+00:00", None),
        ("year-9999", "interview.ended_at", "9999-12-31T23:59:59+00:00", None),
        ("year-1970-epoch", "interview.ended_at", "1970-01-01T00:00:00Z", None),
        ("month-13", "interview.ended_at", "2026-13-01T10:00:00Z", None),
        ("february-30", "interview.ended_at", "2026-02-30T10:00:00Z", None),
        ("offset-25h", "interview.ended_at", "2026-11-24T15:00:00+25:00", None),
        ("ended-before-started", "interview.started_at", "2026-11-24T16:00:00-05:00", "interview"),
        ("decision-not-a-date", "next_steps.decision_expected_by", "2026-02-30", None),
    ]
] + [
    HostileCase(
        id=f"datetime-decision-year-{year}",
        category="bad_datetime",
        status=422,
        code="invalid_fields",
        field="next_steps.decision_expected_by",
        payload=set_field("next_steps.decision_expected_by", value),
    )
    for year, value in (("0001", "0001-01-01"), ("9999", "9999-12-31"))
]

TIMEZONES_AND_COUNTRIES: list[HostileCase] = [
    _invalid(f"timezone-{label}", "bad_timezone", path, value)
    for label, path, value in [
        ("invented", "company.timezone", "Mars/Olympus_Mons"),
        ("wrong-case", "company.timezone", "america/new_york"),
        ("path-traversal", "candidate.timezone", "../../../etc/passwd"),
        ("offset", "candidate.timezone", "+05:00"),
        ("empty", "interviewers[0].timezone", ""),
        ("abbreviation", "interviewers[0].timezone", "PST"),
    ]
] + [
    _invalid(f"country-{label}", "bad_country", "company.country", value)
    for label, value in [
        ("unassigned-XX", "XX"),
        ("alpha-3", "USA"),
        ("one-letter", "U"),
        ("empty", ""),
        ("number", 840),
        ("symbols", "U$"),
    ]
]

URLS: list[HostileCase] = [
    _invalid(f"url-{label}", "bad_url", path, value)
    for label, path, value in [
        ("javascript", "interviewers[0].linkedin_url", "javascript:alert(document.cookie)"),
        ("file", "interviewers[0].linkedin_url", "file:///etc/passwd"),
        ("ftp", "preferences.work_samples[0]", "ftp://files.example/engine.tar"),
        ("data", "preferences.work_samples[0]", "data:text/html,<script>alert(1)</script>"),
        ("mailto", "interviewers[0].linkedin_url", "mailto:eve@evil.example"),
        ("no-scheme", "preferences.work_samples[0]", "github.com/ada/engine"),
        ("scheme-only", "preferences.work_samples[0]", "https://"),
        ("not-a-url", "interviewers[0].linkedin_url", "my linkedin"),
    ]
]

# Every single-line field that can reach a mail header (To/From/Reply-To display names, Subject) or a schedule name.
HEADER_FIELDS = (
    "candidate.name",
    "candidate.email",
    "company.name",
    "position.title",
    "interviewers[0].name",
    "interviewers[0].email",
    "interviewers[0].title",
    "interviewers[0].topics[0]",
    "highlights.skills[0]",
)
HEADER_INJECTION: list[HostileCase] = [
    _invalid(f"crlf-{path}", "header_injection", path, "Grace\r\nBcc: eve@evil.example") for path in HEADER_FIELDS
] + [
    _invalid(f"line-break-{label}", "header_injection", path, value)
    for label, path, value in [
        ("lone-lf-candidate-name", "candidate.name", "Ada\nLovelace"),
        ("lone-cr-company", "company.name", "Analytical\rEngines"),
        ("u2028-position", "position.title", "Senior\u2028Engineer"),
        ("nel-interviewer-name", "interviewers[0].name", "Grace\x85Hopper"),
        ("vertical-tab-title", "interviewers[0].title", "Engineering\x0bManager"),
        ("crlf-subject-splice", "position.title", "Engineer\r\nSubject: you won"),
    ]
]

NUL_BYTES: list[HostileCase] = [
    _invalid(f"nul-{path}", "nul_byte", path, "before\x00after")
    for path in (
        "candidate.name",
        "candidate.signature",
        "company.name",
        "interviewers[0].mailing_address",
        "highlights.experience",
        "highlights.why_fit",
        "next_steps.notes",
        "interviewers[0].topics[0]",
    )
]

RULES: list[HostileCase] = [
    HostileCase(
        id="duplicate-interviewer-emails",
        category="rule",
        status=422,
        code="invalid_fields",
        field="interviewers",
        payload=edit(lambda d: d["interviewers"].append({"name": "Grace Again", "email": "grace@ae.example"})),
    ),
    HostileCase(
        id="duplicate-interviewer-emails-other-case",
        category="rule",
        status=422,
        code="invalid_fields",
        field="interviewers",
        payload=edit(lambda d: d["interviewers"].append({"name": "Grace Again", "email": "GRACE@ae.example"})),
    ),
    HostileCase(
        id="two-primary-contacts",
        category="rule",
        status=422,
        code="invalid_fields",
        field="interviewers",
        payload=edit(
            lambda d: d["interviewers"].append({"name": "Alan", "email": "alan@ae.example", "primary_contact": True})
        ),
    ),
    _invalid("send-window-start-equals-end", "rule", "preferences.send_window", {"start": "09:00", "end": "09:00"}),
    _invalid("send-window-start-after-end", "rule", "preferences.send_window", {"start": "17:00", "end": "09:00"}),
    _invalid("send-window-24h", "rule", "preferences.send_window.end", "24:00"),
    _invalid("send-window-no-leading-zero", "rule", "preferences.send_window.start", "9:00"),
    _invalid("send-window-minute-60", "rule", "preferences.send_window.start", "09:60"),
    _invalid("max-follow-ups-4", "rule", "preferences.max_follow_ups", 4),
    _invalid("max-follow-ups-minus-1", "rule", "preferences.max_follow_ups", -1),
    _invalid("max-follow-ups-1000", "rule", "preferences.max_follow_ups", 1000),
    _invalid("tone-not-in-enum", "rule", "preferences.tone", "passive-aggressive"),
    _invalid("tone-wrong-case", "rule", "preferences.tone", "WARM"),
    _invalid("mode-not-in-enum", "rule", "preferences.mode", "immediately"),
    _invalid("stage-not-in-enum", "rule", "interview.stage", "lunch"),
    _invalid("format-not-in-enum", "rule", "interview.format", "carrier_pigeon"),
]

_FORM_BODY = b"candidate.name=Ada&candidate.email=ada%40example.com"
_MULTIPART = b'--b\r\nContent-Disposition: form-data; name="payload"\r\n\r\n' + _sample_bytes() + b"\r\n--b--\r\n"
CONTENT_TYPES: list[HostileCase] = [
    HostileCase(
        id=f"content-type-{label}",
        category="content_type",
        status=415,
        code="unsupported_media_type",
        path=path,
        body=body,
        headers=headers,
        drop_headers=drop,
    )
    for label, path, body, headers, drop in [
        ("text-plain", "/interviews", _sample_bytes(), {"content-type": "text/plain"}, ()),
        ("form-urlencoded", "/interviews", _FORM_BODY, {"content-type": "application/x-www-form-urlencoded"}, ()),
        ("multipart", "/interviews", _MULTIPART, {"content-type": "multipart/form-data; boundary=b"}, ()),
        ("xml", "/interviews", b"<interview/>", {"content-type": "application/xml"}, ()),
        ("json-lookalike", "/interviews", _sample_bytes(), {"content-type": "application/jsonp"}, ()),
        ("missing", "/interviews", _sample_bytes(), {}, ("content-type",)),
        ("text-plain-preview", "/preview", _sample_bytes(), {"content-type": "text/plain"}, ()),
        (
            "octet-stream-outcome",
            f"/interviews/{KNOWN_ID}/outcome",
            b'{"outcome":"offer"}',
            {"content-type": "application/octet-stream"},
            (),
        ),
    ]
]

_BASE64_EVENT = {"isBase64Encoded": True}
ENCODING: list[HostileCase] = [
    HostileCase(
        id="base64-invalid",
        category="encoding",
        status=400,
        code="malformed_body",
        event_patch={**_BASE64_EVENT, "body": "!!! not base64 ***"},
    ),
    HostileCase(
        id="base64-bad-padding",
        category="encoding",
        status=400,
        code="malformed_body",
        event_patch={**_BASE64_EVENT, "body": "eyJhIjoxfQ="},
    ),
    HostileCase(
        id="base64-of-invalid-utf8",
        category="encoding",
        status=400,
        code="malformed_json",
        event_patch={**_BASE64_EVENT, "body": "eyJhIjoi/yJ9"},  # {"a":"\xff"}
    ),
    HostileCase(
        id="lone-surrogate-escape",
        category="encoding",
        status=422,
        code="invalid_fields",
        field="candidate.name",
        body=_sample_bytes().replace(b'"Ada Lovelace"', b'"Ada \\ud800"', 1),
    ),
]

ROUTES: list[HostileCase] = [
    HostileCase(
        id=f"route-{label}",
        category="route",
        status=405 if label.startswith("wrong-method") else 404,
        code="method_not_allowed" if label.startswith("wrong-method") else "not_found",
        method=method,
        path=path,
        body=body,
        direct=direct,
    )
    for label, method, path, body, direct in [
        ("unknown-path", "GET", "/admin", b"", False),
        ("unknown-path-at-function", "GET", "/admin", b"", True),
        ("unknown-id", "GET", f"/interviews/{KNOWN_ID}", b"", False),
        ("malformed-id", "GET", "/interviews/not-an-id", b"", False),
        ("traversal-id", "GET", "/interviews/..%2F..%2Fetc%2Fpasswd", b"", False),
        ("wrong-method-get-preview", "GET", "/preview", b"", False),
        ("wrong-method-put-interviews", "PUT", "/interviews", _sample_bytes(), False),
        ("wrong-method-delete-preview", "DELETE", "/preview", b"", False),
        ("wrong-method-post-openapi", "POST", "/openapi.json", b"{}", False),
        ("trailing-segment", "POST", "/interviews/extra/segments", b"{}", False),
    ]
]

OTHER_ROUTES: list[HostileCase] = [
    HostileCase(
        id="outcome-malformed-json",
        category="malformed_json",
        status=400,
        code="malformed_json",
        path=f"/interviews/{KNOWN_ID}/outcome",
        body=b'{"outcome": ',
    ),
    HostileCase(
        id="patch-malformed-json",
        category="malformed_json",
        status=400,
        code="malformed_json",
        method="PATCH",
        path=f"/interviews/{KNOWN_ID}",
        body=b"{decision_expected_by: tomorrow}",
    ),
    HostileCase(
        id="preview-unknown-field",
        category="unknown_field",
        status=422,
        code="invalid_fields",
        field="admin",
        path="/preview",
        payload=set_field("admin", True),
    ),
    HostileCase(
        id="preview-naive-datetime",
        category="bad_datetime",
        status=422,
        code="invalid_fields",
        field="interview.ended_at",
        path="/preview",
        payload=set_field("interview.ended_at", "2026-11-24T15:00:00"),
    ),
]

IDEMPOTENCY_KEYS: list[HostileCase] = [
    HostileCase(
        id=f"idempotency-key-{label}",
        category="idempotency_key",
        status=400,
        code="bad_idempotency_key",
        headers={"idempotency-key": value},
    )
    for label, value in [
        ("empty", ""),
        ("space", "order 42"),
        ("256-chars", "k" * 256),
        ("non-ascii", "ключ-42"),
        ("tab", "order\t42"),
        ("del-char", "order\x7f42"),
    ]
]

# Round two, item 6: signature headers whose digits or hex are not ASCII, or are otherwise not the documented shape.
_SIGNED = {"x-followup-signature": "t=²,v1=00"}
SIGNATURE_HEADERS: list[HostileCase] = [
    HostileCase(
        id=f"signature-{label}",
        category="signature",
        status=401,
        code="unauthorized",
        headers={"x-followup-signature": value},
        drop_headers=("authorization",),
    )
    for label, value in [
        ("superscript-two", "t=²,v1=00"),
        ("arabic-indic-digits", "t=١٧٩٦٠٥١٥٢٧,v1=00"),
        ("mathematical-digits", "t=𝟏𝟕𝟗𝟔𝟎𝟓𝟏𝟓𝟐𝟕,v1=00"),
        ("fullwidth-hex", "t=1796051527,v1=" + "ａ" * 64),
        ("non-ascii-hex", "t=1796051527,v1=" + "é" * 64),
        ("hex-timestamp", "t=0x6b0c4a47,v1=00"),
        ("plus-sign", "t=+1796051527,v1=00"),
        ("underscore-digits", "t=1_796_051_527,v1=00"),
        ("only-commas", ",,,,"),
        ("huge-header", "t=1796051527," + "v1=00," * 2000),
        ("equals-only", "="),
    ]
] + [
    HostileCase(
        id="signature-superscript-beside-a-good-key",
        category="signature",
        status=401,
        code="unauthorized",
        headers=_SIGNED,
    ),
]

# Round two, items 7 and 8: SES cannot send to a non-ASCII mailbox name; an interview ending more than 60 days after
# now (the deployment's clock: 2026-11-24 21:00 UTC) is a typo, not a plan.
ADDRESSES_AND_DATES: list[HostileCase] = (
    [
        _invalid(f"email-{label}", "bad_email", path, value)
        for label, path, value in [
            ("non-ascii-local-interviewer", "interviewers[0].email", "grâce@ae.example"),
            ("non-ascii-local-candidate", "candidate.email", "adá@example.com"),
            ("non-ascii-local-and-domain", "interviewers[0].email", "grâce@bücher.example"),
            ("quoted-non-ascii-local", "interviewers[0].email", '"grâce"@ae.example'),
            ("cyrillic-local", "interviewers[0].email", "грейс@ae.example"),
        ]
    ]
    + [
        _invalid(f"datetime-{label}", "bad_datetime", "interview.ended_at", value, field_name="interview.ended_at")
        for label, value in [
            ("ended-2099", "2099-11-24T15:00:00-05:00"),
            ("ended-61-days-ahead", "2027-01-25T15:00:00-05:00"),
            ("ended-2100", "2100-01-01T00:00:00Z"),
        ]
    ]
    + [
        HostileCase(
            id="datetime-ended-2099-preview",
            category="bad_datetime",
            status=422,
            code="invalid_fields",
            field="interview.ended_at",
            path="/preview",
            payload=set_field("interview.ended_at", "2099-11-24T15:00:00-05:00"),
        ),
    ]
)

CONTENT_TYPES_ROUND_TWO: list[HostileCase] = [
    HostileCase(
        id=f"content-type-{label}",
        category="content_type",
        status=415,
        code="unsupported_media_type",
        path=path,
        body=_sample_bytes(),
        headers={"content-type": value},
    )
    for label, path, value in [
        ("json-in-latin-1", "/interviews", "application/json; charset=latin-1"),
        ("upper-case-xml", "/interviews", "APPLICATION/XML"),
        ("upper-case-text-preview", "/preview", "TEXT/PLAIN"),
        ("json-suffix", "/interviews", "application/problem+json"),
    ]
]

CORPUS: list[HostileCase] = [
    *MALFORMED_JSON,
    *EMPTY,
    *ROOT_TYPES,
    *WRONG_TYPES,
    *MISSING,
    *UNKNOWN,
    *HUGE,
    *DEEP,
    *BAD_EMAILS,
    *DATETIMES,
    *TIMEZONES_AND_COUNTRIES,
    *URLS,
    *HEADER_INJECTION,
    *NUL_BYTES,
    *RULES,
    *CONTENT_TYPES,
    *ENCODING,
    *ROUTES,
    *OTHER_ROUTES,
    *IDEMPOTENCY_KEYS,
    *SIGNATURE_HEADERS,
    *ADDRESSES_AND_DATES,
    *CONTENT_TYPES_ROUND_TWO,
]

# Free text that is valid input and must come out literally (text) and escaped (HTML), never evaluated.
TEMPLATE_AND_MARKUP = "{{ 7*7 }} {% if 1 %}jinja{% endif %} ${7*7} <script>alert(1)</script> <b>bold</b> &amp; done"
FREE_TEXT_FIELDS = (
    "candidate.name",
    "candidate.signature",
    "company.name",
    "position.title",
    "interviewers[0].name",
    "interviewers[0].title",
    "interviewers[0].topics[0]",
    "interviewers[0].mailing_address",
    "highlights.skills[0]",
    "highlights.experience",
    "highlights.why_fit",
    "next_steps.notes",
)
