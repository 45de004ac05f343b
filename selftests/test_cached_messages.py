"""A card drawn from ``gradkata status``'s cache speaks whichever language is asked for.

The cache (``.gradkata/status.json``) keeps each explanation as a message --
its catalogue key and fields (:func:`gradkata.messages.to_data`) -- not as the
English it reads as, so ``--lang zh`` after an English run shows Chinese. One
real grading of a scratch course (1.2 outer transposed: a wrong shape) is
shared by the command tests; the rest run in this process on messages alone.
"""

# ruff: noqa: RUF001 - full-width punctuation is correct in Chinese text

from __future__ import annotations

import json
import math
import re

import pytest
import torch

from gradkata import cli, status
from gradkata.checks.gradcheck import GradientCheckError, check_gradient
from gradkata.grading import ExerciseGrade
from gradkata.messages import Joined, Message, from_data, render, to_data
from gradkata.report import html
from gradkata.report.labels import labels_for

from .course_copy import PROFILE, replace_definition, scratch_course

TRANSPOSED_OUTER = "def outer(u, v):\n    return v[:, None] * u[None, :]\n"
ENGLISH = re.compile(r"value: outer\(u, v\) returned shape \(\d+, \d+\), expected \(\d+, \d+\)")
CHINESE = re.compile(r"value: outer\(u, v\) 返回的形状是 \(\d+, \d+\)，应为 \(\d+, \d+\)")


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A course graded once (``gradkata status --lang en``): 1.2 outer failed, in the cache."""
    folder = scratch_course(tmp_path_factory.mktemp("course"), ("tensors",),
                            {"tensors": {"matmul"}})
    module = folder / "exercises" / "tensors.py"
    module.write_text(replace_definition(module.read_text(), "outer", TRANSPOSED_OUTER))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        assert cli.main(["status", "--lang", "en", "--hypothesis-profile", PROFILE]) == 0
    return folder


@pytest.fixture
def course(graded_course, monkeypatch):
    """The graded course, its cache put back as it was after each test; grading forbidden."""
    monkeypatch.chdir(graded_course)
    cache = graded_course / status.STATE_DIR / status.CACHE_FILE
    kept = cache.read_text(encoding="utf-8")
    monkeypatch.setattr(status, "grade", lambda *a, **k: pytest.fail("graded again"))
    yield graded_course
    cache.write_text(kept, encoding="utf-8")


def status_card(capsys, lang: str) -> str:
    code = cli.main(["status", "--lang", lang, "--hypothesis-profile", PROFILE])
    out = capsys.readouterr().out
    assert code == 0
    return out


def test_a_cached_failure_is_explained_in_the_language_asked_for(course, capsys):
    chinese = status_card(capsys, "zh")
    assert CHINESE.search(chinese), chinese
    assert not ENGLISH.search(chinese)
    english = status_card(capsys, "en")
    assert ENGLISH.search(english), english
    assert not CHINESE.search(english)
    kept = json.loads((course / status.STATE_DIR / status.CACHE_FILE).read_text("utf-8"))
    assert kept["exercises"]["tensors.outer"]["output"]["key"] == "values.wrong_shape"


def test_the_html_report_from_the_cache_is_in_chinese_too(course, capsys):
    page = course / "report.html"
    code = cli.main(["report", "--html", str(page), "--no-training", "--lang", "zh",
                     "--hypothesis-profile", PROFILE])
    capsys.readouterr()
    assert code == 0
    assert CHINESE.search(page.read_text(encoding="utf-8"))


def test_a_key_the_catalogues_no_longer_hold_shows_the_english_it_was_kept_with(
        course, capsys):
    cache = course / status.STATE_DIR / status.CACHE_FILE
    data = json.loads(cache.read_text(encoding="utf-8"))
    output = data["exercises"]["tensors.outer"]["output"]
    output["key"] = "values.renamed_since"  # an older harness's key
    data["exercises"]["tensors.l1_norm"]["output"] = "l1_norm: written by an older cache"
    cache.write_text(json.dumps(data), encoding="utf-8")
    chinese = status_card(capsys, "zh")
    assert f"value: {output['text']}" in chinese
    assert ENGLISH.search(chinese)


# -- in this process: messages as data ------------------------------------------------

def kept(value):
    """``value`` through the cache: to data, through strict JSON, and back."""
    return from_data(json.loads(json.dumps(to_data(value), allow_nan=False)))


def test_nested_messages_and_their_fields_come_back_in_every_language():
    where = Message("outcomes.in_function", name="sigmoid", file="activations.py", line=12)
    raised = Message("outcomes.your_code_raised", error="ValueError: no", where=where)
    nan = Message("training.does_not_follow", what="lr(t)", rule="the schedule", how="",
                  at=(3,), got=math.nan, want=-math.inf)
    complex_power = Message(  # a real explanation: Python's float ** gives a complex number
        "autograd.returned", what="Value(-1.0) ** 0.5", data=complex(6e-17, 1.0),
        expected="ValueError",
        because=Message("autograd.because", why=Message("tests_autograd.no_real_result")))
    for text in (raised, nan, complex_power, Joined((raised, nan)), "a course author's words"):
        back = kept(text)
        assert [render(back, lang) for lang in ("en", "zh")] == \
            [render(text, lang) for lang in ("en", "zh")]
    assert render(kept(raised), "zh") != str(raised)  # Chinese, not the English kept
    assert render(kept(complex_power), "zh") != str(complex_power)


def test_a_field_only_str_can_describe_keeps_the_english_rather_than_break():
    # str(tensor) reads "tensor(0.5000)": formatted with {got:.6g} it would fail to render
    text = Message("training.does_not_follow", what="lr(t)", rule="r", how="",
                   at=(1,), got=torch.tensor(0.5), want=0.25)
    assert to_data(text) == str(text)
    assert kept(text) == str(text)


@pytest.mark.parametrize("damage", [
    {"key": "values.no_such_key"},
    {"fields": {}},  # placeholders missing: a catalogue that changed its fields
    {"fields": None},
])
def test_a_damaged_or_outdated_message_falls_back_to_its_english(damage):
    data = to_data(Message("values.wrong_shape", what="f(x)", shape=(2,), expected=(3,)))
    back = from_data({**data, **damage})
    assert back == data["text"]
    assert render(back, "zh") == data["text"]


def test_a_gradient_checks_caption_from_the_cache_is_rendered_in_chinese(catalog):
    with pytest.raises(GradientCheckError) as caught:
        check_gradient(torch.sin, lambda g, x: -g * torch.cos(x),  # a sign error
                       [torch.linspace(-1.0, 1.0, 6, dtype=torch.float64)], elementwise=True)
    error = caught.value
    assert error.evidence is not None
    exercise = catalog.exercises[0]
    graded = ExerciseGrade(exercise, "failed", 0.0, {"grad": "failed"}, error.message, "grad",
                           evidence={**error.evidence, "family": "grad",
                                     "explanation": error.message})
    data = json.loads(json.dumps(status.record(graded), allow_nan=False))
    back = status.from_record(exercise, data, catalog)
    assert back.evidence["indices"] == error.evidence["indices"]
    figure = html.gradcheck_figure(back, labels_for("zh"), "zh")
    caption = render(error.message, "zh").splitlines()[0]
    assert caption != str(error.message).splitlines()[0]
    assert html.svg.escape(caption) in figure

