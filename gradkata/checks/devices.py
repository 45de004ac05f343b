"""Device hygiene: results stay on the input's device, with or without a GPU.

Two ways to catch a tensor created on the default device (``torch.zeros(x.shape)``)
on a machine without CUDA:

1. Fake CUDA: the inputs become ``FakeTensor``s on ``"cuda"``; mixing one with
   a CPU tensor raises the same device error real CUDA would, and a result on
   the CPU gives the bug away. Data-dependent code (``.item()``, masks) cannot
   run on fake tensors; that is never held against the learner.
2. A watch on the real CPU inputs, run first: a torch-function mode follows
   the tensors a GPU run would leave on the default device (built by a
   factory without ``device=``, or from such tensors alone). Returning one
   is a bug even where fake tensors cannot run (``torch.tensor(float(s))``);
   and where they cannot, any factory without ``device=`` that builds more
   than a 0-dim constant (which CUDA accepts as an operand) is reported.
"""

from __future__ import annotations

import functools

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_map

from ..isolate import runs_in_worker
from ..messages import Message
from .failure import CheckFailure

FAKE_DEVICE = "cuda"


@runs_in_worker  # under --isolate: watches the code in its own process
def check_device_hygiene(fn, *args, what: str, **kwargs) -> None:
    """Raise :class:`CheckFailure` if ``fn`` ignores its inputs' device.

    First a watched run on the real inputs (an exception there is the
    learner's own and propagates), then the fake-CUDA run — skipped for code
    that builds an autograd graph, on which a CPU-only torch build aborts the
    whole process (autograd is the guard's to report anyway).
    """
    watch = _DeviceWatch()
    with watch:
        result = fn(*args, **kwargs)
    outcome = "inconclusive" if watch.builds_graph else _run_on_fake_cuda(fn, args, kwargs, what)
    for leaf in tree_flatten(result)[0]:
        if watch.is_marked(leaf):
            raise CheckFailure(Message("devices.returned_factory_tensor", what=what,
                                       factory=watch.origin[id(leaf)]))
    if outcome == "inconclusive" and watch.culprits:
        raise CheckFailure(Message("devices.factory_without_device", what=what,
                                   factory=watch.culprits[0]))


def _run_on_fake_cuda(fn, args, kwargs, what: str) -> str:
    from torch._subclasses.fake_tensor import FakeTensorDeviceMismatchError, FakeTensorMode

    with FakeTensorMode(allow_non_fake_inputs=False), torch.no_grad():
        fake_args, fake_kwargs = tree_map(_to_fake_cuda, (args, kwargs))
        try:
            result = fn(*fake_args, **fake_kwargs)
        except FakeTensorDeviceMismatchError as error:
            raise CheckFailure(Message("devices.mixes_devices", what=what, error=str(error))
                               ) from None
        except Exception:
            return "inconclusive"
    for leaf in tree_flatten(result)[0]:
        if isinstance(leaf, torch.Tensor) and leaf.device.type != FAKE_DEVICE:
            raise CheckFailure(Message("devices.result_on_cpu", what=what, device=leaf.device))
    return "clean"


def _to_fake_cuda(value):
    if isinstance(value, torch.Tensor):
        return torch.empty(value.shape, dtype=value.dtype, device=FAKE_DEVICE)
    return value


@functools.cache
def tensor_factories() -> frozenset:
    """Torch functions that create a tensor on the default device unless told."""
    try:
        from torch.utils._device import _device_constructors

        return frozenset(_device_constructors())
    except ImportError:  # the private list moved: fall back to the common ones
        names = "empty zeros ones full rand randn randint arange linspace logspace eye tensor"
        return frozenset(getattr(torch, n) for n in names.split())


class _DeviceWatch(TorchFunctionMode):
    """Follows, on real CPU inputs, what a GPU run would leave on the default device.

    Marked tensors: built by a factory without ``device=``, or computed from
    marked tensors alone (anything touching an input, or naming a device,
    follows the input). Culprits: factories without ``device=`` that build
    more than a 0-dim constant (CUDA accepts a 0-dim CPU operand). Also notes
    whether the code built an autograd graph.
    """

    def __init__(self):
        super().__init__()
        self._marked: dict[int, torch.Tensor] = {}  # id -> tensor, kept alive so ids stay unique
        self.origin: dict[int, str] = {}
        self.culprits: list[str] = []
        self.builds_graph = False

    def is_marked(self, value) -> bool:
        return isinstance(value, torch.Tensor) and self._marked.get(id(value)) is value

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        outputs = [leaf for leaf in tree_flatten(result)[0] if isinstance(leaf, torch.Tensor)]
        self.builds_graph = self.builds_graph or any(leaf.requires_grad for leaf in outputs)
        leaves = tree_flatten((args, kwargs))[0]
        if any(isinstance(leaf, torch.device) for leaf in leaves) or "device" in kwargs:
            return result  # .to(x.device), device=...: placed on purpose
        tensors = [leaf for leaf in leaves if isinstance(leaf, torch.Tensor)]
        if func in tensor_factories():
            name = f"torch.{getattr(func, '__name__', func)}"
            if any(leaf.dim() > 0 for leaf in outputs):
                self.culprits.append(name)
            data = args[0] if args else None
            marked = not (isinstance(data, torch.Tensor) and not self.is_marked(data))
        else:
            marked = bool(tensors) and all(self.is_marked(t) for t in tensors)
            name = next((self.origin[id(t)] for t in tensors if self.is_marked(t)), "")
        if marked:
            for leaf in outputs:
                self._marked[id(leaf)] = leaf
                self.origin[id(leaf)] = name
        return result


def cuda_available() -> bool:
    return torch.cuda.is_available()


@runs_in_worker  # under --isolate: watches the code in its own process
def check_cuda_parity(fn, *args, what: str, compare, **kwargs) -> None:
    """Run on real CUDA and compare with the CPU result through ``compare(gpu, cpu)``."""
    cpu_result = fn(*args, **kwargs)
    to_cuda = functools.partial(_move, device="cuda")
    gpu_result = fn(*tree_map(to_cuda, args), **tree_map(to_cuda, kwargs))
    for leaf in tree_flatten(gpu_result)[0]:
        if isinstance(leaf, torch.Tensor) and leaf.device.type != "cuda":
            raise CheckFailure(Message("devices.cuda_result_elsewhere", what=what,
                                       device=leaf.device))
    compare(gpu_result, cpu_result)


def _move(value, device):
    return value.to(device) if isinstance(value, torch.Tensor) else value
