"""How a message names people: the greeting for each interviewer, the name the candidate goes by, and the company
and role as people say them.

Rules (docs/templates.md "Names"):
- a `salutation` the candidate gave is used exactly as written;
- formal: honorific + family name when the name carries an honorific and the family name is clear ("Dear
  Dr. Okonkwo-Hale"), otherwise the full name ("Dear Grace Hopper") — never honorific + given name;
- warm and concise: the given name ("Hi Grace");
- when the name order cannot be known (a non-Latin script, or a country where the family name usually comes
  first), the full name without an honorific, and a preview warning that a `salutation` would help;
- the candidate goes by `preferred_name`, else the name their signature starts with, else the given name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from followup.core.text import CONTROL_CHARS, HONORIFICS, LINE_BREAKS

__all__ = [
    "Greeting",
    "candidate_preferred_name",
    "greeting_for",
    "short_company",
    "split_honorific",
]

# Countries where a name is usually written family name first, also in Latin script.
FAMILY_NAME_FIRST_COUNTRIES = frozenset({"CN", "HK", "HU", "JP", "KH", "KP", "KR", "MN", "MO", "SG", "TW", "VN"})
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "da",
        "das",
        "dos",
        "du",
        "la",
        "le",
        "di",
        "bin",
        "binti",
        "al",
        "el",
        "ten",
        "ter",
        "zu",
        "st.",
        "st",
    ]
)
_ABBREVIATED = frozenset(
    {"dr", "mr", "mrs", "ms", "mx", "prof", "lic", "lcda", "lcdo", "dra", "sr", "sra", "srta", "arq", "mtro", "mtra"}
)
# Particles that stay lower-case inside a name typed all in one case ("juan de la cruz" → "Juan de la Cruz").
_PARTICLES = frozenset({"de", "del", "della", "di", "da", "das", "do", "dos", "du", "la", "le", "van", "von", "der",
                        "den", "ter", "y", "e", "bin", "binti", "al"})  # fmt: skip


# What a personal name is made of: letters (any script), spaces, and . - ' ’ (initials, double names, O'Connor).
_NOT_A_NAME = re.compile(r"[^\w\s.\-'’]|[\d_]")


def proper_case(name: str) -> str:
    """A name typed all in capitals or all in lower case, as it is written ("DR. JUAN P. ROSSI" → "Dr. Juan P.
    Rossi", "siobhán o'connor" → "Siobhán O'Connor"); a name with any mixed case is the person's own: unchanged."""
    letters = [char for char in name if char.isalpha()]
    if not letters or not (all(char.isupper() for char in letters) or all(char.islower() for char in letters)):
        return name
    if _NOT_A_NAME.search(name):  # digits or symbols: not a name as people write one, so left exactly as typed
        return name
    words = []
    for index, word in enumerate(name.split(" ")):
        if index and word.lower() in _PARTICLES:
            words.append(word.lower())
            continue
        words.append(re.sub(r"(^|[-'’])(\w)", lambda m: m.group(1) + m.group(2).upper(), word.lower()))
    return " ".join(words)


# Scripts whose names are written family name first (Han, kana, Hangul): the order of a romanised name is unclear.
_FAMILY_FIRST_SCRIPT = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\u1100-\u11ff\uac00-\ud7af]")
# Second given names that make a compound first name ("José Luis", "Ana Lucía", "Jean Pierre", "Mary Ann").
_SECOND_GIVEN = frozenset(
    """luis lucía lucia elena pedro beatriz isabel carmen josé jose maría maria manuel antonio carlos eduardo paulo
    pierre claude marie anne ann jo sue louise paul miguel ángel angel fernanda clara cristina teresa gabriel
    francisco alberto andrés andres javier victoria sofía sofia laura luisa josé-maría eugenia inés ines""".split()  # noqa: SIM905
)
_LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff'’.\- ]+$")
_SPACES = re.compile(r"\s+")
# Legal forms that nobody says aloud; removed, longest first, from the end of a company's name.
_LEGAL_SUFFIXES = (
    "private limited",
    "pvt. ltd.",
    "pvt ltd",
    "kabushiki kaisha",
    "holding company",
    "holdings inc.",
    "holdings inc",
    "limited liability company",
    "public limited company",
    "corporation",
    "incorporated",
    "company limited",
    "co., ltd.",
    "co. ltd.",
    "co ltd",
    "limited",
    "gmbh & co. kg",
    # Mexico's and Latin America's longer forms, before the "s.a." they end with
    "s.a. de c.v.",
    "sa de cv",
    "s. de r.l. de c.v.",
    "s.a.p.i. de c.v.",
    "s.a.b. de c.v.",
    "ltda.",
    "ltda",
    "gmbh",
    "ag",
    "s.a.",
    "s.a.s.",
    "sas",
    "sarl",
    "s.r.l.",
    "srl",
    "s.p.a.",
    "spa",
    "b.v.",
    "bv",
    "n.v.",
    "nv",
    "oy",
    "ab",
    "as",
    "a/s",
    "aps",
    "plc",
    "llc",
    "l.l.c.",
    "llp",
    "l.l.p.",
    "lp",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
    "corp.",
    "corp",
    "co.",
    "k.k.",
    "kk",
    "pty ltd",
    "pty. ltd.",
    "pty",
    "sdn bhd",
    "bhd",
    "pte ltd",
    "pte. ltd.",
    "pte",
    "p.c.",
    "pc",
    "pllc",
    "p.l.l.c.",
    "(pty) ltd",
    "(pty) ltd.",
    "(pty)",
)


