"""The message linter: checks rendered follow-ups against the rubric of a good follow-up (docs/templates.md, "The
linter's rubric").

Two severities:
- **hard**: the message must not go out. At send time the follow-up is held as `failed` with the reason
  (`hard_failure_reason`). These rules catch what would embarrass the candidate or break the mail: a missing or
  wrong greeting name, a leftover placeholder, an over-long body, a bad subject, HTML that says something the
  text part does not, or a message that cannot be rendered at all.
- **warn**: the message can go out, but it is weaker than it should be (generic, no thanks, no tie to the role,
  two panel thank-yous alike). Shown at submit time (202 body, `POST /preview`) so the candidate can fix the input.

`lint_plan` renders and lints every follow-up of a plan, panel similarity included; the API, preview and the
sender all call it. Pure functions: no I/O, no clock.

Why one module of this length: the rules are a table of small checks that share one tokenisation; one module
keeps the rubric readable as a list.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

from followup.core.text import HONORIFICS, MONTHS
from followup.domain.calendar import interviewer_calendar
from followup.domain.kinds import FollowUpKind
from followup.domain.models import InterviewRequest, Plan, PlannedFollowUp
from followup.messages.context import addressee
from followup.messages.intake import proper_words, read_intake
from followup.messages.names import candidate_preferred_name, given_name, short_company
from followup.messages.phrasing import THIRD_PERSON, as_background, as_noun_phrase
from followup.messages.render import SUBJECT_MAX, WORD_LIMITS, RenderedMessage, render_follow_up, word_count

__all__ = [
    "PANEL_SIMILARITY_MAX",
    "RULES",
    "SHINGLE_SIZE",
    "Finding",
    "Renderer",
    "Severity",
    "findings_json",
    "hard_failure_reason",
    "hard_findings",
    "lint_message",
    "lint_panel",
    "lint_plan",
    "panel_similarity",
]

Severity = Literal["hard", "warn"]
Renderer = Callable[[InterviewRequest, PlannedFollowUp], RenderedMessage]

# rule id -> severity. The ids are stable: they appear in API bodies and in `failed` reasons.
RULES: Mapping[str, Severity] = {
    "renders": "hard",
    "recipient_name": "hard",
    "word_limit": "hard",
    "subject_length": "hard",
    "subject_shouting": "hard",
    "placeholder": "hard",
    "text_html_parity": "hard",
    "pasted_capital": "hard",
    "question_in_sentence": "hard",
    "honorific_given_name": "hard",
    "pronoun_about_recipient": "hard",
    "subject_ellipsis": "hard",
    "panel_shared_sentence": "hard",
    "non_working_day": "hard",
    "thanks": "warn",
    "role_and_company": "warn",
    "cites_topic": "warn",
    "ties_fit": "warn",
    "reiterates_interest": "warn",
    "refers_to_timeline": "warn",
    "panel_similarity": "warn",
}

# Panel similarity: Jaccard index of the sets of word 3-shingles (3 consecutive normalised words) of two
# thank-yous, with every interviewer's name masked; 3-word shingles register shared phrasing, not just a shared
# vocabulary. Measured on the default templates (tests/unit/test_lint.py keeps these honest):
# - distinct messages: two panel thank-yous sharing the role, company, experience, skills, why_fit and samples score
#   0.17-0.30; the worst case, six interviewers with no topics and identical data, 0.46;
# - a form letter: the same wording with only the name and the topics swapped scores 0.73-0.86.
# 0.6 sits between the two with a margin on both sides: above it, most of the phrasing is shared, which is what
# two interviewers comparing notes would notice.
SHINGLE_SIZE = 3
PANEL_SIMILARITY_MAX = 0.6
# A sentence this long, shared by two letters of one panel, is what interviewers comparing notes would spot.
SHARED_SENTENCE_WORDS = 8
ACRONYM_MAX = 5  # an all-caps word of up to 5 letters is an acronym (AWS, NASA, ETL), longer ones shout

_GREETING_LINES = 2
_THANKS = re.compile(r"\b(thank|thanks|grateful|gratitude|appreciate|appreciated|appreciation)\b", re.I)
_INTEREST = re.compile(
    r"\b(interested|interest|excited|exciting|enthusiastic|enthusiasm|keen|keener|eager|look forward|looking forward"
    r"|love to|like to join|delighted to|thrilled|glad to join|hope to join|want to be doing)\b",
    re.I,
)
_PLACEHOLDERS = re.compile(
    r"\{\{|\}\}|\{%|%\}|\{#|#\}"  # Jinja2 delimiters
    r"|\[\s*[A-Z][A-Za-z_ ]{0,30}\]"  # [NAME], [Company Name]
    r"|<\s*[A-Z][A-Z_ ]{1,30}>"  # <NAME>
    r"|\{[a-z_][a-z0-9_]{0,30}\}"  # {name} from str.format
    r"|\$\{[^}]{0,30}\}"  # ${name}
    r"|\b(?:None|undefined|null|NaN|TODO|TBD|XXX+)\b"
)
_ACTIONS_BLOCK = "\n\nActions:\n"
_WORDS = re.compile(r"[\w'’-]+")
_LETTER_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_TAG = re.compile(r"<[^>]*>")
_ANCHOR = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.S | re.I)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)
_BLOCK_TAGS = re.compile(r"<(?:br|/p|p)\b[^>]*>", re.I)


@dataclass(frozen=True)
class Finding:
    """One problem with one message (or, for `panel_similarity`, with a pair of messages)."""

    rule: str
    severity: Severity
    message: str
    follow_up_ids: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON shape used in the 202 body, `POST /preview` and `followup preview`."""
        return {"rule": self.rule, "severity": self.severity, "message": self.message}


