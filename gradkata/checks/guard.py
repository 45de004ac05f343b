"""The ``guard`` check: forbidden calls, judged by identity, not spelling (SPEC §1).

At run time a :class:`CallGuard` (a ``torch.overrides.TorchFunctionMode``)
sees every torch function and Tensor method the code under test calls, and
looks each one up by identity in tables ``resolve`` built from the
catalogue's entries, so ``getattr(torch, "soft" + "max")`` is ``torch.softmax``
however it was spelled. Statically, ``scan_source`` looks for the ways around
that run-time view (``torch._C``, ``ctypes`` ...).

The pieces: ``guard_index`` (torch's inventory), ``guard_rules`` (entries ->
tables), ``guard_universal`` (SPEC §1's rules for every exercise),
``guard_blame`` (whose call it was), ``guard_words`` (records and messages),
``guard_source`` (the static scan).
"""

from __future__ import annotations

import sys
from types import GeneratorType

from torch.overrides import TorchFunctionMode

from ..isolate import runs_in_worker
from .failure import CheckFailure
from .guard_blame import DISPATCH_CODES, TORCH_DIR, blame, call_site
from .guard_rules import ResolvedRules, resolve
from .guard_source import SourceFinding, scan_source
from .guard_universal import classify_unknown
from .guard_words import ForbiddenRules, Violation

__all__ = [
    "CallGuard", "ForbiddenRules", "ResolvedRules", "SourceFinding", "Violation",
    "check_no_forbidden_calls", "check_source_clean", "resolve", "scan_source",
]


UNKNOWN = object()  # an id no table holds


class CallGuard(TorchFunctionMode):
    """Records every forbidden torch call made while active (it does not block it).

    ``violations`` lists each distinct forbidden call once, in the order they
    first happened. While the mode's handler runs, torch has switched the mode
    off, so calls torch makes inside an allowed function are never seen.
    """

    def __init__(self, rules: ForbiddenRules):
        super().__init__()
        self.rules: ResolvedRules = resolve(rules)
        self.violations: list[Violation] = []
        self._recorded: set[Violation] = set()
        self._by_id = self.rules.by_id  # the hot path's one lookup, one attribute away

    def __torch_function__(self, func, types, args=(), kwargs=None):
        # Hot: runs for every torch call. One dict lookup settles nearly all of them.
        item = self._by_id.get(id(func), UNKNOWN)
        if item is UNKNOWN:
            item = classify_unknown(func)
        elif item is not None and item.only_if is not None and not item.only_if(args):
            item = None
        frame = sys._getframe(1)
        site = frame if frame.f_code not in DISPATCH_CODES else call_site(frame)
        # A call from torch's own Python code may be how a forbidden Python-level
        # function (torch.func.grad, nn.Linear) shows itself: look at who called.
        if item is not None or (site is not None and site.f_code.co_filename.startswith(TORCH_DIR)):
            self._record(self._attribute(item, func, site))
        return func(*args, **(kwargs or {}))

    def _attribute(self, item, func, site) -> Violation | None:
        try:
            return blame(item, func, site, self.rules)
        except Exception:  # who called is best effort; that the call was made is not
            return Violation(item.call, item.reason) if item is not None else None

    def _record(self, violation: Violation | None) -> None:
        if violation is not None and violation not in self._recorded:
            self._recorded.add(violation)
            self.violations.append(violation)


@runs_in_worker  # under --isolate: watches the code in its own process
def check_no_forbidden_calls(fn, /, *args, rules: ForbiddenRules, **kwargs):
    """Call ``fn(*args, **kwargs)`` under :class:`CallGuard` and return its result.

    Raises :class:`CheckFailure` naming the first forbidden call, if there
    was one, even when ``fn`` went on to raise; otherwise ``fn``'s own
    exception (``NotImplementedError`` from a stub) propagates unchanged.
    Only what ``fn`` runs is judged: build inputs before calling this. A
    generator's body runs only when iterated, so a generator result is run
    to the end under the guard, and an iterator over its items returned.
    """
    guard = CallGuard(rules)
    try:
        with guard:
            result = fn(*args, **kwargs)
            if isinstance(result, GeneratorType):
                result = iter(list(result))
    except Exception as error:
        if guard.violations:
            raise CheckFailure(guard.violations[0].message) from error
        raise
    if guard.violations:
        raise CheckFailure(guard.violations[0].message)
    return result


def check_source_clean(findings: dict[str | None, list[SourceFinding]], exercise_name: str) -> None:
    """Raise :class:`CheckFailure` for the first finding that counts against ``exercise_name``.

    ``exercise_name`` is the exercise's name in its module (``"softmax"``) or
    its id (``"activations.softmax"``); module-level findings count against
    every exercise of the module.
    """
    name = exercise_name.rpartition(".")[2]
    counted = [*findings.get(None, ()), *findings.get(name, ())]
    if counted:
        first = min(counted, key=lambda finding: finding.line)
        raise CheckFailure(first.message(name))
