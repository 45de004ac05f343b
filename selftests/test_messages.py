"""Every explanation of a failed check speaks English and Chinese, from complete catalogues.

The catalogues (``gradkata/messages/en.toml``, ``zh.toml``) hold one template
per key; these tests check that both hold the same keys with the same
placeholders, that every Chinese entry is Chinese and not a copy of its
English twin, that gradkata's own checks never raise a bare English string,
and that reports render a message in the language asked for. That the
explanations of real mistakes come out in Chinese is checked where those
mistakes are graded: ``test_known_wrong.py`` renders each one with
:func:`english_left_in`.
"""

# ruff: noqa: RUF001, RUF003 - full-width punctuation is correct in Chinese text

from __future__ import annotations

import ast
import pickle
import re
import string
from pathlib import Path

import pytest

from gradkata.catalog import Exercise
from gradkata.checks.failure import CheckFailure
from gradkata.grading import ExerciseGrade, Grade
from gradkata.messages import LANGUAGES, Joined, Message, catalogue, render
from gradkata.report import card, gradescope

from .conftest import ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")
# Chinese text: ideographs, or Chinese punctuation alone in a pure-format entry ("{a}：{b}").
CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]|——")
# What a Chinese rendering may quote untranslated: code in backticks, the learner's or
# Python's own words in quotes (an exception's message, a repr).
QUOTED = re.compile(r"`[^`]*`|“[^”]*”|\"[^\"]*\"|'[^']*'")
# An English word standing alone: not part of a dotted, called or indexed name (torch.zeros,
# zeros_like(x), grads[0]), which is code.
WORD = r"(?<![\w.\[(/-])[A-Za-z]{2,}(?![\w.(\[/-])"
ENGLISH_RUN = re.compile(rf"{WORD}(?:[,;]? +{WORD}){{3,}}")
SCANNED = ("gradkata", "tests")
KEY = re.compile(r"^[a-z_]+\.[a-z_]+$")


def english_left_in(text: str) -> list[str]:
    """Runs of four or more English words outside quotes and backticks: untranslated prose."""
    return ENGLISH_RUN.findall(QUOTED.sub(" ", text))


def fields_of(template: str) -> set[tuple[str, str | None, str]]:
    """The ``{name!conversion:spec}`` fields of a template, as a set."""
    return {(name, conversion, spec or "")
            for _, name, spec, conversion in string.Formatter().parse(template)
            if name is not None}


def python_files():
    for folder in SCANNED:
        yield from sorted((ROOT / folder).rglob("*.py"))


# -- the catalogues ----------------------------------------------------------------------


def test_both_catalogues_hold_the_same_keys():
    english, chinese = catalogue("en"), catalogue("zh")
    assert sorted(english.keys() - chinese.keys()) == [], "keys missing from zh.toml"
    assert sorted(chinese.keys() - english.keys()) == [], "keys missing from en.toml"
    assert len(english) > 150


def test_every_chinese_entry_is_chinese_and_not_a_copy_of_its_twin():
    english, chinese = catalogue("en"), catalogue("zh")
    for key, text in chinese.items():
        assert CHINESE.search(text), f"{key}: zh has no Chinese text: {text!r}"
        assert text != english[key], f"{key}: zh repeats the English"
        assert not CJK.search(english[key]), f"{key}: en holds Chinese"


def test_twins_use_the_same_placeholders():
    english, chinese = catalogue("en"), catalogue("zh")
    for key, text in english.items():
        assert fields_of(text) == fields_of(chinese[key]), key


def test_no_chinese_template_leaves_an_english_sentence():
    for key, text in catalogue("zh").items():
        assert english_left_in(text) == [], f"{key}: {text}"


def test_the_english_rule_catches_english_and_spares_code():
    assert english_left_in("你的 backward 返回了 2 个梯度，but there is one input")
    assert english_left_in(str(Message("values.wrong_dtype", what="f(x)", dtype="torch.float32",
                                       expected="torch.float64")))
    assert not english_left_in("请使用 torch.zeros_like(x)、x.new_zeros(...) 或 device=x.device")
    assert not english_left_in("你的代码抛出了“TypeError: unsupported operand type for +”")


def test_every_key_in_the_catalogue_is_used_and_every_key_used_exists():
    """Keys are written as string literals (``Message("values.not_tensor", ...)``, or one
    of two literals in a conditional), so a scan of the source finds them all."""
    literals = set()
    used = set()
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Message"
                    and node.args):
                used |= {n.value for n in ast.walk(node.args[0])
                         if isinstance(n, ast.Constant) and isinstance(n.value, str)
                         and KEY.match(n.value)}
    known = catalogue("en")
    assert sorted(used - known.keys()) == [], "Message keys missing from the catalogues"
    assert sorted(k for k in known if k not in literals) == [], "catalogue keys never used"


