"""Inbound mail: parse a raw message (as the receipt rule's S3 action stored it), tell a person's reply from an
out-of-office or other automated message, and find the return date an out-of-office states.

Nothing here logs or keeps the body: it is read once to classify the message and find a date.

Hostile input. Anyone who can send mail to the inbound domain chooses these bytes, so parsing is linear in its
input, bounded, and raises nothing but MalformedMailError ("malformed, dropped, counted" in feedback.py):

- Only the first MAX_RAW_BYTES (256 KiB) are parsed, the rest is ignored: a reply's headers and the text its
  author wrote come first, what follows are attachments and quoted history we never read. A message cut there
  still parses (its last part just ends early), so a long reply is not lost for a big attachment.
- The MIME structure is read by the small reader below, not by `email.parser`: the standard library's parser
  recurses once per nesting level (RecursionError on 3,000 nested multiparts or message/rfc822 parts), its
  header parser raises AttributeError and IndexError on inputs like `From: a@[`, and `email.utils` recurses on
  nested comments (`From: (((…`). Ours walks the parts iteratively, depth first and lazily, stopping at the first
  text/plain part as `EmailMessage.get_body(("plain", "html"))` does. It reads at most MAX_HEADER_LINES header
  lines in all, MAX_MIME_PARTS parts, MAX_MIME_DEPTH nested multiparts and MAX_BOUNDARY_MISSES boundary
  strings that do not start a delimiter line: a message beyond any of them is malformed. message/rfc822 parts
  are never opened (get_body does not look inside them either).
- Header values are kept up to MAX_HEADER_CHARS each (References: its newest end), at most MAX_MESSAGE_IDS ids
  per header, MAX_RECIPIENTS addresses; addresses and RFC 2047 encoded words are read by linear scans.
- Text: a body part's text is cut to 2 × MAX_BODY_CHARS, HTML to MAX_HTML_CHARS before its tags are stripped by
  a linear scan (html.parser is quadratic on inputs like `<a '` repeated). An unknown charset, or one that is not
  a text charset, is read as UTF-8; undecodable bytes become U+FFFD, never an error. x-uuencode bodies are not
  decoded.
- Every regular expression here is linear: no pattern can backtrack over more than a bounded window (the quote
  cut used to let `^\\s*` run over every following blank line, from every line).
- Any exception while parsing, however unexpected, becomes MalformedMailError.

Why one module of this length: the bounded MIME reader, the header scans and the reply classifier share their
limits and must be reviewed together for linearity; splitting them would hide a bound from the code it guards.
"""

from __future__ import annotations

import binascii
import codecs
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from itertools import chain
from urllib.parse import unquote

# Enough for any reply; longer bodies are quoted history or attachments we never need.
MAX_BODY_CHARS = 20_000
# A stated return date further away than this is more likely a misread than a real absence.
MAX_ABSENCE = timedelta(days=180)
SES_MESSAGE_ID_DOMAIN = re.compile(r"^(?:email|[a-z]{2}-[a-z]++-\d)\.amazonses\.com$", re.IGNORECASE)

# -- bounds (see the module docstring) -----------------------------------------------------------------------------
MAX_RAW_BYTES = 256 * 1024
MAX_HEADER_LINES = 5_000  # physical header lines, every part's together; a real message has a few hundred
MAX_HEADER_CHARS = 8_192  # per kept header value, unfolded
MAX_HEADER_REPEATS = 20  # occurrences kept of one header name (To, Cc may repeat)
MAX_MIME_PARTS = 500
MAX_MIME_DEPTH = 20  # nested multiparts; mail clients nest 3 to 6
MAX_BOUNDARY_CHARS = 200  # RFC 2046 allows 70; a longer boundary is treated as none (the part stays opaque)
MAX_BOUNDARY_MISSES = 1_000  # `--boundary` found where no delimiter line is: never in real mail
MAX_PARAMS = 32  # Content-Type parameters read
MAX_PARAM_CHARS = 2_048  # of a Content-Type value, for its parameters
MAX_PARAM_TOKENS = 128
MAX_HTML_CHARS = 64 * 1024
MAX_MESSAGE_IDS = 100  # per In-Reply-To / References header (References: the newest)
MAX_RECIPIENTS = 100
MAX_ADDRESS_CHARS = 16_384  # of To and Cc together


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


