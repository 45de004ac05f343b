"""The grade card printed at the end of every grading run.

Renders a :class:`~gradkata.grading.Grade` as lines of text with a colour
hint each; the plugin writes them. Nothing here computes a grade.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog
from ..grading import ExerciseGrade, Grade
from ..messages import render as in_language
from .labels import labels_for

STATE_COLOURS = {
    "passed": "green",
    "failed": "red",
    "todo": "yellow",
    "error": "red",
    "missing": "red",
}
EXPLANATION_LINES = 2


@dataclass(frozen=True)
class CardLine:
    text: str
    colour: str | None = None
    bold: bool = False


@dataclass(frozen=True)
class CardContext:
    """What the card says about the run besides the grade."""

    version: str
    impl_label: str
    seed: int
    profile: str
    lang: str = "en"
    stopped_early: bool = False
    next_location: tuple[Path, int | None] | None = None  # file and line of "next up"
    bars: bool = False  # a progress bar on each topic's line (gradkata status)


def render(grade: Grade, catalog: Catalog, context: CardContext) -> list[CardLine]:
    words = labels_for(context.lang)
    lines = [
        CardLine(f"gradkata {context.version} · {words['grading']} {context.impl_label}", bold=True)
    ]
    for topic in catalog.topics:
        graded = [g for g in grade.exercises if g.exercise.topic == topic.name]
        if graded:
            lines += _topic_block(topic, graded, words, context.bars, context.lang)
    lines.append(
        CardLine(
            f"{words['total']} {_points(grade.score)} / {_points(grade.max_score)} · "
            f"{grade.passed}/{len(grade.exercises)} {words['exercises_passed']}",
            bold=True,
        )
    )
    lines.append(_next_up_line(grade, context, words))
    lines.append(CardLine(f"{words['seed']} {context.seed} · {words['profile']} {context.profile}"))
    if context.stopped_early:
        lines.append(CardLine(words["stopped_early"], "yellow"))
    return lines


def _topic_block(topic, graded: list[ExerciseGrade], words, bars: bool = False,
                 lang: str = "en") -> list[CardLine]:
    score = sum(g.score for g in graded)
    most = sum(g.exercise.points for g in graded)
    bar = f"{progress_bar(sum(g.state == 'passed' for g in graded), len(graded))}  " if bars else ""
    lines = [
        CardLine(
            f"{topic.number} {topic.name} — {topic.title}  {bar}{_points(score)} / {_points(most)}",
            bold=True,
        )
    ]
    shared = {g.output for g in graded if g.state in ("error", "missing")}
    module_problem = len(graded) > 1 and all(g.state in ("error", "missing") for g in graded)
    if module_problem and len(shared) == 1:
        lines.append(CardLine(f"    {in_language(shared.pop(), lang)}", "red"))
    for g in graded:
        lines.append(CardLine(_exercise_line(g, words), STATE_COLOURS[g.state]))
        if g.state == "failed":
            lines += _explanation(g, lang)
        elif g.state in ("error", "missing") and not module_problem:
            lines.append(CardLine(f"         {in_language(g.output, lang)}", "red"))
    return lines


def _exercise_line(g: ExerciseGrade, words) -> str:
    state = words[g.state]
    extra = f"  ({words['blocked_by']} {g.blocked_by.number})" if g.blocked_by else ""
    return (
        f"  {g.exercise.number:<6}{g.exercise.id:<38}{state:<9}"
        f"{_points(g.score):>5} / {_points(g.exercise.points)}{extra}"
    )


def _explanation(g: ExerciseGrade, lang: str = "en") -> list[CardLine]:
    """The first lines of the failed check's explanation, in the card's language."""
    output = in_language(g.output, lang)
    text = [line for line in output.splitlines() if line.strip()][:EXPLANATION_LINES]
    first = f"         {g.failed_family}: {text[0] if text else ''}"
    rest = [CardLine(" " * (11 + len(g.failed_family or "")) + line) for line in text[1:]]
    return [CardLine(first), *rest]


def _next_up_line(grade: Grade, context: CardContext, words) -> CardLine:
    nxt = grade.next_up()
    if nxt is None:
        return CardLine(words["all_done"], "green", bold=True)
    where = ""
    if context.next_location is not None:
        path, line = context.next_location
        where = f" — {_relative(path)}" + (f":{line}" if line else "")
    return CardLine(
        f"{words['next_up']}{words['colon']}{nxt.exercise.number} {nxt.exercise.id}{where}",
        "yellow",
        bold=True,
    )


def _relative(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def progress_bar(done: int, total: int, width: int = 14) -> str:
    """``████████░░░░░░ 3/6`` (``#`` and ``-`` where stdout cannot show blocks)."""
    full, empty = ("█", "░") if _can_encode("█░") else ("#", "-")
    filled = round(width * done / total) if total else 0
    return f"{full * filled}{empty * (width - filled)} {done}/{total}"


def _can_encode(text: str) -> bool:
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _points(value: float) -> str:
    return f"{value:.1f}"
