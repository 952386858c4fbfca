"""Hostile inbound mail: every corpus case and every fuzzed message parses to an InboundMail or raises
MalformedMailError (dropped and counted), never anything else and never a hang; well-formed mail reads as the
standard library reads it.

No timings are asserted here (the per-test timeout is only a hang guard): speed is `make bench`'s figure
`inbound_worst_parse_ms`, over the same corpus.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup.feedback import inbound
from followup.feedback.inbound import InboundMail, MalformedMailError, ReplyKind, find_return_date, new_text, parse_mail
from tests.unit.inbound_corpus import CASES, SES_ID, Case, message, multipart, text_part

RECEIVED = date(2026, 11, 25)
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_or_drop(raw: bytes) -> InboundMail | None:
    """The parser's contract: an InboundMail, or MalformedMailError (None here); anything else fails the test."""
    try:
        mail = parse_mail(raw)
    except MalformedMailError:
        return None
    assert isinstance(mail, InboundMail)
    assert "@" in mail.sender
    assert mail.sender == mail.sender.lower()
    assert len(mail.text) <= inbound.MAX_BODY_CHARS
    assert len(mail.recipients) <= inbound.MAX_RECIPIENTS
    assert len(mail.in_reply_to) <= inbound.MAX_MESSAGE_IDS
    assert len(mail.references) <= inbound.MAX_MESSAGE_IDS
    assert isinstance(mail.kind, ReplyKind)
    mail.ses_message_ids()
    find_return_date(mail.text, RECEIVED)
    find_return_date(mail.text, RECEIVED, day_first=True)
    return mail


# -- the corpus ------------------------------------------------------------------------------------------------------


@pytest.mark.timeout(20)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_hostile_case_parses_or_is_dropped_as_malformed(case: Case) -> None:
    mail = parse_or_drop(case.build())
    if case.expect == "mail":
        assert mail is not None, case.note or case.name
    elif case.expect == "malformed":
        assert mail is None, case.note or case.name


def test_the_issues_inputs_read_the_reply_and_drop_the_crashers() -> None:
    blank = parse_mail(message("Hi\n" + "\n" * 10_000 + "Bye"))
    assert blank.text.startswith("Hi\n")
    assert blank.text.endswith("Bye")
    assert parse_mail(message(b"\r\n" * 20_000)).text == ""
    assert parse_mail(message("Sure.\n" + "\n" * 10_000 + "On Mon, Ada wrote:\n> old")).text == "Sure."
    # AttributeError and RecursionError in the standard library's address parsers: now no sender, so malformed.
    for crasher in (message(replace={"From": "a@["}), message(replace={"From": "(" * 3_000}), b'From: """\r\n\r\n'):
        with pytest.raises(MalformedMailError):
            parse_mail(crasher)


def test_nesting_and_part_counts_beyond_the_bounds_are_malformed() -> None:
    from tests.unit.inbound_corpus import _many_parts, _nested_multipart

    assert parse_mail(_nested_multipart(inbound.MAX_MIME_DEPTH - 1)).text == "deep down"
    with pytest.raises(MalformedMailError, match="nested"):
        parse_mail(_nested_multipart(inbound.MAX_MIME_DEPTH + 1))
    with pytest.raises(MalformedMailError, match="MIME parts"):
        parse_mail(_many_parts(inbound.MAX_MIME_PARTS, text_first=False))
    # Parts are read as needed: a reply whose text comes first is read whatever follows it.
    assert parse_mail(_many_parts(10_000, text_first=True)).text == "the reply"
    with pytest.raises(MalformedMailError, match="false MIME boundaries"):
        parse_mail(message(b"x--b" * (inbound.MAX_BOUNDARY_MISSES + 1), content_type='multipart/mixed; boundary="b"'))
    assert (
        parse_mail(message(b"x--b" * 100 + b"\r\n--b\r\n\r\nhi", content_type='multipart/mixed; boundary="b"')).text
        == "hi"
    )
    with pytest.raises(MalformedMailError, match="header lines"):
        parse_mail(message(headers=[("X-Junk", "v")] * inbound.MAX_HEADER_LINES))


def test_only_a_bounded_prefix_is_read_so_a_big_attachment_does_not_lose_the_reply() -> None:
    raw = multipart(
        [text_part("Thanks, I accept."), b"Content-Type: application/pdf\r\n\r\n" + b"JVBERi0x" * 1_000_000]
    )
    assert len(raw) > 10 * inbound.MAX_RAW_BYTES
    mail = parse_mail(raw)
    assert mail.text == "Thanks, I accept."
    assert mail.ses_message_ids() == (SES_ID,)