# -- the MIME reader -------------------------------------------------------------------------------------------------
#
# The raw bytes are decoded as Latin-1 (one character per byte, lossless) and read in place: a part is a span of
# that string. Header values are turned back into bytes and read as UTF-8, as the standard library does with
# 8-bit headers; a text part's bytes are decoded with its charset.

# Header names kept; every other header is skipped.
_KEPT_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "subject",
        "message-id",
        "in-reply-to",
        "references",
        "auto-submitted",
        "x-autoreply",
        "x-autorespond",
        "x-autoreply-from",
        "precedence",
        "content-type",
        "content-disposition",
        "content-transfer-encoding",
        "content-id",
    }
)
_EOL = re.compile(r"\r\n|\r|\n")
# A header line: printable ASCII but ":" up to the first ":" (as email.feedparser's headerRE).
_HEADER_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]*+:")
# What may follow a boundary on its line: "--" (the close delimiter) is checked first, then blanks to the end.
_DELIMITER_TAIL = re.compile(r"[ \t]*+(?:\r\n|\r|\n|\Z)")


class _Budget:
    """What is left to read of one message: header lines, MIME parts, boundary strings that are no delimiter."""

    __slots__ = ("boundary_misses", "header_lines", "parts")

    def __init__(self) -> None:
        self.header_lines = MAX_HEADER_LINES
        self.parts = MAX_MIME_PARTS
        self.boundary_misses = MAX_BOUNDARY_MISSES


class MailPart:
    """A message or one of its MIME parts: the headers we keep and where its body is in the decoded text."""

    __slots__ = ("body_end", "body_start", "content_type", "headers")

    def __init__(self, headers: dict[str, list[str]], body_start: int, body_end: int, default_type: str) -> None:
        self.headers = headers
        self.body_start = body_start
        self.body_end = body_end
        values = headers.get("content-type")
        if values is None:
            self.content_type = default_type
        else:  # as EmailMessage.get_content_type: a value that is not type/subtype reads as text/plain
            content_type = values[0].partition(";")[0].strip().lower()
            self.content_type = content_type if content_type.count("/") == 1 else "text/plain"

    def header(self, name: str) -> str:
        """The first `name` header, whitespace runs collapsed; "" when there is none."""
        values = self.headers.get(name)
        return " ".join(values[0].split()) if values else ""

    def text(self, name: str) -> str:
        """An unstructured header (Subject, In-Reply-To, ...) as text: RFC 2047 encoded words decoded, as
        email.policy.default reads them (Python itself encodes a long In-Reply-To that way)."""
        return " ".join(decode_header_words(self.header(name)).split())

    def header_values(self, name: str) -> list[str]:
        return self.headers.get(name, [])

    def get_content_type(self) -> str:
        return self.content_type

    def param(self, name: str) -> str | None:
        """A Content-Type parameter (RFC 2045 quoting, RFC 2231 `name*` and `name*0…` forms)."""
        values = self.headers.get("content-type")
        return _param(_params(values[0]), name) if values else None

    @property
    def is_attachment(self) -> bool:
        values = self.headers.get("content-disposition")
        return values is not None and values[0].partition(";")[0].strip().lower() == "attachment"


