"""SPEC §1's rules for every exercise: no torch.ops, no private torch, no autograd,
no leaving torch.

Most are identity tables built once; two are judged from the object itself,
because torch creates such objects on demand: ``torch.ops`` kernels
(``OpOverloadPacket`` / ``OpOverload``, one per operator and overload) and
private functions no walk of torch's namespaces found.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch

from . import guard_index as index_
from .guard_words import AUTOGRAD_REASON, LEAVING_REASON, OPS_REASON, PRIVATE_REASON, Forbidden

# Autograd as SPEC §1 means it: whatever computes a gradient for you.
AUTOGRAD_CALLS = ("torch.Tensor.backward", "torch.autograd.backward", "torch.autograd.grad",
                  "torch.autograd.gradcheck", "torch.autograd.gradgradcheck")
AUTOGRAD_NAMESPACES = ("torch.func", "torch.autograd.functional", "torch.autograd.forward_ad")
OPS_TYPES = (torch._ops.OpOverloadPacket, torch._ops.OperatorBase)


@dataclass(frozen=True)
class UniversalRules:
    """The tables ``resolve`` adds under every exercise's own."""

    by_id: Mapping[int, Forbidden]
    by_code: Mapping[types.CodeType, Forbidden]


@functools.cache
def universal_rules() -> UniversalRules:
    index = index_.torch_index()
    by_id = {key: Forbidden(spelling, PRIVATE_REASON, universal=True)
             for key, spelling in index.private.items()}
    by_code: dict[types.CodeType, Forbidden] = {}
    for obj in autograd_callables():
        item = Forbidden(index.spell(obj), AUTOGRAD_REASON, universal=True)
        by_id[id(obj)] = item
        for code in index_.codes_of(obj):
            by_code.setdefault(code, item)
    for obj, only_if in leaving_torch():
        by_id[id(obj)] = Forbidden(index.spell(obj), LEAVING_REASON, only_if, universal=True)
    return UniversalRules(by_id, by_code)


def autograd_callables() -> list[object]:
    found = [index_.resolve_dotted(name) for name in AUTOGRAD_CALLS]
    for name in AUTOGRAD_NAMESPACES:
        namespace = index_.resolve_dotted(name)
        if namespace is not None:
            found.extend(index_.namespace_members(namespace))
    return [obj for obj in found if obj is not None]


def leaving_torch() -> list[tuple[object, Callable[[tuple], bool] | None]]:
    """``.numpy()``, ``np.asarray(x)``, DLPack: always; ``.tolist()``: of more than one element."""
    return [
        (torch.Tensor.numpy, None),
        (torch.Tensor.__array__, None),
        (torch.Tensor.__dlpack__, None),
        (torch.Tensor.tolist, whole_tensor),
    ]


def whole_tensor(args: tuple) -> bool:
    # The mode is off while the guard judges, so numel() is not itself recorded.
    return bool(args) and isinstance(args[0], torch.Tensor) and args[0].numel() > 1


def classify_unknown(func) -> Forbidden | None:
    """Judge a callable no table knows: a torch.ops kernel, a private function, or fine."""
    if type(func) is types.MethodWrapperType:  # property getters (x.shape, x.T): always fine
        return None
    if isinstance(func, OPS_TYPES):
        return Forbidden(f"torch.ops.{func}", OPS_REASON, universal=True)
    name = getattr(func, "__name__", "")
    if isinstance(name, str) and index_.is_private_name(name) and is_torch_callable(func):
        return Forbidden(index_.fallback_spelling(func), PRIVATE_REASON, universal=True)
    return None


def is_torch_callable(func) -> bool:
    module = getattr(func, "__module__", None)
    owner = getattr(func, "__objclass__", None)
    return ((isinstance(module, str) and module.startswith("torch"))
            or (owner is not None and owner.__module__.startswith("torch")))