def _clean(value: str) -> str:
    return _SPACES.sub(" ", CONTROL_CHARS.sub("", LINE_BREAKS.sub(" ", value))).strip()


@dataclass(frozen=True)
class Greeting:
    """The name after "Dear"/"Hi", and a warning when the candidate should check it."""

    name: str
    warning: str | None = None
    # Greets by title and family name ("Dr. Wagner"): "Dear", not "Hi", goes before it in any tone.
    titled: bool = False


def split_honorific(name: str) -> tuple[str | None, list[str]]:
    """("Dr.", ["Patricia", "Okonkwo-Hale"]) for "Dr. Patricia Okonkwo-Hale"; (None, tokens) without one. Stacked
    titles ("Prof. Dr. Hans-Peter Müller") keep the first, the highest, and drop the rest."""
    tokens = proper_case(_clean(name)).split(" ")
    if len(tokens) > 1 and tokens[0].rstrip(".").lower() in HONORIFICS:
        bare = tokens[0].rstrip(".")
        # "Dr" and "Dr." are both written; the greeting uses the dotted form for abbreviations.
        honorific = tokens[0] if tokens[0].endswith(".") or bare.lower() not in _ABBREVIATED else bare + "."
        rest = tokens[1:]
        while len(rest) > 1 and rest[0].rstrip(".").lower() in HONORIFICS:
            rest = rest[1:]
        return honorific, rest
    return None, tokens


def order_is_unknown(name: str, country: str | None) -> bool:
    """Whether the first token might be the family name: a Han, kana or Hangul name, or a Latin-script name in a
    country where the family name usually comes first. (Cyrillic, Arabic, Greek, Hebrew, Devanagari… names are
    written given name first.)"""
    cleaned = _clean(name)
    if _FAMILY_FIRST_SCRIPT.search(cleaned):
        return True
    return bool(_LATIN.match(cleaned)) and (country or "").upper() in FAMILY_NAME_FIRST_COUNTRIES


def _given(tokens: list[str]) -> str:
    """The given name: the first token, or the first two for a compound first name ("José Luis Rodríguez")."""
    if len(tokens) >= 3 and tokens[1].lower() in _SECOND_GIVEN:
        return f"{tokens[0]} {tokens[1]}"
    return tokens[0]


def _script_greeting(full: str) -> str | None:
    """How a Japanese or Korean name is greeted politely in its own script: family name + 様, full name + 님."""
    tokens = full.split()
    if _KANA.search(full) or (len(tokens) == 2 and _FAMILY_FIRST_SCRIPT.search(tokens[0]) and not _HANGUL.search(full)):
        return None  # Han characters alone may be Chinese: the full name is the safe choice
    if _HANGUL.search(full):
        return f"{full} 님"
    return None


def _family_name(tokens: list[str]) -> str | None:
    """The family name when it is clear: the last of two tokens, or particles + last ("van Beethoven")."""
    if len(tokens) == 2:
        return tokens[1]
    if len(tokens) >= 3 and tokens[1].lower() in _PARTICLES:
        return " ".join(tokens[1:])
    return None


_TITLE_CULTURES = frozenset(
    {"DE", "AT", "CH", "LI", "PL", "CZ", "SK", "HU", "RU", "UA", "IN", "PK", "BD", "KR", "CN", "TW", "HK"}
    | {"SA", "AE", "QA", "KW", "BH", "OM", "EG", "JO", "NG", "GH", "KE"}
)


