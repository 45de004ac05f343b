"""Device hygiene: results stay on the input's device, with or without a GPU.

Two ways to catch a tensor created on the default device (``torch.zeros(x.shape)``)
on a machine without CUDA:

1. Fake CUDA: the inputs become ``FakeTensor``s on ``"cuda"``; mixing one with
   a CPU tensor raises the same device error real CUDA would, and a result on
   the CPU gives the bug away. Data-dependent code (``.item()``, masks) cannot
   run on fake tensors; that is never held against the learner.
2. For exactly that case, a factory watch: the function runs on the real CPU
   inputs while a torch-function mode notes every tensor factory called
   without ``device=`` whose result has more than one element (a 0-dim
   constant such as ``torch.tensor(2.0)`` is fine: CUDA accepts it).
"""

from __future__ import annotations

import functools

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_map

from .failure import CheckFailure

FAKE_DEVICE = "cuda"


def check_device_hygiene(fn, *args, what: str, **kwargs) -> None:
    """Raise :class:`CheckFailure` if ``fn`` ignores its inputs' device."""
    outcome = _run_on_fake_cuda(fn, args, kwargs, what)
    if outcome == "inconclusive":
        _run_watching_factories(fn, args, kwargs, what)


def _run_on_fake_cuda(fn, args, kwargs, what: str) -> str:
    from torch._subclasses.fake_tensor import FakeTensorDeviceMismatchError, FakeTensorMode

    with FakeTensorMode(allow_non_fake_inputs=False) as mode:
        fake_args, fake_kwargs = tree_map(_to_fake_cuda, (args, kwargs))
        try:
            result = fn(*fake_args, **fake_kwargs)
        except FakeTensorDeviceMismatchError as error:
            raise CheckFailure(
                f"{what} mixes devices: with inputs on cuda it combined them with a tensor on "
                f"the CPU ({error}). Create new tensors on the input's device: "
                f"torch.zeros_like(x), x.new_zeros(...), or device=x.device"
            ) from None
        except Exception:  # noqa: BLE001 - data-dependent code cannot run on fake tensors
            return "inconclusive"
    del mode
    for leaf in tree_flatten(result)[0]:
        if isinstance(leaf, torch.Tensor) and leaf.device.type != FAKE_DEVICE:
            raise CheckFailure(
                f"{what} returned a tensor on {leaf.device} for inputs on cuda: create new "
                f"tensors on the input's device (torch.zeros_like(x), device=x.device)"
            )
    return "clean"


def _to_fake_cuda(value):
    if isinstance(value, torch.Tensor):
        return torch.empty(value.shape, dtype=value.dtype, device=FAKE_DEVICE)
    return value


@functools.cache
def _factories() -> frozenset:
    """Torch functions that create a tensor on the default device unless told."""
    try:
        from torch.utils._device import _device_constructors

        return frozenset(_device_constructors())
    except ImportError:  # the private list moved: fall back to the common ones
        names = "empty zeros ones full rand randn randint arange linspace logspace eye tensor"
        return frozenset(getattr(torch, n) for n in names.split())


class _FactoryWatch(TorchFunctionMode):
    """Notes tensor factories called without ``device=`` that build more than a scalar."""

    def __init__(self):
        super().__init__()
        self.culprits: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if func in _factories() and "device" not in kwargs:
            if isinstance(result, torch.Tensor) and result.dim() > 0:
                self.culprits.append(f"torch.{getattr(func, '__name__', func)}")
        return result


def _run_watching_factories(fn, args, kwargs, what: str) -> None:
    watch = _FactoryWatch()
    with watch:  # real inputs: an exception here is the learner's own, so it propagates
        fn(*args, **kwargs)
    if watch.culprits:
        raise CheckFailure(
            f"{what} called {watch.culprits[0]}(...) without device=: on a GPU that tensor "
            f"would be on the CPU while the input is on cuda. Use torch.zeros_like(x), "
            f"x.new_zeros(...) or pass device=x.device"
        )


def cuda_available() -> bool:
    return torch.cuda.is_available()


def check_cuda_parity(fn, *args, what: str, compare, **kwargs) -> None:
    """Run on real CUDA and compare with the CPU result through ``compare(gpu, cpu)``."""
    cpu_result = fn(*args, **kwargs)
    to_cuda = functools.partial(_move, device="cuda")
    gpu_result = fn(*tree_map(to_cuda, args), **tree_map(to_cuda, kwargs))
    for leaf in tree_flatten(gpu_result)[0]:
        if isinstance(leaf, torch.Tensor) and leaf.device.type != "cuda":
            raise CheckFailure(f"{what} returned a tensor on {leaf.device} for inputs on cuda")
    compare(gpu_result, cpu_result)


def _move(value, device):
    return value.to(device) if isinstance(value, torch.Tensor) else value