def test_no_check_of_ours_raises_a_bare_string():
    """A plain str (or f-string) given to CheckFailure reads English in every language."""
    offenders = []
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                        "CheckFailure", "GradientCheckError")
                    and node.args and _is_plain_text(node.args[0])):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "CheckFailure given plain text instead of a Message"


def _is_plain_text(node: ast.expr) -> bool:
    if isinstance(node, ast.IfExp):
        return _is_plain_text(node.body) or _is_plain_text(node.orelse)
    if isinstance(node, ast.BinOp):
        return _is_plain_text(node.left) or _is_plain_text(node.right)
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "str":
        return True
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str))


def test_the_scan_finds_a_bare_string(tmp_path):
    tree = ast.parse('raise CheckFailure(f"{what} is wrong")\nraise CheckFailure(Message("a.b"))')
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.args
             and getattr(n.func, "id", None) == "CheckFailure"]
    assert [_is_plain_text(c.args[0]) for c in calls] == [True, False]


# -- messages ---------------------------------------------------------------------------------


def test_a_message_is_its_english_and_renders_nested_fields_in_the_same_language():
    inner = Message("values.at_index", index=(1, 2))
    message = Message("values.differs", what="f(x)", reference="torch.f", count=1, total=4,
                      at=inner, yours="2", expected="3")
    assert message == ("f(x) differs from torch.f at 1 of 4 element(s); worst at index (1, 2): "
                       "yours 2, expected 3")
    chinese = render(message, "zh")
    for kept in ("索引 (1, 2)", "f(x)", "torch.f"):
        assert kept in chinese
    assert render("plain text", "zh") == "plain text"
    assert render(message, "fr") == str(message)  # an unknown language: English


def test_joined_texts_render_each_part_and_survive_pickling():
    text = Joined([Message("values.only_element"), "x = 1",
                   Message("values.tolerance", rtol=1e-5, atol=1e-6)])
    assert str(text) == "the only element\nx = 1\n(tolerance rtol=1e-05, atol=1e-06)"
    assert render(text, "zh").splitlines()[1] == "x = 1"
    for copy in (pickle.loads(pickle.dumps(text)),
                 pickle.loads(pickle.dumps(Message("values.only_element")))):
        assert render(copy, "zh") != str(copy)
        assert CJK.search(render(copy, "zh"))


def test_a_check_failure_keeps_its_message_and_a_plain_string_still_works():
    failure = CheckFailure(Message("training.not_finite", what="sample"))
    assert str(failure) == "sample contains inf or nan"
    assert failure.explanation("zh") == "sample 中含有 inf 或 nan"
    assert CheckFailure("a course author's words").explanation("zh") == "a course author's words"


# -- reports ----------------------------------------------------------------------------------


def _failed_grade() -> Grade:
    exercise = Exercise(topic="activations", name="relu", number="4.2", points=2.0,
                        forbidden=())
    why = Message("values.not_tensor", what="relu(x)", type="list")
    return Grade((ExerciseGrade(exercise, "failed", 1.0, {"value": "failed"}, why, "value"),))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_card_shows_the_explanation_in_its_language(catalog, lang):
    context = card.CardContext(version="0", impl_label="exercises", seed=0, profile="dev",
                               lang=lang)
    lines = [line.text for line in card.render(_failed_grade(), catalog, context)]
    explanation = next(line for line in lines if "relu(x)" in line and "value:" in line)
    assert bool(CJK.search(explanation)) == (lang == "zh"), explanation


def test_the_json_output_is_english_unless_a_language_is_given():
    options = {"version": "0", "impl_label": "exercises", "seed": 0, "execution_time": 1.0}
    english = gradescope.results(_failed_grade(), **options)["tests"][0]["output"]
    chinese = gradescope.results(_failed_grade(), **options, lang="zh")["tests"][0]["output"]
    assert english == "relu(x) returned list, not a torch.Tensor"
    assert chinese == "relu(x) 返回了 list，而不是 torch.Tensor"


def test_the_catalogue_files_ship_with_the_package():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "messages/*.toml" in pyproject
    assert {p.name for p in Path(ROOT / "gradkata" / "messages").glob("*.toml")} == {
        f"{lang}.toml" for lang in LANGUAGES}
