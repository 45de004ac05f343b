"""Hints, one level at a time: course data in ``hints.toml``, progress under ``.gradkata/``.

``hints.toml`` lies beside ``catalog.toml`` and holds, for every exercise, a
list of hints per language, from a nudge to the key formula::

    [activations.sigmoid]
    en = ["nudge", "method", "key formula"]
    zh = ["提示", "方法", "关键公式"]

``gradkata hint ID`` shows one more level each time it is called, and
remembers how far each learner got in ``.gradkata/hints.json``.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from .catalog import Catalog, Exercise
from .status import state_dir

HINTS_FILE = "hints.toml"
PROGRESS_FILE = "hints.json"
# Placeholders a hint may use; each is replaced when the hint is shown.
PLACEHOLDERS = ("id", "number", "name", "topic", "file")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")


class HintsError(ValueError):
    """hints.toml is malformed; the message says where."""


def load_hints(catalog: Catalog) -> dict[str, dict[str, tuple[str, ...]]]:
    """exercise id -> language -> hints, easiest first (empty when there is no hints.toml)."""
    path = catalog.root / HINTS_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise HintsError(f"{path}: {error}") from error
    hints = {}
    for topic, exercises in data.items():
        if not isinstance(exercises, dict):
            raise HintsError(f"{path}: [{topic}] should hold one table per exercise")
        for name, languages in exercises.items():
            if not isinstance(languages, dict) or not all(
                    isinstance(levels, list) and all(isinstance(h, str) for h in levels)
                    for levels in languages.values()):
                raise HintsError(f"{path}: [{topic}.{name}] should map languages to lists of text")
            hints[f"{topic}.{name}"] = {lang: tuple(levels) for lang, levels in languages.items()}
    return hints


def hints_for(hints: dict, exercise: Exercise, lang: str) -> tuple[str, ...]:
    """The exercise's hints in ``lang``, or in English where that language has none."""
    languages = hints.get(exercise.id, {})
    return languages.get(lang) or languages.get("en") or ()


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders a hint uses, in order."""
    return _PLACEHOLDER.findall(text)


def fill(text: str, exercise: Exercise, file: str) -> str:
    """The hint with its placeholders replaced; any other braces are left alone."""
    values = {"id": exercise.id, "number": exercise.number, "name": exercise.name,
              "topic": exercise.topic, "file": file}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


# -- how far each learner got ------------------------------------------------------------

def progress_path(catalog: Catalog) -> Path:
    return state_dir(catalog) / PROGRESS_FILE


def revealed(catalog: Catalog) -> dict[str, int]:
    """exercise id -> the number of hint levels already shown."""
    try:
        data = json.loads(progress_path(catalog).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}


def reveal(catalog: Catalog, exercise: Exercise, available: int) -> int:
    """Show one more level (up to ``available``); return how many are shown now."""
    levels = revealed(catalog)
    shown = min(levels.get(exercise.id, 0) + 1, available)
    _save(catalog, {**levels, exercise.id: shown})
    return shown


def forget(catalog: Catalog, exercise: Exercise) -> None:
    levels = revealed(catalog)
    levels.pop(exercise.id, None)
    _save(catalog, levels)


def _save(catalog: Catalog, levels: dict[str, int]) -> None:
    path = progress_path(catalog)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(levels, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)