def test_header_values_are_bounded_and_references_keep_their_newest_ids() -> None:
    ids = [f"<id{i}@x.example>" for i in range(5_000)]
    mail = parse_mail(message(replace={"References": " ".join([*ids, f"<{SES_ID}@email.amazonses.com>"])}))
    assert mail.references[-1] == f"{SES_ID}@email.amazonses.com"
    assert len(mail.references) <= inbound.MAX_MESSAGE_IDS
    huge = parse_mail(message(replace={"Subject": "Re: " + "x" * 1_000_000}))
    assert len(huge.subject) <= inbound.MAX_HEADER_CHARS


def test_unknown_or_hostile_charsets_read_as_utf8_instead_of_failing() -> None:
    for charset in ("x-unknown", "base64", "rot13", "punycode", "idna", "unicode_escape", "u" * 500):
        mail = parse_mail(message("Grüße, Ada".encode(), content_type=f'text/plain; charset="{charset}"'))
        assert mail.text == "Grüße, Ada"
    assert parse_mail(message(b"caf\xe9", content_type="text/plain; charset=latin-1")).text == "café"
    assert parse_mail(message(b"\xff ok")).text == "\ufffd ok"


def test_html_is_read_linearly_with_the_old_extractors_rules() -> None:
    html = (
        "<html><head><style>p {color: red}</style><script>var a = '<p>';</script></head><body>"
        "<!-- a comment --><p class=\"x\" title='a>b'>Back on <b>December&nbsp;7</b>.<br/>Thanks</p>"
        "<blockquote><p>quoted <blockquote>deeper</blockquote> still quoted</p></blockquote>"
        "<div>Ada &amp; Grace</div><![if !supportLists]>1.<![endif]></body></html>"
    )
    assert inbound._html_to_text(html) == "\nBack on December\xa07.\nThanks\n\nAda & Grace1."
    assert inbound._html_to_text(html) == old_html_to_text(html)
    assert inbound._html_to_text("&#" + "9" * 10_000 + ";") == "\ufffd"


def test_addresses_are_read_without_recursion() -> None:
    assert inbound.addresses("Grace Hopper <Grace@AE.example>", 5) == ["grace@ae.example"]
    assert inbound.addresses('"Hopper, Grace" <g@x.example>, b@y.example (Bob (the builder))', 5) == [
        "g@x.example",
        "b@y.example",
    ]
    assert inbound.addresses("Team: a@x.example, b@y.example;, c@z.example", 5) == [
        "a@x.example",
        "b@y.example",
        "c@z.example",
    ]
    assert inbound.addresses("<@relay.example,@b.example:g@x.example>", 5) == ["g@x.example"]
    assert inbound.addresses("undisclosed-recipients:;", 5) == []
    assert inbound.addresses("(" * 5_000 + "a@b.example", 5) == []
    assert inbound.addresses(", ".join(f"a{i}@x.example" for i in range(1_000)), 3) == [
        "a0@x.example",
        "a1@x.example",
        "a2@x.example",
    ]


def test_encoded_words_are_decoded_and_broken_ones_kept() -> None:
    assert inbound.decode_header_words("=?utf-8?q?Gr=C3=BC=C3=9Fe?= =?utf-8?b?IEFkYQ==?=") == "Grüße Ada"
    assert inbound.decode_header_words("Re: =?iso-8859-1?q?caf=E9?= ok") == "Re: café ok"
    assert inbound.decode_header_words("=?utf-8?q?" * 1_000) == "=?utf-8?q?" * 1_000
    assert inbound.decode_header_words("=?x-unknown?q?hi?=") == "hi"


# -- fuzzing ---------------------------------------------------------------------------------------------------------

