"""What the learner's commands share: the grading request, and naming exercises on the command line.

An id, a number (``4.1``), a topic or a bare name (``sigmoid_backward``)
names exercises; a value that names nothing raises :class:`UsageProblem`,
whose message says so in the learner's language (with the closest names).
"""

from __future__ import annotations

from ..catalog import Catalog, Exercise
from ..words import say

STATUS_EXIT_USAGE = 4  # pytest's exit status for a usage error


class UsageProblem(Exception):
    """A command line that names nothing; the message says so in the learner's language."""


def grade_request(args, **changes):
    """The :class:`~gradkata.runner.GradeRequest` of the common grading options, with changes."""
    from ..runner import GradeRequest

    values = dict(impl=args.impl, seed=args.seed, lang=args.lang, profile=args.profile)
    values.update(changes)
    return GradeRequest(**values)


def select_exercises(catalog: Catalog, values: list[str], lang: str) -> tuple[Exercise, ...]:
    """The exercises these ids, numbers or topics name, or UsageProblem."""
    try:
        return catalog.select(values)
    except KeyError:
        value = next(v for v in values if not _matches(catalog, v))
        raise UsageProblem(_unknown(catalog, value, lang)) from None


def one_exercise(catalog: Catalog, value: str, lang: str) -> Exercise:
    """One exercise by id, number or bare name (``sigmoid_backward``)."""
    by_name = [ex for ex in catalog.exercises if ex.name == value]
    if len(by_name) == 1:
        return by_name[0]
    chosen = select_exercises(catalog, [value], lang)
    if len(chosen) != 1:
        raise UsageProblem(say(lang, "not_one_exercise", value=value, example=chosen[0].number))
    return chosen[0]


def _matches(catalog: Catalog, value: str) -> bool:
    return any(value in (ex.id, ex.number, ex.topic) for ex in catalog.exercises)


def _unknown(catalog: Catalog, value: str, lang: str) -> str:
    import difflib

    names = [ex.id for ex in catalog.exercises] + [t.name for t in catalog.topics]
    bare = difflib.get_close_matches(value, [ex.name for ex in catalog.exercises], n=5, cutoff=0.6)
    close = [ex.id for ex in catalog.exercises if ex.name in bare] or \
        difflib.get_close_matches(value, names, n=5, cutoff=0.5)
    hint = say(lang, "did_you_mean", names=", ".join(close)) if close else ""
    return say(lang, "unknown_exercise", value=value, close=hint)
