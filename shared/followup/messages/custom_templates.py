"""Custom message templates: a candidate's own wording per kind and tone, from a folder or an S3 prefix.

Layout of a template source (docs/templates.md is the guide, with every variable):

    <kind>/<tone>.txt.j2       body of one kind in one tone (tone: formal | warm | concise)
    <kind>/any.txt.j2          body of one kind in every tone it does not define
    <kind>/<tone>.subject.j2   optional subject line (any.subject.j2 for every tone)
    _<name>.txt.j2             a partial of your own, for {% import %} / {% include %}

Kinds a source does not define keep the built-in templates; the HTML part is always the built-in layout, made from
the same paragraphs as the text, so the two parts cannot disagree.

Templates are rendered in Jinja2's `SandboxedEnvironment` with `StrictUndefined` and are validated when loaded:
syntax (file and line), unknown variables (`jinja2.meta.find_undeclared_variables` against
`followup.messages.render.TEMPLATE_VARIABLES`), and the message linter on a sample interview (examples/interview.json,
packaged with the layer). Every problem found is reported at once in one `TemplateLoadError`.

Why one module of this length: loading, sandboxing and validating a template set are one contract (a set that
loads is safe and valid); the sandbox limits sit beside the loader that applies them.
"""

from __future__ import annotations

import difflib
import json
import re
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, get_args

from jinja2 import ChoiceLoader, FunctionLoader, PackageLoader, TemplateError, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from followup.domain.kinds import FollowUpKind
from followup.domain.models import InterviewRequest, PlannedFollowUp, Tone
from followup.messages.render import TEMPLATE_VARIABLES, configure_environment, render_follow_up, subject_line

__all__ = [
    "MAX_TEMPLATE_BYTES",
    "MAX_TEMPLATE_FILES",
    "S3TemplateSource",
    "TemplateLoadError",
    "TemplateProblem",
    "TemplateSet",
    "load_custom_templates",
    "sample_follow_ups",
    "sample_interview",
]

MAX_TEMPLATE_FILES = 64
MAX_TEMPLATE_BYTES = 64 * 1024
# Resource limits inside a custom template: no value built by an operator longer than this, no range longer than
# MAX_RANGE, and (render_follow_up) no output longer than MAX_RENDER_CHARS — a template cannot use gigabytes.
MAX_VALUE_CHARS = 100_000
MAX_RANGE = 1_000


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox (templates cannot change the lists and dicts they are given) with bounds on
    what an expression may build: `'a' * 200000000` fails at once instead of allocating 200 MB."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise SecurityError("exponent too large in a template")
        if operator == "*" and any(isinstance(side, int) for side in (left, right)):
            sized = next((side for side in (left, right) if isinstance(side, str | list | tuple)), None)
            count = right if isinstance(right, int) else left
            if sized is not None and len(sized) * max(int(count), 0) > MAX_VALUE_CHARS:
                raise SecurityError(f"a template may not build values over {MAX_VALUE_CHARS} characters")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, str | list | tuple) and len(result) > MAX_VALUE_CHARS:
            raise SecurityError(f"a template may not build values over {MAX_VALUE_CHARS} characters")
        return result


def _bounded_range(*args: int) -> range:
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise SecurityError(f"range() in a template is limited to {MAX_RANGE} items")
    return values


TONES: tuple[str, ...] = get_args(Tone)
_KINDS = "|".join(kind.value for kind in FollowUpKind)
_TEMPLATE_NAME = re.compile(rf"^(?P<kind>{_KINDS})/(?P<tone>formal|warm|concise|any)\.(?P<part>txt|subject)\.j2$")
_PARTIAL_NAME = re.compile(r"^_[a-z0-9_]+\.txt\.j2$")
# Built-in files a source may not replace: the HTML layout guarantees text/HTML parity, the others are shared.
_RESERVED = frozenset({"layout.html.j2", "_macros.txt.j2", "reminder_linkedin/note.txt.j2"})
_IGNORED = re.compile(r"(^|/)(\.[^/]*|README[^/]*|[^/]*\.md)$", re.I)


@dataclass(frozen=True)
class S3TemplateSource:
    """Templates under `s3://bucket/prefix/`; `client` is a boto3 S3 client the caller owns (tests pass moto's)."""

    client: Any
    bucket: str
    prefix: str = ""

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix.strip('/')}"


TemplateSource = str | Path | S3TemplateSource


