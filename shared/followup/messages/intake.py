"""What of an interview can go into its messages, and what cannot (with the fix), computed once per interview.

Every free-text field is read as one grammatical kind (`followup.messages.phrasing`); values that cannot be
used are left out and named in `warnings` — shown in the 202 body, the preview and beside the field on the form.
A thank-you is never lost over a note's wording: the interview is accepted and written without the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from followup.domain.models import InterviewRequest
from followup.messages.names import candidate_preferred_name, greeting_for, proper_case
from followup.messages.phrasing import (
    Refusal,
    as_background,
    as_noun_phrase,
    as_sentence,
    skill_kind,
    tidy,
    topic_kind,
)

__all__ = ["Intake", "Proof", "read_intake"]

TOPICS_PER_LETTER = 2
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "about",
        "our",
        "your",
        "my",
        "at",
        "by",
        "from",
        "is",
        "are",
        "was",
        "were",
        "be",
    ]
)


@dataclass(frozen=True)
class Proof:
    """A first-person sentence that backs the candidate's fit, and the words of the topics it relates to."""

    sentence: str
    keywords: frozenset[str]


@dataclass(frozen=True)
class Intake:
    topics: tuple[tuple[str, ...], ...]  # per interviewer: usable noun phrases, at most two
    topic_kinds: tuple[tuple[str, ...], ...]  # per topic: subject, exercise, logistics or about_me
    skills: tuple[str, ...]  # things the candidate does ("patient triage", "Kafka"), for "my experience with …"
    languages: tuple[str, ...]  # languages spoken, for "I also speak …"
    why_fit: str  # a sentence, or ""
    background: str  # experience as a noun phrase for "…: {background}.", or ""
    proofs: tuple[Proof, ...]  # achievements, then experience when it is a sentence
    warnings: tuple[str, ...] = field(default=())


def keywords(text: str) -> frozenset[str]:
    return frozenset(word.lower() for word in _WORDS.findall(text) if word.lower() not in _STOP and len(word) > 2)


def proper_words(request: InterviewRequest) -> frozenset[str]:
    """Words the candidate capitalised on purpose: in the company's, role's and people's names, and inside (not at
    the start of) a phrase they typed ("pipelines in Kafka"). A capital at the start of a note proves nothing."""
    names = [request.company.name, request.position.title, *(person.name for person in request.interviewers)]
    words = {word for text in names for word in text.split() if word[:1].isupper()}
    phrases = [*request.highlights.skills, *(topic for person in request.interviewers for topic in person.topics)]
    words |= {word for text in phrases for word in text.split()[1:] if word[:1].isupper()}
    return frozenset(word.strip("()[]{},.;:!\"'") for word in words)


def _warning(field_path: str, value: str, refusal: Refusal) -> str:
    shown = tidy(value)
    shown = shown if len(shown) <= 60 else shown[:57].rstrip() + "..."
    return f"{field_path}: left out of the messages — '{shown}' {refusal.reason}; {refusal.fix}"


def read_intake(request: InterviewRequest) -> Intake:
    """The usable content of `request` (cached per request object: every message of a plan shares it)."""
    return _read_intake(_Key(request))


class _Key:
    """Hashes a request by identity, so the cache never compares two large models field by field."""

    def __init__(self, request: InterviewRequest) -> None:
        self.request = request

    def __hash__(self) -> int:
        return id(self.request)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and other.request is self.request