def _finding(rule: str, message: str, follow_up_ids: tuple[str, ...] = ()) -> Finding:
    return Finding(rule=rule, severity=RULES[rule], message=message, follow_up_ids=follow_up_ids)


def hard_findings(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity == "hard"]


def hard_failure_reason(findings: Iterable[Finding]) -> str | None:
    """The `failed` reason for a message that must not be sent, or None when nothing blocks it."""
    blocking = hard_findings(findings)
    if not blocking:
        return None
    return "message failed the linter: " + "; ".join(f"{finding.rule}: {finding.message}" for finding in blocking)


def findings_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [finding.to_dict() for finding in findings]


# --- one message --------------------------------------------------------------------------------------------------


def lint_message(
    request: InterviewRequest,
    follow_up: PlannedFollowUp,
    message: RenderedMessage,
    *,
    working_day: Callable[[PlannedFollowUp], bool] | None = None,
) -> list[Finding]:
    """Every rubric finding for one rendered follow-up, hard ones first.

    `working_day` tells whether a follow-up is due on a working day of its recipient (the cadence's calendar);
    without it that rule is not checked.
    """
    kind = FollowUpKind(follow_up.kind)
    body = _body_text(message.text)
    data = _submitted_text(request)
    findings = [
        *_check_recipient_name(request, follow_up, body),
        *_check_word_limit(kind, body),
        *_check_subject(message.subject, data),
        *_check_placeholders(message, data),
        *_check_parity(message),
        *_check_pasted_capitals(request, body),
        *_check_questions(body, data),
    ]
    if kind.is_nudge:
        findings += _check_honorific(request, follow_up, body)
        findings += _check_pronouns(request, body)
        findings += _check_rubric(request, follow_up, kind, body)
        if working_day is not None and not working_day(follow_up):
            findings.append(
                _finding("non_working_day", "it would reach the company on a weekend or public holiday there")
            )
    findings.sort(key=lambda finding: finding.severity != "hard")
    return findings


def _body_text(text: str) -> str:
    # The action links block is machinery added after the message was written: it is not part of the letter.
    cut = text.find(_ACTIONS_BLOCK)
    return text if cut < 0 else text[:cut]


