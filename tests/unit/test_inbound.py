"""Inbound mail: parsing, telling a person from an out-of-office or a machine, return dates, reply addresses."""

from __future__ import annotations

from datetime import date

import pytest

from followup.core.reply_address import parse_reply_address, reply_address
from followup.feedback.inbound import MalformedMailError, ReplyKind, find_return_date, new_text, parse_mail

SES_ID = "0100019ab6f2c4d8-5e3a7b1c-9d2e-4f60-8a1b-3c4d5e6f7a8b-000000"
RECEIVED = date(2026, 11, 25)


def raw_mail(
    body: str = "Thanks Ada, great talking to you. We'll be in touch next week.",
    *,
    subject: str = "Re: Thank you, Grace",
    sender: str = "Grace Hopper <grace@ae.example>",
    to: str = "Ada Lovelace <ada@example.com>",
    cc: str | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "text/plain; charset=utf-8",
) -> bytes:
    lines = [
        f"From: {sender}",
        f"To: {to}",
        *([f"Cc: {cc}"] if cc else []),
        f"Subject: {subject}",
        "Message-ID: <reply-1@mail.ae.example>",
        f"In-Reply-To: <{SES_ID}@email.amazonses.com>",
        f"References: <older@mail.example> <{SES_ID}@email.amazonses.com>",
        "Date: Wed, 25 Nov 2026 10:00:00 -0500",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
        *[f"{name}: {value}" for name, value in (headers or {}).items()],
        "",
        body,
    ]
    return "\r\n".join(lines).encode()


# -- parsing -------------------------------------------------------------------------------------------------------


def test_a_reply_is_parsed_into_sender_recipients_and_the_messages_it_answers() -> None:
    mail = parse_mail(raw_mail(to="Ada <ADA@example.com>, reply+abc.0123456789@replies.example", cc="hr@ae.example"))
    assert mail.sender == "grace@ae.example"
    assert mail.recipients == ("ada@example.com", "reply+abc.0123456789@replies.example", "hr@ae.example")
    assert mail.in_reply_to == (f"{SES_ID}@email.amazonses.com",)
    assert mail.referenced_message_ids == (f"{SES_ID}@email.amazonses.com", "older@mail.example")
    assert mail.ses_message_ids() == (SES_ID,)
    assert mail.message_id == "reply-1@mail.ae.example"
    assert mail.kind is ReplyKind.HUMAN


def test_ses_message_ids_from_other_regions_count_and_other_domains_do_not() -> None:
    mail = parse_mail(raw_mail(headers={"X-Other": "1"}).replace(b"email.amazonses.com", b"eu-west-1.amazonses.com"))
    assert mail.ses_message_ids() == (SES_ID,)
    forged = parse_mail(raw_mail().replace(b"email.amazonses.com", b"amazonses.com.evil.example"))
    assert forged.ses_message_ids() == ()


def test_quoted_history_is_cut_from_the_text() -> None:
    body = (
        "Thanks, I'll be back on December 9.\n\n"
        "On Tue, Nov 24, 2026 at 9:00 AM Ada Lovelace <ada@example.com> wrote:\n"
        "> I will be back on December 20\n"
    )
    assert new_text(body) == "Thanks, I'll be back on December 9."
    assert new_text("Hi\n> quoted back on Dec 20\nbye") == "Hi\nbye"
    assert new_text("Sure.\n-----Original Message-----\nFrom: x\nback on Dec 20") == "Sure."


def test_html_only_mail_is_read_as_text() -> None:
    html = "<html><body><p>Out of the office,</p><p>back on <b>December 7</b>.</p><blockquote>back Dec 30</blockquote>"
    mail = parse_mail(raw_mail(html, subject="Automatic reply: Thank you", content_type="text/html; charset=utf-8"))
    assert "back on December 7" in mail.text
    assert "Dec 30" not in mail.text
    assert mail.kind is ReplyKind.OUT_OF_OFFICE


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"Subject: no sender\r\n\r\nhello", b"\x00\x01\x02garbage"])
def test_mail_without_a_sender_is_malformed(raw: bytes) -> None:
    with pytest.raises(MalformedMailError):
        parse_mail(raw)


