"""Who the current request acts for (set by `followup.api.app.handle_request` after the guards), and the checks
every route makes with it: an interview, a link or a page of another candidate is `404`, as if it did not exist."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from followup.api.auth import Credentials
from followup.api.errors import ApiError
from followup.domain.candidates import may_belong_to

_current: ContextVar[Credentials | None] = ContextVar("followup_principal", default=None)


@contextmanager
def acting_as(credentials: Credentials | None) -> Iterator[None]:
    token = _current.set(credentials)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Credentials:
    credentials = _current.get()
    if credentials is None:  # a JSON route reached without the guard: never serve it
        raise ApiError(401, "unauthorized", "missing credentials")
    return credentials


def candidate_id() -> str:
    """The candidate a JSON route acts for; the operator key manages candidates and nothing else."""
    credentials = current()
    if credentials.operator:
        raise ApiError(
            403,
            "operator_key",
            "the operator key manages candidates only; act for a candidate with their API key or webhook secret",
        )
    return credentials.candidate_id


def require_operator() -> None:
    if not current().operator:
        raise ApiError(403, "forbidden", "only the operator key manages candidates")


def require_operator_or(candidate: str) -> None:
    """The operator, or the candidate themselves (their own profile and keys)."""
    credentials = current()
    if not credentials.operator and credentials.candidate_id != candidate:
        raise ApiError(404, "not_found", "no candidate with this id")


def check_interview_id(interview_id: str) -> None:
    """Before any read: an id that is malformed or names another candidate (`interview_owner`) is `404`. An id
    without a candidate part is the default candidate's, or a created candidate's from before ids named their
    candidate: the stored owner (`check_owner`) decides those."""
    if not may_belong_to(interview_id, candidate_id()):
        raise ApiError(404, "not_found", "no interview with this id")


def check_owner(owner: str, what: str = "interview") -> None:
    """Another candidate's item is indistinguishable from a missing one."""
    if owner != candidate_id():
        raise ApiError(404, "not_found", f"no {what} with this id")
