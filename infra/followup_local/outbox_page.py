"""The local stack's outbox for people: an HTML page (`/_local/outbox.html`) and one `.eml` file per message.

Both are built from the outbox records (README "The local stack") (what the handlers asked SES to send, captured whole).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, StrictUndefined

# Headers the .eml builds itself from the record; a captured header of the same name is not repeated.
_BUILT_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version"})
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
LOCAL_DIR_NAME = ".local"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outbox ({{ messages | length }}) · followup local stack</title>
<style>
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1f2328; }
  main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
  .meta { color: #57606a; }
  article { border: 1px solid #d0d7de; border-radius: 6px; padding: .5rem 1rem 1rem; margin: 1rem 0; }
  h2 { font-size: 1.1rem; margin: .5rem 0; }
  h1, h2 { overflow-wrap: anywhere; }
  dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .1rem 1rem; margin: .5rem 0; }
  dt { font-weight: 600; }
  dd { margin: 0; overflow-wrap: anywhere; }
  /* A 390 px phone: each header's name above its value, both the full width (no squeezed value column). */
  @media (max-width: 40rem) {
    main { padding: 1rem .75rem 3rem; }
    article { padding: .5rem .75rem .75rem; }
    dl { grid-template-columns: minmax(0, 1fr); gap: 0; }
    dt { margin-top: .4rem; font-size: .85rem; color: #57606a; }
  }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; padding: .75rem; border-radius: 4px;
        font: .95rem/1.45 ui-monospace, Menlo, Consolas, monospace; }
  iframe { width: 100%; min-height: 18rem; border: 1px solid #d0d7de; border-radius: 4px; }
  .kind { display: inline-block; background: #ddf4ff; border-radius: 1rem; padding: 0 .6rem; font-size: .85rem; }
</style>
</head>
<body>
<main>
<h1>Outbox</h1>
<p class="meta">{{ messages | length }} message{{ "s" if messages | length != 1 }} sent ·
local clock {{ now }} · <a href="/_local/outbox.html">reload</a> · <a href="/_local/outbox">JSON</a> ·
<a href="/_local/schedules">pending schedules</a></p>
{% for message in messages | reverse %}
<article>
<h2><span class="kind">{{ message.tags.get("kind", "message") }}</span> {{ message.subject }}</h2>
<dl>
  <dt>Sent</dt><dd>{{ message.sent_at }}</dd>
  <dt>From</dt><dd>{{ message["from"] }}</dd>
  <dt>To</dt><dd>{{ message.to | join(", ") }}</dd>
  {% if message.cc %}<dt>Cc</dt><dd>{{ message.cc | join(", ") }}</dd>{% endif %}
  {% if message.bcc %}<dt>Bcc</dt><dd>{{ message.bcc | join(", ") }}</dd>{% endif %}
  {% if message.reply_to %}<dt>Reply-To</dt><dd>{{ message.reply_to | join(", ") }}</dd>{% endif %}
  {% for name, value in message.headers.items() %}<dt>{{ name }}</dt><dd>{{ value }}</dd>{% endfor %}
  <dt>Tags</dt>
  <dd>{% for name, value in message.tags.items() %}{{ name }}={{ value }}{{ ", " if not loop.last }}{% endfor %}</dd>
  <dt>Message ID</dt><dd><a href="/_local/outbox/{{ message.message_id }}.eml">{{ message.message_id }}</a> (.eml)</dd>
</dl>
<pre>{{ message.text }}</pre>
{% if message.html %}
<details><summary>HTML part</summary>
<iframe title="HTML part of {{ message.subject }}" sandbox srcdoc="{{ message.html }}"></iframe>
</details>
{% endif %}
</article>
{% else %}
<p>Nothing sent yet. Submit an interview, then move the clock: <code>followup clock advance 2d</code>.</p>
{% endfor %}
</main>
</body>
</html>
"""


@cache
def _template() -> Any:
    # autoescape on: subjects, names and bodies come from submitted data.
    return Environment(autoescape=True, undefined=StrictUndefined).from_string(_PAGE)


def render_outbox_page(messages: Sequence[Mapping[str, Any]], now: str) -> str:
    """The outbox as an HTML page, newest first, every value escaped and HTML parts in sandboxed frames."""
    return str(_template().render(messages=list(messages), now=now))


def eml_filename(message_id: str) -> str:
    """`<message_id>.eml`, with anything that could leave the folder replaced."""
    return _SAFE_NAME.sub("_", message_id).strip("._") + ".eml"


def to_email_message(record: Mapping[str, Any]) -> EmailMessage:
    """An RFC 5322 message from an outbox record: addresses, subject, the captured headers and tags, text + HTML."""
    message = EmailMessage()
    message["From"] = str(record.get("from") or "")
    for header, key in (("To", "to"), ("Cc", "cc"), ("Bcc", "bcc"), ("Reply-To", "reply_to")):
        addresses = [str(item) for item in record.get(key) or []]
        if addresses:
            message[header] = ", ".join(addresses)
    message["Subject"] = str(record.get("subject") or "")
    sent_at = str(record.get("sent_at") or "")
    if sent_at:
        message["Date"] = format_datetime(datetime.fromisoformat(sent_at.replace("Z", "+00:00")))
    message["Message-ID"] = f"<{record.get('message_id')}@followup.local>"
    for name, value in (record.get("headers") or {}).items():
        if str(name).lower() not in _BUILT_HEADERS:
            message[str(name)] = str(value)
    tags = record.get("tags") or {}
    if tags:
        # SES returns tags in its events, not in the mail; kept here so a reader sees what the events would carry.
        message["X-Local-Email-Tags"] = "; ".join(f"{name}={value}" for name, value in tags.items())
    if record.get("configuration_set"):
        message["X-Local-Configuration-Set"] = str(record["configuration_set"])
    text = str(record.get("text") or "")
    html = str(record.get("html") or "")
    if text or not html:
        message.set_content(text)
        if html:
            message.add_alternative(html, subtype="html")
    else:
        message.set_content(html, subtype="html")
    return message


def make_private(folder: Path) -> None:
    """Create `folder` (mode 0700) and keep the stack's own `.local/` tree readable by this user only.

    Inside a `.local` directory (the default), the folder and every directory up to `.local` are set to 0700 even
    when they exist already (an older run left them 0755); a folder the user chose elsewhere keeps its mode, and the
    files written into it are 0600 anyway.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if LOCAL_DIR_NAME not in folder.parts:
        return
    for directory in (folder, *folder.parents):
        with contextlib.suppress(OSError):  # not ours to change: leave it
            directory.chmod(0o700)
        if directory.name == LOCAL_DIR_NAME:
            break


def write_eml(folder: Path, record: Mapping[str, Any]) -> Path:
    """Write one outbox record as `<folder>/<message_id>.eml` (mode 0600: mail with names, addresses and one-click
    links is for this user only); returns the path."""
    if not folder.is_dir():
        make_private(folder)
    path = folder / eml_filename(str(record.get("message_id") or "message"))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its old mode through O_TRUNC
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(to_email_message(record).as_bytes())
    return path
