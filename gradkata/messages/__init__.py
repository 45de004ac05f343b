"""Learner-facing explanations of failed checks, in every language the grader speaks.

A check builds its explanation as a :class:`Message`: a key into the
catalogues (``en.toml``, ``zh.toml`` next to this file, one table per check
module) and the fields its template needs::

    Message("values.not_tensor", what="sigmoid(x)", type="list")

A message *is* a ``str`` — its English text — so code that only stores,
compares or prints explanations keeps working unchanged; a report renders
it in the learner's language with :func:`render`. Fields are rendered in
the same language when they are messages themselves (a sentence inside a
sentence); anything else (numbers, shapes, code such as ``torch.softmax``)
is formatted as it is, format specs included (``{tol:.2g}``).

Every key exists in every catalogue, with the same ``{placeholders}``
(``selftests/test_messages.py`` checks both). A plain ``str`` still works
wherever a message is expected: it reads the same in every language, which
is what a course author's own test gets when it raises
``CheckFailure("...")``.

A text kept in a file (``gradkata status``'s cache) is kept as data with
:func:`to_data` and read back with :func:`from_data`, so that it renders in
every language later too.
"""

from __future__ import annotations

import functools
import math
import numbers
import tomllib
from collections.abc import Iterable
from pathlib import Path

LANGUAGES = ("en", "zh")
DEFAULT = "en"
_HERE = Path(__file__).resolve().parent


class Text(str):
    """A learner-facing text in every language; as a ``str``, its English rendering."""

    def render(self, lang: str) -> str:
        raise NotImplementedError  # each kind of text says how it renders


class Message(Text):
    """One catalogue entry with its fields: ``Message(key, **fields)``."""

    key: str
    fields: dict[str, object]

    def __new__(cls, key: str, /, **fields: object) -> Message:
        self = super().__new__(cls, _fill(key, fields, DEFAULT))
        self.key, self.fields = key, fields
        return self

    def render(self, lang: str) -> str:
        return _fill(self.key, self.fields, lang)

    def __reduce__(self):  # str's own pickling would rebuild it from the English alone
        return (_rebuild, (self.key, self.fields))

    def __repr__(self) -> str:
        return f"Message({self.key!r}, {self.fields!r})"


class Joined(Text):
    """Texts joined by a separator, each rendered in the same language (lines, clauses)."""

    parts: tuple[str, ...]
    separator: str  # a Message too, where it is words ("; or ")

    def __new__(cls, parts: Iterable[str], separator: str = "\n") -> Joined:
        parts = tuple(parts)
        self = super().__new__(cls, str(separator).join(map(str, parts)))
        self.parts, self.separator = parts, separator
        return self

    def render(self, lang: str) -> str:
        return render(self.separator, lang).join(render(part, lang) for part in self.parts)

    def __reduce__(self):
        return (Joined, (self.parts, self.separator))


def render(text: object, lang: str) -> str:
    """``text`` in ``lang``: a :class:`Text` rendered, anything else as ``str(text)``."""
    return text.render(lang) if isinstance(text, Text) else str(text)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """``key -> template`` for ``lang`` (``"section.name"`` keys, from ``<lang>.toml``)."""
    with open(_HERE / f"{lang}.toml", "rb") as handle:
        return dict(_flatten(tomllib.load(handle)))


def template(key: str, lang: str) -> str:
    """The template of ``key`` in ``lang``; English where ``lang`` lacks it (never for ours)."""
    known = catalogue(lang) if lang in LANGUAGES else catalogue(DEFAULT)
    return known.get(key) or catalogue(DEFAULT)[key]


def _fill(key: str, fields: dict[str, object], lang: str) -> str:
    values = {name: render(v, lang) if isinstance(v, Text) else v for name, v in fields.items()}
    return template(key, lang).format(**values)


def _rebuild(key: str, fields: dict[str, object]) -> Message:
    return Message(key, **fields)


def _flatten(table: dict, prefix: str = ""):
    for name, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


# -- texts as JSON data (gradkata status's cache) ------------------------------------

def to_data(value: object) -> object:
    """``value`` as JSON data that :func:`from_data` turns back into the same text.

    A :class:`Message` becomes ``{"key", "fields", "text"}`` (``text``: its
    English) and a :class:`Joined` ``{"parts", "separator", "text"}``, their
    fields likewise; a plain ``str`` stays itself, a tuple becomes
    ``{"tuple": [...]}``, a non-finite float ``{"float": "nan"}``, a complex
    number ``{"complex": "(1+2j)"}``. A text that would not read back the
    same in every language (a field only ``str`` can describe, formatted with
    ``{x:.3g}`` or ``{x!r}``, say) is kept as its English alone.
    """
    if isinstance(value, Text):
        return _text_data(value)
    if value is None or isinstance(value, bool) or type(value) is str:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else {"float": str(number)}
    if isinstance(value, complex):  # Python's own answer to float ** float, quoted with !r
        return {"complex": repr(value)}
    if type(value) in (tuple, list):
        items = [to_data(item) for item in value]
        return {"tuple": items} if isinstance(value, tuple) else items
    return str(value)  # what a template shows of it, when it has no format spec


def from_data(data: object) -> object:
    """What :func:`to_data` made ``data`` from; a text whose key the catalogues no longer
    hold (or whose fields no longer fit) comes back as the English it was kept with."""
    if isinstance(data, list):
        return [from_data(item) for item in data]
    if not isinstance(data, dict):
        return data
    try:
        return _rebuilt(data)
    except Exception:  # an older cache or a changed catalogue: never a reason to fail
        return str(data.get("text", ""))


def _text_data(text: Text) -> object:
    if isinstance(text, Message):
        data = {"key": text.key, "fields": {n: to_data(v) for n, v in text.fields.items()}}
    elif isinstance(text, Joined):
        data = {"parts": [to_data(p) for p in text.parts], "separator": to_data(text.separator)}
    else:
        return str(text)
    data["text"] = str(text)
    try:  # kept whole only where it reads back the same in every language
        again = _rebuilt(data)
        same = all(render(again, lang) == text.render(lang) for lang in LANGUAGES)
    except Exception:
        same = False
    return data if same else str(text)


def _rebuilt(data: dict) -> object:
    if "key" in data:
        message = Message(data["key"], **{n: from_data(v) for n, v in data["fields"].items()})
        for lang in LANGUAGES:
            message.render(lang)  # a catalogue whose placeholders changed fails here, now
        return message
    if "parts" in data:
        return Joined(map(from_data, data["parts"]), from_data(data["separator"]))
    if "tuple" in data:
        return tuple(from_data(item) for item in data["tuple"])
    if "float" in data:
        return float(data["float"])
    if "complex" in data:
        return complex(data["complex"])
    return data  # plain data, as it was kept
