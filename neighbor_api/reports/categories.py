"""Report categories as data: each category's labels (zh-CN and en), description and the
questions (Open311-style attributes) a report of it answers. The catalogue is package data
(`fixtures/report_categories.json`), the same for every community today; the category enum
stays the top level."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any

from neighbor_api.core.errors import Problem, invalid
from neighbor_api.core.i18n import Locale, Localized
from neighbor_api.reports.models import Answer, ReportCategory

CATALOGUE = files("neighbor_api") / "fixtures" / "report_categories.json"
MAX_ANSWERS = 20
MAX_ANSWER_LENGTH = 500


class QuestionKind(StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    SINGLE_CHOICE = "SINGLE_CHOICE"
    BOOLEAN = "BOOLEAN"


@dataclass(frozen=True)
class Question:
    key: str
    labels: dict[Locale, str]
    kind: QuestionKind
    required: bool
    options: tuple[str, ...]


@dataclass(frozen=True)
class CategoryInfo:
    category: ReportCategory
    labels: dict[Locale, str]
    descriptions: dict[Locale, str]
    questions: tuple[Question, ...]


def _labels(raw: dict[str, str]) -> dict[Locale, str]:
    return {Locale(k): v for k, v in raw.items()}


@cache
def catalogue() -> tuple[CategoryInfo, ...]:
    """Every category, in the enum's order (checked: each exactly once)."""
    data: dict[str, Any] = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    found = {
        ReportCategory(c["category"]): CategoryInfo(
            category=ReportCategory(c["category"]),
            labels=_labels(c["label"]),
            descriptions=_labels(c["description"]),
            questions=tuple(
                Question(
                    key=q["key"],
                    labels=_labels(q["label"]),
                    kind=QuestionKind(q["kind"]),
                    required=bool(q["required"]),
                    options=tuple(q["options"]),
                )
                for q in c["questions"]
            ),
        )
        for c in data["categories"]
    }
    if set(found) != set(ReportCategory) or len(found) != len(data["categories"]):
        raise ValueError("report_categories.json must describe every category exactly once")
    return tuple(found[c] for c in ReportCategory)


def info(category: ReportCategory) -> CategoryInfo:
    return next(c for c in catalogue() if c.category is category)


def _valid(question: Question, value: str) -> str | None:
    """The catalogue key of what is wrong with `value`, else None."""
    if question.kind is QuestionKind.NUMBER:
        try:
            number = float(value)
        except ValueError:
            return "report.answer_number"
        return None if math.isfinite(number) else "report.answer_number"
    if question.kind is QuestionKind.BOOLEAN:
        return None if value in ("true", "false") else "report.answer_boolean"
    if question.kind is QuestionKind.SINGLE_CHOICE:
        return None if value in question.options else "report.answer_choice"
    return None


def check_answers(
    category: ReportCategory, answers: Sequence[Answer] | None
) -> tuple[list[Answer], list[Problem]]:
    """The answers kept (trimmed, in the questions' order) and every problem with them, each
    on its own field. `None` (a client of the first edition, which knows no questions) answers
    nothing and is not asked for the required ones."""
    if answers is None:
        return [], []
    questions = {q.key: q for q in info(category).questions}
    problems: list[Problem] = []
    kept: dict[str, str] = {}
    if len(answers) > MAX_ANSWERS:
        return [], [invalid(("input", "answers"), "report.answers_too_many", max=MAX_ANSWERS)]
    for index, answer in enumerate(answers):
        field = ("input", "answers", str(index))
        question = questions.get(answer.key)
        value = answer.value.strip()
        if question is None:
            problems.append(invalid((*field, "key"), "report.answer_unknown", key=answer.key))
        elif answer.key in kept:
            problems.append(invalid((*field, "key"), "report.answer_repeated", key=answer.key))
        elif len(value) > MAX_ANSWER_LENGTH:
            problems.append(invalid((*field, "value"), "text.too_long", max=MAX_ANSWER_LENGTH))
        elif value and (wrong := _valid(question, value)) is not None:
            options = "、".join(question.options)
            problems.append(invalid((*field, "value"), wrong, options=options))
        elif value:
            kept[answer.key] = value
    answered = {a.key for a in answers if a.value.strip()}
    for question in questions.values():
        if question.required and question.key not in answered:
            problems.append(
                invalid(
                    ("input", "answers"),
                    "report.answer_required",
                    question=Localized(question.labels),
                )
            )
    ordered = [Answer(key=k, value=kept[k]) for k in questions if k in kept]
    return ordered, problems