def greeting_for(name: str, tone: str, *, salutation: str | None, country: str | None) -> Greeting:
    """The name to greet a person by in `tone` (see the module's rules)."""
    if salutation:
        return Greeting(_clean(salutation))
    honorific, tokens = split_honorific(name)
    full = " ".join(tokens)
    advice = (
        "add a `salutation` for {name} (exactly how to greet them, e.g. 'Dr. Tanaka' or 'Kenji'): "
        "the name order is not clear, so the message greets them by their full name"
    )
    if order_is_unknown(full, country):
        if (country or "").upper() == "JP" and _FAMILY_FIRST_SCRIPT.search(full) and len(tokens) == 2:
            return Greeting(f"{tokens[0]}様")  # Yamada-sama: family name and the polite suffix, as in Japan
        polite = _script_greeting(full)
        if polite:
            return Greeting(polite)
        return Greeting(full, advice.format(name=full))
    # Where a title typed before a name is how people are addressed whatever the tone (Germany's "Dr. Wagner",
    # India's "Mrs. Kulkarni"), it is kept in warm and concise messages too.
    if tone == "formal" or (honorific and (country or "").upper() in _TITLE_CULTURES):
        if honorific:
            family = _family_name(tokens)
            if family:
                # "Prof." is written out in a greeting: "Dear Professor Ekström".
                title = "Professor" if honorific.lower().rstrip(".") in ("prof", "professor") else honorific
                return Greeting(f"{title} {family}", titled=True)
            return Greeting(
                full,
                f"add a `salutation` for {full} (e.g. '{honorific} …' with their family name): with more than two "
                "names the family name is not clear, so the message greets them by their full name",
            )
        return Greeting(full)
    return Greeting(_given(tokens))


def given_name(name: str, country: str | None) -> str:
    """The given name when the order is clear; the full name otherwise."""
    _, tokens = split_honorific(name)
    full = " ".join(tokens)
    return full if order_is_unknown(full, country) else _given(tokens)


_NAME_LINE = re.compile(r"^[^\W\d_][^\d@/:<>|]{0,60}$", re.UNICODE)


def candidate_preferred_name(name: str, preferred: str | None, signature: str | None, country: str | None) -> str:
    """What the candidate is called in their own reminders and signs short notes with."""
    if preferred:
        return _clean(preferred)
    first_line = next((line for line in (_clean(part) for part in LINE_BREAKS.split(signature or "")) if line), "")
    # "Dr. Ananya Krishnamurthy", "Richard Hallam-Booth FCA", "Siobhan Fitzgerald RN, MNurs": the name alone.
    first_line = first_line.split(",", 1)[0]
    _, tokens = split_honorific(first_line)
    while len(tokens) > 1 and tokens[-1].isupper() and len(tokens[-1]) >= 2:
        tokens.pop()
    line = " ".join(tokens)
    _, legal_tokens = split_honorific(name)
    looks_like_a_name = bool(line and _NAME_LINE.match(line)) and len(tokens) <= 4
    if not looks_like_a_name or _shortened_legal_name(tokens, legal_tokens):
        return given_name(name, country)
    # "Bob Smith" signed for "Robert Smith": the name they go by, without the family name they share with the legal one.
    legal = [token.casefold() for token in legal_tokens]
    if len(tokens) >= 2 and legal and tokens[-1].casefold() == legal[-1] and tokens[0].casefold() not in legal:
        return " ".join(tokens[:-1])
    return line


def _shortened_legal_name(tokens: Sequence[str], legal_tokens: Sequence[str]) -> bool:
    """Whether a signed name is the legal name itself or the legal name with middle names dropped or shortened to an
    initial ("Rafael Nogueira" or "Rafael A. Nogueira" for "Rafael Augusto Nogueira"): not a preferred name, so the
    candidate is still greeted by their given name."""
    signed = [token.casefold() for token in tokens]
    legal = [token.casefold() for token in legal_tokens]
    if not signed or not legal or signed[0] != legal[0]:
        return False
    remaining = iter(legal)
    # A subsequence: each signed token found in order, an initial ("a." or "a") standing for a name it begins.
    return all(any(_same_or_initial(token, name) for name in remaining) for token in signed)


def _same_or_initial(signed: str, legal: str) -> bool:
    initial = signed.rstrip(".")
    return signed == legal or (len(initial) == 1 and legal.startswith(initial) and len(legal) > 1)


def short_company(name: str) -> str:
    """The company as people say it: the legal form dropped ("Analytical Engines Ltd" → "Analytical Engines")."""
    cleaned = _clean(name)
    lowered = cleaned.lower()
    for suffix in _LEGAL_SUFFIXES:
        for separator in (" ", ", "):
            if lowered.endswith(separator + suffix) and len(cleaned) > len(separator + suffix) + 1:
                shorter = cleaned[: -len(separator + suffix)].rstrip(" ,")
                return short_company(shorter) if shorter else cleaned
    if lowered.startswith("kabushiki kaisha "):
        return cleaned[len("kabushiki kaisha ") :]
    return cleaned