def parse_templates_uri(uri: str, s3_client: Callable[[], Any]) -> TemplateSource | None:
    """The source a `TEMPLATES_URI` setting names: `s3://bucket/prefix` (client made only then), a folder path, or
    None when unset."""
    uri = uri.strip()
    if not uri:
        return None
    if uri.startswith("s3://"):
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        if not bucket:
            raise TemplateLoadError(uri, [TemplateProblem(uri, "an s3:// URI needs a bucket: s3://bucket/prefix")])
        return S3TemplateSource(s3_client(), bucket, prefix)
    return Path(uri)


def templates_from_uri(uri: str, s3_client: Callable[[], Any]) -> TemplateSet | None:
    """The deployment's custom templates (`TEMPLATES_URI`), loaded and validated, or None when unset. A broken set
    raises `TemplateLoadError`: better no message than a half-customised one."""
    source = parse_templates_uri(uri, s3_client)
    return None if source is None else load_custom_templates(source)


@dataclass(frozen=True)
class TemplateProblem:
    """One reason a source is unusable, located as precisely as Jinja2 allows."""

    file: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class TemplateLoadError(ValueError):
    """A template source failed validation; `problems` lists every reason, each with its file (and line)."""

    def __init__(self, origin: str, problems: list[TemplateProblem]) -> None:
        self.origin = origin
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"custom templates at {origin} cannot be used ({len(problems)} problem(s)):\n{listing}")


@dataclass(frozen=True)
class TemplateSet:
    """Validated custom templates, ready for `render_follow_up(..., templates=template_set)`."""

    origin: str
    sources: Mapping[str, str]
    environment: SandboxedEnvironment = field(repr=False, compare=False)
    warnings: tuple[str, ...] = ()

    def body_template_names(self, kind: FollowUpKind, tone: str) -> list[str]:
        """Template names for a body, most specific first: this source's, then the built-in ones."""
        own = [name for name in (f"{kind.value}/{tone}.txt.j2", f"{kind.value}/any.txt.j2") if name in self.sources]
        return own or [f"{kind.value}/{tone}.txt.j2", f"{kind.value}/any.txt.j2"]

    def render_subject(self, kind: FollowUpKind, tone: str, context: Mapping[str, Any]) -> str | None:
        """The custom subject for `kind` in `tone`, made header-safe, or None to use the built-in subject."""
        for name in (f"{kind.value}/{tone}.subject.j2", f"{kind.value}/any.subject.j2"):
            if name in self.sources:
                return subject_line(self.environment.get_template(name).render(context))
        return None

    def covers(self, kind: FollowUpKind, tone: str) -> bool:
        return any(name in self.sources for name in (f"{kind.value}/{tone}.txt.j2", f"{kind.value}/any.txt.j2"))


# --- loading ------------------------------------------------------------------------------------------------------


def load_custom_templates(
    source: TemplateSource,
    *,
    sample: InterviewRequest | None = None,
    strict: bool = False,
) -> TemplateSet:
    """Read, validate and compile the templates of a folder (`str`/`Path`) or an S3 prefix (`S3TemplateSource`).

    Raises `TemplateLoadError` listing every problem: unreadable or misnamed files, syntax errors, unknown variables,
    templates that fail to render the sample interview, and messages that break a hard rule of the linter on it.
    Linter warnings are returned in `TemplateSet.warnings`; with `strict=True` they are problems too.
    """
    origin = str(source)
    problems: list[TemplateProblem] = []
    raw = _read_s3(source) if isinstance(source, S3TemplateSource) else _read_folder(Path(source))
    sources: dict[str, str] = {}
    for name, data in raw:
        problem = _check_file(name, data)
        if problem is not None:
            problems.append(problem)
            continue
        sources[name] = data.decode("utf-8")
    if not sources and not problems:
        problems.append(TemplateProblem(origin, "no templates found (expected files like thank_you/warm.txt.j2)"))
    if len(raw) > MAX_TEMPLATE_FILES:
        problems.append(TemplateProblem(origin, f"{len(raw)} files; at most {MAX_TEMPLATE_FILES}"))

    environment = _sandbox(sources)
    for name, text in sorted(sources.items()):
        problems += _check_template(environment, name, text)
    if problems:
        raise TemplateLoadError(origin, problems)

    template_set = TemplateSet(origin=origin, sources=dict(sources), environment=environment)
    lint_problems, warnings = _check_on_sample(template_set, sample or sample_interview())
    if strict:
        lint_problems += [TemplateProblem(name, message) for name, message in warnings]
    if lint_problems:
        raise TemplateLoadError(origin, lint_problems)
    return TemplateSet(
        origin=origin,
        sources=template_set.sources,
        environment=environment,
        warnings=tuple(f"{name}: {message}" for name, message in warnings),
    )


