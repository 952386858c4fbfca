"""What kind of work a role is, read from its title, so the candidate's reminders suggest what that field offers:
a nurse sends references and certifications, a teacher a lesson plan, a lawyer a writing sample.

The first family whose keyword appears in the title wins (more specific families come first); an unknown title
gets advice that suits any field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FieldAdvice", "advice_for_role"]


@dataclass(frozen=True)
class FieldAdvice:
    family: str
    # What to offer, as a noun phrase that follows "offer" ("a lesson plan you have taught").
    sample: str
    # The short version for a one-line note to the interviewer ("a sample lesson plan").
    sample_short: str
    # Whether a sample can be "related to" a topic (a code sample can; references and certifications cannot).
    topical: bool = True


_FAMILIES: tuple[tuple[str, tuple[str, ...], FieldAdvice], ...] = (
    (
        "executive",
        (
            "chief",
            "ceo",
            "cfo",
            "coo",
            "cto",
            "cio",
            "cmo",
            "vice president",
            "vp",
            "svp",
            "evp",
            "head of",
            "managing director",
            "executive director",
            "president",
        ),
        FieldAdvice(
            "executive",
            "a short 30-60-90-day plan for the role, or a reference from a board member or former CEO",
            "a 30-60-90-day plan",
            topical=False,
        ),
    ),
    (
        "public_service",
        ("policy", "civil servant", "government", "public sector", "caseworker", "social worker", "officer"),
        FieldAdvice(
            "public_service",
            "a short briefing or policy note you wrote, or a reference from a previous manager",
            "a sample briefing note",
        ),
    ),
    (
        "clinical",
        (
            "nurse",
            "nursing",
            "rn",
            "lpn",
            "physician",
            "doctor",
            "surgeon",
            "pharmacist",
            "therapist",
            "midwife",
            "paramedic",
            "clinician",
            "clinical",
            "dentist",
            "hygienist",
            "radiographer",
            "sonographer",
            "medical",
            "caregiver",
            "care assistant",
            "healthcare assistant",
        ),
        FieldAdvice(
            "clinical",
            "your references and current certifications (licence verification, BLS/ACLS or "
            "the equivalent for your role)",
            "my references and current certifications",
            topical=False,
        ),
    ),
    (
        "legal",
        (
            "lawyer",
            "attorney",
            "counsel",
            "solicitor",
            "barrister",
            "paralegal",
            "legal",
            "associate attorney",
            "law clerk",
            "litigation",
            "law",
            "compliance officer",
        ),
        FieldAdvice(
            "legal", "a short writing sample (a redacted memo or brief you drafted)", "a redacted writing sample"
        ),
    ),
    (
        "finance",
        (
            "analyst",
            "accountant",
            "finance",
            "financial",
            "quant",
            "actuary",
            "auditor",
            "controller",
            "treasury",
            "investment",
            "trader",
            "economist",
        ),
        FieldAdvice(
            "finance", "a short analysis or model you built (with confidential figures removed)", "a sample analysis"
        ),
    ),
    (
        "academic",
        (
            "professor",
            "lecturer",
            "postdoc",
            "postdoctoral",
            "faculty",
            "research fellow",
            "researcher",
            "phd",
            "reader in",
            "dean",
        ),
        FieldAdvice(
            "academic", "a syllabus you have taught, or the slides of your job talk", "a syllabus or my job-talk slides"
        ),
    ),
    (
        "teaching",
        (
            "teacher",
            "teaching",
            "tutor",
            "instructor",
            "educator",
            # Not "principal" alone: a Principal Scientist or Principal Engineer is not a school head.
            "school principal",
            "vice principal",
            "assistant principal",
            "deputy principal",
            "headteacher",
            "sen",
            "curriculum",
        ),
        FieldAdvice(
            "teaching",
            "a lesson plan or unit outline you have taught, with a note on how it went",
            "a sample lesson plan",
        ),
    ),
    (
        # Before design and engineering: a site or civil engineer offers site work, not a code sample.
        "construction",
        (
            "site engineer",
            "site manager",
            "resident engineer",
            "civil",
            "structural",
            "construction",
            "quantity surveyor",
            "geotechnical",
            "building services",
        ),
        FieldAdvice(
            "construction",
            "a method statement or a look-ahead schedule you wrote for a past project (client details removed)",
            "a method statement from a past project",
        ),
    ),
    (
        "process engineering",
        (
            "chemical engineer",
            "process engineer",
            "mechanical engineer",
            "electrical engineer",
            "manufacturing engineer",
            "plant engineer",
            "materials engineer",
            "aerospace engineer",
            "process safety",
        ),
        FieldAdvice(
            "process engineering",
            "a technical report or a design calculation you produced (confidential details removed)",
            "a technical report I wrote",
        ),
    ),
    (
        "design",
        ("designer", "design", "ux", "ui", "creative director", "art director", "illustrator", "architect"),
        FieldAdvice(
            "design",
            "a case study from your portfolio that shows your process, not only the result",
            "a portfolio case study",
        ),
    ),
    (
        "engineering",
        (
            "engineer",
            "developer",
            "programmer",
            "sre",
            "devops",
            "data scientist",
            "machine learning",
            "software",
            "platform",
            "firmware",
            "qa",
            "tester",
            "analyst developer",
        ),
        FieldAdvice(
            "engineering",
            "a code sample or a design document you wrote (public, or with confidential details removed)",
            "a code sample or a design doc",
        ),
    ),
    (
        # After engineering, so a data scientist still offers a code sample.
        "science",
        ("scientist", "chemist", "biologist", "microbiologist", "biochemist", "physicist", "formulation"),
        FieldAdvice(
            "science",
            "a technical report, a paper or a poster you wrote (confidential details removed)",
            "a technical report or paper I wrote",
        ),
    ),
    (
        "sales",
        (
            "sales",
            "account executive",
            "account manager",
            "business development",
            "bdr",
            "sdr",
            "customer success",
            "partnerships",
        ),
        FieldAdvice(
            "sales",
            "a short account or territory plan, or the story of a deal you closed, with numbers",
            "a short territory plan",
            topical=False,
        ),
    ),
    (
        "marketing",
        (
            "marketing",
            "brand",
            "content",
            "copywriter",
            "communications",
            "pr ",
            "public relations",
            "seo",
            "social media",
            "editor",
            "journalist",
            "writer",
        ),
        FieldAdvice("marketing", "a campaign or writing sample with the results it achieved", "a campaign sample"),
    ),
    (
        "operations",
        (
            "store manager",
            "general manager",
            "hotel",
            "venue",
            "retail",
            "operations",
            "logistics",
            "supply chain",
            "warehouse",
            "shift manager",
            "restaurant",
            "hospitality",
            "customer service",
            "assistant manager",
            "manager",
        ),
        FieldAdvice(
            "operations",
            "an example of a result you delivered (a rota, a process you improved, sales or "
            "service figures) and a reference from a recent manager",
            "an example of my results and a reference",
            topical=False,
        ),
    ),
)
_GENERAL = FieldAdvice(
    "general",
    "a relevant example of your work, or a reference who has seen it",
    "an example of my work or a reference",
    topical=False,
)


def advice_for_role(title: str) -> FieldAdvice:
    """The field advice for a job title (`_GENERAL` when no family matches)."""
    lowered = " " + re.sub(r"[^a-z0-9 ]+", " ", title.lower()) + " "
    for _, keywords, advice in _FAMILIES:
        if any(f" {keyword.strip()} " in lowered for keyword in keywords):
            return advice
    return _GENERAL
