"""Inbound mail: parse a raw message (as the receipt rule's S3 action stored it) with the standard library, tell
a person's reply from an out-of-office or other automated message, and find the return date an out-of-office
states.

Nothing here logs or keeps the body: it is read once to classify the message and find a date.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from enum import StrEnum
from html.parser import HTMLParser

# Enough for any reply; longer bodies are quoted history or attachments we never need.
MAX_BODY_CHARS = 20_000
# A stated return date further away than this is more likely a misread than a real absence.
MAX_ABSENCE = timedelta(days=180)
SES_MESSAGE_ID_DOMAIN = re.compile(r"^(?:email|[a-z]{2}-[a-z]+-\d)\.amazonses\.com$", re.IGNORECASE)


class MalformedMailError(ValueError):
    """The stored object is not a parseable email message."""


class ReplyKind(StrEnum):
    HUMAN = "human"
    OUT_OF_OFFICE = "out_of_office"
    # Delivery reports, ticket-system acknowledgements and other machine mail: never a reply.
    AUTOMATED = "automated"


@dataclass(frozen=True)
class InboundMail:
    message_id: str | None
    sender: str  # lower-cased address of From
    recipients: tuple[str, ...]  # lower-cased To and Cc addresses
    subject: str
    in_reply_to: tuple[str, ...]  # message ids without angle brackets
    references: tuple[str, ...]
    text: str  # the new text of the message (quoted history cut), at most MAX_BODY_CHARS
    kind: ReplyKind

    @property
    def referenced_message_ids(self) -> tuple[str, ...]:
        """In-Reply-To first (the message answered), then References newest first."""
        seen: dict[str, None] = {}
        for message_id in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(message_id, None)
        return tuple(seen)

    def ses_message_ids(self) -> tuple[str, ...]:
        """SES MessageIds of the messages this one answers: SES sets `Message-ID: <MessageId@email.amazonses.com>`
        (`<region>.amazonses.com` outside us-east-1)."""
        found = []
        for message_id in self.referenced_message_ids:
            local, at, domain = message_id.rpartition("@")
            if at and local and SES_MESSAGE_ID_DOMAIN.match(domain):
                found.append(local)
        return tuple(found)


# -- parsing ---------------------------------------------------------------------------------------------------


_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


def _message_ids(value: str | None) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(value or ""))


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of counts as absent
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _all_headers(message: EmailMessage, name: str) -> list[str]:
    try:
        return [str(value) for value in message.get_all(name, [])]
    except (ValueError, IndexError, TypeError):
        return []


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "blockquote"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "blockquote") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return "".join(extractor.parts)


def _body_text(message: EmailMessage) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
    except (LookupError, ValueError, KeyError, AttributeError, UnicodeError):
        return ""
    if not isinstance(content, str):
        return ""
    text = _html_to_text(content) if part.get_content_type() == "text/html" else content
    return text[: MAX_BODY_CHARS * 2]


# Where the quoted history starts: "On <date>, <name> wrote:", "Am ... schrieb ...:", Outlook's separator/header.
_QUOTE_START = re.compile(
    r"^\s*(?:On\s.{0,200}\swrote:|Am\s.{0,200}\sschrieb.{0,80}:|Le\s.{0,200}\sa\sécrit\s?:"
    r"|-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Forwarded message)\s*-{2,}"
    r"|_{10,}|From:\s.+|Von:\s.+)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def new_text(body: str) -> str:
    """The part of a reply its author wrote: quoted lines and the quoted history below it removed."""
    match = _QUOTE_START.search(body)
    if match:
        body = body[: match.start()]
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()[:MAX_BODY_CHARS]


def parse_mail(raw: bytes) -> InboundMail:
    """Parse a raw RFC 5322 message; MalformedMailError when it has no usable sender."""
    if not raw or not raw.strip():
        raise MalformedMailError("empty message")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except (ValueError, IndexError, TypeError) as exc:  # pragma: no cover - the parser is very lenient
        raise MalformedMailError("unparseable message") from exc
    if not isinstance(message, EmailMessage):  # pragma: no cover - policy.default always builds EmailMessage
        raise MalformedMailError("unparseable message")
    sender = parseaddr(_header(message, "From"))[1].strip().lower()
    if "@" not in sender:
        raise MalformedMailError("no sender address")
    recipients = tuple(
        dict.fromkeys(
            address.strip().lower()
            for _, address in getaddresses(_all_headers(message, "To") + _all_headers(message, "Cc"))
            if "@" in address
        )
    )
    subject = _header(message, "Subject")
    text = new_text(_body_text(message))
    return InboundMail(
        message_id=next(iter(_message_ids(_header(message, "Message-ID"))), None),
        sender=sender,
        recipients=recipients,
        subject=subject,
        in_reply_to=_message_ids(_header(message, "In-Reply-To")),
        references=_message_ids(_header(message, "References")),
        text=text,
        kind=classify(message, sender, subject, text),
    )


# -- classification --------------------------------------------------------------------------------------------

_OOO_SUBJECT = re.compile(
    r"out[ -]of[ -](?:the[ -])?office|\booo\b|automatic reply|auto(?:matic)?[ -]?(?:reply|response)|autoreply"
    r"|abwesenheit|abwesend|réponse automatique|absence|respuesta automática|fuera de la oficina"
    r"|risposta automatica|vacation|on leave|away from",
    re.IGNORECASE,
)
_OOO_BODY = re.compile(
    r"out[ -]of[ -](?:the[ -])?office|\booo\b|on (?:vacation|holiday|leave|annual leave|parental leave|pto)"
    r"|away (?:from|until|till)|(?:limited|no) access to (?:my )?e-?mail|currently (?:away|travell?ing|out)"
    r"|abwesend|abwesenheit|urlaub|nicht im büro|congé|absent|vacaciones",
    re.IGNORECASE,
)
_AUTOMATED_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})
_MACHINE_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.IGNORECASE)


def is_automated(message: EmailMessage, sender: str) -> bool:
    """RFC 3834 `Auto-Submitted`, the de-facto `X-Autoreply`/`X-Autorespond`, `Precedence`, delivery reports."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond") or _header(message, "X-Autoreply-From"):
        return True
    if _header(message, "Precedence").lower() in _AUTOMATED_PRECEDENCE:
        return True
    return message.get_content_type() == "multipart/report" or bool(_MACHINE_SENDERS.match(sender))


