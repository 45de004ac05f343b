"""hints.toml is complete, bilingual and specific; `gradkata hint` shows one level at a time."""

# ruff: noqa: RUF001 - full-width punctuation is correct in Chinese text

from __future__ import annotations

import ast
import json
import re

import pytest

from gradkata import cli
from gradkata.hints import PLACEHOLDERS, fill, load_hints, placeholders
from gradkata.words import MESSAGES

from .conftest import ROOT
from .course_copy import COURSE_FILES

CJK = re.compile(r"[\u4e00-\u9fff]")
LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def hints(catalog):
    return load_hints(catalog)


def every_hint(hints):
    for exercise_id, languages in hints.items():
        for lang, levels in languages.items():
            for level, text in enumerate(levels, start=1):
                yield exercise_id, lang, level, text


def test_every_catalogue_exercise_has_at_least_two_levels_in_both_languages(catalog, hints):
    for ex in catalog.exercises:
        assert ex.id in hints, f"no hints for {ex.id}"
        levels = {lang: hints[ex.id].get(lang, ()) for lang in LANGS}
        assert len(levels["en"]) >= 2, f"{ex.id}: fewer than two English levels"
        assert len(levels["zh"]) == len(levels["en"]), f"{ex.id}: zh and en differ in levels"
    assert set(hints) == {ex.id for ex in catalog.exercises}, "hints for unknown exercises"


def test_levels_of_an_exercise_are_distinct(hints):
    for exercise_id, languages in hints.items():
        for lang, levels in languages.items():
            assert len(set(levels)) == len(levels), f"{exercise_id} [{lang}]: a level repeats"
            assert all(text.strip() for text in levels), f"{exercise_id} [{lang}]: an empty level"


def test_the_last_level_is_specific_to_its_exercise(catalog, hints):
    for lang in LANGS:
        last = {ex.id: hints[ex.id][lang][-1] for ex in catalog.exercises}
        assert len(set(last.values())) == len(last), f"[{lang}] two exercises share a last level"
        for ex in catalog.exercises:
            own = {ex.name, ex.name.removesuffix("_backward")}
            assert any(name in last[ex.id] for name in own), \
                f"{ex.id} [{lang}]: the last level does not name {ex.name}"


def test_every_chinese_hint_is_chinese_and_not_a_copy_of_its_twin(hints):
    for exercise_id, languages in hints.items():
        for level, (english, chinese) in enumerate(zip(languages["en"], languages["zh"],
                                                       strict=True), start=1):
            assert CJK.search(chinese), f"{exercise_id} level {level}: zh has no Chinese text"
            assert chinese != english, f"{exercise_id} level {level}: zh repeats the English"
            assert not CJK.search(english), f"{exercise_id} level {level}: en holds Chinese"


def test_twins_use_the_same_known_placeholders(hints):
    for exercise_id, languages in hints.items():
        for english, chinese in zip(languages["en"], languages["zh"], strict=True):
            assert sorted(placeholders(english)) == sorted(placeholders(chinese)), exercise_id
            assert set(placeholders(english)) <= set(PLACEHOLDERS), exercise_id


def test_placeholders_are_filled_and_other_braces_left_alone(catalog):
    ex = catalog.exercise("activations.sigmoid")
    text = fill("{number} {id} in {file}: {name} of {topic}, not {x} or e^{-x}", ex, "a.py")
    assert text == "4.1 activations.sigmoid in a.py: sigmoid of activations, not {x} or e^{-x}"


def test_no_hint_quotes_a_line_of_the_reference_solutions(catalog, hints):
    code = set()
    for path in catalog.solutions_dir.glob("*.py"):
        source = path.read_text()
        docstrings = {ast.get_docstring(n, clean=False) for n in ast.walk(ast.parse(source))
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))}
        code |= {line.strip() for line in source.splitlines()
                 if len(line.strip()) >= 25 and not line.strip().startswith("#")
                 and not any(line.strip() in (d or "") for d in docstrings)}
    for exercise_id, lang, level, text in every_hint(hints):
        quoted = [line for line in code if line in text]
        assert not quoted, f"{exercise_id} [{lang}] level {level} quotes the solution: {quoted}"


def test_every_command_message_exists_in_both_languages_with_the_same_placeholders():
    assert set(MESSAGES["en"]) == set(MESSAGES["zh"])
    fields = re.compile(r"\{(\w+)")
    for key, english in MESSAGES["en"].items():
        assert sorted(fields.findall(english)) == sorted(fields.findall(MESSAGES["zh"][key])), key
        assert CJK.search(MESSAGES["zh"][key]) or key == "next_state_error", key


# -- the command -----------------------------------------------------------------------------

@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course directory with no exercises touched: hints need nothing graded."""
    import shutil

    for name in COURSE_FILES:
        shutil.copyfile(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def hint(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(["hint", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_hint_reveals_one_more_level_per_call_and_stops_at_the_last(course, capsys, hints):
    levels = hints["activations.softmax_backward"]["en"]
    for shown in range(1, len(levels) + 1):
        code, out = hint(capsys, "4.12", "--lang", "en")
        assert code == 0
        assert f"hint {shown}/{len(levels)}:" in out
        assert f"hint {shown + 1}/" not in out
        assert levels[shown - 1] in out
    assert "last hint" in out
    assert "exercises/activations.py:" in out
    code, again = hint(capsys, "softmax_backward", "--lang", "en")  # by bare name, past the end
    assert code == 0
    assert again == out
    progress = json.loads((course / ".gradkata" / "hints.json").read_text())
    assert progress == {"activations.softmax_backward": len(levels)}


def test_hint_levels_are_remembered_per_exercise_and_can_be_reset(course, capsys, hints):
    hint(capsys, "4.1", "--lang", "en")
    _, other = hint(capsys, "5.7", "--lang", "zh")
    assert "提示 1/3：" in other
    assert hints["losses.cross_entropy"]["zh"][0] in other
    _, second = hint(capsys, "activations.sigmoid", "--lang", "zh")
    assert "提示 2/3：" in second
    assert "还有 1 条" in second
    code, reset = hint(capsys, "4.1", "--reset", "--lang", "en")
    assert code == 0
    assert "forgotten" in reset
    _, first = hint(capsys, "4.1", "--lang", "en")
    assert "hint 1/3:" in first
    assert "hint 2/3:" not in first


def test_hint_refuses_a_topic_and_an_unknown_id_with_close_matches(course, capsys):
    code, out = hint(capsys, "activations", "--lang", "en")
    assert code == cli.STATUS_EXIT_USAGE
    assert "whole topic" in out
    code, out = hint(capsys, "sigmoi", "--lang", "zh")
    assert code == cli.STATUS_EXIT_USAGE
    assert "activations.sigmoid" in out
    assert "没有名为" in out
