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

Why one module of this length: every rule that decides what grammatical kind a value is — word lists, case,
labels, articles, topic and skill kinds — is applied in one pass and must agree with the linter, which imports it.
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


_FUNCTION_WORDS = frozenset({"the", "a", "an", "of", "and", "or", "for", "to", "in", "on", "at", "with", "by"})


def _fix_case(text: str, proper: frozenset[str]) -> str:
    """Lower-case ordinary words a note capitalised ("Design systems" → "design systems", "ON-CALL ROTATION" →
    "on-call rotation"); names ("New York office", "Power BI", "Kafka lag"), Title Case headings, acronyms
    and words the candidate capitalised elsewhere keep their capitals."""
    words = text.split(" ")
    cores = [word.strip("()[]{},.;:!\"'“”‘’") for word in words]
    letters = [ch for ch in text if ch.isalpha()]
    # Capitals in short words, one of them no ordinary word and none a function word: acronyms ("SAP EWM").
    short_words_only = (
        all(len(core) <= 4 for core in cores)
        and any(not _is_ordinary(word, proper) for word in words)
        and not any(core.lower() in _FUNCTION_WORDS for core in cores)
    )
    if len(words) > 1 and letters and all(ch.isupper() for ch in letters) and not short_words_only:
        # Shouted: ordinary words are lowered; two-letter ones and unknown short ones may be acronyms (IT, UPI).
        return " ".join(
            word.lower() if len(core) > 5 or (len(core) > 2 and _is_ordinary(word, proper)) else word
            for word, core in zip(words, cores, strict=True)
        )
    titled = [_is_titlecase(core) for core in cores]
    capitals = [bool(core) and core.isupper() for core in cores]
    alphabetic = [any(ch.isalpha() for ch in core) for core in cores]
    heading = sum(titled) >= 2 and all(t or c for t, c, a in zip(titled, capitals, alphabetic, strict=True) if a)
    fixed = list(words)
    if heading:
        # Title Case throughout ("Lean Six Sigma Green Belt", "New York Office"): likely a name; keep it.
        if cores[0].lower() in ("the", "a", "an"):
            fixed[0] = _lower_word(words[0])
        return " ".join(fixed)
    for position, core in enumerate(cores):
        if len(core) > 5 and core.isupper() and core.isalpha():
            fixed[position] = words[position].lower()  # "staffing RATIOS": shouted, not an acronym
    first = 0
    if cores[0].lower() in ("the", "a", "an") and len(words) > 1:
        fixed[0] = _lower_word(words[0])
        first = 1
    next_titled = first + 1 < len(words) and (titled[first + 1] or capitals[first + 1])
    # "Duke of Edinburgh", "Bank of England": a name with "of" inside.
    next_titled = next_titled or (
        first + 2 < len(words) and cores[first + 1].lower() in ("of", "de", "du", "la") and titled[first + 2]
    )
    # Sentence case: only the first word was capitalised because it came first; a capitalised pair is a name.
    if titled[first] and not next_titled and _is_ordinary(words[first], proper):
        fixed[first] = _lower_word(words[first])
    return " ".join(fixed)


# "portfolio: the Poblenou housing block", "live coding: LRU cache in Java" → the part after the label;
# "whiteboard challenge - redesign parcel tracking" → the part before the dash (the exercise itself).
_LABEL = re.compile(r"^([^:]{1,40}):\s+(\S.*)$")
_DASH_NOTE = re.compile(r"^(.{3,60}?)\s+[-–—]\s+\S.*$")
_QUANTIFIERS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "my",
        "our",
        "your",
        "their",
        "its",
        "some",
        "any",
        "each",
        "every",
        "all",
        "both",
        "no",
        "one",
        "two",
        "three",
        "four",
        "five",
        "several",
        "many",
        "few",
        "more",
        "most",
        "other",
        "another",
        "such",
        "what",
        "which",
        "whose",
    ]
)
# Heads that take no article in "our talk about …": plurals, gerunds and most abstract nouns.
_MASS_ENDINGS = (
    "s", "ing", "ity", "ness", "ism", "ics", "ship", "ment", "ance", "ence", "tion", "sion", "ware", "ry", "cy", "ise",
    "ize", "ogy", "ure", "ice",
)  # fmt: skip
# Common uncountable heads the endings miss ("kinship care", "shift work", "patient safety").
_MASS_HEADS = frozenset(
    {"care", "work", "safety", "health", "data", "research", "feedback", "support", "knowledge", "advice"}
    | {"information", "welfare", "finance", "pay", "quality", "traffic", "education", "staff"}
)
_HEAD_BREAK = frozenset("of for with in on across at to from between about into over under and or".split())  # noqa: SIM905


