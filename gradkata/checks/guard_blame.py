"""Whose call is it? Tracing a forbidden call back to the code that made it.

The mode receives a call with no word on who made it; the Python stack
tells. Walking out from the call, torch's own frames (and the standard
library's, which are transparent) lead to the first frame of other code,
normally the learner's. The outermost torch frame is the *entry*: what the
learner called. Then:

- no torch frame in between: the learner made the call; blame it;
- the entry is a forbidden Python-level function or class
  (``torch.func.grad``, ``torch.nn.Linear``, ``torch.optim.SGD``): blame the
  entry. The mode never sees such a call itself, only the calls it makes,
  so this is checked for every call torch's Python code makes;
- the entry is allowed public torch code and the call an exercise's
  forbidden function (``nn.GELU`` running ``F.gelu`` in ``activations.gelu``):
  blame the call, naming the entry it went through;
- the entry is allowed public torch code and the call breaks one of SPEC
  §1's rules for every exercise (``no_grad`` setting grad mode through a
  private function): torch's business, not the learner's. Unless the entry
  is torch's private code (``torch._refs``), itself off limits.

Calls made by the learner's code for other topics (SPEC §1) are never
blamed here.
"""

from __future__ import annotations

import linecache
import os
import sysconfig
import types

import torch

from ..messages import Message
from . import guard_index as index_
from .guard_rules import ResolvedRules
from .guard_words import PRIVATE_REASON, Forbidden, Violation

TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
HARNESS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
STDLIB_PREFIXES = tuple({sysconfig.get_paths()["stdlib"] + os.sep,
                         sysconfig.get_paths()["platstdlib"] + os.sep, "<frozen "})
MAX_DEPTH = 200  # frames; deeper than any sane call chain

HANDLE_CODE = torch.overrides.handle_torch_function.__code__
OPS_CALL_CODES = frozenset(
    call.__code__ for call in (torch._ops.OpOverloadPacket.__call__, torch._ops.OpOverload.__call__)
    if hasattr(call, "__code__"))
DISPATCH_CODES = OPS_CALL_CODES | {HANDLE_CODE}


def call_site(frame: types.FrameType) -> types.FrameType | None:
    """The frame that called the function the mode received, past torch's dispatch.

    ``frame`` is the one that invoked the mode's handler: the caller itself
    for a C function; ``handle_torch_function`` (then the function's own
    Python body) for a Python-level one; ``OpOverload.__call__`` for torch.ops.
    """
    code = frame.f_code
    if code is HANDLE_CODE:
        body = frame.f_back
        return body.f_back if body is not None else None
    if code in OPS_CALL_CODES:
        return frame.f_back
    return frame


def blame(item: Forbidden | None, func, site: types.FrameType | None,
          rules: ResolvedRules) -> Violation | None:
    """The violation to record for a call of ``func`` from ``site``, if any (module docstring)."""
    torch_frames, user = trace_back(site)
    if user is not None and is_exempt(user, rules.other_topics):
        return None
    where = location(user)
    if torch_frames:  # only now is the (slower) code index worth building
        torch_frames = without_dispatch(torch_frames, func)
    if not torch_frames:
        return Violation(item.call, item.reason, where) if item is not None else None
    entry = torch_frames[-1]
    forbidden_run = run_to_forbidden_code(torch_frames, rules.by_code)
    if forbidden_run:
        outermost = next(f for f in forbidden_run if f.f_code in rules.by_code)
        mapped = rules.by_code[outermost.f_code]
        # SPEC §1's rules are about what the learner calls, not what torch does inside.
        if outermost is entry or not mapped.universal:
            named = instance_class_name(forbidden_run)
            return Violation(named or mapped.call, mapped.reason, where)
    if item is None:
        return None
    private = is_private_code(entry)
    if not item.universal:
        through = callee_text(user) if private else public_entry_name(torch_frames)
        return Violation(Message("guard.through", call=item.call, through=through),
                         item.reason, where)
    if private:
        return Violation(callee_text(user), PRIVATE_REASON, where)
    return None


