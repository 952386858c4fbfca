"""Print every message a plan would send for one or more interview files, as a reader would see them, with the
linter's findings and the intake warnings: `python tools/read_messages.py tests/craft/corpus/*.json`."""

from __future__ import annotations

import json
import sys
from datetime import UTC

from followup.domain.cadence import plan_follow_ups
from followup.domain.models import InterviewRequest
from followup.messages.intake import input_warnings
from followup.messages.lint import lint_plan
from followup.messages.render import render_follow_up


def main(paths: list[str]) -> None:
    for path in paths:
        with open(path, encoding="utf-8") as file:
            request = InterviewRequest.model_validate(json.load(file))
        submitted = request.interview.ended_at.astimezone(UTC)
        plan = plan_follow_ups(request, submitted)
        print("#" * 100)
        print(path, "| tone:", request.preferences.tone)
        for warning in input_warnings(request):
            print("  WARNING:", warning)
        findings = lint_plan(request, plan)
        for follow_up in plan.follow_ups:
            message = render_follow_up(request, follow_up)
            print("-" * 100)
            print(f"[{follow_up.id}] to {follow_up.to_name} at {follow_up.local_due_at():%a %Y-%m-%d %H:%M}")
            print("Subject:", message.subject)
            print(message.text)
            for finding in findings.get(follow_up.id, []):
                print(f"  >> {finding.severity.upper()} {finding.rule}: {finding.message}")


if __name__ == "__main__":
    main(sys.argv[1:])
