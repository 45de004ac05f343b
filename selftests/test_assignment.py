"""The assignment file: parsing, validation that names the line and key, and applying it."""

from __future__ import annotations

import copy
import re

import pytest

from gradkata.assignment import Assignment, AssignmentError, Override, apply, load_assignment

from .conftest import ROOT

FULL = """\
exercises = ["activations", "5.1"]
visibility = "after_due_date"
output = "Homework 2"

[exercise."activations.sigmoid"]
points = 5
visibility = "visible"

[exercise."losses.mse_loss"]
points = 1.5
"""


def load(tmp_path, catalog, text: str) -> Assignment:
    path = tmp_path / "assignment.toml"
    path.write_text(text)
    return load_assignment(path, catalog)


def test_a_full_assignment_file_reads_into_its_settings(tmp_path, catalog):
    assignment = load(tmp_path, catalog, FULL)
    assert assignment.exercises == ("activations", "5.1")
    assert assignment.visibility == "after_due_date"
    assert assignment.output == "Homework 2"
    assert assignment.overrides == {
        "activations.sigmoid": Override(points=5.0, visibility="visible"),
        "losses.mse_loss": Override(points=1.5)}


def test_the_example_at_the_course_root_is_valid_commented_and_uncommented(tmp_path, catalog):
    example = ROOT / "assignment.toml"
    assert load_assignment(example, catalog) == Assignment()
    settings = re.compile(r"^# (\w+ = |\[)")
    uncommented = "\n".join(line[2:] if settings.match(line) else line
                            for line in example.read_text().splitlines())
    assignment = load(tmp_path, catalog, uncommented)
    assert assignment.exercises
    assert assignment.visibility
    assert assignment.output
    assert assignment.overrides, "the example's per-exercise tables parse too"


@pytest.mark.parametrize(("text", "line", "words"), [
    ('visibility = "hidden"\nexercises = ["activations"]\npointz = 3\n', 3,
     ["unknown key 'pointz'"]),
    ('exercises = ["activations.sigmod"]\n', 1, ["activations.sigmoid"]),
    ('exercises = "activations"\n', 1, ["must be a list"]),
    ('\nvisibility = "secret"\n', 2, ["'secret'", "after_published"]),
    ('[exercise."activations.sigmod"]\npoints = 2\n', 1,
     ["no exercise id 'activations.sigmod'", "did you mean activations.sigmoid"]),
    ('exercises = ["losses"]\n\n[exercise."activations.relu"]\npoints = 2\n', 3,
     ["'exercises' does not select it"]),
    ('[exercise."activations.relu"]\npoints = -1\n', 2, ["points must be a number >= 0"]),
    ('[exercise."activations.relu"]\npoints = "ten"\n', 2, ["points must be a number"]),
    ('[exercise."activations.relu"]\nvisible = true\n', 2, ["unknown key 'visible'"]),
    ('[exercise."activations.relu"]\nvisibility = "later"\n', 2, ["'later'"]),
    ('output = 3\n', 1, ["'output' must be a string"]),
    ('\nvisibility = hidden\n', 2, ["Invalid value", "line 2"]),  # a TOML syntax error
])
def test_a_mistake_is_reported_with_the_file_line_and_key(tmp_path, catalog, text, line, words):
    with pytest.raises(AssignmentError) as caught:
        load(tmp_path, catalog, text)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "assignment.toml"))
    if "line 2" not in words:  # tomllib names the line itself
        assert message.startswith(f"{tmp_path / 'assignment.toml'}:{line}:"), message
    for word in words:
        assert word in message


def test_a_missing_file_is_an_error_naming_it(tmp_path, catalog):
    with pytest.raises(AssignmentError, match=r"nope\.toml"):
        load_assignment(tmp_path / "nope.toml", catalog)


def results(*tests: tuple[str, float, float]) -> dict:
    return {
        "score": sum(score for _, score, _ in tests), "execution_time": 1.0,
        "output": "gradkata 0.1.0: 1/3 exercises passed", "extra_data": {"seed": 0},
        "tests": [{"name": name, "score": score, "max_score": top, "status": "passed"}
                  for name, score, top in tests]}


def test_points_scale_each_score_and_the_total_stays_their_sum():
    document = results(("activations.sigmoid", 2.0 / 3.0, 2.0), ("activations.relu", 2.0, 2.0),
                       ("losses.mse_loss", 0.0, 0.0))
    assignment = Assignment(overrides={"activations.sigmoid": Override(points=5),
                                       "losses.mse_loss": Override(points=3)})
    applied = apply(assignment, document)
    scores = [(t["score"], t["max_score"]) for t in applied["tests"]]
    assert scores == [(1.6667, 5), (2.0, 2.0), (0.0, 3)]
    assert applied["score"] == 3.6667


def test_visibility_defaults_and_overrides_and_the_output_goes_first():
    document = results(("activations.sigmoid", 2.0, 2.0), ("activations.relu", 2.0, 2.0))
    assignment = Assignment(visibility="hidden", output="Homework 2\n",
                            overrides={"activations.relu": Override(visibility="visible")})
    applied = apply(assignment, document)
    assert applied["visibility"] == "hidden"
    assert [t["visibility"] for t in applied["tests"]] == ["hidden", "visible"]
    assert applied["output"] == "Homework 2\n\ngradkata 0.1.0: 1/3 exercises passed"


def test_an_empty_assignment_changes_nothing():
    document = results(("activations.sigmoid", 1.0, 2.0), ("activations.relu", 2.0, 2.0))
    assert apply(Assignment(), copy.deepcopy(document)) == document