# -- classification -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "headers", "body", "kind"),
    [
        ("Re: Thank you", {}, "Thanks, Ada!", ReplyKind.HUMAN),
        ("Out of Office: Thank you", {}, "I am away.", ReplyKind.OUT_OF_OFFICE),
        ("Automatic reply: Thank you", {}, "Hi", ReplyKind.OUT_OF_OFFICE),
        ("Abwesenheitsnotiz: Thank you", {}, "Ich bin nicht im Büro", ReplyKind.OUT_OF_OFFICE),
        ("Re: Thank you", {"Auto-Submitted": "auto-replied"}, "I am out of the office", ReplyKind.OUT_OF_OFFICE),
        ("Re: Thank you", {"X-Autoreply": "yes"}, "On vacation until Monday", ReplyKind.OUT_OF_OFFICE),
        ("Re: Thank you", {"X-Autorespond": "1"}, "Currently away from my desk", ReplyKind.OUT_OF_OFFICE),
        ("Re: Thank you", {"Precedence": "auto_reply"}, "I'm on leave until 7 December", ReplyKind.OUT_OF_OFFICE),
        ("Ticket #123 received", {"Auto-Submitted": "auto-generated"}, "We got it.", ReplyKind.AUTOMATED),
        ("Newsletter", {"Precedence": "bulk"}, "News", ReplyKind.AUTOMATED),
        ("Re: Thank you", {"Auto-Submitted": "no"}, "A person wrote this", ReplyKind.HUMAN),
    ],
)
def test_replies_are_classified(subject: str, headers: dict[str, str], body: str, kind: ReplyKind) -> None:
    assert parse_mail(raw_mail(body, subject=subject, headers=headers)).kind is kind


def test_delivery_reports_and_mailer_daemons_are_never_replies() -> None:
    report = raw_mail("failed", content_type='multipart/report; report-type=delivery-status; boundary="b"')
    assert parse_mail(report).kind is ReplyKind.AUTOMATED
    daemon = raw_mail("Out of office", subject="Undeliverable", sender="MAILER-DAEMON@mx.ae.example")
    assert parse_mail(daemon).kind is ReplyKind.AUTOMATED


# -- return dates -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will be back on Monday, December 7.", date(2026, 12, 7)),
        ("I am out of the office, returning 12/07/2026.", date(2026, 12, 7)),
        ("Away, back on 7 December.", date(2026, 12, 7)),
        ("Back on the 7th of December, 2026", date(2026, 12, 7)),
        ("I return on 2026-12-08", date(2026, 12, 8)),
        ("On leave until Jan 4th", date(2027, 1, 4)),
        ("Ich bin ab dem 07.12.2026 wieder im Büro.", date(2026, 12, 7)),
        ("Zurück am 7. Dezember", date(2026, 12, 7)),
        ("I'm away from 25 Nov until 4 Dec, back Dec 7th", date(2026, 12, 7)),
        ("Out Nov 30 - I'll reply when I can.", None),
        ("Thanks for your email.", None),
        ("Back on February 30", None),
        ("Back on 2031-01-01", None),
        ("Back on November 20", None),
    ],
)
def test_return_dates_are_found_after_a_return_word(text: str, expected: date | None) -> None:
    assert find_return_date(text, RECEIVED) == expected


def test_slashed_dates_follow_the_countrys_order() -> None:
    assert find_return_date("returning 07/12/2026", RECEIVED) is None  # 12 July: too far
    assert find_return_date("returning 07/12/2026", RECEIVED, day_first=True) == date(2026, 12, 7)
    assert find_return_date("returning 25/11/2026", RECEIVED) == date(2026, 11, 25)  # 25 cannot be a month


# -- reply addresses ----------------------------------------------------------------------------------------------


def test_reply_address_round_trips_and_rejects_forgeries() -> None:
    address = reply_address("secret", "019ab6e4a8c0f3b2c1d4e5", "Replies.Example.com")
    local, _, domain = address.partition("@")
    assert domain == "replies.example.com"
    assert local.startswith("reply+019ab6e4a8c0f3b2c1d4e5.")
    assert len(local.rsplit(".", 1)[1]) == 10
    assert parse_reply_address("secret", address, "replies.example.com") == "019ab6e4a8c0f3b2c1d4e5"
    assert parse_reply_address("secret", address.replace("reply+", "REPLY+"), "REPLIES.example.com") is not None
    # A mail system that upper-cases the whole local part still reaches the interview
    assert parse_reply_address("secret", local.upper() + "@" + domain, domain) == "019ab6e4a8c0f3b2c1d4e5"
    # A created candidate's interview id (it names the candidate) fits an address too
    own = reply_address("secret", "ab12cd34ef56-019ab6e4a8c0f3b2c1d4e5", "replies.example.com")
    assert len(own.split("@")[0]) <= 64
    assert parse_reply_address("secret", own, "replies.example.com") == "ab12cd34ef56-019ab6e4a8c0f3b2c1d4e5"
    assert parse_reply_address("other-secret", address, "replies.example.com") is None
    assert parse_reply_address("secret", address, "elsewhere.example") is None
    forged = address.replace("019ab6e4a8c0f3b2c1d4e5", "019ab6e4a8c0f3b2c1d4e6")
    assert parse_reply_address("secret", forged, "replies.example.com") is None
    for junk in ("", "reply+x@replies.example.com", "no-at-sign", "reply+a.b.0123456789@replies.example.com"):
        assert parse_reply_address("secret", junk, "replies.example.com") is None


def test_reply_address_refuses_ids_that_cannot_be_part_of_an_address() -> None:
    with pytest.raises(ValueError, match="interview id"):
        reply_address("secret", "bad id@x", "replies.example.com")
    with pytest.raises(ValueError, match="secret"):
        reply_address("", "abc", "replies.example.com")