def _check_recipient_name(request: InterviewRequest, follow_up: PlannedFollowUp, body: str) -> list[Finding]:
    is_nudge = FollowUpKind(follow_up.kind).is_nudge
    greeting = " ".join(line for line in body.strip().splitlines()[:_GREETING_LINES])
    if is_nudge:
        person = addressee(request, follow_up)[1]
        name = person.name
        forms = _name_forms(name) + ([person.salutation] if person.salutation else [])
    else:
        name = request.candidate.name
        candidate = request.candidate
        forms = [
            *_name_forms(name),
            candidate_preferred_name(candidate.name, candidate.preferred_name, candidate.signature, candidate.country),
        ]
    if any(form and _contains(greeting, form) for form in forms):
        return []
    return [_finding("recipient_name", f"the greeting does not address {name} by name")]


def _name_forms(name: str) -> list[str]:
    """Full name, informal first name, and each name token ("Dear Dr. Hopper" addresses Grace Hopper too)."""
    tokens = [token.strip(".,") for token in name.split()]
    forms = [name, given_name(name, None)]
    forms += [token for token in tokens if len(token) >= 2 and token.lower() not in HONORIFICS]
    return [form for form in forms if form]


def _check_word_limit(kind: FollowUpKind, body: str) -> list[Finding]:
    limit = WORD_LIMITS.get(kind)
    count = word_count(body)
    if limit is None or count <= limit:
        return []
    return [_finding("word_limit", f"{count} words; a {kind.value} is at most {limit}")]


def _check_subject(subject: str, data: str) -> list[Finding]:
    findings = []
    if not subject.strip():
        findings.append(_finding("subject_length", "the subject is empty"))
    if len(subject) > SUBJECT_MAX:
        findings.append(_finding("subject_length", f"the subject has {len(subject)} characters; at most {SUBJECT_MAX}"))
    if re.search(r"[\r\n\u2028\u2029\x85\x0b\x0c]", subject):
        findings.append(_finding("subject_length", "the subject must be a single line"))
    shouted = [
        word
        for word in _LETTER_WORDS.findall(subject)
        if len(word) > ACRONYM_MAX and word.isupper() and word not in data
    ]
    if shouted:
        findings.append(_finding("subject_shouting", f"all-caps words in the subject: {', '.join(shouted)}"))
    if ("…" in subject and "…" not in data) or ("..." in subject and "..." not in data):
        findings.append(_finding("subject_ellipsis", "the subject is cut with an ellipsis; it must read as complete"))
    if "!!" in subject and "!!" not in data:
        findings.append(_finding("subject_shouting", "repeated exclamation marks in the subject"))
    return findings


def _check_placeholders(message: RenderedMessage, data: str) -> list[Finding]:
    html_visible = html_lib.unescape(_TAG.sub(" ", _html_body(message.html)))
    leftovers: list[str] = []
    for part in (message.subject, message.text, html_visible):
        for match in _PLACEHOLDERS.finditer(part):
            token = match.group()
            # Submitted text is data: a topic about "{{ templating }}" or a company called "None Ltd" is fine.
            if not _in_data(token, data) and token not in leftovers:
                leftovers.append(token)
    if not leftovers:
        return []
    return [_finding("placeholder", "leftover placeholder(s): " + ", ".join(repr(token) for token in leftovers))]


def _in_data(token: str, data: str) -> bool:
    # Substring, not word: a subject cut at 70 characters may end in half of a submitted word ("XXXXX…").
    return token in data


def _check_parity(message: RenderedMessage) -> list[Finding]:
    text_words = _normalised_words(message.text)
    html_words = _normalised_words(_html_visible_text(message.html))
    if text_words == html_words:
        return []
    position = next(
        (i for i, (a, b) in enumerate(zip(text_words, html_words, strict=False)) if a != b),
        min(len(text_words), len(html_words)),
    )
    text_at = " ".join(text_words[position : position + 6]) or "(end)"
    html_at = " ".join(html_words[position : position + 6]) or "(end)"
    return [
        _finding(
            "text_html_parity",
            f"text and HTML parts differ at word {position + 1}: text has {text_at!r}, HTML has {html_at!r}",
        )
    ]