_VALID = multipart(
    [
        text_part("Thanks Ada!\r\n\r\nOn Tue, Ada wrote:\r\n> old"),
        text_part("<p>Thanks <b>Ada</b>!</p>", "text/html; charset=utf-8"),
        text_part("QmFzZTY0IQ==", "application/octet-stream", Content_Transfer_Encoding="base64"),
    ],
    subtype="alternative",
    headers=[("Auto-Submitted", "no")],
)
_TOKENS = [
    b"\r\n",
    b"\n",
    b"\r",
    b"\r\n\r\n",
    b" ",
    b"\t",
    b"--",
    b"--b0undary",
    b"--b0undary--",
    b"(",
    b")",
    b"<",
    b">",
    b'"',
    b"\\",
    b":",
    b";",
    b",",
    b"@",
    b"[",
    b"=?",
    b"?=",
    b"=?utf-8?b?",
    b"=",
    b"&#",
    b"<a '",
    b"<!--",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"From: ",
    b"Content-Type: multipart/mixed; boundary=b0undary\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Type: text/html; charset=x-unknown\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b"charset=",
    b"boundary*0=",
    b"On Mon, Ada wrote:\n",
    b"back on 12/07",
]
_mutation = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, len(_VALID)), st.sampled_from(_TOKENS), st.integers(1, 2_000)),
    st.tuples(st.just("delete"), st.integers(0, len(_VALID)), st.integers(1, 200), st.just(0)),
    st.tuples(st.just("bytes"), st.integers(0, len(_VALID)), st.binary(min_size=1, max_size=30), st.just(1)),
    st.tuples(st.just("repeat"), st.integers(0, len(_VALID)), st.integers(1, 60), st.integers(2, 500)),
    st.tuples(st.just("truncate"), st.integers(0, len(_VALID)), st.just(0), st.just(0)),
)


def _mutate(raw: bytes, mutations: list[tuple[str, int, object, int]]) -> bytes:
    for kind, at, what, times in mutations:
        at = min(at, len(raw))
        if kind == "insert" or kind == "bytes":
            assert isinstance(what, bytes)
            raw = raw[:at] + what * times + raw[at:]
        elif kind == "delete":
            assert isinstance(what, int)
            raw = raw[:at] + raw[at + what :]
        elif kind == "repeat":
            assert isinstance(what, int)
            raw = raw[:at] + raw[at : at + what] * times + raw[at:]
        else:
            raw = raw[:at]
    return raw


@pytest.mark.timeout(120)
@FUZZ
@given(st.binary(max_size=4_000))
def test_fuzzed_bytes_parse_or_are_dropped(raw: bytes) -> None:
    parse_or_drop(raw)
    parse_or_drop(b"From: a@b.example\r\n" + raw)
    parse_or_drop(b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + raw)


@pytest.mark.timeout(120)
@FUZZ
@given(st.lists(_mutation, min_size=1, max_size=8))
def test_mutated_valid_mail_parses_or_is_dropped(mutations: list[tuple[str, int, object, int]]) -> None:
    parse_or_drop(_mutate(_VALID, mutations))


# -- well-formed mail reads as the standard library reads it ---------------------------------------------------------
#
# The reference is the previous implementation: email.policy.default, EmailMessage.get_body and html.parser. It is
# only fed small, well-formed messages (the ones EmailMessage writes), where it is both fast and right.


class _OldExtractor(HTMLParser):
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


def old_html_to_text(html: str) -> str:
    extractor = _OldExtractor()
    extractor.feed(html)
    extractor.close()
    return "".join(extractor.parts)


_OLD_QUOTE_START = re.compile(
    r"^\s*(?:On\s.{0,200}\swrote:|Am\s.{0,200}\sschrieb.{0,80}:|Le\s.{0,200}\sa\sécrit\s?:"
    r"|-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Forwarded message)\s*-{2,}"
    r"|_{10,}|From:\s.+|Von:\s.+)\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def old_new_text(body: str) -> str:
    match = _OLD_QUOTE_START.search(body)
    if match:
        body = body[: match.start()]
    lines = [line for line in body.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()[: inbound.MAX_BODY_CHARS]


def stdlib_reading(raw: bytes) -> dict[str, object]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)

    def header(name: str) -> str:
        value = message.get(name)
        return " ".join(str(value).split()) if value is not None else ""

    def all_headers(name: str) -> list[str]:
        return [str(value) for value in message.get_all(name, [])]

    part = message.get_body(preferencelist=("plain", "html"))
    content = part.get_content() if part is not None else ""
    if part is not None and part.get_content_type() == "text/html":
        content = old_html_to_text(content)
    return {
        "sender": parseaddr(header("From"))[1].strip().lower(),
        "recipients": tuple(
            dict.fromkeys(a.strip().lower() for _, a in getaddresses(all_headers("To") + all_headers("Cc")) if "@" in a)
        ),
        "subject": header("Subject"),
        "message_id": next(iter(re.findall(r"<([^<>\s]+)>", header("Message-ID"))), None),
        "in_reply_to": tuple(re.findall(r"<([^<>\s]+)>", header("In-Reply-To"))),
        "references": tuple(re.findall(r"<([^<>\s]+)>", header("References"))),
        "text": old_new_text(content[: inbound.MAX_BODY_CHARS * 2]),
    }


# Display names in ASCII: email's folder mangles long address lists with encoded words (it encodes the "," or the
# "<address>" that follows into them), which no reader can read back.
_words = st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True)
_local = st.from_regex(r"[a-z0-9]{1,10}(\+[a-z0-9.]{1,8})?", fullmatch=True)
_address = st.builds(
    lambda local, domain: f"{local}@{domain}.example", _local, st.from_regex(r"[a-z]{1,10}", fullmatch=True)
)
_mailbox = st.builds(
    lambda name, address: f"{' '.join(name)} <{address}>" if name else address,
    st.lists(_words, max_size=3),
    _address,
)
_prose = st.lists(
    st.one_of(
        st.text(st.characters(categories=("L", "N", "P", "Zs", "S"), max_codepoint=0x2FFF), max_size=40),
        st.sampled_from(["\n", "\n\n", "> ", "On Mon, Ada <ada@example.com> wrote:\n", "-----Original Message-----"]),
    ),
    max_size=20,
).map("".join)
_message_id = st.builds(
    lambda local, domain: f"<{local}@{domain}>",
    _local,
    st.sampled_from(["email.amazonses.com", "eu-west-1.amazonses.com", "mail.example"]),
)