# Labels that name an exercise the candidate did, not a subject discussed: "Case scenario: a disclosure at school" is
# the scenario, not a real case, so the label stays ("the case scenario on a disclosure at school").
_EXERCISE_LABELS = frozenset(
    {"scenario", "lesson", "study", "exercise", "presentation", "task", "play", "roleplay", "simulation", "demo"}
    | {"assignment", "challenge", "test", "assessment", "interview", "walkthrough", "pitch", "tasting", "trial"}
)


def _exercise_label(text: str) -> tuple[str, str]:
    """("the case scenario on ", "a disclosure at school") for a topic labelled as an exercise, else ("", text)."""
    label = _LABEL.match(text)
    if label and len(label.group(1).split()) <= 3 and label.group(1).split()[-1].lower() in _EXERCISE_LABELS:
        rest = label.group(2).strip()
        # "the case scenario about a disclosure at school on a Friday": never two "on"s in a row
        joiner = "about" if re.search(r"\bon\b", rest) else "on"
        return f"the {label.group(1).strip().lower()} {joiner} ", rest
    return "", text


def _drop_label(text: str) -> str:
    label = _LABEL.match(text)
    if label and len(label.group(1).split()) <= 4:
        return label.group(2).strip()
    dash = _DASH_NOTE.match(text)
    if dash and len(dash.group(1).split()) >= 2:
        return dash.group(1).strip()
    return text


def with_article(phrase: str) -> str:
    """'the' before a bare singular countable phrase ("research plan" → "the research plan"); plurals, gerunds,
    abstract nouns, names and phrases that already have a determiner stay as they are."""
    words = phrase.split(" ")
    if not words or words[0].lower() in _QUANTIFIERS or words[0][:1].isdigit():
        return phrase
    if words[0].lower().endswith("ing") and len(words[0]) > 4:
        return phrase  # a gerund phrase ("forecasting wind output") takes no article
    head_words = []
    for word in words:
        if word.lower() in _HEAD_BREAK:
            break
        head_words.append(word)
    head = re.sub(r"[^\w-]", "", head_words[-1] if head_words else words[-1]).lower()
    if not head or head.endswith(_MASS_ENDINGS) or head in _MASS_HEADS or not is_common_word(head):
        return phrase
    first = words[0]
    # A name at the start ("Kafka consumer lag") or a single capitalised name is left alone.
    if _is_titlecase(first) and not is_common_word(first):
        return phrase
    return "the " + phrase


def topic_kind(phrase: str) -> str:
    """What kind of thing was "discussed": an exercise the candidate worked through, a practical arrangement the
    interviewer explained, the candidate's own background they asked about, or a subject they talked about."""
    words = {word.lower().strip("(),") for word in phrase.split()}
    if words & _ABOUT_ME:
        return "about_me"
    lowered = phrase.lower()
    if words & _ARRANGEMENTS or "start date" in lowered or "notice period" in lowered:
        return "logistics"
    if words & _EXERCISES or "case study" in lowered or "live coding" in lowered:
        return "exercise"
    if words & _LOGISTICS:
        return "logistics"
    return "subject"


_ABOUT_ME = frozenset("i i'm i’m my me i've i’ve".split())  # noqa: SIM905
_LOGISTICS = frozenset(
    """salary compensation pay benefits equity stipend relocation visa sponsorship notice buyout timing timeline
    schedule travel onboarding hours shift shifts rota remote hybrid contract probation bonus""".split()  # noqa: SIM905
)
# Arrangements that outrank an exercise word ("bar exam timing" is about timing, not an exam).
_ARRANGEMENTS = frozenset(
    "salary compensation pay benefits equity stipend relocation visa sponsorship notice buyout timing bonus".split()  # noqa: SIM905
)
_EXERCISES = frozenset(
    """scenario scenarios exercise whiteboard take-home assessment test exam presentation role-play roleplay
    simulation challenge task trial portfolio coding design-exercise lesson demo tasting walkthrough pitch
    assignment""".split()  # noqa: SIM905
)