def _html_body(document: str) -> str:
    match = _BODY.search(document)
    return match.group(1) if match else document


def _html_visible_text(document: str) -> str:
    """What a reader of the HTML part sees, with an action link read as "label: URL" like the text part."""

    def anchor(match: re.Match[str]) -> str:
        href, label = html_lib.unescape(match.group(1)), html_lib.unescape(_TAG.sub("", match.group(2)))
        return label if label.strip() == href.strip() else f"{label}: {href}"

    body = _ANCHOR.sub(lambda m: html_lib.escape(anchor(m), quote=False), _html_body(document))
    return html_lib.unescape(_TAG.sub(" ", _BLOCK_TAGS.sub("\n", body)))


def _normalised_words(text: str) -> list[str]:
    words = []
    for token in unicodedata.normalize("NFC", text).split():
        stripped = token.strip(".,;:!?\"'()[]«»“”‘’·–—-").casefold()
        if any(ch.isalnum() for ch in stripped):
            words.append(stripped)
    return words


_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n|[\"“(]\s*)$")
_HONORIFIC_THEN_NAMES = re.compile(
    r"^(?:Dear|Hi|Hello)[ \t]+(Dr|Mr|Mrs|Ms|Mx|Prof|Miss)\.?[ \t]+([^\s,]+)[ \t]+[^\s,]+", re.M
)
_PRONOUN = re.compile(r"\b(" + "|".join(sorted(THIRD_PERSON)) + r")\b", re.IGNORECASE)
_QUESTION_INSIDE = re.compile(r"\?(?:[.,;:]|\s+[a-z])")


def _free_text_values(request: InterviewRequest) -> list[tuple[str, str]]:
    """Each free-text value with the form the intake would place (its first word lower-cased when ordinary)."""
    highlights = request.highlights
    phrases = [topic for person in request.interviewers for topic in person.topics] + list(highlights.skills)
    proper = proper_words(request)
    pairs = []
    skills = set(highlights.skills)
    for value in phrases:
        normal = as_noun_phrase(value, proper, article=value not in skills)
        pairs.append((value, normal if isinstance(normal, str) else ""))
    if highlights.experience:
        normal = as_background(highlights.experience, proper)
        pairs.append((highlights.experience, normal if isinstance(normal, str) else ""))
    return pairs


def _names_and_titles(request: InterviewRequest) -> str:
    people = " ".join(f"{p.name} {p.title or ''} {p.salutation or ''}" for p in request.interviewers)
    return " ".join(
        [request.company.name, request.company.short_name or "", request.position.title,
         request.position.short_title or "", request.candidate.name, request.candidate.signature or "", people]
    )  # fmt: skip


def _check_pasted_capitals(request: InterviewRequest, body: str) -> list[Finding]:
    """A free-text value whose first word is an ordinary word capitalised only because it came first ("Design
    systems"), found mid-sentence: the value was pasted as typed."""
    names = _names_and_titles(request)
    pasted = []
    for value, placed in _free_text_values(request):
        first = value.strip().split(" ", 1)[0].strip("\"'“”‘’()[]")
        letters = [ch for ch in first if ch.isalpha()]
        if len(letters) < 2 or not letters[0].isupper() or not all(ch.islower() for ch in letters[1:]):
            continue
        # Only a capital the intake would have lowered ("Design systems"), never a name it kept ("Spring Boot").
        if not placed or not placed.lower().startswith(first.lower()) or placed.startswith(first):
            continue
        if re.search(rf"(?<!\w){re.escape(first)}(?!\w)", names):
            continue
        for match in re.finditer(rf"(?<!\w){re.escape(first)}(?!\w)", body):
            if not _SENTENCE_START.search(body[: match.start()]):
                pasted.append(first)
                break
    if not pasted:
        return []
    return [_finding("pasted_capital", f"capitalised mid-sentence, as typed: {', '.join(sorted(set(pasted)))}")]


