"""``gradkata report --html``: the page's structure, its escaping, its charts' data, and a
real rendering in headless Chromium showing that every plot is drawn.

The page is built in-process from hand-made grades (no grading run); the
engine's evidence and the loss curve's subprocess are tested on their own.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import string
import subprocess
from pathlib import Path

import pytest
import torch

from gradkata import check_gradient, cli, status
from gradkata.commands.report import grade_from_results
from gradkata.grading import ExerciseGrade, Grade
from gradkata.report import card, gradescope, html, svg
from gradkata.report.labels import LABELS
from gradkata.report.passrates import read_gradebook
from gradkata.training_curve import TrainingCurve, _train, training_curve

INJECTION = '<script>alert("x")</script><img src=x onerror=alert(1)>'
WRONG = {5, 17, 18, 40}  # elements of the hand-made evidence that are wrong


def evidence(name: str = "x", size: int = 48, wrong=frozenset(WRONG)) -> dict:
    """Per-element values as the engine attaches them: a sine, negated where wrong."""
    numeric = [2 * math.sin(i / 5) for i in range(size)]
    return {"input": name, "kind": "elements", "shape": [6, size // 6], "total": size,
            "indices": list(range(size)), "numeric": numeric,
            "analytic": [-v if i in wrong else v for i, v in enumerate(numeric)],
            "wrong": [i in wrong for i in range(size)], "family": "grad",
            "explanation": f"x: {len(wrong)} of {size} elements wrong."}


def failed(catalog, exercise_id: str, found: dict | None) -> ExerciseGrade:
    ex = catalog.exercise(exercise_id)
    return ExerciseGrade(ex, "failed", ex.points / 2, {"value": "passed", "grad": "failed"},
                         "grad went wrong", "grad", evidence=found)


def passed(catalog, exercise_id: str) -> ExerciseGrade:
    ex = catalog.exercise(exercise_id)
    return ExerciseGrade(ex, "passed", ex.points, {"value": "passed", "grad": "passed"})


def context(lang: str = "en") -> card.CardContext:
    return card.CardContext(version="0", impl_label="exercises", seed=0, profile="dev", lang=lang)


def gradebook_csv(path: Path, catalog, scores: dict[str, list[float]]) -> Path:
    """A gradebook in the batch command's format: one row per submission."""
    ids = list(scores)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *ids, "total", "max_total"])
        for k in range(len(next(iter(scores.values())))):
            row = [scores[i][k] for i in ids]
            maximum = sum(catalog.exercise(i).points for i in ids)
            writer.writerow([f"student{k}", *row, sum(row), maximum])
    return path


# -- the page's structure ---------------------------------------------------------------------

def test_one_plot_per_failed_gradient_check_in_catalogue_order(catalog):
    grade = Grade((passed(catalog, "activations.sigmoid"),
                   failed(catalog, "activations.tanh_backward", evidence("x")),
                   failed(catalog, "activations.relu", None),  # failed, but no gradient check
                   failed(catalog, "losses.mse_loss_backward", evidence("pred"))))
    page = html.page(grade, catalog, context())
    figures = re.findall(r'<figure class="gradcheck" data-exercise="([^"]+)"', page)
    assert figures == ["activations.tanh_backward", "losses.mse_loss_backward"]
    first = page.split('<figure class="gradcheck"')[1]
    assert len(re.findall(r'<circle class="ring"', first)) == len(WRONG)
    numeric = re.search(r'data-label="numeric[^"]*" fill="#1f77b4"><polyline points="([^"]+)"',
                        first).group(1)
    assert len(numeric.split()) == 48
    assert "element (flat index)" in first
    assert "gradient" in first
    assert "x: 4 of 48 elements wrong." in first  # the explanation is the caption


def test_a_page_without_failed_gradient_checks_says_so_in_the_learners_language(catalog):
    grade = Grade((passed(catalog, "activations.sigmoid"),))
    assert LABELS["zh"]["gradchecks_none"] in html.page(grade, catalog, context("zh"))
    assert '<html lang="zh">' in html.page(grade, catalog, context("zh"))


def test_learner_controlled_text_cannot_inject_html(catalog):
    found = evidence(INJECTION)
    found["explanation"] = INJECTION
    bad = failed(catalog, "activations.tanh_backward", found)
    grade = Grade((ExerciseGrade(bad.exercise, "failed", 0.0, bad.checks, INJECTION, "grad",
                                 evidence=found),))
    page = html.page(grade, catalog, context(),
                     training=TrainingCurve(problem="failed", detail=INJECTION))
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 4  # card, title, caption, loss


