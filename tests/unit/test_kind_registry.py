"""The kind registry is complete: every follow-up kind has a spec, a subject rule, a template per tone, a label on
the pages and a place in the custom-template sample; an unknown kind is an error, never a default."""

from __future__ import annotations

from importlib import resources

import pytest

from followup.domain.kinds import KINDS, TONES, FollowUpKind, UnknownKindError, spec
from followup.messages import render
from followup.messages.custom_templates import sample_follow_ups, sample_interview
from followup.messages.subjects import subject_for


@pytest.mark.parametrize("kind", list(FollowUpKind))
def test_every_kind_has_a_spec(kind: FollowUpKind) -> None:
    assert KINDS[kind].kind is kind
    assert spec(kind.value) is KINDS[kind]
    assert KINDS[kind].label.strip()


@pytest.mark.parametrize("kind", list(FollowUpKind))
def test_every_kind_has_a_subject_rule(kind: FollowUpKind) -> None:
    assert render.has_subject_rule(kind)


@pytest.mark.parametrize("kind", list(FollowUpKind))
def test_every_kind_has_a_template_for_each_of_its_tones(kind: FollowUpKind) -> None:
    folder = resources.files("followup.messages").joinpath("templates", kind.value)
    tones = KINDS[kind].template_tones
    assert tones == (TONES if KINDS[kind].is_nudge else ("any",))
    for tone in tones:
        assert folder.joinpath(f"{tone}.txt.j2").is_file(), f"{kind.value}/{tone}.txt.j2 is missing"


def test_the_custom_template_sample_has_every_kind() -> None:
    kinds = {follow_up.kind for follow_up in sample_follow_ups(sample_interview())}
    assert kinds == set(FollowUpKind)


def test_every_kind_renders_with_its_own_subject() -> None:
    request = sample_interview()
    subjects = {}
    for follow_up in sample_follow_ups(request):
        message = render.render_follow_up(request, follow_up)
        subjects.setdefault(follow_up.kind, set()).add(message.subject)
    reminder_subjects = [subjects[kind] for kind in FollowUpKind if not KINDS[kind].is_nudge]
    # No two candidate reminders share a subject (no kind silently inherits another kind's subject).
    flattened = [subject for group in reminder_subjects for subject in group]
    assert len(flattened) == len(set(flattened))


def test_an_unknown_kind_is_an_error() -> None:
    with pytest.raises(UnknownKindError):
        spec("reminder_send_flowers")
    with pytest.raises(UnknownKindError):
        subject_for("reminder_send_flowers", {})


def test_the_nudges_plan_check_ins_makes_wait_out_the_year_end_break_and_nothing_else_does() -> None:
    # plan_check_ins builds its calendar with the break for every kind it plans: the registry must agree
    from followup.domain.kinds import KINDS, FollowUpKind

    waiting = {kind for kind, entry in KINDS.items() if entry.waits_out_year_end}
    assert waiting == {FollowUpKind.CHECK_IN, FollowUpKind.FINAL}