def _read_part(text: str, start: int, end: int, budget: _Budget, default_type: str) -> MailPart:
    """The part in text[start:end]: its headers up to the first blank line (or the first line that is not a
    header, which then starts the body, as email.feedparser does), then its body."""
    budget.parts -= 1
    if budget.parts < 0:
        raise MalformedMailError("too many MIME parts")
    headers: dict[str, list[str]] = {}
    name: str | None = None  # the kept header being read
    chunks: list[str] = []
    pos = start
    while pos < end:
        eol = _EOL.search(text, pos, end)
        line_end, next_line = (eol.start(), eol.end()) if eol else (end, end)
        if line_end == pos:  # the blank line: the body follows
            pos = next_line
            break
        budget.header_lines -= 1
        if budget.header_lines < 0:
            raise MalformedMailError("too many header lines")
        if text[pos] in " \t":  # a folded line continues the header above
            if name is not None:
                chunks.append(text[pos:line_end])
        elif text.startswith("From ", pos, line_end):  # an mbox envelope line
            pass
        else:
            found = _HEADER_NAME.match(text, pos, line_end)
            if found is None:  # not a header: the body starts here
                break
            _keep(headers, name, chunks)
            name = text[pos : found.end() - 1].lower() or None
            if name not in _KEPT_HEADERS:
                name = None
            chunks = [text[found.end() : line_end].lstrip(" \t")] if name else []
        pos = next_line
    _keep(headers, name, chunks)
    return MailPart(headers, min(pos, end), end, default_type)


def _keep(headers: dict[str, list[str]], name: str | None, chunks: list[str]) -> None:
    if name is None:
        return
    values = headers.setdefault(name, [])
    if len(values) >= MAX_HEADER_REPEATS:
        return
    value = "".join(chunks)
    value = value[-MAX_HEADER_CHARS:] if name == "references" else value[:MAX_HEADER_CHARS]
    values.append(value.encode("latin-1").decode("utf-8", "replace"))


def _delimiters(text: str, start: int, end: int, boundary: str, budget: _Budget) -> Iterator[tuple[int, int, bool]]:
    """(line start, end of line, is the close delimiter) of each `--boundary` line in text[start:end]."""
    delimiter = "--" + boundary
    pos = start
    while True:
        found = text.find(delimiter, pos, end)
        if found < 0:
            return
        after = found + len(delimiter)
        closing = text.startswith("--", after, end)
        tail = None
        if found == start or text[found - 1] in "\r\n":
            tail = _DELIMITER_TAIL.match(text, after + 2 if closing else after, end)
        if tail is None:
            budget.boundary_misses -= 1
            if budget.boundary_misses < 0:
                raise MalformedMailError("too many false MIME boundaries")
            pos = found + 1
            continue
        yield found, tail.end(), closing
        pos = tail.end()


def _children(text: str, part: MailPart, budget: _Budget) -> Iterator[MailPart]:
    """The parts of a multipart, read as they are asked for. The line break before a delimiter belongs to it."""
    boundary = (part.param("boundary") or "").rstrip()
    if not boundary or len(boundary) > MAX_BOUNDARY_CHARS:
        return
    default_type = "message/rfc822" if part.content_type == "multipart/digest" else "text/plain"
    child_start: int | None = None
    for line_start, line_end, closing in _delimiters(text, part.body_start, part.body_end, boundary, budget):
        if child_start is not None:
            child_end = line_start
            if child_end > child_start and text[child_end - 1] == "\n":
                child_end -= 1
            if child_end > child_start and text[child_end - 1] == "\r":
                child_end -= 1
            yield _read_part(text, child_start, child_end, budget, default_type)
        if closing:
            return
        child_start = line_end
    if child_start is not None:  # no close delimiter: the last part runs to the end
        yield _read_part(text, child_start, part.body_end, budget, default_type)