def test_the_gradebook_chart_shows_each_exercises_share_of_full_marks(catalog, tmp_path):
    path = gradebook_csv(tmp_path / "gradebook.csv", catalog, {
        "activations.sigmoid": [2, 2, 1, 2],  # 3 of 4 full marks (2 points)
        "activations.sigmoid_backward": [0, 2, 2, 0],  # 2 of 4
        "layers.Linear": [3, 1.5, 0, 0],  # 1 of 4 (3 points)
    })
    rates = read_gradebook(path, catalog)
    assert rates.submissions == 4
    assert [(ex.id, rate) for ex, rate in rates.rates] == [
        ("activations.sigmoid", 0.75), ("activations.sigmoid_backward", 0.5),
        ("layers.Linear", 0.25)]
    page = html.page(Grade(()), catalog, context(), gradebook=rates)
    widths = [float(w) for w in re.findall(r'<rect class="bar" [^>]*width="([0-9.]+)"', page)]
    assert widths == [240.0, 160.0, 80.0]  # 320 units is 100 %
    assert "4 submissions" in page


def test_the_training_section_draws_the_losses_or_says_why_not(catalog):
    grade = Grade(())
    drawn = html.page(grade, catalog, context(), training=TrainingCurve((0.7, 0.4, 0.2, 0.1)))
    points = re.search(r'fill="#2ca02c"><polyline points="([^"]+)"', drawn).group(1)
    assert len(points.split()) == 4
    assert "from 0.700 to 0.100" in drawn
    todo = html.page(grade, catalog, context(),
                     training=TrainingCurve(problem="todo", detail="layers.Linear"))
    assert "No curve yet: layers.Linear still raises NotImplementedError." in todo
    assert "<polyline" not in todo.split('id="training"')[1]
    assert 'id="training"' not in html.page(grade, catalog, context())  # --no-training


def test_every_report_label_exists_in_both_languages_with_the_same_placeholders():
    fields = string.Formatter()
    assert set(LABELS["en"]) == set(LABELS["zh"])
    for key, english in LABELS["en"].items():
        names = sorted(f for _, f, _, _ in fields.parse(english) if f)
        assert names == sorted(f for _, f, _, _ in fields.parse(LABELS["zh"][key]) if f), key


def test_ticks_are_round_and_whole_numbers_where_asked():
    assert svg.ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert svg.ticks(-0.1, 2.1, whole=True) == [0.0, 1.0, 2.0]


# -- where the plotted numbers come from -------------------------------------------------------

def test_a_failed_gradient_check_carries_its_per_element_values():
    x = torch.linspace(-3, 3, 1000, dtype=torch.float64)

    def sin_backward_wrong_at_three_elements(g, t):
        grad = g * t.cos()
        grad[[10, 500, 990]] *= 3
        return grad

    with pytest.raises(AssertionError) as caught:
        check_gradient(torch.sin, sin_backward_wrong_at_three_elements, [x], names=["x"],
                       elementwise=True)
    found = caught.value.evidence
    assert (found["input"], found["kind"], found["total"]) == ("x", "elements", 1000)
    assert len(found["indices"]) <= 200  # bounded ...
    flagged = {i for i, bad in zip(found["indices"], found["wrong"], strict=True) if bad}
    assert flagged == {10, 500, 990}  # ... and holding every wrong element
    k = found["indices"].index(500)
    assert found["analytic"][k] == pytest.approx(3 * found["numeric"][k], rel=1e-6)


