"""Hostile inbound mail: named cases that build raw messages (bytes) as an attacker, a broken client or a very
unlucky relay could store them in the inbound bucket.

Shared by tests/unit/test_inbound_hostile.py (every case parses to an InboundMail or raises MalformedMailError,
nothing else) and bench/inbound_parse.py (the worst parse time). Cases are built on demand (`case.build()`): a
few are megabytes. `expect` pins the outcome where one is obviously right ("mail" or "malformed"); None leaves it
to the parser (either is fine, as long as it is one of the two).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

SES_ID = "0100019ab6f2c4d8-5e3a7b1c-9d2e-4f60-8a1b-3c4d5e6f7a8b-000000"
CRLF = b"\r\n"
Expect = Literal["mail", "malformed"] | None

BASE_HEADERS: tuple[tuple[str, str], ...] = (
    ("From", "Grace Hopper <grace@ae.example>"),
    ("To", "Ada Lovelace <ada@example.com>"),
    ("Subject", "Re: Thank you, Grace"),
    ("Message-ID", "<reply-1@mail.ae.example>"),
    ("In-Reply-To", f"<{SES_ID}@email.amazonses.com>"),
    ("References", f"<older@mail.example> <{SES_ID}@email.amazonses.com>"),
    ("Date", "Wed, 25 Nov 2026 10:00:00 -0500"),
    ("MIME-Version", "1.0"),
)


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], bytes]
    expect: Expect = None
    note: str = ""


def _b(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")


def message(
    body: str | bytes = "Thanks Ada, great talking to you.",
    *,
    content_type: str | bytes | None = "text/plain; charset=utf-8",
    headers: Sequence[tuple[str | bytes, str | bytes]] = (),
    replace: dict[str, str | bytes | None] | None = None,
    eol: bytes = CRLF,
) -> bytes:
    """A reply with BASE_HEADERS (minus/overridden by `replace`, None drops one), extra `headers`, then `body`."""
    replace = dict(replace or {})
    lines: list[bytes] = []
    for name, value in BASE_HEADERS:
        if name in replace:
            new = replace.pop(name)
            if new is None:
                continue
            value = new
        lines.append(_b(name) + b": " + _b(value))
    for name, value in replace.items():
        if value is not None:
            lines.append(_b(name) + b": " + _b(value))
    if content_type is not None:
        lines.append(b"Content-Type: " + _b(content_type))
    lines.extend(_b(name) + b": " + _b(value) for name, value in headers)
    return eol.join(lines) + eol + eol + _b(body)


def multipart(
    parts: Sequence[bytes],
    *,
    subtype: str = "mixed",
    boundary: str = "b0undary",
    eol: bytes = CRLF,
    close: bool = True,
    params: str = "",
    headers: Sequence[tuple[str | bytes, str | bytes]] = (),
) -> bytes:
    """A whole message whose body is a multipart of the given raw parts (each: its headers, blank line, body)."""
    return message(
        multipart_body(parts, boundary=boundary, eol=eol, close=close),
        content_type=f'multipart/{subtype}; boundary="{boundary}"{params}',
        headers=headers,
        eol=eol,
    )


def multipart_body(parts: Sequence[bytes], *, boundary: str, eol: bytes = CRLF, close: bool = True) -> bytes:
    delimiter = b"--" + boundary.encode()
    chunks = [b"This is a multi-part message in MIME format." + eol]
    for part in parts:
        chunks.append(delimiter + eol + part + eol)
    if close:
        chunks.append(delimiter + b"--" + eol)
    return b"".join(chunks)


def text_part(
    body: str | bytes = "Thanks, Ada!", content_type: str = "text/plain; charset=utf-8", **extra: str
) -> bytes:
    lines = [f"Content-Type: {content_type}".encode()]
    lines.extend(f"{name.replace('_', '-')}: {value}".encode() for name, value in extra.items())
    return CRLF.join(lines) + CRLF + CRLF + _b(body)


def _nested_multipart(depth: int, *, same_boundary: bool = False) -> bytes:
    inner = text_part("deep down")
    for level in range(depth):
        boundary = "b" if same_boundary else f"b{level}"
        inner = (
            f'Content-Type: multipart/mixed; boundary="{boundary}"'.encode()
            + CRLF
            + CRLF
            + multipart_body([inner], boundary=boundary)
        )
    header, _, body = inner.partition(CRLF + CRLF)
    return message(body, content_type=header.decode().removeprefix("Content-Type: "))


def _nested_rfc822(depth: int) -> bytes:
    inner = b"From: deep@ae.example\r\nSubject: deep\r\n\r\ndeep down"
    for _ in range(depth - 1):
        inner = b"Content-Type: message/rfc822\r\n\r\n" + inner
    return message(inner, content_type="message/rfc822")


def _rfc822_in_multipart(depth: int) -> bytes:
    inner = text_part("deep down")
    for level in range(depth):
        boundary = f"r{level}"
        wrapped = f'From: x{level}@ae.example\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode()
        wrapped += multipart_body([inner], boundary=boundary)
        inner = b"Content-Type: message/rfc822\r\n\r\n" + wrapped
    return multipart([text_part("top"), inner])


def _many_parts(count: int, *, text_first: bool) -> bytes:
    filler = [b"Content-Type: application/octet-stream\r\n\r\nAAAA" for _ in range(count)]
    text = text_part("the reply")
    return multipart([text, *filler] if text_first else [*filler, text])


def _mixed_line_endings() -> bytes:
    raw = message("line one\nline two\rline three\r\nline four\n\rline five\r\r\nOn Mon, Ada wrote:\n> old")
    endings = [b"\r\n", b"\n", b"\r", b"\n\r"]
    lines = raw.split(b"\r\n")
    return b"".join(line + endings[i % len(endings)] for i, line in enumerate(lines))


def _noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _printable_noise(size: int, seed: int, alphabet: bytes = b'<>()"\\@:;,.[] \t=?-_abcAZ09\r\n') -> bytes:
    rnd = random.Random(seed)
    return bytes(rnd.choice(alphabet) for _ in range(size))


def _html(body: str) -> bytes:
    return message(body, content_type="text/html; charset=utf-8")


def _ooo(body: str) -> bytes:
    return message(
        body, replace={"Subject": "Out of office: Re: Thank you"}, headers=[("Auto-Submitted", "auto-replied")]
    )


def _cases() -> Iterator[Case]:
    # -- the inputs: whitespace runs that made the quote cut quadratic -------------------------------------
    yield Case("blank_lines_10k", lambda: message("Hi\n" + "\n" * 10_000 + "Bye"), "mail")
    yield Case("crlf_body_40k", lambda: message(b"\r\n" * 20_000), "mail", "a 40 KB body of CRLFs")
    yield Case("crlf_only_40k", lambda: b"\r\n" * 20_000, "malformed", "the whole object is CRLFs")
    yield Case("blank_lines_then_quote", lambda: message("\n" * 10_000 + "On Mon, Ada wrote:\n> old"), "mail")
    yield Case("whitespace_lines_10k", lambda: message(" \t \r\n" * 10_000 + "x"), "mail")
    yield Case("cr_only_body_40k", lambda: message(b"\r" * 40_000 + b"x"), "mail")
    yield Case("lf_only_body_40k", lambda: message(b"\n" * 40_000 + b"x"), "mail")
    yield Case("unicode_line_breaks", lambda: message("a\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029b" * 2_000), "mail")
    yield Case("nbsp_lines_10k", lambda: message("\u00a0\n" * 10_000 + "x"), "mail")
    # -- line endings ----------------------------------------------------------------------------------------------
    yield Case("cr_only_line_endings", lambda: message("Thanks!\rOn Mon, Ada wrote:\r> old", eol=b"\r"), "mail")
    yield Case("lf_only_line_endings", lambda: message("Thanks!\nOn Mon, Ada wrote:\n> old", eol=b"\n"), "mail")
    yield Case("mixed_line_endings", _mixed_line_endings, "mail")
    yield Case("crlf_headers_lf_body", lambda: message("a\nb\n" * 5_000), "mail")
    # -- stdlib crashes from the issue -------------------------------------------------------------------------------
    yield Case("from_domain_literal_open", lambda: message(replace={"From": "a@["}))
    yield Case("from_domain_literal", lambda: message(replace={"From": "a@[192.0.2.1]"}))
    yield Case("from_open_parens_10k", lambda: message(replace={"From": "(" * 10_000}), "malformed")
    yield Case("from_balanced_parens_5k", lambda: message(replace={"From": "(" * 5_000 + ")" * 5_000 + " a@b.example"}))
    yield Case("from_parens_in_angle", lambda: message(replace={"From": "<" + "(" * 5_000 + "a@b.example>"}))
    yield Case("nested_multipart_3000", lambda: _nested_multipart(3_000))
    yield Case("nested_multipart_same_boundary_3000", lambda: _nested_multipart(3_000, same_boundary=True))
    yield Case("nested_rfc822_3000", lambda: _nested_rfc822(3_000))
    yield Case("nested_rfc822_in_multipart_1000", lambda: _rfc822_in_multipart(1_000))
    # -- From oddities -------------------------------------------------------------------------------------------------
    yield Case("from_triple_quotes", lambda: message(replace={"From": '"""'}), "malformed")
    yield Case("from_open_quote", lambda: message(replace={"From": '"' + "a" * 10_000}), "malformed")
    yield Case("from_empty", lambda: message(replace={"From": ""}), "malformed")
    yield Case("from_missing", lambda: message(replace={"From": None}), "malformed")
    yield Case("from_no_at", lambda: message(replace={"From": "grace"}), "malformed")
    yield Case(
        "from_many_addresses_10k",
        lambda: message(replace={"From": ", ".join(f"a{i}@x.example" for i in range(10_000))}),
    )
    yield Case("from_group_colons_10k", lambda: message(replace={"From": "a:" * 10_000 + " b@x.example"}))
    yield Case("from_open_angles_10k", lambda: message(replace={"From": "<" * 10_000}))
    yield Case("from_close_angles_10k", lambda: message(replace={"From": ">" * 10_000 + " a@x.example"}))
    yield Case("from_backslashes_10k", lambda: message(replace={"From": '"' + "\\" * 10_001}))
    yield Case("from_at_signs_10k", lambda: message(replace={"From": "@" * 10_000}))
    yield Case("from_commas_10k", lambda: message(replace={"From": "," * 10_000 + "a@x.example"}))
    yield Case("from_semicolons_10k", lambda: message(replace={"From": ";" * 10_000}))
    yield Case(
        "from_route", lambda: message(replace={"From": "Grace <@relay.example,@b.example:grace@ae.example>"}), "mail"
    )
    yield Case("from_group", lambda: message(replace={"From": "Team: grace@ae.example, ada@example.com;"}), "mail")
    yield Case("from_empty_group", lambda: message(replace={"From": "undisclosed-recipients:;"}), "malformed")
    yield Case(
        "from_encoded_word",
        lambda: message(replace={"From": "=?utf-8?q?Gr=C3=A2ce_=3Cx=40evil=3E?= <g@ae.example>"}),
        "mail",
    )
    yield Case("from_8bit_display_name", lambda: message(replace={"From": "Grâce Höpper <grace@ae.example>"}), "mail")
    yield Case("from_1mb", lambda: message(replace={"From": "a" * 1_000_000 + "@x.example"}))
    yield Case("from_headers_10k", lambda: message(headers=[("From", f"f{i}@x.example") for i in range(10_000)]))
    yield Case(
        "from_folded_10k_lines", lambda: message(replace={"From": "Grace\r\n Hopper" * 10_000 + " <g@ae.example>"})
    )
    yield Case("from_noise", lambda: message(replace={"From": _printable_noise(20_000, 1)}))
    yield Case("from_nul", lambda: message(replace={"From": "gr\x00ace@ae.example"}))
    # -- headers -------------------------------------------------------------------------------------------------------
    yield Case("header_1mb", lambda: message(headers=[("X-Junk", "a" * 1_000_000)]))
    yield Case("header_1mb_spaces", lambda: message(headers=[("X-Junk", "a " * 500_000)]))
    yield Case("subject_1mb", lambda: message(replace={"Subject": "Out of office " * 75_000}))
    yield Case("header_name_100k", lambda: message(headers=[("X" * 100_000, "v")]))
    yield Case("headers_10k", lambda: message(headers=[(f"X-H{i}", "v") for i in range(10_000)]))
    yield Case("headers_100k_tiny", lambda: message(headers=[("X", "") for _ in range(100_000)]))
    yield Case("subject_folded_10k_lines", lambda: message(replace={"Subject": "Re:\r\n Thank\r\n\tyou" * 5_000}))
    yield Case(
        "folded_headers",
        lambda: message(replace={"Subject": "Re: Thank\r\n you,\r\n\tGrace", "To": "Ada\r\n <ada@example.com>"}),
        "mail",
    )
    yield Case("continuation_first", lambda: b" folded before any header\r\n" + message(), "mail")
    yield Case("empty_header_name", lambda: message(headers=[("", "no name")] * 1_000), "mail")
    yield Case("header_without_colon", lambda: message(headers=[("Not a header line", "")]))
    yield Case("spaced_header_name", lambda: b"From : grace@ae.example\r\n\r\nhi", "malformed")
    yield Case("no_blank_line", lambda: message().replace(b"\r\n\r\n", b"\r\n", 1))
    yield Case("headers_only", lambda: message().partition(b"\r\n\r\n")[0], "mail")
    yield Case("mbox_from_line", lambda: b"From grace@ae.example Wed Nov 25 10:00:00 2026\r\n" + message(), "mail")
    yield Case("nul_headers", lambda: message(replace={"Subject": "\x00" * 1_000}, headers=[("X-\x00", "\x00")]))
    yield Case("eight_bit_header_names", lambda: message(headers=[(b"X-\xff\xfe", b"\xc3\x28"), (b"\xe2\x82", b"v")]))
    yield Case("utf8_bom_first", lambda: b"\xef\xbb\xbf" + message())
    yield Case("subject_8bit", lambda: message(replace={"Subject": "Re: Danke für das Gespräch"}), "mail")
    yield Case("subject_invalid_utf8", lambda: message(replace={"Subject": b"Re: \xff\xfe\xc3\x28 thanks"}), "mail")
    yield Case("subject_encoded_word_bomb", lambda: message(replace={"Subject": "=?utf-8?q?" * 10_000}), "mail")
    yield Case("subject_encoded_word_b_bomb", lambda: message(replace={"Subject": "=?utf-8?b?" + "A" * 50_000}), "mail")
    yield Case("subject_encoded_words_10k", lambda: message(replace={"Subject": "=?utf-8?b?QQ==?= " * 10_000}), "mail")
    yield Case(
        "subject_encoded_word_unknown_charset", lambda: message(replace={"Subject": "=?x-unknown?q?hi?="}), "mail"
    )
    yield Case(
        "subject_encoded_word_punycode",
        lambda: message(replace={"Subject": "=?punycode?q?" + "a" * 5_000 + "-?="}),
        "mail",
    )
    yield Case(
        "subject_encoded_word_broken_b64", lambda: message(replace={"Subject": "=?utf-8?b?QQ?= =?utf-8?b?Q?="}), "mail"
    )
    yield Case("subject_question_marks", lambda: message(replace={"Subject": "=?" * 20_000}), "mail")
    # -- message ids -------------------------------------------------------------------------------------------------
    ids_100k = " ".join(f"<id{i}@x.example>" for i in range(100_000))
    yield Case("in_reply_to_100k_ids", lambda: message(replace={"In-Reply-To": ids_100k}), "mail")
    yield Case("references_100k_ids", lambda: message(replace={"References": ids_100k}), "mail")
    yield Case("references_open_brackets", lambda: message(replace={"References": "<" * 200_000}), "mail")
    yield Case("references_close_brackets", lambda: message(replace={"References": ">" * 200_000}), "mail")
    yield Case("references_unbalanced", lambda: message(replace={"References": "<a<b<c>>" * 20_000}), "mail")
    yield Case("references_long_id", lambda: message(replace={"References": "<" + "a" * 200_000 + "@x>"}), "mail")
    yield Case("message_id_garbage", lambda: message(replace={"Message-ID": _printable_noise(10_000, 2)}))
    yield Case(
        "in_reply_to_folded",
        lambda: message(replace={"In-Reply-To": f"\r\n <{SES_ID}\r\n @email.amazonses.com>"}),
        "mail",
    )
    # -- charsets and transfer encodings ---------------------------------------------------------------------------
    yield Case("charset_unknown", lambda: message("Thanks!", content_type='text/plain; charset="x-unknown"'), "mail")
    yield Case(
        "charset_utf7",
        lambda: message("Hi +AGEAYgBj- and +ZeVnLIqe-" * 1_000, content_type="text/plain; charset=utf-7"),
        "mail",
    )
    yield Case(
        "charset_utf7_unterminated",
        lambda: message("+" + "A" * 100_000, content_type="text/plain; charset=utf-7"),
        "mail",
    )
    yield Case("charset_invalid_utf8", lambda: message(b"\xff\xfe\xc3\x28\xa0\xa1" * 10_000), "mail")
    yield Case(
        "charset_mismatch_iso2022jp",
        lambda: message("Grüße, Ada €".encode() * 1_000, content_type="text/plain; charset=iso-2022-jp"),
        "mail",
    )
    yield Case(
        "charset_utf16_odd_bytes", lambda: message(b"\x00a\x00b\x00", content_type="text/plain; charset=utf-16"), "mail"
    )
    yield Case(
        "charset_punycode",
        lambda: message("a" * 100_000 + "-" + "b" * 100_000, content_type="text/plain; charset=punycode"),
        "mail",
    )
    yield Case("charset_idna", lambda: message("xn--" + "a" * 100_000, content_type="text/plain; charset=idna"), "mail")
    yield Case(
        "charset_unicode_escape",
        lambda: message("\\N{" * 20_000, content_type="text/plain; charset=unicode_escape"),
        "mail",
    )
    yield Case(
        "charset_not_a_text_codec", lambda: message("Thanks!", content_type="text/plain; charset=base64"), "mail"
    )
    yield Case("charset_rot13", lambda: message("Thanks!", content_type="text/plain; charset=rot13"), "mail")
    yield Case("charset_empty", lambda: message("Thanks!", content_type='text/plain; charset=""'), "mail")
    yield Case(
        "charset_huge_name", lambda: message("Thanks!", content_type="text/plain; charset=" + "u" * 100_000), "mail"
    )
    yield Case(
        "charset_rfc2231", lambda: message("Grüße".encode(), content_type="text/plain; charset*=utf-8''utf-8"), "mail"
    )
    yield Case(
        "cte_base64_broken_padding",
        lambda: message(b"VGhhbmtzIQ", headers=[("Content-Transfer-Encoding", "base64")]),
        "mail",
    )
    yield Case(
        "cte_base64_invalid_chars",
        lambda: message(b"VGh!!hbm*tzIQ==&&" * 1_000, headers=[("Content-Transfer-Encoding", "base64")]),
        "mail",
    )
    yield Case(
        "cte_base64_len_1_mod_4", lambda: message(b"VGhhb", headers=[("Content-Transfer-Encoding", "base64")]), "mail"
    )
    yield Case(
        "cte_base64_junk_200k",
        lambda: message(_printable_noise(200_000, 3), headers=[("Content-Transfer-Encoding", "base64")]),
        "mail",
    )
    yield Case(
        "cte_base64_big_valid",
        lambda: message(
            base64.encodebytes(("Thanks! " * 25_000).encode()), headers=[("Content-Transfer-Encoding", "base64")]
        ),
        "mail",
    )
    yield Case(
        "cte_qp_broken",
        lambda: message(
            b"=ZZ=\r\n=4=\r\n==" * 5_000 + b"=", headers=[("Content-Transfer-Encoding", "quoted-printable")]
        ),
        "mail",
    )
    yield Case(
        "cte_qp_equals_100k",
        lambda: message(b"=" * 100_000, headers=[("Content-Transfer-Encoding", "quoted-printable")]),
        "mail",
    )
    yield Case(
        "cte_qp_soft_breaks_50k",
        lambda: message(b"=\r\n" * 50_000, headers=[("Content-Transfer-Encoding", "quoted-printable")]),
        "mail",
    )
    yield Case(
        "cte_uuencode_broken",
        lambda: message(
            b"begin 644 x\r\n" + b"M" * 10_000 + b"\r\nend", headers=[("Content-Transfer-Encoding", "x-uuencode")]
        ),
        "mail",
    )
    yield Case("cte_unknown", lambda: message("Thanks!", headers=[("Content-Transfer-Encoding", "x-rot13")]), "mail")
    yield Case("nul_bytes_body", lambda: message(b"Thanks\x00!\x00" * 20_000), "mail")
    yield Case("long_line_no_spaces_200k", lambda: message("x" * 200_000), "mail")
    yield Case("long_word_then_quote", lambda: message("On" + "x" * 200_000 + " wrote:\n> old"), "mail")
    # -- MIME structure --------------------------------------------------------------------------------------------
    yield Case("parts_10k_text_last", lambda: _many_parts(10_000, text_first=False))
    yield Case("parts_10k_text_first", lambda: _many_parts(10_000, text_first=True))
    yield Case("parts_empty_20k", lambda: message(b"--b\r\n" * 20_000, content_type='multipart/mixed; boundary="b"'))
    yield Case(
        "parts_text_10k", lambda: multipart([text_part(f"part {i}") for i in range(10_000)], subtype="alternative")
    )
    yield Case("multipart_no_boundary", lambda: message("--x\r\nhello", content_type="multipart/mixed"), "mail")
    yield Case(
        "multipart_empty_boundary",
        lambda: message("--\r\n\r\nhello\r\n----", content_type='multipart/mixed; boundary=""'),
        "mail",
    )
    yield Case(
        "multipart_boundary_not_found",
        lambda: message("hello\r\n" * 1_000, content_type='multipart/mixed; boundary="zz"'),
        "mail",
    )
    yield Case("multipart_boundary_100k", lambda: multipart([text_part()], boundary="q" * 100_000))
    yield Case(
        "multipart_boundary_inline",
        lambda: message(b"x--b--b" * 30_000, content_type='multipart/mixed; boundary="b"'),
        "malformed",
        "the boundary 60,000 times mid-line",
    )
    yield Case(
        "multipart_boundary_prefix_lines",
        lambda: message(b"--bb\r\n--bbb\r\n" * 10_000, content_type='multipart/mixed; boundary="b"'),
    )
    yield Case(
        "multipart_close_only", lambda: message(b"--b--\r\n", content_type='multipart/mixed; boundary="b"'), "mail"
    )
    yield Case("multipart_unclosed", lambda: multipart([text_part("no closing delimiter")], close=False), "mail")
    yield Case("multipart_lf_only", lambda: multipart([text_part("lf")], eol=b"\n").replace(b"\r\n", b"\n"), "mail")
    yield Case("multipart_cr_only", lambda: multipart([text_part("cr")], eol=b"\r").replace(b"\r\n", b"\r"), "mail")
    yield Case(
        "multipart_digest_3000", lambda: multipart([b"\r\nFrom: d@x.example\r\n\r\nhi"] * 3_000, subtype="digest")
    )
    yield Case(
        "multipart_related_start",
        lambda: multipart(
            [text_part("<p>related html</p>", "text/html"), text_part("plain", Content_ID="<start@x>")],
            subtype="related",
            params='; start="<start@x>"',
        ),
        "mail",
    )
    yield Case(
        "multipart_report",
        lambda: multipart(
            [text_part("Delivery failed"), b"Content-Type: message/delivery-status\r\n\r\nAction: failed"],
            subtype="report",
        ),
        "mail",
    )
    yield Case(
        "multipart_alternative_html_first",
        lambda: multipart([text_part("<p>html</p>", "text/html"), text_part("plain")], subtype="alternative"),
        "mail",
    )
    yield Case(
        "attachment_text_part",
        lambda: multipart([text_part("attached", Content_Disposition="attachment; filename=a.txt"), text_part("body")]),
        "mail",
    )
    yield Case("content_type_params_10k", lambda: message("hi", content_type="text/plain" + "; a=b" * 10_000), "mail")
    yield Case(
        "content_type_quotes_10k", lambda: message("hi", content_type='text/plain; a="' + '\\"' * 10_000), "mail"
    )
    yield Case(
        "content_type_unclosed_quote", lambda: message("hi", content_type='multipart/mixed; boundary="abc'), "mail"
    )
    yield Case(
        "content_type_rfc2231_10k",
        lambda: message("hi", content_type="multipart/mixed" + "".join(f"; boundary*{i}=x" for i in range(10_000))),
        "mail",
    )
    yield Case("content_type_no_slash", lambda: message("hi", content_type="multipart"), "mail")
    yield Case("content_type_many_slashes", lambda: message("hi", content_type="a/b/c/d; charset=utf-8"), "mail")
    yield Case("content_type_1mb", lambda: message("hi", content_type="text/plain; x=" + "y" * 1_000_000))
    yield Case("message_rfc822_top", lambda: message(message("inner"), content_type="message/rfc822"), "mail")
    yield Case("message_partial", lambda: message(b"partial", content_type="message/partial; id=x; number=1"), "mail")
    yield Case("binary_noise_200k", lambda: _noise(200_000, 4))
    yield Case(
        "headers_then_noise", lambda: message(_noise(200_000, 5), content_type="text/plain; charset=utf-8"), "mail"
    )
    yield Case("mime_noise", lambda: multipart([_printable_noise(50_000, 6), _printable_noise(50_000, 7)]))
    yield Case("oversize_5mb", lambda: message("Thanks! " + "x" * 5_000_000), "mail", "above the read cap")
    yield Case("oversize_headers_5mb", lambda: message(headers=[("X-Junk", "a" * 5_000_000)]))
    # -- HTML -------------------------------------------------------------------------------------------------------
    yield Case("html_nested_divs_20k", lambda: _html("<div>" * 20_000 + "deep" + "</div>" * 20_000), "mail")
    yield Case("html_nested_blockquotes_20k", lambda: _html("<blockquote>" * 20_000 + "x"), "mail")
    yield Case("html_open_comments_20k", lambda: _html("<!--" * 20_000), "mail")
    yield Case("html_open_quoted_attrs_20k", lambda: _html("<a '" * 20_000), "mail", "quadratic in html.parser")
    yield Case("html_a_lt_40k", lambda: _html("a<" * 40_000), "mail")
    yield Case("html_end_tags_40k", lambda: _html("</" * 40_000), "mail")
    yield Case("html_processing_instructions_40k", lambda: _html("<?" * 40_000), "mail")
    yield Case("html_bang_40k", lambda: _html("<!" * 40_000), "mail")
    yield Case("html_cdata_10k", lambda: _html("<![CDATA[" * 10_000), "mail")
    yield Case("html_script_unclosed", lambda: _html("<script>" + "<" * 100_000), "mail")
    yield Case("html_long_charref", lambda: _html("&#" + "9" * 100_000 + ";"), "mail")
    yield Case("html_entities_50k", lambda: _html("&amp;&#x41;&nbsp;&bogus" * 10_000), "mail")
    yield Case("html_attributes_20k", lambda: _html("<p " + "a='b' " * 20_000 + ">x"), "mail")
    yield Case("html_deep_tables", lambda: _html("<table><tr><td>" * 10_000 + "x"), "mail")
    yield Case("html_noise", lambda: _html(_printable_noise(100_000, 8, b"<>!-/?'\"= abc&#;\n").decode()), "mail")
    # -- out-of-office dates and the quote cut -----------------------------------------------------------------------
    yield Case(
        "ooo_absurd_dates",
        lambda: _ooo("Back on 99/99/9999, until 2026-13-45, returning December 99th 20261. " * 2_000),
        "mail",
    )
    yield Case("ooo_many_dates", lambda: _ooo("back 12/07 until 7.12. " * 5_000), "mail")
    yield Case("ooo_month_then_spaces", lambda: _ooo("back on December" + " " * 100_000 + "7"), "mail")
    yield Case("ooo_digits_then_spaces", lambda: _ooo("back on 7" + " " * 100_000 + "December"), "mail")
    yield Case("ooo_year_9999", lambda: _ooo("I am out of the office, back on 9999-12-31."), "mail")
    yield Case("ooo_digit_runs", lambda: _ooo("back " + "1" * 100_000), "mail")
    yield Case("quote_on_lines", lambda: message(("On " + "x " * 150 + "\n") * 500), "mail")
    yield Case("quote_am_schrieb", lambda: message(("Am " + " schrieb" * 30 + "\n") * 500), "mail")
    yield Case("quote_le_ecrit", lambda: message(("Le " + " a écrit" * 30 + "\n") * 500), "mail")
    yield Case("quote_dash_lines", lambda: message(("-" * 1_000 + "\n") * 100 + "--\n" * 10_000), "mail")
    yield Case("quote_dash_space_runs", lambda: message("--" + " " * 100_000 + "Original"), "mail")
    yield Case("quote_underscores", lambda: message("_" * 200_000), "mail")
    yield Case("quote_from_lines", lambda: message("Thanks\n" + "From: x\n" * 10_000), "mail")
    yield Case("quote_gt_lines", lambda: message("> old\n" * 20_000 + "new"), "mail")


CASES: tuple[Case, ...] = tuple(_cases())
BY_NAME: dict[str, Case] = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"