@st.composite
def well_formed_mail(draw: st.DrawFn) -> bytes:
    message = EmailMessage()
    message["From"] = draw(_mailbox)
    message["To"] = ", ".join(draw(st.lists(_mailbox, min_size=1, max_size=4)))
    if draw(st.booleans()):
        message["Cc"] = ", ".join(draw(st.lists(_mailbox, min_size=1, max_size=3)))
    message["Subject"] = draw(
        st.text(st.characters(categories=("L", "N", "P", "Zs"), max_codepoint=0x2FFF), max_size=120)
    )
    message["Message-ID"] = draw(_message_id)
    message["In-Reply-To"] = f"<{SES_ID}@email.amazonses.com>" if draw(st.booleans()) else draw(_message_id)
    message["References"] = " ".join(draw(st.lists(_message_id, max_size=6)))
    for name, value in draw(
        st.lists(
            st.sampled_from(
                [
                    ("Auto-Submitted", "auto-replied"),
                    ("Auto-Submitted", "no"),
                    ("Precedence", "bulk"),
                    ("X-Autoreply", "yes"),
                ]
            ),
            max_size=2,
            unique_by=lambda pair: pair[0],
        )
    ):
        message[name] = value
    body = draw(_prose)
    shape = draw(st.sampled_from(["plain", "html", "alternative", "attachment", "related"]))
    html = (
        "<html><body><p>" + body.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>") + "</p></body></html>"
    )
    if shape == "html":
        message.set_content(html, subtype="html")
    else:
        message.set_content(body, cte=draw(st.sampled_from([None, "quoted-printable", "base64", "8bit"])))
    if shape == "alternative":
        message.add_alternative(html, subtype="html")
    elif shape == "attachment":
        message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
        message.add_attachment("an attached note", filename="note.txt")
    elif shape == "related":
        message.add_related(b"\x89PNG", maintype="image", subtype="png", cid="<logo@x>")
    for number, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_{number}_=")  # not email.generator's random one: examples stay reproducible
    if draw(st.booleans()):
        return message.as_bytes(policy=email.policy.SMTP)  # CRLF line endings
    return message.as_bytes()


@pytest.mark.timeout(120)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(well_formed_mail())
def test_well_formed_mail_reads_as_the_standard_library_reads_it(raw: bytes) -> None:
    mail = parse_mail(raw)
    expected = stdlib_reading(raw)
    assert {key: getattr(mail, key) for key in expected} == expected


_quote_text = st.lists(
    st.sampled_from(
        [
            "\n",
            "\r\n",
            " ",
            "\t",
            "\r",
            "x",
            "Thanks",
            ":",
            "-",
            "--",
            "_" * 10,
            ">",
            "On ",
            "on",
            " wrote:",
            "Am ",
            " schrieb",
            "Le ",
            " a écrit :",
            "From: ",
            "Von: ",
            "Original Message",
            "Forwarded message",
            "\x0b",
            "\u2028",
            "\xa0",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_quote_text)
def test_the_quote_cut_finds_what_the_old_pattern_found(body: str) -> None:
    assert new_text(body) == old_new_text(body)


def test_the_mailbox_downloads_no_more_than_the_parser_reads() -> None:
    from followup.adapters.mailbox import MAX_READ_BYTES

    assert MAX_READ_BYTES == inbound.MAX_RAW_BYTES