def _find_body(text: str, top: MailPart, budget: _Budget) -> MailPart | None:
    """The first text/plain part, else the first text/html one, depth first, attachments skipped; in a
    multipart/related only its start part (EmailMessage.get_body's rules, without recursion)."""
    first_html: MailPart | None = None
    stack: list[Iterator[MailPart]] = [iter((top,))]
    while stack:
        part = next(stack[-1], None)
        if part is None:
            stack.pop()
            continue
        if part.is_attachment:
            continue
        maintype, _, subtype = part.content_type.partition("/")
        if maintype == "text":
            if subtype == "plain":
                return part
            if subtype == "html" and first_html is None:
                first_html = part
            continue
        if maintype != "multipart":
            continue
        if len(stack) > MAX_MIME_DEPTH:
            raise MalformedMailError("MIME parts nested too deeply")
        children = _children(text, part, budget)
        if subtype == "related":
            start = part.param("start")
            first = next(children, None)
            chosen = first
            if start and first is not None:
                wanted = " ".join(start.split())
                for candidate in chain((first,), children):
                    if candidate.header("content-id") == wanted:
                        chosen = candidate
                        break
            children = iter(() if chosen is None else (chosen,))
        stack.append(children)
    return first_html


# -- header values ---------------------------------------------------------------------------------------------------

_PARAM_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+"?|[^";]++|;', re.DOTALL)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)


def _params(value: str) -> dict[str, str]:
    """Parameters of a Content-Type-like value (names lower-case, values unquoted); the first of a name wins."""
    chunks: list[list[str]] = [[]]
    for count, token in enumerate(_PARAM_TOKEN.finditer(value, 0, MAX_PARAM_CHARS)):
        piece = token.group()
        if piece == ";":
            if len(chunks) > MAX_PARAMS:
                break
            chunks.append([])
        elif count < MAX_PARAM_TOKENS:
            chunks[-1].append(piece)
        else:
            break
    params: dict[str, str] = {}
    for chunk in chunks[1:]:
        name, equals, raw = "".join(chunk).partition("=")
        name = name.strip().lower()
        if not equals or not name:
            continue
        raw = raw.strip()
        if raw.startswith('"'):
            raw = _QUOTED_PAIR.sub(r"\1", raw[1:].removesuffix('"'))
        params.setdefault(name, raw)
    return params


def _param(params: dict[str, str], name: str) -> str | None:
    if name in params:
        return params[name]
    if name + "*" in params:  # RFC 2231: charset'language'percent-encoded
        return _rfc2231(params[name + "*"])
    pieces = []
    for index in range(MAX_PARAMS):
        if f"{name}*{index}" in params:
            pieces.append(params[f"{name}*{index}"])
        elif f"{name}*{index}*" in params:
            pieces.append(_rfc2231(params[f"{name}*{index}*"], first=index == 0))
        else:
            break
    return "".join(pieces) if pieces else None


def _rfc2231(value: str, *, first: bool = True) -> str:
    charset = "utf-8"
    if first and value.count("'") >= 2:
        charset, _, rest = value.partition("'")
        value = rest.partition("'")[2]
    return unquote(value, encoding=_codec(charset), errors="replace")


_UNSAFE_CODECS = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"})


@lru_cache(maxsize=64)
def _codec(charset: str | None) -> str:
    """A codec for a MIME charset name: UTF-8 for none, an unknown one, or one that is no mail charset (punycode's
    decoder is quadratic, idna's refuses "replace", base64 and rot13 are not text encodings)."""
    name = (charset or "").strip().strip('"').strip()
    if not name or len(name) > 64:
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except LookupError:
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True) or info.name in _UNSAFE_CODECS:
        return "utf-8"
    return info.name


def _decode(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(_codec(charset), "replace")
    except (LookupError, UnicodeError, ValueError):
        return data.decode("utf-8", "replace")


def _base64(data: bytes) -> bytes | None:
    """email's lenient base64: fix the padding, then skip stray characters; None when nothing works."""
    data = b"".join(data.split())
    missing = -len(data) % 4
    for attempt in (data + b"=" * (missing if missing < 3 else 0), data, data + b"=="):
        try:
            return binascii.a2b_base64(attempt)
        except binascii.Error:
            continue
    return None


# RFC 2047 encoded words: =?charset?B|Q?encoded-text?=; encoded text has no "?" and no whitespace.
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75}+)\?([bBqQ])\?([^?\s]*+)\?=")


