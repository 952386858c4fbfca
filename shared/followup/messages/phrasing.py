"""Free text → words that can stand in a sentence: each submitted value is validated as one grammatical kind and
only ever placed in a slot of that kind.

- A **topic** or a **skill** is a noun phrase ("the UPI payment flow", "patient triage"): it goes only where a noun
  phrase fits ("our talk about {topic}"). A question or a verb-led note ("Asked me why I left") is refused.
- **Why I fit**, an **achievement** and **experience** written as a clause are first-person sentences: each stands
  as its own sentence ("I led the migration of 40 pipelines to streaming."). Experience written as a noun phrase
  ("PhD in statistics from KTH") is background, introduced with a colon, never spliced into "includes …".

Normalising is conservative: case, stray punctuation and note-taking lead-ins ("discussed …", "re: …") are fixed;
anything that still cannot be used is refused with the reason and how to write it, and the message is written
without it. Pure functions: no I/O beyond the packaged word list, read once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from followup.core.text import CONTROL_CHARS, LINE_BREAKS

__all__ = [
    "Refusal",
    "as_noun_phrase",
    "as_sentence",
    "is_common_word",
    "tidy",
]

MAX_TOPIC_WORDS = 10
MAX_SENTENCE_WORDS = 40

_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_QUOTES = "\"'“”‘’«»`"
_BULLETS = re.compile(r"^(?:[-–—•*·>]+|\d+[.)])\s*")
# Lead-ins a note-taker writes before the thing itself; removing them leaves the noun phrase.
_LEAD_INS = re.compile(
    r"^(?:re:|topic:|about:?|discussed:?|we discussed|we talked about|talked about|talked through|talking about|"
    r"chatted about|discussion (?:of|about|on)|conversation about|asked about|questions? (?:about|on))\s+",
    re.IGNORECASE,
)
_PRONOUNS = frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "we",
        "us",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "they",
        "them",
        "their",
        "theirs",
        "it",
        "its",
    ]
)
# Pronouns that would speak about the recipient in a message written to them.
THIRD_PERSON = frozenset(["he", "him", "his", "himself", "she", "her", "hers", "herself"])
_WH_WORDS = frozenset(["why", "how", "what", "when", "where", "who", "whom", "whose", "which", "whether"])
_AUXILIARIES = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "am",
        "be",
        "been",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "has",
        "have",
        "had",
    ]
)
_DETERMINERS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "some",
        "any",
        "my",
        "your",
        "our",
        "their",
        "his",
        "her",
        "its",
    ]
)
_PREPOSITIONS = frozenset(["about", "on", "of", "for", "to", "with", "in", "at", "by", "from", "into", "over"])
# Verbs a note starts with ("Asked me…", "Told us…"); a noun phrase never does.
_NOTE_VERBS = frozenset(
    [
        "asked",
        "told",
        "said",
        "mentioned",
        "explained",
        "described",
        "wanted",
        "liked",
        "loved",
        "covered",
        "spoke",
        "walked",
        "showed",
        "gave",
        "shared",
        "went",
        "wondered",
        "felt",
        "thought",
        "seemed",
        "noted",
        "pointed",
        "suggested",
        "offered",
        "agreed",
        "answered",
        "discussed",
        "talked",
        "chatted",
        "asks",
        "tells",
        "says",
        "wants",
        "likes",
    ]
)
# Ordinary words that are also names of products, languages or nationalities: capitalised, they are the name.
_NAME_COLLISIONS = frozenset(
    """python excel swift rust go ruby spark word outlook access teams oracle apple amazon windows office unity react
    angular flask salesforce tableau jira confluence slack zoom notion figma sketch spring apache opera epic
    german dutch polish swiss china japan turkey scotch welsh mandarin""".split()  # noqa: SIM905
)
_SUBJECT_STARTS = frozenset({"i", "i'm", "i’m", "i've", "i’ve", "i'd", "i’d", "i'll", "i’ll", "my", "we", "our"})
# First words that make a clause of a sentence without its subject ("led a migration" → "I led a migration").
_CLAUSE_VERBS = frozenset(
    """built ran led grew made wrote set won drove took brought taught began became held kept sold spent oversaw
    rebuilt rewrote cut worked managed created designed launched delivered developed implemented reduced increased
    improved scaled shipped founded co-founded published supervised trained mentored coordinated negotiated
    directed headed owned handled cared nursed treated served completed earned passed""".split()  # noqa: SIM905
)
_CONNECTIVES = re.compile(r"^(?:because|since|as|that|so|and|also)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Refusal:
    """Why a value cannot be used as written, and how to write it."""

    reason: str
    fix: str


def tidy(value: str) -> str:
    """One line: no line breaks, control characters, surrounding quotes or bullets, single spaces, no trailing
    punctuation other than what ends a sentence."""
    text = CONTROL_CHARS.sub("", LINE_BREAKS.sub(" ", value))
    text = _SPACES.sub(" ", text).strip()
    text = _BULLETS.sub("", text)
    while len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        text = text[1:-1].strip()
    return text.rstrip(" ,;:–—-")


@cache
def _common_words() -> frozenset[str]:
    data = resources.files("followup.messages").joinpath("data/common_words.txt").read_text(encoding="utf-8")
    return frozenset(data.split())


def is_common_word(word: str) -> bool:
    """An ordinary lower-case English word (or an inflection of one), not a name."""
    lower = word.lower().strip("'’")
    if lower in _NAME_COLLISIONS:
        return False
    words = _common_words()
    if lower in words:
        return True
    stems = []
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""),
                                ("ing", "e"), ("ly", ""), ("er", ""), ("ers", "")):  # fmt: skip
        if lower.endswith(suffix) and len(lower) - len(suffix) >= 3:
            stems.append(lower[: -len(suffix)] + replacement)
    # Doubled consonants: "planning" → "plan", "stopped" → "stop".
    stems += [stem[:-1] for stem in list(stems) if len(stem) >= 4 and stem[-1] == stem[-2]]
    return any(stem in words for stem in stems)


def _is_titlecase(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 and letters[0].isupper() and all(ch.islower() for ch in letters[1:])


def _lower_word(word: str) -> str:
    return word[:1].lower() + word[1:]


def _is_ordinary(word: str, proper: frozenset[str]) -> bool:
    core = word.strip("()[]{},.;:!\"'“”‘’")
    if not core or core in proper or core.lower() in proper:
        return False
    parts = [part for part in re.split(r"[-/]", core) if part]
    return bool(parts) and all(is_common_word(part) for part in parts)


def _fix_case(text: str, proper: frozenset[str]) -> str:
    """Lower-case ordinary words a note capitalised ("Design systems" → "design systems", "ON-CALL ROTATION" →
    "on-call rotation"); names ("New York office", "Power BI", "Kafka lag"), Title Case headings, acronyms
    and words the candidate capitalised elsewhere keep their capitals."""
    words = text.split(" ")
    cores = [word.strip("()[]{},.;:!\"'“”‘’") for word in words]
    letters = [ch for ch in text if ch.isalpha()]
    if len(words) > 1 and letters and all(ch.isupper() for ch in letters):
        # Shouted: ordinary words are lowered; two-letter ones and unknown short ones may be acronyms (IT, UPI).
        return " ".join(
            word.lower() if len(core) > 2 and _is_ordinary(word, proper) else word
            for word, core in zip(words, cores, strict=True)
        )
    titled = [_is_titlecase(core) for core in cores]
    capitals = [len(core) >= 2 and core.isupper() for core in cores]
    alphabetic = [any(ch.isalpha() for ch in core) for core in cores]
    heading = sum(titled) >= 2 and all(t or c for t, c, a in zip(titled, capitals, alphabetic, strict=True) if a)
    fixed = list(words)
    if heading:
        # Title Case throughout ("Lean Six Sigma Green Belt", "New York Office"): likely a name; keep it.
        if cores[0].lower() in ("the", "a", "an"):
            fixed[0] = _lower_word(words[0])
        return " ".join(fixed)
    first = 0
    if cores[0].lower() in ("the", "a", "an") and len(words) > 1:
        fixed[0] = _lower_word(words[0])
        first = 1
    next_titled = first + 1 < len(words) and (titled[first + 1] or capitals[first + 1])
    # Sentence case: only the first word was capitalised because it came first; a capitalised pair is a name.
    if titled[first] and not next_titled and _is_ordinary(words[first], proper):
        fixed[first] = _lower_word(words[first])
    return " ".join(fixed)


def as_noun_phrase(value: str, proper: frozenset[str] = frozenset()) -> str | Refusal:
    """A topic or skill as a noun phrase that fits "our talk about …", or why it cannot be one.

    `proper`: words the candidate capitalised elsewhere (skills, names) — they keep their capitals here.
    """
    text = tidy(value).rstrip(".!")
    text = _LEAD_INS.sub("", text).strip()
    if not text:
        return Refusal("is empty", "write what you discussed as a short phrase, e.g. 'the UPI payment flow'")
    if "?" in text:
        return Refusal(
            "reads as a question, not a topic",
            "write what the question was about as a short phrase, e.g. 'why I am leaving my current role'",
        )
    if re.search(r"[.;!]\s+\S", text):
        return Refusal("holds more than one sentence", "list each topic separately, each as a short phrase")
    words = _WORD.findall(text)
    if not words:
        return Refusal("has no words", "write what you discussed as a short phrase, e.g. 'the UPI payment flow'")
    if len(text.split()) > MAX_TOPIC_WORDS:
        return Refusal(
            f"is longer than {MAX_TOPIC_WORDS} words", "shorten it to the subject itself, e.g. 'the Q3 hiring plan'"
        )
    first, second = words[0].lower(), (words[1].lower() if len(words) > 1 else "")
    if len(words[0]) == 2 and words[0].isupper():
        first = words[0]  # "IT", "HR", "QA": an acronym, not a pronoun
    if first in _PRONOUNS or first in _WH_WORDS or first in _AUXILIARIES:
        return Refusal(
            "reads as a note or a question, not a topic",
            "write what you discussed as a short phrase, e.g. 'the UPI payment flow'",
        )
    if first in _NOTE_VERBS or (first.endswith("ed") and second in _PRONOUNS | _DETERMINERS | _PREPOSITIONS):
        return Refusal(
            "starts with a verb, like a note", "write what you discussed as a short phrase, e.g. 'the rota redesign'"
        )
    if any(word.lower() in THIRD_PERSON for word in words):
        return Refusal(
            "speaks about a person as 'he' or 'she'", "write the subject itself, e.g. 'the team's hiring plans'"
        )
    return _fix_case(text, proper)


def as_sentence(value: str) -> str | Refusal:
    """A first-person statement as one complete sentence, or why it cannot be one.

    "led a 40-pipeline migration" → "I led a 40-pipeline migration."; "because I have run…" → "I have run….";
    a noun phrase ("PhD in statistics") is refused here: callers introduce it as background instead.
    """
    text = tidy(value)
    text = _CONNECTIVES.sub("", text).strip()
    if not text:
        return Refusal("is empty", "write it as one sentence about yourself, e.g. 'I led our move to streaming.'")
    if "?" in text:
        return Refusal("is a question", "write it as a statement about yourself, e.g. 'I led our move to streaming.'")
    words = text.split()
    if len(words) > MAX_SENTENCE_WORDS:
        return Refusal(
            f"is longer than {MAX_SENTENCE_WORDS} words", "keep it to one short sentence; the message has little room"
        )
    if any(_WORD.fullmatch(word.strip(".,;:!")) and word.strip(".,;:!").lower() in THIRD_PERSON for word in words):
        return Refusal(
            "speaks about someone as 'he' or 'she'",
            "write it about yourself; the message speaks to the interviewer as 'you'",
        )
    first = words[0].lower().strip(",")
    if first in _SUBJECT_STARTS and (first not in ("my", "our") or _has_verb(words[1:])):
        sentence = text
    elif first in _CLAUSE_VERBS or (first.endswith("ed") and len(first) > 4 and is_common_word(first)):
        sentence = "I " + _lower_word(text) if _is_titlecase(words[0]) else "I " + text
    else:
        return Refusal(
            "is not a sentence about yourself",
            "start it with 'I', e.g. 'I have run exactly the migration the team is planning.'",
        )
    sentence = sentence[:1].upper() + sentence[1:]
    if sentence[-1] not in ".!":
        sentence = sentence.rstrip(",;:") + "."
    return sentence


def _has_verb(words: list[str]) -> bool:
    """Whether a phrase starting "My …" goes on to say something ("My team shipped …") or only names a thing."""
    for word in (w.strip(".,;:!").lower() for w in words):
        if word in _AUXILIARIES or word in _CLAUSE_VERBS or (word.endswith("ed") and len(word) > 4):
            return True
    return False


def as_background(value: str, proper: frozenset[str] = frozenset()) -> str | Refusal:
    """Experience written as a noun phrase ("PhD in statistics from KTH", "Five years in ICU nursing"), ready to
    follow a colon: lower-cased first word when ordinary, no trailing full stop."""
    text = tidy(value).rstrip(".")
    if not text:
        return Refusal("is empty", "describe your experience in a few words")
    if "?" in text:
        return Refusal("is a question", "describe your experience in a few words, e.g. 'five years in ICU nursing'")
    if len(text.split()) > MAX_SENTENCE_WORDS:
        return Refusal(f"is longer than {MAX_SENTENCE_WORDS} words", "shorten it to one line")
    if any(word.strip(".,;:!").lower() in THIRD_PERSON for word in text.split()):
        return Refusal("speaks about someone as 'he' or 'she'", "describe your own experience")
    return _fix_case(text, proper)
