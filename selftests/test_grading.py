"""Outcomes -> states -> points, and the catalogue those rest on."""

from __future__ import annotations

import pytest

from gradkata.catalog import CatalogError, load_catalog
from gradkata.grading import CheckOutcome, grade, grade_exercise

SIGMOID, BACKWARD = "activations.sigmoid", "activations.sigmoid_backward"


def outcome(exercise, family, result, explanation="", origins=()):
    return CheckOutcome(exercise, family, f"test[{family}]", result, explanation, origins)


def test_every_family_passing_scores_full_points(catalog):
    exercise = catalog.exercise(SIGMOID)
    graded = grade_exercise(
        exercise, [outcome(SIGMOID, f, "passed") for f in ("value", "guard")], catalog
    )
    assert (graded.state, graded.score, graded.output) == ("passed", 2.0, "")
    assert graded.checks == {"value": "passed", "guard": "passed"}


def test_partial_credit_is_the_share_of_families_that_passed(catalog):
    exercise = catalog.exercise(SIGMOID)
    results = [
        outcome(SIGMOID, "value", "passed"),
        outcome(SIGMOID, "value", "failed", "wrong"),
        outcome(SIGMOID, "guard", "passed"),
        outcome(SIGMOID, "purity", "passed"),
        outcome(SIGMOID, "dtype", "passed"),
    ]
    graded = grade_exercise(exercise, results, catalog)
    assert (graded.state, graded.score, graded.output) == ("failed", 1.5, "wrong")
    assert graded.failed_family == "value"


def test_a_skipped_family_gives_its_share_to_the_others(catalog):
    exercise = catalog.exercise(SIGMOID)
    results = [
        outcome(SIGMOID, "value", "passed"),
        outcome(SIGMOID, "device", "skipped"),
        outcome(SIGMOID, "guard", "failed", "forbidden"),
    ]
    graded = grade_exercise(exercise, results, catalog)
    assert graded.score == 1.0
    assert graded.checks == {"value": "passed", "device": "skipped", "guard": "failed"}


def test_todo_names_the_exercise_that_blocks_it(catalog):
    exercise = catalog.exercise(BACKWARD)
    blocked = grade_exercise(
        exercise, [outcome(BACKWARD, "grad", "todo", origins=(SIGMOID, BACKWARD))], catalog
    )
    assert (blocked.state, blocked.score, blocked.checks) == ("todo", 0.0, {})
    assert blocked.output.startswith("blocked by 4.1")
    own = grade_exercise(
        exercise, [outcome(BACKWARD, "grad", "todo", origins=(BACKWARD,))], catalog
    )
    assert own.blocked_by is None
    assert "raises NotImplementedError" in own.output


def test_a_module_problem_scores_zero_with_its_reason(catalog):
    graded = grade_exercise(
        catalog.exercise(SIGMOID),
        [outcome(SIGMOID, "value", "passed")],
        catalog,
        problem=("error", "activations.py could not be imported"),
    )
    assert (graded.state, graded.score, graded.checks) == ("error", 0.0, {})


@pytest.mark.parametrize(
    ("state_outcome", "strict", "status"),
    [("passed", False, 0), ("failed", False, 1), ("todo", False, 0), ("todo", True, 1)],
)
def test_exit_status_follows_the_spec(catalog, state_outcome, strict, status):
    result = grade(
        [catalog.exercise(SIGMOID)], [outcome(SIGMOID, "value", state_outcome)], catalog, {}
    )
    assert result.exit_status(require_complete=strict) == status


def test_exercise_numbers_follow_catalogue_order(catalog):
    numbers = [ex.number for ex in catalog.topic("activations").exercises]
    assert numbers[:3] == ["4.1", "4.2", "4.3"]
    assert numbers[-1] == "4.14"


def test_selection_accepts_ids_numbers_and_topics_and_suggests_close_matches(catalog):
    assert [ex.id for ex in catalog.select(["4.2", SIGMOID])] == [SIGMOID, BACKWARD]
    assert len(catalog.select(["activations"])) == 14
    with pytest.raises(KeyError, match=r"Did you mean: activations\.softmax_backward"):
        catalog.select(["softmax_backwrd"])


def test_a_malformed_catalogue_is_a_clear_error(tmp_path):
    path = tmp_path / "catalog.toml"
    path.write_text("[[topic]]\nname = 'x'\n")
    with pytest.raises(CatalogError, match="bad topic entry 'x'"):
        load_catalog(path)


def test_the_card_speaks_chinese_when_asked(catalog):
    from gradkata.report.card import CardContext, render

    result = grade(
        [catalog.exercise(SIGMOID), catalog.exercise(BACKWARD)],
        [outcome(SIGMOID, "value", "passed"), outcome(BACKWARD, "grad", "failed", "sign error")],
        catalog,
        {},
    )
    lines = [
        line.text for line in render(result, catalog, CardContext("0", "exercises", 0, "dev", "zh"))
    ]
    assert any("activations.sigmoid" in line and "通过" in line for line in lines)
    assert any(line.strip() == "grad: sign error" for line in lines)
    assert any(line.startswith("下一个：4.2 activations.sigmoid_backward") for line in lines)


def test_its_own_stub_outranks_a_blocking_one(catalog):
    """Both stubs: 4.2 is todo on its own account, not "blocked by 4.1"."""
    results = [
        outcome(BACKWARD, "grad", "todo", origins=(SIGMOID, BACKWARD)),
        outcome(BACKWARD, "value", "todo", origins=(BACKWARD,)),
    ]
    graded = grade_exercise(catalog.exercise(BACKWARD), results, catalog)
    assert graded.blocked_by is None
    assert graded.state == "todo"