def _read_folder(root: Path) -> list[tuple[str, bytes]]:
    if not root.is_dir():
        raise TemplateLoadError(str(root), [TemplateProblem(str(root), "is not a folder")])
    files = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_file() and not _IGNORED.search(name):
            size = path.stat().st_size
            files.append((name, path.read_bytes() if size <= MAX_TEMPLATE_BYTES else b"\0" * (MAX_TEMPLATE_BYTES + 1)))
    return files


def _read_s3(source: S3TemplateSource) -> list[tuple[str, bytes]]:
    prefix = source.prefix.strip("/")
    prefix = f"{prefix}/" if prefix else ""
    files = []
    paginator = source.client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=source.bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            name = key[len(prefix) :]
            if not name or name.endswith("/") or _IGNORED.search(name):
                continue
            if item.get("Size", 0) > MAX_TEMPLATE_BYTES:
                files.append((name, b"\0" * (MAX_TEMPLATE_BYTES + 1)))
                continue
            body = source.client.get_object(Bucket=source.bucket, Key=key)["Body"].read()
            files.append((name, body))
            if len(files) > MAX_TEMPLATE_FILES:
                return files
    return files


def _check_file(name: str, data: bytes) -> TemplateProblem | None:
    if name in _RESERVED:
        return TemplateProblem(name, "replaces a built-in file that cannot be customised")
    if not (_TEMPLATE_NAME.match(name) or _PARTIAL_NAME.match(name)):
        return TemplateProblem(
            name,
            "not a template name: use <kind>/<tone>.txt.j2, <kind>/<tone>.subject.j2 or _<name>.txt.j2, with kind "
            f"one of {', '.join(kind.value for kind in FollowUpKind)} and tone one of formal, warm, concise, any",
        )
    if len(data) > MAX_TEMPLATE_BYTES:
        return TemplateProblem(name, f"larger than {MAX_TEMPLATE_BYTES // 1024} KiB")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return TemplateProblem(name, f"not UTF-8 text (byte {exc.start})")
    return None


def _sandbox(sources: Mapping[str, str]) -> SandboxedEnvironment:
    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        if name not in sources:
            return None
        return sources[name], name, lambda: True

    # The source's own files first; the built-ins fill in every kind it does not define.
    loader = ChoiceLoader([FunctionLoader(load), PackageLoader("followup.messages", "templates")])
    environment = LimitedSandbox(loader=loader)
    configure_environment(environment)
    environment.globals["range"] = _bounded_range
    return environment