def classify(message: EmailMessage, sender: str, subject: str, text: str) -> ReplyKind:
    automated = is_automated(message, sender)
    if message.get_content_type() == "multipart/report" or _MACHINE_SENDERS.match(sender):
        return ReplyKind.AUTOMATED
    if _OOO_SUBJECT.search(subject):
        return ReplyKind.OUT_OF_OFFICE
    if automated:
        return ReplyKind.OUT_OF_OFFICE if _OOO_BODY.search(text) else ReplyKind.AUTOMATED
    return ReplyKind.HUMAN


# -- return dates ----------------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan", "januar", "jänner", "janvier", "enero"),
            ("february", "feb", "februar", "février", "febrero"),
            ("march", "mar", "märz", "maerz", "mars", "marzo"),
            ("april", "apr", "avril", "abril"),
            ("may", "mai", "mayo"),
            ("june", "jun", "juni", "juin", "junio"),
            ("july", "jul", "juli", "juillet", "julio"),
            ("august", "aug", "août", "agosto"),
            ("september", "sep", "sept", "septembre", "septiembre"),
            ("october", "oct", "oktober", "okt", "octobre", "octubre"),
            ("november", "nov", "novembre", "noviembre"),
            ("december", "dec", "dezember", "dez", "décembre", "diciembre"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(?P<month_name>" + "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|\.)?"
_YEAR = r"(?:,?\s*(?P<year>20\d{2}))?"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<year>20\d{2})-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)\b"),
    re.compile(r"\b(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)(?:/(?P<year>(?:20)?\d{2}))?\b"),
    re.compile(r"\b(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\.(?P<year>(?:20)?\d{2})?"),
    re.compile(r"\b" + _MONTH + r"\s+" + _DAY + r"\b" + _YEAR, re.IGNORECASE),
    re.compile(r"\b" + _DAY + r"\s+(?:of\s+)?" + _MONTH + r"(?![a-zäéû])" + _YEAR, re.IGNORECASE),
]
# Words that put a date on the way back: "back on", "returning", "until", "zurück am", "bis", "de retour le".
_ANCHOR = re.compile(
    r"\b(?:back|return(?:ing|s)?|until|till|til|through|thru|zurück|wieder|bis|ab dem|retour|regreso|vuelvo)\b",
    re.IGNORECASE,
)
_ANCHOR_REACH = 60


def _to_date(match: re.Match[str], day_first: bool) -> tuple[int | None, int, int]:
    groups = match.groupdict()
    year = groups.get("year")
    if groups.get("a") is not None:
        a, b = int(groups["a"]), int(groups["b"])
        month, day = (b, a) if (day_first or a > 12) and b <= 12 else (a, b)
    else:
        day = int(groups["day"])
        month = _MONTHS[groups["month_name"].lower()] if groups.get("month_name") else int(groups["month"])
    full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
    return full_year, month, day


def _resolve(year: int | None, month: int, day: int, received: date) -> date | None:
    try:
        candidate = date(year or received.year, month, day)
    except ValueError:
        return None
    if year is None and candidate < received:
        try:
            candidate = date(received.year + 1, month, day)
        except ValueError:
            return None
    if not received <= candidate <= received + MAX_ABSENCE:
        return None
    return candidate


def find_return_date(text: str, received: date, *, day_first: bool = False) -> date | None:
    """The date an out-of-office says its author is back (or away until), e.g. "I will be back on Monday,
    December 7", "returning 12/07/2026", "back on 7 December", "zurück am 07.12.2026".

    Only dates a return word ("back", "returning", "until", ...) precedes count, so "I'm away from 25 Nov"
    is not read as the return. With several, the latest wins ("out Nov 30 until Dec 4, back Dec 7"). A date
    without a year is the next such date on or after `received`. `day_first` reads 07/12 as 7 December.
    """
    found: list[date] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - _ANCHOR_REACH) : match.start()]
            if not _ANCHOR.search(before):
                continue
            resolved = _resolve(*_to_date(match, day_first), received)
            if resolved is not None:
                found.append(resolved)
    return max(found) if found else None