def _check_questions(body: str, data: str) -> list[Finding]:
    """A question mark in the middle of a sentence ("…discussing Asked me why?."): a question pasted into a
    phrase. Names and titles that contain "?" themselves (a company called "Why? Ltd") are not questions."""
    covered: list[tuple[int, int]] = []
    for value in {line.strip() for line in data.splitlines() if "?" in line}:
        start = body.find(value)
        while value and start >= 0:
            covered.append((start, start + len(value)))
            start = body.find(value, start + 1)
    for match in _QUESTION_INSIDE.finditer(body):
        if any(low <= match.start() < high for low, high in covered):
            continue
        fragment = body[max(0, match.start() - 20) : match.end() + 10].strip()
        return [_finding("question_in_sentence", f"a question runs into a sentence: …{fragment}…")]
    return []


def _check_honorific(request: InterviewRequest, follow_up: PlannedFollowUp, body: str) -> list[Finding]:
    person = addressee(request, follow_up)[1]
    match = _HONORIFIC_THEN_NAMES.search(body)
    if not match or (person.salutation and _contains(body.splitlines()[0], person.salutation)):
        return []
    return [_finding("honorific_given_name", f"the greeting puts a given name after {match.group(1)}.")]


def _check_pronouns(request: InterviewRequest, body: str) -> list[Finding]:
    """He, she, him, her… in a message to the company: the letter speaks to its reader as "you", so such a
    pronoun is about the reader. The candidate's signature (which may state their own pronouns) is not read."""
    signature = [line.strip() for line in (request.candidate.signature or "").splitlines() if line.strip()]
    text = "\n".join(line for line in body.splitlines() if line.strip() not in signature)
    found = sorted({match.group(1).lower() for match in _PRONOUN.finditer(text)})
    if not found:
        return []
    return [
        _finding("pronoun_about_recipient", f"third-person pronoun(s) in a letter to its reader: {', '.join(found)}")
    ]


# --- the rubric of a message to the company ------------------------------------------------------------------------


def _check_rubric(
    request: InterviewRequest, follow_up: PlannedFollowUp, kind: FollowUpKind, body: str
) -> list[Finding]:
    findings = []
    if kind in (FollowUpKind.THANK_YOU, FollowUpKind.FINAL) and not _THANKS.search(body):
        findings.append(_finding("thanks", f"the {kind.value} never thanks the recipient"))
    role = request.position.short_title or request.position.title
    company = request.company.short_name or short_company(request.company.name)
    missing = [
        label
        for label, value in (("role", role), ("company", company))
        if not (_contains(body, value) or (label == "role" and _contains(body, request.position.title)))
    ]
    if missing:
        findings.append(_finding("role_and_company", f"the message does not name the {' or the '.join(missing)}"))
    if kind is FollowUpKind.THANK_YOU:
        findings += _check_topics(request, follow_up, body)
        findings += _check_fit(request, body)
    if kind in (FollowUpKind.THANK_YOU, FollowUpKind.CHECK_IN) and not _INTEREST.search(body):
        findings.append(_finding("reiterates_interest", "the message never says the candidate is still interested"))
    if kind is FollowUpKind.CHECK_IN and request.next_steps.decision_expected_by and not _mentions_date(body, request):
        findings.append(
            _finding("refers_to_timeline", "the check-in does not refer to the decision date the team gave")
        )
    return findings


def _check_topics(request: InterviewRequest, follow_up: PlannedFollowUp, body: str) -> list[Finding]:
    index, person = addressee(request, follow_up)
    usable = read_intake(request).topics[index]
    if person.topics and not usable:
        return [
            _finding(
                "cites_topic",
                f"none of the topics for {person.name} could be used as written: see the warnings on those fields",
            )
        ]
    if not person.topics:
        return [
            _finding(
                "cites_topic",
                f"{person.name} has no topics: the message will be generic; add what you discussed with them",
            )
        ]
    if any(_contains(body, topic) for topic in usable):
        return []
    return [_finding("cites_topic", f"the thank-you cites none of the topics discussed with {person.name}")]


