"""The learner-facing words of a failed gradient check.

A few lines, no tensor dumps: for each wrong input the likely cause in
plain words, its worst elements (yours against the numeric value and the
tolerance that judged it), and the seed that reproduces the check.
"""

from __future__ import annotations

import torch

from ..messages import Joined, Message
from .gradcheck_calls import Operand
from .gradcheck_kinds import Diagnosis, Worst

CLOSE = 1e-6  # a fitted factor this close (relative) to k or 1/k is called k or 1/k
NOT_TIED = ("mutates_input", "nondeterministic", "arity")


def shape_words(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def number_words(n: int) -> str:
    """10000 -> '10 000' (a thin, locale-free thousands separator)."""
    return f"{n:,}".replace(",", " ")


def count_words(count: int, total: int, exact: bool) -> Message:
    """'7 of 10 000 elements', 'about 41 000 of 100 000 elements' (estimates: 2 digits)."""
    if exact:
        return Message("gradcheck.count_of", count=number_words(count), total=number_words(total))
    rounded = int(float(f"{count:.2g}"))
    return Message("gradcheck.about_count_of", count=number_words(rounded),
                   total=number_words(total))


def fraction_words(factor: float) -> str:
    """2.0 -> '2', 0.25 -> '1/4', -0.5 -> '-1/2', 0.3 -> '0.3', 1.0000003 -> '1.0000003'."""
    sign, size = ("-" if factor < 0 else ""), abs(factor)
    if abs(size - 1) <= CLOSE:
        return f"{factor:.8g}"
    if size >= 1 and abs(size - round(size)) <= CLOSE * size:
        return f"{sign}{round(size)}"
    if 0 < size < 1 and abs(1 / size - round(1 / size)) <= CLOSE / size:
        return f"{sign}1/{round(1 / size)}"
    return f"{factor:.4g}"


def factor_words(factor: float, name: str, ops: tuple[Operand, ...]) -> Message:
    """'off by a factor of 1/4 — the batch size: mean vs sum? Your gradient ...'."""
    text = fraction_words(factor)
    hint = _factor_hint(factor, ops)
    relation = Message("gradcheck.fraction_of" if "/" in text else "gradcheck.times", factor=text)
    said = Message("gradcheck.factor_hint", hint=hint) if hint else Message("gradcheck.full_stop")
    return Message("gradcheck.off_by_factor", factor=text, hint=said, name=name,
                   relation=relation)


def _factor_hint(factor: float, ops: tuple[Operand, ...]) -> Message | str:
    """The likely cause of a factor N or 1/N: a batch (leading) size, a count, or 2."""
    def near(n: int) -> bool:
        return min(abs(factor - n) / n, abs(factor * n - 1)) <= CLOSE

    if any(near(op.shape[0]) for op in ops if len(op.shape) >= 2 and op.shape[0] > 2):
        return Message("gradcheck.hint_batch_size")
    if any(near(op.value.numel()) for op in ops if op.value.numel() > 2):
        return Message("gradcheck.hint_element_count")
    if near(2):
        return Message("gradcheck.hint_square")
    return ""


def pattern_words(op: Operand, ops: tuple[Operand, ...],
                  wrong: torch.Tensor | None) -> Message | str:
    """', all where x < 0' or ', all in row 3' when every wrong element shares it, else ''."""
    if wrong is None or not bool(wrong.any()) or bool(wrong.all()):
        return ""
    mask = wrong.view(op.shape)
    for other in [op, *(o for o in ops if o is not op and o.shape == op.shape)]:
        v = other.value
        for text, holds in ((f"{other.name} < 0", v < 0), (f"{other.name} > 0", v > 0),
                            (f"{other.name} = 0", v == 0)):
            if bool(holds[mask].all()) and not bool(holds.all()):
                return Message("gradcheck.all_where", condition=text)
    return _position_words(mask)


def _position_words(mask: torch.Tensor) -> Message | str:
    if mask.dim() < 2:
        return ""
    for dim, what in ((0, "row"), (mask.dim() - 1, "column")):
        others = tuple(d for d in range(mask.dim()) if d != dim)
        hit = mask.any(dim=others).nonzero().flatten()
        if len(hit) == 1 and mask.shape[dim] > 1:
            if what == "row":
                last = Message("gradcheck.last_row") if int(hit[0]) == mask.shape[0] - 1 else ""
                return Message("gradcheck.all_in_row", index=int(hit[0]), last=last)
            last = Message("gradcheck.last_column") if int(hit[0]) == mask.shape[dim] - 1 else ""
            return Message("gradcheck.all_in_column", index=int(hit[0]), last=last)
    return ""


def _label(name: str | None, index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else f"{name}"


def _element(name: str | None, w: Worst) -> Message:
    if w.bracket:
        numeric = Message("gradcheck.kink", low=w.bracket[0], high=w.bracket[1])
    else:
        numeric = f"{w.numeric:.4g}"
    return Message("gradcheck.element", label=_label(name, w.index), yours=w.yours,
                   numeric=numeric)


def message(diagnoses: list[Diagnosis], seed: int, given: bool) -> Joined:
    """The whole explanation: a block per diagnosis, then how to reproduce it.

    The diagnosis comes first: a grade card shows only a message's first lines.
    """
    lines = []
    for d in diagnoses:
        tied = d.input is not None and d.kind not in NOT_TIED
        lines.append(Message("gradcheck.input_cause", input=d.input, cause=d.cause)
                     if tied else d.cause)
        lines += [_element(d.input, w) for w in d.worst]
        if d.worst:
            upstream = Message("gradcheck.given_grad_out" if given else "gradcheck.random_grad_out")
            at = _label(d.input, d.worst[0].index)
            lines.append(Message("gradcheck.tolerance", upstream=upstream, tol=d.worst[0].tol,
                                 at=at))
    lines.append(Message("gradcheck.seed", seed=seed))
    return Joined(lines)
