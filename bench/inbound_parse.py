"""`make bench` figure `inbound_worst_parse_ms`: the slowest `parse_mail` of any hostile message, in milliseconds.

Every case of tests/unit/inbound_corpus.py, plus variants scaled up to the parser's read cap (MAX_RAW_BYTES: what
lies beyond it is never read, so no larger input costs more). Each case is parsed BENCH_INBOUND_REPEATS times (5)
and counts with its best run, in CPU time (process_time): the parse is pure computation, and CPU time keeps other
processes on a shared machine out of the figure. The best wall-clock time and the slowest single wall-clock run
are reported beside it; on a quiet machine they agree. The goal: no case above 50 ms.

`python -m bench.inbound_parse` prints the slowest cases.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

from tests.unit import inbound_corpus as corpus

from followup.feedback import inbound
from followup.feedback.inbound import MalformedMailError, ReplyKind, find_return_date, parse_mail

GOAL_MS = 50.0
RECEIVED = date(2026, 11, 25)


def _fill(unit: str | bytes, overhead: int = 2_000) -> int:
    """How many `unit`s fill a message up to just under the read cap."""
    return (inbound.MAX_RAW_BYTES - overhead) // len(unit)


def scaled_cases() -> Iterator[tuple[str, Callable[[], bytes]]]:
    """The corpus's worst shapes, each as large as the parser will read (just under MAX_RAW_BYTES)."""
    m, html, ooo = corpus.message, corpus._html, corpus._ooo
    yield "cap:blank_lines", lambda: m("Hi\n" + "\n" * _fill("\n") + "Bye")
    yield "cap:crlf_body", lambda: m(b"\r\n" * _fill(b"\r\n"))
    yield "cap:cr_body", lambda: m(b"\r" * _fill(b"\r"))
    yield "cap:whitespace_lines", lambda: m(" \t \r\n" * _fill(" \t \r\n"))
    yield "cap:nbsp_lines", lambda: m("\u00a0\n" * _fill("\u00a0\n".encode()))
    yield "cap:quote_gt_lines", lambda: m("> old\n" * _fill("> old\n"))
    yield "cap:quote_on_lines", lambda: m(("On " + "x " * 150 + "\n") * _fill("On " + "x " * 150 + "\n"))
    yield "cap:quote_dash_lines", lambda: m("--\n" * _fill("--\n"))
    yield "cap:long_line", lambda: m("x" * _fill("x"))
    yield "cap:html_tags", lambda: html("<b>x" * _fill("<b>x"))
    yield "cap:html_breaks_entities", lambda: html("<p>&amp;" * _fill("<p>&amp;"))
    yield "cap:html_open_quoted_attrs", lambda: html("<a '" * _fill("<a '"))
    yield "cap:html_open_comments", lambda: html("<!--" * _fill("<!--"))
    yield "cap:html_nested_divs", lambda: html("<div>" * _fill("<div>"))
    yield "cap:ooo_dates", lambda: ooo("back 12/07 until 7.12. " * _fill("back 12/07 until 7.12. "))
    yield (
        "cap:base64_text",
        lambda: m(b"VGhhbmtzIQ==\r\n" * _fill(b"VGhhbmtzIQ==\r\n"), headers=[("Content-Transfer-Encoding", "base64")]),
    )
    yield (
        "cap:qp_text",
        lambda: m(b"=41=42\r\n" * _fill(b"=41=42\r\n"), headers=[("Content-Transfer-Encoding", "quoted-printable")]),
    )
    yield "cap:utf7_text", lambda: m(b"+AGE-" * _fill(b"+AGE-"), content_type="text/plain; charset=utf-7")
    yield "cap:boundary_inline", lambda: m(b"x--b--b" * _fill(b"x--b--b"), content_type='multipart/mixed; boundary="b"')
    yield "cap:header_lines", lambda: m(headers=[("To", "a@b.example")] * (inbound.MAX_HEADER_LINES - 20))
    yield "cap:folded_header", lambda: m(replace={"Subject": "Re:\r\n x" * _fill("Re:\r\n x")})
    yield "cap:references", lambda: m(replace={"References": "<a@b> " * _fill("<a@b> ")})
    yield "cap:from_parens", lambda: m(replace={"From": "(" * _fill("(")})
    yield "cap:recipients", lambda: m(replace={"To": "a@b.example, " * _fill("a@b.example, ")})
    yield "cap:encoded_words", lambda: m(replace={"Subject": "=?utf-8?b?QQ==?= " * _fill("=?utf-8?b?QQ==?= ")})
    yield (
        "cap:parts_text_last",
        lambda: corpus.multipart(
            [b"Content-Type: application/x\r\n\r\n" + b"A" * 400] * (inbound.MAX_MIME_PARTS - 2) + [corpus.text_part()]
        ),
    )
    yield "cap:nested_multipart", lambda: corpus._nested_multipart(inbound.MAX_MIME_DEPTH - 1)
    yield "cap:binary_noise", lambda: corpus._noise(inbound.MAX_RAW_BYTES - 1, 9)