def trace_back(
        frame: types.FrameType | None) -> tuple[list[types.FrameType], types.FrameType | None]:
    """(torch's frames between the call and the code that made it, innermost first; that code)."""
    torch_frames = []
    for _ in range(MAX_DEPTH):
        if frame is None:
            break
        filename = frame.f_code.co_filename
        if filename.startswith(TORCH_DIR):
            torch_frames.append(frame)
        elif not filename.startswith(STDLIB_PREFIXES):
            return torch_frames, frame
        frame = frame.f_back
    return torch_frames, None


def without_dispatch(frames: list[types.FrameType], func) -> list[types.FrameType]:
    """Drop ``func``'s own body and decorator wrappers: they are how it was called, not by whom."""
    own = set(index_.codes_of(func)) if isinstance(func, types.FunctionType) else set()
    if isinstance(func, types.FunctionType):
        own.add(func.__code__)
    wrappers = index_.torch_code_index().wrapper_codes
    return [f for f in frames if f.f_code not in own and f.f_code not in wrappers]


def run_to_forbidden_code(frames: list[types.FrameType], by_code) -> list[types.FrameType]:
    """Frames from the entry inward to the outermost one running forbidden code, then on
    while the code stays forbidden (``SGD.step`` inside its decorator's wrapper); [] if none."""
    outer_first = frames[::-1]
    for position, frame in enumerate(outer_first):
        if frame.f_code in by_code:
            end = position
            while end + 1 < len(outer_first) and outer_first[end + 1].f_code in by_code:
                end += 1
            return outer_first[:end + 1]
    return []


def instance_class_name(run: list[types.FrameType]) -> str | None:
    """``torch.nn.Sigmoid``, not ``torch.nn.Module`` whose ``__call__`` led there: the public
    torch class of the object the learner called, read from ``self`` along ``run``."""
    spellings = index_.torch_index().spellings
    for frame in run:
        instance = frame.f_locals.get("self")
        if instance is not None and id(type(instance)) in spellings:
            return spellings[id(type(instance))][0]
    return None


def public_entry_name(frames: list[types.FrameType]) -> str:
    """The public torch function or class the learner called, inside which a call was made."""
    owned = index_.torch_code_index().owner
    run = []
    for frame in reversed(frames):
        if frame.f_code not in owned:
            break
        run.append(frame)
    return instance_class_name(run) or frame_spelling(frames[-1])


def is_exempt(frame: types.FrameType, other_topics: frozenset[str]) -> bool:
    """Code of the learner's other topics. Not the grader's own frames: an exercise that
    *is* a torch function (``softmax = torch.softmax``) is called straight from them."""
    module = frame.f_globals.get("__name__") or ""
    return module.rpartition(".")[2] in other_topics


def is_private_code(frame: types.FrameType) -> bool:
    module = frame.f_globals.get("__name__") or ""
    return (not index_.is_public_module_name(module)
            and frame.f_code not in index_.torch_code_index().owner)


def frame_spelling(frame: types.FrameType) -> str:
    owner = index_.torch_code_index().owner.get(frame.f_code)
    if owner:
        return owner
    module = frame.f_globals.get("__name__") or "torch"
    return f"{module}.{frame.f_code.co_qualname}".replace(".<locals>", "")


def callee_text(frame: types.FrameType | None) -> str:
    """What the learner's line calls, as written: ``torch._refs.softmax`` in
    ``torch._refs.softmax(x, 0)``, read from the source at the frame's current call."""
    if frame is None:
        return "torch's private code"
    text = call_source(frame)
    if text.endswith(")"):
        depth = 0
        for position in range(len(text) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(text[position], 0)
            if depth == 0:
                text = text[:position]
                break
    return text.strip() or "torch's private code"


def call_source(frame: types.FrameType) -> str:
    try:
        line, end_line, column, end_column = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except IndexError:
        return ""
    if line is None or end_line is None or column is None or end_column is None:
        return ""
    lines = [linecache.getline(frame.f_code.co_filename, n) for n in range(line, end_line + 1)]
    lines[-1] = lines[-1][:end_column]
    lines[0] = lines[0][column:]
    return " ".join(part.strip() for part in lines)


def location(frame: types.FrameType | None) -> str:
    """``activations.py:12``; nothing for a line of the grader's (a learner never wrote it)."""
    if frame is None or frame.f_code.co_filename.startswith(HARNESS_DIR):
        return ""
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
