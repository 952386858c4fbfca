"""Domain models: the interview payload (README "The HTTP API") and the follow-ups planned from it.

Limits are generous for a person but keep the whole validated payload far below EventBridge's 256 KB entry limit,
so an accepted interview always fits in its `InterviewSubmitted` event and in one DynamoDB item.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    AnyUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    UrlConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from followup.core.text import CONTROL_CHARS, LINE_BREAKS
from followup.domain.countries import HOLIDAY_COUNTRIES
from followup.domain.kinds import FollowUpKind


def _no_control_chars(value: str) -> str:
    if CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value


def _single_line(value: str) -> str:
    # Names, titles and emails can reach a mail header: CR/LF there would be header injection.
    if LINE_BREAKS.search(value) or CONTROL_CHARS.search(value):
        raise ValueError("must be a single line without control characters")
    return value


_IANA_ZONES: frozenset[str] | None = None


def _iana_timezone(value: str) -> str:
    global _IANA_ZONES
    if _IANA_ZONES is None:
        _IANA_ZONES = frozenset(available_timezones())
    if value not in _IANA_ZONES:
        raise ValueError("must be an IANA timezone name such as 'Europe/London'")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - guarded by the set above
        raise ValueError("must be an IANA timezone name such as 'Europe/London'") from exc
    return value


def _iso_country(value: str) -> str:
    code = value.upper()
    if code not in HOLIDAY_COUNTRIES:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code with a public-holiday calendar, such as 'US'")
    return code


def _email(value: str) -> str:
    """A deliverable address as SES takes it: an internationalised domain becomes punycode (`grace@bücher.example`
    → `grace@xn--bcher-kva.example`, stored and sent that way); a non-ASCII mailbox name is refused, because SES
    cannot send to it (no SMTPUTF8)."""
    # email-validator is imported on first use, not at cold start.
    from email_validator import EmailNotValidError, validate_email

    local_part = value.rpartition("@")[0]
    if local_part and not local_part.isascii():
        raise ValueError(
            "the part before the @ must use only ASCII letters, digits and symbols: "
            "Amazon SES cannot send to an internationalised mailbox name"
        )
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from None
    if result.ascii_email is None:  # a non-ASCII mailbox the check above did not see (e.g. no @ at all)
        raise ValueError("the address must be expressible in ASCII: Amazon SES cannot send to it as written")
    return str(result.ascii_email)


def _plausible_day(value: date) -> date:
    if not (2000 <= value.year <= 2100):
        raise ValueError("must be a date between the years 2000 and 2100")
    return value


def _normalise_newlines(value: str) -> str:
    # Windows line breaks in multi-line fields are ordinary input, not control characters.
    return value.replace("\r\n", "\n")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a UTC offset, e.g. 2026-11-24T15:00:00-05:00")
    if not (2000 <= value.year <= 2100):
        raise ValueError("must be a date between the years 2000 and 2100")
    return value


Line = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_single_line)
]
ShortLine = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), AfterValidator(_single_line)
]


# Free text that may span lines: Windows line breaks normalised, other control characters refused.
_Newlines = BeforeValidator(lambda v: _normalise_newlines(v) if isinstance(v, str) else v)
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=1000), _Newlines, AfterValidator(_no_control_chars)
]
Signature = Annotated[str, StringConstraints(max_length=500), _Newlines, AfterValidator(_no_control_chars)]
MailingAddress = Annotated[str, StringConstraints(max_length=300), _Newlines, AfterValidator(_no_control_chars)]
Topic = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_single_line)
]
Timezone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), AfterValidator(_iana_timezone)]
Country = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2), AfterValidator(_iso_country)
]
# ISO 3166-2 subdivision without the country prefix (`ON`, `CA`, `NSW`); checked against the country's calendar
# by `InterviewRequest`, which knows the country (a `US-CA` form is accepted and trimmed there).
Subdivision = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=16, pattern=r"^[A-Za-z0-9 -]+$"),
]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
PlausibleDate = Annotated[date, AfterValidator(_plausible_day)]
HttpUrl = Annotated[AnyUrl, UrlConstraints(allowed_schemes=["http", "https"], max_length=500)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
    AfterValidator(_single_line),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]
HourMinute = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


# defer_build: a model's validator is built the first time it validates, not at import, so a function that never
# validates a model (FeedbackFunction on SES events, SenderFunction's Plan) never pays for building it.
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Candidate(_Strict):
    name: ShortLine
    preferred_name: ShortLine | None = Field(
        default=None, description="how the candidate signs and is greeted; defaults from the signature's first line"
    )
    email: Email
    timezone: Timezone | None = Field(default=None, description="IANA timezone; defaults to the company's")
    country: Country | None = Field(default=None, description="ISO 3166-1 alpha-2: the candidate's own holidays")
    subdivision: Subdivision | None = Field(default=None, description="ISO 3166-2 without the country prefix")
    signature: Signature | None = None


class Company(_Strict):
    name: Line
    short_name: ShortLine | None = Field(
        default=None, description="how people say it ('Acme'); defaults to the name without legal suffixes"
    )
    timezone: Timezone | None = Field(default=None, description="IANA timezone; defaults to the candidate's, else UTC")
    country: Country | None = Field(default=None, description="ISO 3166-1 alpha-2; public holidays are skipped")
    subdivision: Subdivision | None = Field(
        default=None, description="ISO 3166-2 without the country prefix (`ON`, `CA`, `NSW`): regional holidays"
    )


class Position(_Strict):
    title: Line
    short_title: ShortLine | None = Field(default=None, description="a shorter form of the title for subjects")


Stage = Literal["phone_screen", "technical", "onsite", "panel", "final", "other"]
Format = Literal["video", "phone", "in_person"]


class InterviewDetails(_Strict):
    stage: Stage = "other"
    format: Format = "video"
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime

    @model_validator(mode="after")
    def _start_before_end(self) -> InterviewDetails:
        if self.started_at is not None and self.started_at > self.ended_at:
            raise ValueError("started_at must not be after ended_at")
        return self


class Interviewer(_Strict):
    name: ShortLine
    salutation: ShortLine | None = Field(
        default=None, description="exactly how to greet them after 'Dear'/'Hi', e.g. 'Dr. Okonkwo-Hale' or 'Kenji'"
    )
    email: Email
    country: Country | None = Field(default=None, description="where they work, when not the company's country")
    subdivision: Subdivision | None = None
    title: Line | None = None
    primary_contact: bool = False
    timezone: Timezone | None = Field(default=None, description="IANA timezone; defaults to the company's")
    topics: Annotated[list[Topic], Field(max_length=10)] = Field(default_factory=list)
    linkedin_url: HttpUrl | None = None
    mailing_address: MailingAddress | None = None


def _achievement_from_text(value: Any) -> Any:
    return {"text": value} if isinstance(value, str) else value


class Achievement(_Strict):
    """A short first-person achievement ("I cut nightly batch time from 6 hours to 40 minutes"), optionally tied
    to the interview topics it answers."""

    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(_single_line)
    ]
    topics: Annotated[list[Topic], Field(max_length=5)] = Field(default_factory=list)


class Highlights(_Strict):
    skills: Annotated[list[ShortLine], Field(max_length=10)] = Field(default_factory=list)
    experience: Text | None = None
    achievements: Annotated[
        list[Annotated[Achievement, BeforeValidator(_achievement_from_text)]], Field(max_length=10)
    ] = Field(default_factory=list)
    why_fit: Text | None = None


class NextSteps(_Strict):
    decision_expected_by: PlausibleDate | None = None
    notes: Text | None = None


class SendWindow(_Strict):
    start: HourMinute = "09:00"
    end: HourMinute = "17:00"

    @model_validator(mode="after")
    def _ordered(self) -> SendWindow:
        if self.start_time >= self.end_time:
            raise ValueError("send_window.start must be before send_window.end")
        return self

    @property
    def start_time(self) -> time:
        return time.fromisoformat(self.start)

    @property
    def end_time(self) -> time:
        return time.fromisoformat(self.end)


Tone = Literal["formal", "warm", "concise"]
Mode = Literal["auto", "review"]


class Preferences(_Strict):
    tone: Tone = "warm"
    mode: Mode = "auto"
    max_follow_ups: Annotated[int, Field(ge=0, le=3)] = 2
    send_window: SendWindow = Field(default_factory=SendWindow)
    handwritten_note: bool = False
    linkedin: bool = False
    work_samples: Annotated[list[HttpUrl], Field(max_length=10)] = Field(default_factory=list)
    review_hold_hours: Annotated[int, Field(ge=1, le=168)] = Field(
        default=24, description="review mode: hours a draft waits for approval before it is dropped"
    )


class InterviewRequest(_Strict):
    """The body of `POST /interviews` (README "The HTTP API"). Unknown fields at any level are rejected."""

    candidate: Candidate
    company: Company
    position: Position
    interview: InterviewDetails
    interviewers: Annotated[list[Interviewer], Field(min_length=1, max_length=12)]
    highlights: Highlights = Field(default_factory=Highlights)
    next_steps: NextSteps = Field(default_factory=NextSteps)
    preferences: Preferences = Field(default_factory=Preferences)

    @field_validator("interviewers")
    @classmethod
    def _distinct_interviewers(cls, interviewers: list[Interviewer]) -> list[Interviewer]:
        seen: set[str] = set()
        for person in interviewers:
            address = str(person.email).lower()
            if address in seen:
                raise ValueError(f"interviewer email {address!r} is listed twice")
            seen.add(address)
        if sum(1 for person in interviewers if person.primary_contact) > 1:
            raise ValueError("at most one interviewer can be the primary contact")
        return interviewers

    @model_validator(mode="after")
    def _subdivisions_belong_to_their_country(self) -> InterviewRequest:
        problems: list[InitErrorDetails] = []

        def checked(country: str | None, subdivision: str | None, loc: tuple[str | int, ...]) -> str | None:
            try:
                return _checked_subdivision(country, subdivision, loc)
            except ValueError as exc:
                problems.append(
                    InitErrorDetails(
                        type="value_error", loc=(*loc, "subdivision"), input=subdivision, ctx={"error": exc}
                    )
                )
                return subdivision

        self.company.subdivision = checked(self.company.country, self.company.subdivision, ("company",))
        self.candidate.subdivision = checked(self.candidate.country, self.candidate.subdivision, ("candidate",))
        for index, person in enumerate(self.interviewers):
            country = person.country or self.company.country
            person.subdivision = checked(country, person.subdivision, ("interviewers", index))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

    @property
    def primary_contact_index(self) -> int:
        """The interviewer who gets check-ins: the one marked primary, else the first."""
        for index, person in enumerate(self.interviewers):
            if person.primary_contact:
                return index
        return 0

    def company_timezone(self) -> str:
        return self.company.timezone or self.candidate.timezone or "UTC"

    def candidate_timezone(self) -> str:
        return self.candidate.timezone or self.company.timezone or "UTC"

    def interviewer_timezone(self, index: int) -> str:
        return self.interviewers[index].timezone or self.company_timezone()

    def to_document(self) -> dict[str, Any]:
        """JSON-ready form used in events and DynamoDB items."""
        return self.model_dump(mode="json", exclude_none=True)


def _checked_subdivision(country: str | None, subdivision: str | None, loc: tuple[str | int, ...]) -> str | None:
    """The subdivision code as the holidays calendar knows it, or a ValueError naming the fix."""
    if subdivision is None:
        return None
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    if country is None:
        raise ValueError(f"{where}.subdivision needs {where}.country (the ISO 3166-1 code it belongs to)")
    from followup.domain.countries import subdivisions_of

    code = subdivision.upper()
    code = code.removeprefix(f"{country}-")
    known = subdivisions_of(country)
    by_upper = {name.upper(): name for name in known}
    if code not in by_upper:
        sample = ", ".join(sorted(known)[:8]) or "none"
        raise ValueError(
            f"{where}.subdivision {subdivision!r} is not a subdivision of {country} with a holiday calendar "
            f"(ISO 3166-2 without the country prefix, e.g. {sample})"
        )
    return by_upper[code]


class FollowUpStatus(StrEnum):
    SCHEDULED = "scheduled"
    AWAITING_APPROVAL = "awaiting_approval"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class PlannedFollowUp(BaseModel):
    """One message the cadence policy decided to send, and when."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    kind: FollowUpKind
    to: str
    to_name: str
    timezone: str = Field(description="IANA timezone of the recipient; the schedule fires in it")
    due_at: datetime = Field(description="aware UTC instant")
    interviewer_index: int | None = None
    reason: str | None = Field(default=None, description="why it is due then, in plain words, when not obvious")

    def local_due_at(self) -> datetime:
        return self.due_at.astimezone(ZoneInfo(self.timezone))


class SkippedStep(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    kind: FollowUpKind
    reason: str


class Plan(BaseModel):
    model_config = ConfigDict(defer_build=True)

    follow_ups: list[PlannedFollowUp]
    skipped: list[SkippedStep] = Field(default_factory=list)