def _check_fit(request: InterviewRequest, body: str) -> list[Finding]:
    highlights = request.highlights
    intake = read_intake(request)
    if not (highlights.skills or highlights.experience or highlights.why_fit or highlights.achievements):
        return [
            _finding(
                "ties_fit",
                "no skills, experience or why_fit were given: the thank-you cannot say why the candidate fits",
            )
        ]
    if any(_contains(body, skill) for skill in intake.skills):
        return []
    stories = [intake.why_fit, intake.background, *(proof.sentence for proof in intake.proofs)]
    if any(story and _mostly_present(story, body) for story in stories):
        return []
    return [_finding("ties_fit", "the thank-you mentions none of the candidate's skills or experience")]


def _mentions_date(body: str, request: InterviewRequest) -> bool:
    decision = request.next_steps.decision_expected_by
    assert decision is not None
    month = MONTHS[decision.month - 1]
    return bool(
        re.search(rf"\b{month}\s+{decision.day}\b|\b{decision.day}(?:st|nd|rd|th)?\s+(?:of\s+)?{month}\b", body)
        or decision.isoformat() in body
    )


def _contains(haystack: str, needle: str) -> bool:
    """Case- and whitespace-insensitive containment."""
    return _squash(needle) in _squash(haystack)


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _mostly_present(story: str, body: str) -> bool:
    # Templates rephrase the start ("led a team" -> "I led a team"); 80% of the words is still the same story.
    wanted = {word.casefold() for word in _WORDS.findall(story)}
    present = {word.casefold() for word in _WORDS.findall(body)}
    return bool(wanted) and len(wanted & present) >= 0.8 * len(wanted)


def _submitted_text(request: InterviewRequest) -> str:
    """Every string the candidate submitted, one per line: what a message may legitimately repeat."""
    values: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(request.model_dump(mode="json"))
    return "\n".join(values)


# --- a panel ------------------------------------------------------------------------------------------------------


def panel_similarity(first: str, second: str, names: Sequence[str] = ()) -> float:
    """Jaccard index of the word 3-shingles of two messages, each name in `names` masked first (0.0-1.0)."""
    a, b = _shingles(first, names), _shingles(second, names)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _shingles(text: str, names: Sequence[str]) -> set[tuple[str, ...]]:
    masked = _squash(text)
    for name in sorted({token for full in names for token in [full, *full.split()] if token}, key=len, reverse=True):
        masked = re.sub(rf"(?<!\w){re.escape(_squash(name))}(?!\w)", " name ", masked)
    words = _normalised_words(masked)
    return {tuple(words[i : i + SHINGLE_SIZE]) for i in range(len(words) - SHINGLE_SIZE + 1)}


def lint_panel(request: InterviewRequest, messages_by_follow_up: Mapping[str, RenderedMessage]) -> list[Finding]:
    """Pairs of thank-yous (ids `thank_you-<n>`) more alike than PANEL_SIMILARITY_MAX, one finding per pair.

    Interviewers compare notes: two thank-yous that differ only by the name read as a form letter.
    """
    names = [person.name for person in request.interviewers]
    thank_yous = sorted(
        (follow_up_id, message)
        for follow_up_id, message in messages_by_follow_up.items()
        if follow_up_id.startswith(FollowUpKind.THANK_YOU.value)
    )
    findings = []
    sentences = {follow_up_id: _letter_sentences(request, message.text, names) for follow_up_id, message in thank_yous}
    for (first_id, _), (second_id, _) in combinations(thank_yous, 2):
        shared = sorted(sentences[first_id] & sentences[second_id])
        if shared:
            findings.append(
                _finding(
                    "panel_shared_sentence",
                    f"{_recipient(request, first_id)} and {_recipient(request, second_id)} would read the same "
                    f"sentence: {shared[0]!r}",
                    (first_id, second_id),
                )
            )
    for (first_id, first), (second_id, second) in combinations(thank_yous, 2):
        score = panel_similarity(_body_text(first.text), _body_text(second.text), names)
        if score > PANEL_SIMILARITY_MAX:
            findings.append(
                _finding(
                    "panel_similarity",
                    f"{_recipient(request, first_id)} and {_recipient(request, second_id)} would get thank-yous "
                    f"{score:.0%} alike (limit {PANEL_SIMILARITY_MAX:.0%}): give each interviewer their own topics",
                    (first_id, second_id),
                )
            )
    return findings