def test_a_sign_error_is_pictured_whole_and_wrong_everywhere():
    x = torch.randn(4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    w = torch.randn(3, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    def layer(t):
        return (t @ w.T).tanh()

    def layer_backward_with_the_sign_flipped(g, t):
        return -(g * (1 - layer(t) ** 2)) @ w

    with pytest.raises(AssertionError) as caught:  # not elementwise: probe lines, then singles
        check_gradient(layer, layer_backward_with_the_sign_flipped, [x])
    found = caught.value.evidence
    assert found["kind"] == "sign"
    assert found["indices"] == list(range(20))
    assert all(found["wrong"])
    assert found["analytic"] == pytest.approx([-v for v in found["numeric"]], rel=1e-5)


def test_the_evidence_travels_through_the_json_and_the_status_cache(catalog, tmp_path):
    grade = Grade((passed(catalog, "activations.sigmoid"),
                   failed(catalog, "activations.tanh_backward", evidence("x"))))
    document = json.loads(json.dumps(gradescope.results(
        grade, version="0", impl_label="exercises", seed=0, execution_time=0.0)))
    assert document["tests"][1]["extra_data"]["gradcheck"]["input"] == "x"
    assert "gradcheck" not in document["tests"][0]["extra_data"]  # passed: nothing to plot
    again = grade_from_results(document, catalog)
    assert [g.evidence for g in again.exercises] == [None, evidence("x")]  # catalogue order
    assert [g.failed_family for g in again.exercises] == [None, "grad"]
    records = [status.from_record(g.exercise, json.loads(json.dumps(status.record(g))), catalog)
               for g in grade.exercises]
    assert [g.evidence for g in records] == [None, evidence("x")]


def test_the_report_command_writes_the_page_from_a_results_file(catalog, tmp_path, monkeypatch,
                                                                  capsys):
    grade = Grade((failed(catalog, "activations.tanh_backward", evidence("x")),))
    results = tmp_path / "grade.json"
    gradescope.write(gradescope.results(grade, version="0", impl_label="sub", seed=3,
                                        execution_time=0.0), results)
    book = gradebook_csv(tmp_path / "gradebook.csv", catalog, {"activations.sigmoid": [2, 0]})
    out = tmp_path / "site" / "report.html"
    monkeypatch.chdir(catalog.root)
    code = cli.main(["report", "--html", str(out), "--from", str(results), "--gradebook",
                     str(book), "--no-training", "--lang", "en"])
    assert code == 0, capsys.readouterr().err
    page = out.read_text()
    assert page.count('<figure class="gradcheck"') == 1
    assert "grading sub" in page
    assert "seed 3" in page
    assert page.count('<rect class="bar"') == 1
    assert f"wrote {out}" in capsys.readouterr().out


# -- the loss curve ----------------------------------------------------------------------------

def test_the_loss_curve_is_the_implementations_own_and_its_time_is_bounded(catalog, tmp_path):
    assert _train(catalog, catalog.exercises_dir) == TrainingCurve(
        problem="todo", detail="train.train_classifier")  # the stubs, in this process
    fake = tmp_path / "submission"
    fake.mkdir()
    (fake / "train.py").write_text(
        "def train_classifier(X, y, generator=None, **options):\n"
        "    print('noise on stdout')\n"
        "    return None, [float(len(X)) / 1000, 1.0, 0.5]\n")
    assert training_curve(catalog, fake, seconds=120) == TrainingCurve((2.0, 1.0, 0.5))
    (fake / "train.py").write_text(
        "def train_classifier(X, y, **options):\n    while True:\n        pass\n")
    assert training_curve(catalog, fake, seconds=1.5).problem == "timeout"


# -- in a real browser --------------------------------------------------------------------------

PLOT_COLOURS = {"numeric": html.NUMERIC_COLOUR, "yours": html.YOURS_COLOUR,
                "wrong": html.WRONG_COLOUR, "loss": html.LOSS_COLOUR, "bars": html.BAR_COLOUR}


def screenshot(page: str, folder: Path) -> Path:
    """The page as headless Chromium draws it, 1200 x 2400 pixels."""
    source, picture = folder / "page.html", folder / "page.png"
    source.write_text(page, encoding="utf-8")
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--hide-scrollbars", f"--user-data-dir={folder / 'profile'}",
         f"--screenshot={picture}", "--window-size=1200,2400", source.as_uri()],
        check=True, capture_output=True, timeout=90)
    return picture


def colour_rows(picture: Path) -> dict[str, list[int]]:
    """Per plot colour, the row of every pixel of (almost exactly) that colour."""
    from PIL import Image

    image = Image.open(picture).convert("RGB")
    pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    pixels = pixels.reshape(-1, 3).to(torch.int16)
    rows = torch.arange(len(pixels)) // image.size[0]
    found = {}
    for name, colour in PLOT_COLOURS.items():
        target = torch.tensor([int(colour[k:k + 2], 16) for k in (1, 3, 5)], dtype=torch.int16)
        close = (pixels - target).abs().amax(dim=1) <= 12
        found[name] = rows[close].tolist()
    return found


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="headless Chromium is not installed (Debian: apt-get install chromium)")
@pytest.mark.timeout(120)
def test_chromium_draws_every_plot_of_the_page(catalog, tmp_path):
    pytest.importorskip("PIL", reason="pillow reads the screenshot (pip install pillow)")
    book = read_gradebook(gradebook_csv(tmp_path / "gradebook.csv", catalog, {
        "activations.sigmoid": [2, 2, 2, 0], "activations.tanh": [2, 0, 0, 0]}), catalog)

    def page(with_data: bool) -> str:
        found = evidence("x") if with_data else {**evidence("x"), "indices": []}
        curve = TrainingCurve((0.7, 0.35, 0.2, 0.12, 0.1) if with_data else (), None)
        rates = book if with_data else type(book)(4, tuple((ex, 0.0) for ex, _ in book.rates))
        grade = Grade((failed(catalog, "activations.tanh_backward", found),))
        return html.page(grade, catalog, context(), training=curve, gradebook=rates)

    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    drawn = colour_rows(screenshot(page(True), tmp_path / "with"))
    empty = colour_rows(screenshot(page(False), tmp_path / "without"))
    for name in PLOT_COLOURS:  # legends aside, a colour appears only where data is drawn
        assert len(drawn[name]) > len(empty[name]) + 150, (name, len(drawn[name]))
    middle = {name: sorted(rows)[len(rows) // 2] for name, rows in drawn.items()}
    assert middle["numeric"] < middle["loss"] < middle["bars"]  # gradient check, loss, gradebook
    assert abs(middle["yours"] - middle["numeric"]) < 300  # both series in the same plot
