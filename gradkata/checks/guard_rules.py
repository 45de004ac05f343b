"""From catalogue entries to the callables an exercise may not call.

``resolve`` turns a :class:`ForbiddenRules` into lookup tables keyed by
identity: ``id(callable)`` for what torch's mode receives, and code objects
for torch's Python-level functions and classes, which the mode never sees
themselves (see ``guard_index``). Each forbidden thing carries the words a
learner will read: its public spelling and the reason.

Catalogue entry forms:

- a bare name, ``"softmax"``: every torch function and Tensor method of that
  name wherever torch exposes it (``torch``, ``Tensor``,
  ``torch.nn.functional``, ``torch.special``, ``torch.linalg`` and their
  ``torch._C`` twins), its in-place variant ``softmax_``, and its aliases
  (``ALIASES``); shell-style wildcards (``"*_softmax"``) match names;
- a dotted path, ``"torch.linalg.*"``, ``"linalg.*"``, ``"torch.nn.*Loss"``,
  ``"linalg.lstsq"``, ``"nn.Linear"``, ``"Tensor.backward"``: that object,
  or every public callable and class of that namespace, its public
  submodules included (``torch.nn.*`` covers ``torch.nn.functional``);
- an operator, ``"@"``;
- ``"autograd"``: the rule SPEC §1 already applies everywhere, accepted so
  that a catalogue may say it.

An entry that names nothing raises ``ValueError``: a typo in the catalogue
must not silently allow what it meant to forbid.
"""

from __future__ import annotations

import fnmatch
import functools
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import torch

from ..messages import Joined, Message
from . import guard_index as index_
from .guard_universal import universal_rules
from .guard_words import Forbidden, ForbiddenRules, own_name, with_also

# Names torch also uses for the same computation (bare entries only).
ALIASES: Mapping[str, tuple[str, ...]] = {
    "sigmoid": ("expit",),
    "logsigmoid": ("log_sigmoid",),
    "norm": ("vector_norm", "matrix_norm", "frobenius_norm", "nuclear_norm"),
    "outer": ("ger",),
    "dot": ("vdot", "vecdot"),
}
# Where a bare name is looked up, and the prefix torch's C twins add to it.
BARE_NAMESPACES = (
    ("torch", ""), ("torch.Tensor", ""), ("torch.nn.functional", ""), ("torch.special", ""),
    ("torch.linalg", ""), ("torch._C._VariableFunctions", ""), ("torch._C._nn", ""),
    ("torch._C._special", "special_"), ("torch._C._linalg", "linalg_"),
)
# Grad-mode switches compute nothing: `with torch.no_grad():` is fine in every exercise.
NEVER_FORBIDDEN_MODULES = ("torch.autograd.grad_mode",)
MATMUL_OPERATOR = "@"


@dataclass(frozen=True)
class ResolvedRules:
    """Identity tables for one exercise: what the guard looks up on every call."""

    exercise: str
    # id(callable) -> why it is forbidden, or None for every other callable torch
    # exposes publicly; an id not in it is something new (a torch.ops kernel ...).
    by_id: Mapping[int, Forbidden | None]
    by_code: Mapping[types.CodeType, Forbidden]  # torch Python code that is forbidden to run
    other_topics: frozenset[str] = field(default_factory=frozenset)


@functools.lru_cache(maxsize=512)
def resolve(rules: ForbiddenRules) -> ResolvedRules:
    """Resolve ``rules`` once; the guard calls this per example, so it is cached."""
    index = index_.torch_index()
    by_id: dict[int, Forbidden | None] = {}
    by_code: dict[types.CodeType, Forbidden] = {}
    # The exercise's own function first: its reason ("must compute it itself") is the clearest.
    ordered = sorted(rules.entries, key=lambda entry: not own_name(entry, rules.exercise))
    for entry in ordered:
        matches = list(entry_matches(entry, rules.exercise))
        if not matches and entry != "autograd":
            raise ValueError(f"forbidden entry {entry!r} of {rules.exercise} names nothing in "
                             f"torch {torch.__version__}: fix the catalogue")
        for match in matches:
            by_id.setdefault(id(match.obj), match.forbidden)
            for code in match.codes:
                by_code.setdefault(code, match.forbidden)
    universal = universal_rules()
    for key, item in universal.by_id.items():
        by_id.setdefault(key, item)
    for code, item in universal.by_code.items():
        by_code.setdefault(code, item)
    for key in index.spellings:  # known and allowed: the hot path asks nothing more
        by_id.setdefault(key, None)
    return ResolvedRules(exercise=rules.exercise, by_id=by_id, by_code=by_code,
                         other_topics=frozenset(rules.other_topics))


@dataclass(frozen=True)
class Match:
    """One callable an entry forbids, with the code that runs when it is called."""

    obj: object
    forbidden: Forbidden
    codes: tuple[types.CodeType, ...] = ()