def _decode_word(charset: str, encoding: str, encoded: str) -> str | None:
    try:
        data = encoded.encode("ascii")
    except UnicodeError:
        return None
    decoded = _base64(data) if encoding in "bB" else binascii.a2b_qp(data, header=True)
    if decoded is None:
        return None
    return _decode(decoded, charset.partition("*")[0])


def decode_header_words(value: str) -> str:
    """A header value with its RFC 2047 encoded words decoded (the blanks between two of them dropped)."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pos = 0
    after_word = False
    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        decoded = _decode_word(*match.groups())
        if decoded is None:
            out.append(gap + match.group())
            after_word = False
        else:
            if not (after_word and not gap.strip()):
                out.append(gap)
            out.append(decoded)
            after_word = True
        pos = match.end()
    out.append(value[pos:])
    return "".join(out)


_ADDRESS_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*+"?|\\.?|\s++|[()<>,;:]|[^\s"\\()<>,;:]++', re.DOTALL)
_COMMENT_TOKEN = re.compile(r"\\.?|[()]|[^\\()]++", re.DOTALL)


def addresses(value: str, limit: int) -> list[str]:
    """The addresses of an address-list header value, lower-case, at most `limit`: the `<…>` part of a
    name-addr (source route dropped), else the addr-spec; groups are opened, comments and display names dropped.
    One pass, nested comments counted, never recursion."""
    found: list[str] = []
    words: list[str] = []  # the mailbox outside <…>
    angle: list[str] | None = None  # inside <…>, once seen
    in_angle = False
    depth = 0  # of nested comments
    pos, end = 0, len(value)

    def done() -> None:
        nonlocal words, angle, in_angle
        address = "".join(words if angle is None else angle).lower()
        local, at, domain = address.rpartition("@")
        if at and local and domain and domain.startswith("[") == domain.endswith("]"):
            found.append(address)
        words, angle, in_angle = [], None, False

    while pos < end and len(found) < limit:
        if depth:
            token = _COMMENT_TOKEN.match(value, pos)
            assert token is not None  # the pattern matches any character
            piece, pos = token.group(), token.end()
            depth += 1 if piece == "(" else -1 if piece == ")" else 0
            continue
        token = _ADDRESS_TOKEN.match(value, pos)
        assert token is not None
        piece, pos = token.group(), token.end()
        first = piece[0]
        if first == "(":
            depth = 1
        elif first.isspace():
            continue
        elif first == "<":
            in_angle, angle = True, []
        elif first == ">":
            in_angle = False
        elif in_angle:
            if first == ":":  # end of a source route
                angle = []
            elif angle is not None:
                angle.append(piece)
        elif first in ",;":
            done()
        elif first == ":":  # a group's display name
            words = []
        elif angle is None:
            words.append(piece)
    if len(found) < limit:
        done()
    return found


_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


def _message_ids(value: str | None, *, newest: bool = False) -> tuple[str, ...]:
    ids = _MESSAGE_ID.findall(value or "")
    return tuple(ids[-MAX_MESSAGE_IDS:] if newest else ids[:MAX_MESSAGE_IDS])


# -- text ------------------------------------------------------------------------------------------------------------

# Markup, each alternative linear: comments and CDATA run to their end (or the end of the text), declarations
# and processing instructions to ">", tags to ">" outside attribute values quoted after "=".
_HTML_MARKUP = re.compile(
    r"<(?:!--.*?(?:-->|\Z)|!\[CDATA\[.*?(?:\]\]>|\Z)|[!?][^>]*+>?"
    r"|(/?)([a-zA-Z][^\s/>\x00]*+)(?:[^>\"'=]++|=\s*+(?:\"[^\"]*+\"?|'[^']*+'?)?|[\"'])*+>?)",
    re.DOTALL,
)
_RAW_TEXT_END = {
    "script": re.compile(r"</\s*+script\s*+>", re.IGNORECASE),
    "style": re.compile(r"</\s*+style\s*+>", re.IGNORECASE),
}
# Numeric character references too long for int() (html.unescape raises past 4,300 digits).
_LONG_CHARREF = re.compile(r"&#(?:[xX][0-9a-fA-F]{16,}+|[0-9]{16,}+);?")
_SKIPPED_TAGS = frozenset({"script", "style", "blockquote"})
_BREAK_TAGS = frozenset({"br", "p", "div", "li", "tr"})


def _html_to_text(markup: str) -> str:
    """The text of an HTML body: tags dropped, a line break for br/p/div/li/tr, nothing inside script, style or
    blockquote (quoted history), character references resolved. One pass over at most MAX_HTML_CHARS."""
    markup = _LONG_CHARREF.sub("\ufffd", markup[:MAX_HTML_CHARS])
    parts: list[str] = []
    skip = 0
    pos = 0
    while True:
        match = _HTML_MARKUP.search(markup, pos)
        data_end = len(markup) if match is None else match.start()
        if not skip and data_end > pos:
            parts.append(html.unescape(markup[pos:data_end]))
        if match is None:
            break
        pos = match.end()
        tag = match.group(2)
        if tag is None:  # comment, declaration, processing instruction
            continue
        tag = tag.lower()
        if match.group(1):  # an end tag
            if tag in _SKIPPED_TAGS and skip:
                skip -= 1
            continue
        if tag in _BREAK_TAGS:
            parts.append("\n")
        elif tag in _SKIPPED_TAGS and not match.group().endswith("/>"):
            if tag in _RAW_TEXT_END:  # raw text up to its end tag
                end = _RAW_TEXT_END[tag].search(markup, pos)
                pos = len(markup) if end is None else end.end()
            else:
                skip += 1
    return "".join(parts)


def _part_text(text: str, part: MailPart) -> str:
    data = text[part.body_start : part.body_end].encode("latin-1")
    encoding = part.header("content-transfer-encoding").lower()
    if encoding == "base64":
        data = _base64(data) or data
    elif encoding == "quoted-printable":
        data = binascii.a2b_qp(data)
    return _decode(data, part.param("charset"))


def _body_text(text: str, top: MailPart, budget: _Budget) -> str:
    part = _find_body(text, top, budget)
    if part is None:
        return ""
    content = _part_text(text, part)
    if part.content_type == "text/html":
        content = _html_to_text(content)
    return content[: MAX_BODY_CHARS * 2]


# Where the quoted history starts: "On <date>, <name> wrote:", "Am ... schrieb ...:", Outlook's separator/header.
# Anchored to one line ([^\S\n] is a blank that is not a line break), so no attempt runs past the next line.
_QUOTE_START = re.compile(
    r"^[^\S\n]*+(?:On\s.{0,200}\swrote:|Am\s.{0,200}\sschrieb.{0,80}:|Le\s.{0,200}\sa\sécrit\s?:"
    r"|-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Forwarded message)\s*-{2,}"
    r"|_{10,}|From:\s.+|Von:\s.+)[^\S\n]*+$",
    re.IGNORECASE | re.MULTILINE,
)


def new_text(body: str) -> str:
    """The part of a reply its author wrote: quoted lines and the quoted history below it removed."""
    body = body[: MAX_BODY_CHARS * 2]
    match = _QUOTE_START.search(body)
    if match:
        body = body[: match.start()]
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()[:MAX_BODY_CHARS]


def parse_mail(raw: bytes) -> InboundMail:
    """Parse a raw RFC 5322 message; MalformedMailError when it has no usable sender, breaks a bound, or cannot
    be read at all. Only the first MAX_RAW_BYTES are read."""
    try:
        head = bytes(raw[:MAX_RAW_BYTES]) if raw else b""
        if not head.strip():
            raise MalformedMailError("empty message")
        return _parse(head)
    except MalformedMailError:
        raise
    except Exception as exc:  # whatever a hostile message provokes: dropped and counted, never a retry
        raise MalformedMailError(f"unparseable message ({type(exc).__name__})") from exc


def _parse(raw: bytes) -> InboundMail:
    text = raw.decode("latin-1")
    budget = _Budget()
    top = _read_part(text, 0, len(text), budget, "text/plain")
    senders = addresses(top.header_values("from")[0], 1) if top.header_values("from") else []
    if not senders:
        raise MalformedMailError("no sender address")
    sender = senders[0]
    recipients: list[str] = []
    left = MAX_ADDRESS_CHARS
    for value in (*top.header_values("to"), *top.header_values("cc")):
        recipients.extend(addresses(value[:left], MAX_RECIPIENTS - len(recipients)))
        left -= len(value)
        if left <= 0 or len(recipients) >= MAX_RECIPIENTS:
            break
    subject = top.text("subject")
    text_ = new_text(_body_text(text, top, budget))
    return InboundMail(
        message_id=next(iter(_message_ids(top.header("message-id"))), None),
        sender=sender,
        recipients=tuple(dict.fromkeys(recipients)),
        subject=subject,
        in_reply_to=_message_ids(top.text("in-reply-to")),
        references=_message_ids(top.text("references"), newest=True),
        text=text_,
        kind=classify(top, sender, subject, text_),
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


def is_automated(message: MailPart, sender: str) -> bool:
    """RFC 3834 `Auto-Submitted`, the de-facto `X-Autoreply`/`X-Autorespond`, `Precedence`, delivery reports."""
    auto_submitted = message.text("auto-submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if message.text("x-autoreply") or message.text("x-autorespond") or message.text("x-autoreply-from"):
        return True
    if message.text("precedence").lower() in _AUTOMATED_PRECEDENCE:
        return True
    return message.get_content_type() == "multipart/report" or bool(_MACHINE_SENDERS.match(sender))


def classify(message: MailPart, sender: str, subject: str, text: str) -> ReplyKind:
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
# Possessive blanks (\s++, \s*+): what follows them is never a blank, so giving some back could not help a match.
_MONTH = "(?P<month_name>" + "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|\.)?"
_YEAR = r"(?:,?\s*+(?P<year>20\d{2}))?"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<year>20\d{2})-(?P<month>[01]?\d)-(?P<day>[0-3]?\d)\b"),
    re.compile(r"\b(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)(?:/(?P<year>(?:20)?\d{2}))?\b"),
    re.compile(r"\b(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\.(?P<year>(?:20)?\d{2})?"),
    re.compile(r"\b" + _MONTH + r"\s++" + _DAY + r"\b" + _YEAR, re.IGNORECASE),
    re.compile(r"\b" + _DAY + r"\s++(?:of\s++)?" + _MONTH + r"(?![a-zäéû])" + _YEAR, re.IGNORECASE),
]
# Words that put a date on the way back: "back on", "returning", "until", "zurück am", "bis", "de retour le".
_ANCHOR = re.compile(
    r"\b(?:back|return(?:ing|s)?|until|till|til|through|thru|zurück|wieder|bis|ab dem|retour|regreso|vuelvo)\b",
    re.IGNORECASE,
)
_ANCHOR_REACH = 60
MAX_DATE_CANDIDATES = 1_000


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
    Reads at most MAX_BODY_CHARS characters (a parsed mail's text is never longer) and MAX_DATE_CANDIDATES
    date-like strings (a real out-of-office has a handful; each costs an anchor search).
    """
    text = text[:MAX_BODY_CHARS]
    found: list[date] = []
    candidates = 0
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            candidates += 1
            if candidates > MAX_DATE_CANDIDATES:
                return max(found) if found else None
            before = text[max(0, match.start() - _ANCHOR_REACH) : match.start()]
            if not _ANCHOR.search(before):
                continue
            resolved = _resolve(*_to_date(match, day_first), received)
            if resolved is not None:
                found.append(resolved)
    return max(found) if found else None