def all_cases() -> Iterator[tuple[str, Callable[[], bytes]]]:
    for case in corpus.CASES:
        yield case.name, case.build
    yield from scaled_cases()


def _time_parse(raw: bytes) -> tuple[float, float, inbound.InboundMail | None]:
    """(CPU ms, wall ms, the mail or None when malformed) of one parse."""
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        mail: inbound.InboundMail | None = parse_mail(raw)
    except MalformedMailError:
        mail = None
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000, mail


def measure(
    repeats: int | None = None, cases: Iterator[tuple[str, Callable[[], bytes]]] | None = None
) -> dict[str, Any]:
    """Parse every case `repeats` times; the figure is the slowest case's best run."""
    repeats = repeats or int(os.environ.get("BENCH_INBOUND_REPEATS", 5))
    per_case: dict[str, float] = {}  # CPU ms, best run
    per_case_wall: dict[str, float] = {}
    slowest_single = (0.0, "")
    slowest_return_date = (0.0, "")
    outcomes = {"mail": 0, "malformed": 0}
    largest = 0
    for name, build in cases if cases is not None else all_cases():
        raw = build()
        largest = max(largest, min(len(raw), inbound.MAX_RAW_BYTES))
        gc.collect()
        runs, wall_runs = [], []
        mail = None
        for _ in range(repeats):
            cpu_ms, wall_ms, mail = _time_parse(raw)
            runs.append(cpu_ms)
            wall_runs.append(wall_ms)
        per_case[name] = min(runs)
        per_case_wall[name] = min(wall_runs)
        slowest_single = max(slowest_single, (max(wall_runs), name))
        outcomes["mail" if mail is not None else "malformed"] += 1
        if mail is not None and mail.kind is ReplyKind.OUT_OF_OFFICE:  # FeedbackFunction's next step
            started = time.process_time()
            find_return_date(mail.text, RECEIVED)
            slowest_return_date = max(slowest_return_date, ((time.process_time() - started) * 1000, name))
    ranked = sorted(per_case.items(), key=lambda kv: -kv[1])
    worst_case, worst_ms = ranked[0]
    return {
        "worst_ms": round(worst_ms, 2),
        "worst_case": worst_case,
        "goal_ms": GOAL_MS,
        "cases": len(per_case),
        "corpus_cases": len(corpus.CASES),
        "repeats": repeats,
        "timing": "CPU time (process_time), best of `repeats` runs per case; the figure is the slowest case",
        "worst_wall_ms": {
            "ms": round(max(per_case_wall.values()), 2),
            "case": max(per_case_wall, key=per_case_wall.__getitem__),
        },
        "median_case_ms": round(statistics.median(per_case.values()), 3),
        "slowest_single_run": {"ms": round(slowest_single[0], 2), "case": slowest_single[1]},
        "slowest_return_date_cpu_ms": {"ms": round(slowest_return_date[0], 2), "case": slowest_return_date[1]},
        "over_goal": [name for name, ms in ranked if ms > GOAL_MS],
        "slowest": {name: round(ms, 2) for name, ms in ranked[:10]},
        "outcomes": outcomes,
        "read_cap_bytes": inbound.MAX_RAW_BYTES,
        "largest_input_read_bytes": largest,
    }


def validate_figure(results: Mapping[str, Any]) -> None:
    """The figure's shape in results.json: a non-negative number of milliseconds (bench/schema.py checks the rest)."""
    from bench.schema import ResultsShapeError

    value = results.get("inbound_worst_parse_ms")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ResultsShapeError(f"inbound_worst_parse_ms must be a non-negative number, got {value!r}")


def main() -> int:
    figure = measure()
    print(f"inbound_worst_parse_ms: {figure['worst_ms']} ms ({figure['worst_case']}), {figure['cases']} cases")
    for name, ms in figure["slowest"].items():
        print(f"  {ms:8.2f} ms  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