def entry_matches(entry: str, exercise: str) -> Iterator[Match]:
    if entry == MATMUL_OPERATOR:
        yield from operator_matches(exercise)
    elif entry == "autograd":
        return  # universal_rules() holds it
    elif "." in entry:
        yield from path_matches(entry, exercise)
    else:
        yield from name_matches(entry, exercise)


def operator_matches(exercise: str) -> Iterator[Match]:
    """``a @ b`` reaches the mode as ``Tensor.matmul``, so forbidding ``@`` forbids that too."""
    index = index_.torch_index()
    reason = Message("guard.matmul_off_limits", exercise=exercise)
    for obj in (torch.Tensor.__matmul__, torch.Tensor.__rmatmul__, torch.Tensor.matmul):
        yield Match(obj, Forbidden(display_name(obj, index), reason),
                    tuple(index_.codes_of(obj)))


def name_matches(name: str, exercise: str) -> Iterator[Match]:
    """A bare name, its in-place variant and its aliases, in every namespace torch has."""
    index = index_.torch_index()
    reason = (Message("guard.compute_itself", exercise=exercise, name=name)
              if own_name(name, exercise) else
              Message("guard.off_limits", name=name, exercise=exercise))
    for looked_up in (name, *ALIASES.get(name, ())):
        alias_note = "" if looked_up == name else Message("guard.another_name", name=name)
        for variant in (looked_up, looked_up + "_"):
            found = list(bare_lookup(variant))
            family = [index.spell(obj) for obj in found if index.is_public(obj)]
            for obj in found:
                call = Joined((with_also(display_name(obj, index), family), alias_note), "")
                yield Match(obj, Forbidden(call, reason), tuple(index_.codes_of(obj)))


def bare_lookup(pattern: str) -> Iterator[object]:
    """Every distinct callable named ``pattern`` (a shell glob allowed) in BARE_NAMESPACES."""
    seen: set[int] = set()
    for namespace_name, prefix in BARE_NAMESPACES:
        namespace = index_.resolve_dotted(namespace_name)
        if namespace is None:
            continue
        for name in matching_names(namespace, prefix + pattern):
            obj = getattr(namespace, name, None)
            if callable(obj) and not isinstance(obj, type) and id(obj) not in seen:
                seen.add(id(obj))
                yield obj


def matching_names(namespace, pattern: str) -> list[str]:
    if not any(char in pattern for char in "*?["):
        return [pattern]
    return [name for name in dir(namespace)
            if not index_.is_private_name(name) and fnmatch.fnmatchcase(name, pattern)]


def path_matches(entry: str, exercise: str) -> Iterator[Match]:
    """``torch.linalg.*``, ``linalg.lstsq``, ``torch.nn.*Loss``, ``Tensor.backward`` ..."""
    dotted = entry if entry.startswith("torch.") else f"torch.{entry}"
    container_name, _, pattern = dotted.rpartition(".")
    container = index_.resolve_dotted(container_name)
    if container is None:
        return
    if pattern == "*" or (isinstance(getattr(container, pattern, None), types.ModuleType)):
        namespace = container if pattern == "*" else getattr(container, pattern)
        yield from namespace_matches(namespace, dotted.removesuffix(".*") + ".*", exercise)
        return
    reason = Message("guard.off_limits", name=dotted, exercise=exercise)
    for name in matching_names(container, pattern):
        obj = getattr(container, name, None)
        if callable(obj):
            yield object_match(obj, reason, index_.torch_index())


def namespace_matches(module: types.ModuleType, shown: str, exercise: str) -> Iterator[Match]:
    """Every public callable and class of ``module`` and of its public submodules."""
    index = index_.torch_index()
    reason = Message("guard.off_limits", name=shown, exercise=exercise)
    seen: set[int] = set()
    for obj in index_.namespace_members(module, NEVER_FORBIDDEN_MODULES):
        if id(obj) not in seen:
            seen.add(id(obj))
            yield object_match(obj, reason, index, shown.removesuffix(".*"))


def object_match(obj, reason: str, index: index_.TorchIndex, home: str = "") -> Match:
    call = display_name(obj, index)
    at_home = [s for s in index.spellings.get(id(obj), []) if s.startswith(home + ".")]
    if home and at_home and not call.startswith(home + "."):
        call = Joined((call, Message("guard.same_function", home=at_home[0])), "")
    return Match(obj, Forbidden(call, reason), tuple(index_.codes_of(obj)))


def display_name(obj, index: index_.TorchIndex) -> str:
    """``Tensor.matmul`` is also what ``a @ b`` reaches the mode as: say both."""
    if obj is torch.Tensor.matmul:
        return "`@` / Tensor.matmul"
    if obj is torch.Tensor.__matmul__ or obj is torch.Tensor.__rmatmul__:
        return f"`@` ({index.spell(obj)})"
    return index.spell(obj)