@lru_cache(maxsize=64)
def _read_intake(key: _Key) -> Intake:
    request = key.request
    proper = proper_words(request)
    warnings: list[str] = []
    topics: list[tuple[str, ...]] = []
    kinds: list[tuple[str, ...]] = []
    for index, person in enumerate(request.interviewers):
        usable: list[str] = []
        usable_kinds: list[str] = []
        for position, topic in enumerate(person.topics):
            phrase = as_noun_phrase(topic, proper)
            if isinstance(phrase, Refusal):
                warnings.append(_warning(f"interviewers[{index}].topics[{position}]", topic, phrase))
            elif phrase.lower() in (existing.lower() for existing in usable):
                continue
            elif len(usable) >= TOPICS_PER_LETTER:
                warnings.append(
                    f"interviewers[{index}].topics[{position}]: not used — a thank-you cites at most "
                    f"{TOPICS_PER_LETTER} topics; put the ones that matter most first"
                )
            else:
                usable.append(phrase)
                usable_kinds.append(topic_kind(tidy(topic)))
        topics.append(tuple(usable))
        kinds.append(tuple(usable_kinds))
    skills: list[str] = []
    languages: list[str] = []
    for position, skill in enumerate(request.highlights.skills):
        kind = skill_kind(tidy(skill))
        if kind == "language":
            words = tidy(skill).split()
            spoken = " ".join(words[1:]) if words[0].lower() in ("bilingual", "fluent", "native") else " ".join(words)
            # The message is written in English: saying so adds nothing ("I also speak English" reads automated).
            others = [part for part in re.split(r"\s*(?:,|/|&|\band\b)\s*", spoken) if part]
            others = [part for part in others if part.split()[0].lower() != "english"]
            # A local candidate speaking the company's own language tells the company nothing ("I also speak
            # German" to a Bavarian firm); someone from elsewhere who speaks it is worth saying.
            local = request.candidate.country in (None, request.company.country)
            spoken_there = _LANGUAGES_OF.get(request.company.country or "", frozenset())
            if local:
                others = [part for part in others if part.split()[0].lower() not in spoken_there]
            if others:
                spoken = ", ".join(others[:-1]) + " and " + others[-1] if len(others) > 1 else others[0]
                languages.append(spoken[:1].upper() + spoken[1:])
            continue
        if kind == "credential":
            warnings.append(
                f"highlights.skills[{position}]: left out of the messages — '{tidy(skill)[:60]}' reads as a "
                "licence or certification, which does not fit 'my experience with …'; keep it in your signature "
                "or CV, and list here the work it lets you do instead"
            )
            continue
        phrase = as_noun_phrase(skill, proper, article=False)
        if isinstance(phrase, Refusal):
            warnings.append(_warning(f"highlights.skills[{position}]", skill, phrase))
        else:
            skills.append(phrase)
    why_fit = ""
    if request.highlights.why_fit:
        sentence = as_sentence(request.highlights.why_fit)
        if isinstance(sentence, Refusal):
            warnings.append(_warning("highlights.why_fit", request.highlights.why_fit, sentence))
        else:
            why_fit = sentence
    proofs: list[Proof] = []
    for position, achievement in enumerate(request.highlights.achievements):
        sentence = as_sentence(achievement.text)
        if isinstance(sentence, Refusal):
            warnings.append(_warning(f"highlights.achievements[{position}]", achievement.text, sentence))
            continue
        proofs.append(Proof(sentence, keywords(" ".join([achievement.text, *achievement.topics]))))
    background = ""
    if request.highlights.experience:
        experience = request.highlights.experience
        sentence = as_sentence(experience)
        if not isinstance(sentence, Refusal):
            proofs.append(Proof(sentence, keywords(experience)))
        else:
            noun = as_background(experience, proper)
            if isinstance(noun, Refusal):
                warnings.append(_warning("highlights.experience", experience, noun))
            else:
                background = noun
    candidate = request.candidate
    called = candidate_preferred_name(candidate.name, candidate.preferred_name, candidate.signature, candidate.country)
    if not candidate.preferred_name and len(called.split()) > 1 and called == " ".join(candidate.name.split()):
        warnings.append(
            f"candidate.preferred_name: your own reminders greet you as '{called[:60]}' (the order of given and "
            "family name is not clear from the name alone); give the name you go by, e.g. your given name"
        )
    company = request.company.name
    letters = [char for char in company if char.isalpha()]
    if len(letters) > 1 and all(char.islower() for char in letters):
        warnings.append(
            f"company.name: '{tidy(company)[:60]}' is all lower case, and the messages use it as typed; write it as "
            f"the company does (e.g. '{proper_case(tidy(company))[:60]}')"
        )
    tone = request.preferences.tone
    for index, person in enumerate(request.interviewers):
        country = person.country or request.company.country
        greeting = greeting_for(person.name, tone, salutation=person.salutation, country=country)
        if greeting.warning:
            warnings.append(f"interviewers[{index}].salutation: {greeting.warning}")
    return Intake(
        topics=tuple(topics),
        topic_kinds=tuple(kinds),
        skills=tuple(skills),
        languages=tuple(languages),
        why_fit=why_fit,
        background=background,
        proofs=tuple(proofs),
        warnings=tuple(warnings),
    )


# The languages a company in each country works in, for the rule above (the common ones; others name none).
_LANGUAGES_OF: dict[str, frozenset[str]] = {
    country: frozenset(languages.split())
    for countries, languages in (
        ("DE AT LI", "german"),
        ("CH", "german french italian"),
        ("FR MC", "french"),
        ("BE", "french dutch flemish"),
        ("LU", "french german luxembourgish"),
        ("NL", "dutch"),
        ("ES MX AR CO CL PE VE EC GT CU BO DO HN PY SV NI CR PA UY", "spanish"),
        ("PT BR AO MZ", "portuguese"),
        ("IT SM", "italian"),
        ("PL", "polish"),
        ("CZ", "czech"),
        ("SK", "slovak"),
        ("HU", "hungarian"),
        ("RO", "romanian"),
        ("GR CY", "greek"),
        ("SE", "swedish"),
        ("NO", "norwegian"),
        ("DK", "danish"),
        ("FI", "finnish swedish"),
        ("TR", "turkish"),
        ("RU", "russian"),
        ("UA", "ukrainian"),
        ("JP", "japanese"),
        ("KR", "korean"),
        ("CN TW", "chinese mandarin"),
        ("SA AE QA KW BH OM EG JO MA DZ TN LB IQ", "arabic"),
        ("IL", "hebrew"),
        ("TH", "thai"),
        ("VN", "vietnamese"),
        ("ID", "indonesian"),
    )
    for country in countries.split()
}


def input_warnings(request: InterviewRequest) -> list[str]:
    """What the candidate should fix in their input for the messages to say everything they gave."""
    return list(read_intake(request).warnings)