LANGUAGES = frozenset(
    """english spanish french german italian portuguese dutch swedish norwegian danish finnish icelandic polish czech
    slovak hungarian romanian bulgarian greek turkish russian ukrainian serbian croatian bosnian slovenian albanian
    arabic hebrew persian farsi urdu hindi bengali punjabi gujarati marathi tamil telugu kannada malayalam sinhala
    nepali chinese mandarin cantonese japanese korean vietnamese thai khmer lao burmese malay indonesian tagalog
    filipino swahili amharic yoruba igbo hausa zulu xhosa afrikaans somali irish welsh gaelic catalan basque
    galician latvian lithuanian estonian georgian armenian azerbaijani kazakh uzbek mongolian maori samoan tongan
    asl bsl auslan""".split()  # noqa: SIM905
)
_CREDENTIAL = re.compile(
    r"\b(?:certified|certification|certificate|licen[cs]ed?|registered|accredited|chartered|qualified)\b"
    r"|\b(?:IELTS|TOEFL|JLPT|HSK|DELF|DELE|TOPIK)\b",
    re.IGNORECASE,
)
# Professional credentials written as their letters: a licence or a degree, not something one "has experience with".
_CREDENTIAL_LETTERS = frozenset(
    """cpa cfa acca cima aca fca ca pmp rn lpn np bls acls pals lcsw lmsw msw bsw pe eit cissp cisa cma jd mba phd md
    pharmd nclex frcs mrcp""".split()  # noqa: SIM905
)


def skill_kind(skill: str) -> str:
    """'language' ("Spanish", "bilingual Spanish", "Japanese (JLPT N2)"), 'credential' ("ACLS certified",
    "LCSW (California)", "IELTS 7.5"), or 'skill' (something the candidate does: "patient triage", "Kafka")."""
    words = [word.lower().strip("(),") for word in skill.split()]
    if words and (words[0] in LANGUAGES or (words[0] in ("bilingual", "fluent", "native") and len(words) > 1
                                            and words[1] in LANGUAGES)):  # fmt: skip
        return "language"
    if _CREDENTIAL.search(skill) or (words and re.sub(r"[^a-z]", "", words[0]) in _CREDENTIAL_LETTERS):
        return "credential"
    return "skill"


def as_noun_phrase(value: str, proper: frozenset[str] = frozenset(), *, article: bool = True) -> str | Refusal:
    """A topic or skill as a noun phrase that fits "our talk about …", or why it cannot be one.

    `proper`: words the candidate capitalised elsewhere (skills, names) — they keep their capitals here.
    """
    text = tidy(value).rstrip(".!")
    text = _LEAD_INS.sub("", text).strip()
    exercise, text = _exercise_label(text)
    text = _drop_label(text)
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
    phrase = _fix_case(text, proper)
    if exercise:
        return exercise + phrase
    return with_article(phrase) if article else phrase


# Note-taking shorthand a careful writer spells out in a letter ("3 yrs team leader", "approx 20 ppl w/ mgmt exp").
_SHORTHAND = frozenset("yrs yr mos mths exp mgmt mgr ppl approx w/ w/o b/c thru govt".split())  # noqa: SIM905


def _shorthand(text: str) -> Refusal | None:
    """A refusal naming the first shorthand word in `text`, or None when it has none."""
    for word in text.split():
        bare = word.strip(".,;:!()").lower()
        if bare in _SHORTHAND or bare.rstrip(".") in _SHORTHAND:
            return Refusal(f"uses the shorthand '{word.strip(',;:()')}'", "spell it out as you would in a letter")
    return None


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
    if shorthand := _shorthand(text):
        return shorthand
    first = words[0].lower().strip(",")
    if first in _SUBJECT_STARTS and (first not in ("my", "our") or _has_verb(words[1:])):
        sentence = text
    elif first in _CLAUSE_VERBS or (first.endswith("ed") and len(first) > 4):
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
    if shorthand := _shorthand(text):
        return shorthand
    return _fix_case(text, proper)