def _check_template(environment: SandboxedEnvironment, name: str, text: str) -> list[TemplateProblem]:
    try:
        tree = environment.parse(text, name=name, filename=name)
        environment.get_template(name)  # compiling finds what parsing cannot, such as an unknown filter
    except TemplateSyntaxError as exc:
        return [TemplateProblem(name, f"syntax error: {exc.message}", exc.lineno)]
    problems = []
    for variable in sorted(meta.find_undeclared_variables(tree) - TEMPLATE_VARIABLES):
        hint = difflib.get_close_matches(variable, sorted(TEMPLATE_VARIABLES), n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else " (docs/templates.md lists the variables)"
        problems.append(TemplateProblem(name, f"unknown variable {variable!r}{suggestion}", _line_of(text, variable)))
    for referenced in meta.find_referenced_templates(tree):
        if referenced is not None and referenced not in _loadable(environment, referenced):
            problems.append(TemplateProblem(name, f"imports {referenced!r}, which does not exist"))
    return problems


def _loadable(environment: SandboxedEnvironment, name: str) -> set[str]:
    try:
        environment.get_template(name)
    except TemplateError:
        return set()
    return {name}


def _line_of(text: str, variable: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(rf"(?<![\w.]){re.escape(variable)}(?!\w)", line):
            return number
    return None


# --- validation on the sample interview ---------------------------------------------------------------------------


def sample_interview() -> InterviewRequest:
    """The packaged copy of examples/interview.json that custom templates are validated against."""
    text = resources.files("followup.messages").joinpath("templates/_sample/interview.json").read_text(encoding="utf-8")
    return InterviewRequest.model_validate(json.loads(text))


def sample_follow_ups(request: InterviewRequest) -> list[PlannedFollowUp]:
    """One follow-up of every kind for `request` (every thank-you, both check-ins), due on plausible days."""
    ended = request.interview.ended_at
    primary = request.primary_contact_index
    person = request.interviewers[primary]
    decision = request.next_steps.decision_expected_by
    check_in_day = datetime.combine(decision, time(15), tzinfo=ended.tzinfo) + timedelta(days=1) if decision else None
    check_in_due = check_in_day or ended + timedelta(days=9)
    to_primary = {"to": str(person.email), "to_name": person.name, "interviewer_index": primary}
    to_candidate = {"to": str(request.candidate.email), "to_name": request.candidate.name}
    follow_ups = [
        PlannedFollowUp(
            id=f"thank_you-{index}",
            kind=FollowUpKind.THANK_YOU,
            to=str(interviewer.email),
            to_name=interviewer.name,
            timezone=request.interviewer_timezone(index),
            due_at=ended + timedelta(hours=3),
            interviewer_index=index,
        )
        for index, interviewer in enumerate(request.interviewers)
    ]
    steps: list[tuple[str, FollowUpKind, datetime, dict[str, Any]]] = [
        ("check_in", FollowUpKind.CHECK_IN, check_in_due, to_primary),
        ("check_in-2", FollowUpKind.CHECK_IN, check_in_due + timedelta(days=7), to_primary),
        ("final", FollowUpKind.FINAL, check_in_due + timedelta(days=14), to_primary),
        ("reminder_handwritten_note", FollowUpKind.REMINDER_HANDWRITTEN_NOTE, ended + timedelta(hours=4), to_candidate),
        ("reminder_linkedin", FollowUpKind.REMINDER_LINKEDIN, ended + timedelta(days=1), to_candidate),
        ("reminder_work_samples", FollowUpKind.REMINDER_WORK_SAMPLES, ended + timedelta(days=1), to_candidate),
    ]
    for step_id, kind, due, recipient in steps:
        timezone = request.interviewer_timezone(primary) if kind.is_nudge else request.candidate_timezone()
        follow_ups.append(PlannedFollowUp(id=step_id, kind=kind, timezone=timezone, due_at=due, **recipient))
    return follow_ups


def _files_used(template_set: TemplateSet, kind: FollowUpKind, tone: str) -> list[str]:
    names = [name for name in template_set.body_template_names(kind, tone) if name in template_set.sources][:1]
    names += [
        name
        for name in (f"{kind.value}/{tone}.subject.j2", f"{kind.value}/any.subject.j2")
        if name in template_set.sources
    ][:1]
    return names


def _cases(template_set: TemplateSet) -> Iterator[tuple[str, str]]:
    """(tone, file) for every tone a custom file applies to; partials are exercised through their users."""
    for name in sorted(template_set.sources):
        match = _TEMPLATE_NAME.match(name)
        if match:
            for tone in TONES if match["tone"] == "any" else (match["tone"],):
                yield tone, name


def _check_on_sample(
    template_set: TemplateSet, sample: InterviewRequest
) -> tuple[list[TemplateProblem], list[tuple[str, str]]]:
    from followup.messages.lint import lint_message, lint_panel  # deferred: lint imports render, as this module does

    problems: list[TemplateProblem] = []
    warnings: list[tuple[str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for tone in sorted({tone for tone, _ in _cases(template_set)}):
        request = sample.model_copy(update={"preferences": sample.preferences.model_copy(update={"tone": tone})})
        thank_yous = {}
        for follow_up in sample_follow_ups(request):
            kind = FollowUpKind(follow_up.kind)
            files = _files_used(template_set, kind, tone)
            if not files:
                continue
            label = f"{files[0]} ({tone}, sample {follow_up.id} to {follow_up.to_name})"
            try:
                message = render_follow_up(request, follow_up, templates=template_set)
            except Exception as exc:  # any failure of a user's template is a load-time problem, reported in full
                problems.append(TemplateProblem(files[0], _render_error(exc, label), _error_line(exc, files)))
                continue
            if kind is FollowUpKind.THANK_YOU:
                thank_yous[follow_up.id] = message
            for finding in lint_message(request, follow_up, message):
                key = (files[0], finding.rule, finding.message)
                if key in seen:
                    continue
                seen.add(key)
                text = f"{finding.rule}: {finding.message} — in {label}"
                if finding.severity == "hard":
                    problems.append(TemplateProblem(files[0], text))
                else:
                    warnings.append((files[0], text))
        for finding in lint_panel(request, thank_yous):
            warnings.append((f"thank_you ({tone})", f"{finding.rule}: {finding.message}"))
    return problems, warnings


def _render_error(exc: Exception, label: str) -> str:
    return f"fails to render {label}: {type(exc).__name__}: {exc}"


def _error_line(exc: Exception, files: list[str]) -> int | None:
    # Jinja2 rewrites tracebacks so template frames carry the template's name and line.
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename in files:
            return frame.lineno
    return None