def _letter_sentences(request: InterviewRequest, text: str, names: Sequence[str]) -> set[str]:
    """The normalised sentences of SHARED_SENTENCE_WORDS words or more in a letter's body, names masked; the
    greeting line and the signature block are not the letter's sentences."""
    body_lines = _body_text(text).strip().splitlines()[1:]
    signature = {line.strip() for line in (request.candidate.signature or request.candidate.name).splitlines()}
    kept = [line for line in body_lines if line.strip() and line.strip() not in signature]
    masked = _squash(" ".join(kept))
    # The role and company (which may hold full stops: "Dr.", "P.C.") are one word each, so a sentence is not cut
    # inside them; people's names are masked, as the rule says.
    fixed = [
        request.company.name,
        request.company.short_name or short_company(request.company.name),
        request.position.title,
        request.position.short_title or "",
    ]
    for value in sorted({v for v in fixed if v}, key=len, reverse=True):
        masked = masked.replace(_squash(value), "entity")
    for name in sorted({token for full in names for token in [full, *full.split()] if token}, key=len, reverse=True):
        masked = re.sub(rf"(?<!\w){re.escape(_squash(name))}(?!\w)", "name", masked)
    found = set()
    for sentence in re.split(r"(?<=[.!?])\s+", masked):
        words = _normalised_words(sentence)
        if len(words) >= SHARED_SENTENCE_WORDS:
            found.add(" ".join(words))
    return found


def _recipient(request: InterviewRequest, follow_up_id: str) -> str:
    match = re.search(r"-(\d+)$", follow_up_id)
    if match and int(match.group(1)) < len(request.interviewers):
        return request.interviewers[int(match.group(1))].name
    return follow_up_id


# --- a whole plan -------------------------------------------------------------------------------------------------


def recipients_working_day(request: InterviewRequest) -> Callable[[PlannedFollowUp], bool]:
    """Whether a company-facing follow-up is due on a working day of its recipient (their country, subdivision and
    weekend: `followup.domain.calendar`), read in the recipient's timezone."""

    def working(follow_up: PlannedFollowUp) -> bool:
        index = addressee(request, follow_up)[0]
        return interviewer_calendar(request, index).is_working_day(follow_up.local_due_at().date())

    return working


def lint_plan(request: InterviewRequest, plan: Plan, render: Renderer = render_follow_up) -> dict[str, list[Finding]]:
    """Render every follow-up of `plan` with `render` and lint it; panel findings go to both thank-yous of a pair.

    Returns {follow_up_id: findings} with an entry (maybe empty) for every follow-up. A message that cannot be
    rendered gets a hard `renders` finding instead of raising, so one bad message never hides the others.
    """
    findings: dict[str, list[Finding]] = {}
    rendered: dict[str, RenderedMessage] = {}
    working_day = recipients_working_day(request)
    for follow_up in plan.follow_ups:
        try:
            message = render(request, follow_up)
        except Exception as exc:  # any template or data error is a finding about this message, not a crash
            findings[follow_up.id] = [_finding("renders", f"could not render: {type(exc).__name__}: {exc}")]
            continue
        rendered[follow_up.id] = message
        findings[follow_up.id] = lint_message(request, follow_up, message, working_day=working_day)
    for finding in lint_panel(request, rendered):
        for follow_up_id in finding.follow_up_ids:
            findings[follow_up_id].append(finding)
    return findings
