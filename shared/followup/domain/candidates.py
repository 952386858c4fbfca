"""Candidates of one deployment (README "Many candidates"): who a request acts for, and each candidate's profile.

The deployment's own credentials (API key, webhook secret, form key) are the *default candidate's*: its id is
`default` and it has no stored profile, so single-candidate mode works as before. The operator creates further
candidates; each has a profile that fills what an interview leaves out (the candidate section, tone, mode and send
window) and its own credentials, derived from the deployment's signing secret (`followup.api.credentials`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from followup.domain.models import (
    Country,
    Email,
    Mode,
    SendWindow,
    ShortLine,
    Signature,
    Subdivision,
    Timezone,
    Tone,
    _checked_subdivision,
    _Strict,
)

DEFAULT_CANDIDATE = "default"
# A created candidate's id: 12 lower-case letters and digits (random); `default` is the deployment's own.
CANDIDATE_ID_PATTERN = re.compile(r"^[a-z0-9]{12}$")
# Profile fields that become the interview's `candidate` section when it leaves them out.
CANDIDATE_SECTION_FIELDS = ("name", "preferred_name", "email", "timezone", "country", "subdivision", "signature")
# Profile fields that become the interview's `preferences` when it leaves them out.
PREFERENCE_FIELDS = ("tone", "mode", "send_window")


def is_default(candidate_id: str) -> bool:
    """The deployment's own candidate (its SSM credentials)."""
    return candidate_id == DEFAULT_CANDIDATE


def is_candidate_id(value: str) -> bool:
    return value == DEFAULT_CANDIDATE or bool(CANDIDATE_ID_PATTERN.match(value))


# An interview id carries its candidate, so every item keyed by it does too (`IV#<id>`, `INTAKE#<id>`, the
# schedules): `<candidate id>-<22 hex>` for a created candidate, the 22 hex alone for the default one (the ids of a
# single-candidate deployment are unchanged). The 22 hex are the submission time in ms and 40 random bits.
INTERVIEW_ID_PATTERN = re.compile(r"^(?:[a-z0-9]{12}-)?[0-9a-f]{22}$")


def interview_id_for(owner: str, local_id: str) -> str:
    """The id of `owner`'s interview whose own part (22 hex) is `local_id`."""
    return local_id if is_default(owner) else f"{owner}-{local_id}"


def may_belong_to(interview_id: str, candidate_id: str) -> bool:
    """Whether the id can be `candidate_id`'s interview, from the id alone: it names them, or names no candidate
    (the default candidate's, or a created candidate's from before ids named their candidate: the stored owner
    decides those). False for a malformed id."""
    named = interview_owner(interview_id)
    return named is not None and (named == candidate_id or is_default(named))


def interview_owner(interview_id: str) -> str | None:
    """The candidate an interview id belongs to, read from the id alone; None for a malformed id."""
    if not INTERVIEW_ID_PATTERN.match(interview_id):
        return None
    owner, dash, _ = interview_id.rpartition("-")
    return owner if dash else DEFAULT_CANDIDATE


class _ProfileFields(_Strict):
    name: ShortLine | None = None
    preferred_name: ShortLine | None = Field(default=None, description="how they sign and are greeted")
    email: Email | None = None
    timezone: Timezone | None = Field(default=None, description="IANA timezone of the candidate")
    country: Country | None = Field(default=None, description="ISO 3166-1 alpha-2: the candidate's own holidays")
    subdivision: Subdivision | None = Field(default=None, description="ISO 3166-2 without the country prefix")
    signature: Signature | None = None
    tone: Tone | None = Field(default=None, description="default tone of their messages")
    mode: Mode | None = Field(default=None, description="auto sends; review holds each message for approval")
    send_window: SendWindow | None = Field(default=None, description="default local hours messages may go out")

    @model_validator(mode="after")
    def _subdivision_belongs_to_country(self) -> _ProfileFields:
        try:
            self.subdivision = _checked_subdivision(self.country, self.subdivision, ())
        except ValueError as exc:
            message = re.sub(r"(^|\s)\.", r"\1", str(exc))  # no section prefix: ".country" → "country"
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type="value_error", loc=("subdivision",), input=self.subdivision, ctx={"error": message}
                    )
                ],
            ) from None
        return self


class CandidateProfile(_ProfileFields):
    """`POST /candidates`: a candidate needs at least a name and the address their mail goes from and to."""

    name: ShortLine
    email: Email


class CandidatePatch(_ProfileFields):
    """`PATCH /candidates/{id}` and the Settings page: the fields given replace the stored ones; `null` clears an
    optional field (name and email cannot be cleared)."""

    @model_validator(mode="after")
    def _required_stay(self) -> CandidatePatch:
        for name in ("name", "email"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed; give a new value instead")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields given, JSON-ready (None for a cleared one)."""
        dumped = self.model_dump(mode="json")
        return {name: dumped[name] for name in self.model_fields_set}


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: one candidate (`default` for the deployment's own credentials), or the operator."""

    candidate_id: str
    operator: bool = False

    @classmethod
    def operator_principal(cls) -> Principal:
        return cls(candidate_id="", operator=True)


def with_profile_defaults(document: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    """The interview document with what it leaves out taken from the candidate's profile: the candidate section's
    fields and the tone, mode and send window. The profile's email always wins: a candidate acts for themselves."""
    merged = dict(document)
    given = merged.get("candidate")
    candidate = dict(given) if isinstance(given, dict) else {}
    for name in CANDIDATE_SECTION_FIELDS:
        if profile.get(name) is not None and candidate.get(name) in (None, ""):
            candidate[name] = profile[name]
    if profile.get("email"):
        candidate["email"] = profile["email"]
    merged["candidate"] = candidate
    preferences_given = merged.get("preferences")
    if preferences_given is None or isinstance(preferences_given, dict):
        preferences = dict(preferences_given or {})
        for name in PREFERENCE_FIELDS:
            if profile.get(name) is not None and name not in preferences:
                preferences[name] = profile[name]
        if preferences:
            merged["preferences"] = preferences
    return merged
