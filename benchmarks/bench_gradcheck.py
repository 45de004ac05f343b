"""Cost and detection power of the gradient check, beside torch.autograd.gradcheck.

Run (not part of the test run):

    pytest benchmarks/bench_gradcheck.py --benchmark-only --benchmark-group-by=group
    python benchmarks/bench_gradcheck.py            # detection table, and cost ratios

Cost: a correct tanh backward for n = 10 ... 100 000 elements, and a linear
layer ``x @ W.T + b`` (N=64, in=128, out=64), each checked by the engine
(``elementwise=True`` where it applies, and the general probe-line path),
by torch's fast mode and, up to n = 1000, by torch's slow mode (a dense
Jacobian: n = 10 000 would take seconds and gigabytes). One torch thread
for both, on the same float64 inputs.

Detection: a tanh backward with one element wrong by a factor 1.5, for 40
seeds per size (a fresh input and a fresh wrong element each): how often
each checker notices.
"""

from __future__ import annotations

import sys
import timeit

import pytest
import torch
from torch.autograd import gradcheck

from gradkata.checks.gradcheck import GradientCheckError, check_gradient

SIZES = [10, 100, 1_000, 10_000, 100_000]
SLOW_SIZES = [10, 100, 1_000]  # torch's slow mode builds the dense n x n Jacobian
SEEDS = 40


def tanh_backward(grad_out, x):
    return grad_out * (1 - torch.tanh(x) ** 2)


def linear(x, weight, bias):
    return x @ weight.T + bias


def linear_backward(grad_out, x, weight, bias):
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(0)


def tanh_input(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def linear_inputs() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.randn(shape, generator=generator, dtype=torch.float64)
            for shape in ((64, 128), (64, 128), (64,))]


def with_grad(tensors):
    return tuple(t.clone().requires_grad_() for t in tensors)


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# -- cost --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
def test_engine_tanh_elementwise(benchmark, n):
    benchmark.group = f"tanh n={n}"
    benchmark(check_gradient, torch.tanh, tanh_backward, [tanh_input(n)], elementwise=True)


@pytest.mark.parametrize("n", SIZES)
def test_engine_tanh_probe_lines(benchmark, n):
    benchmark.group = f"tanh n={n}"
    benchmark(check_gradient, torch.tanh, tanh_backward, [tanh_input(n)])


@pytest.mark.parametrize("n", SIZES)
def test_torch_fast_mode_tanh(benchmark, n):
    benchmark.group = f"tanh n={n}"
    benchmark(gradcheck, torch.tanh, with_grad([tanh_input(n)]), fast_mode=True)


@pytest.mark.parametrize("n", SLOW_SIZES)
def test_torch_slow_mode_tanh(benchmark, n):
    benchmark.group = f"tanh n={n}"
    benchmark.pedantic(gradcheck, args=(torch.tanh, with_grad([tanh_input(n)])),
                       kwargs={"fast_mode": False}, rounds=3 if n >= 1000 else 10)


def test_engine_linear_layer(benchmark):
    benchmark.group = "linear 64x128 -> 64"
    benchmark(check_gradient, linear, linear_backward, linear_inputs())


def test_torch_fast_mode_linear_layer(benchmark):
    benchmark.group = "linear 64x128 -> 64"
    benchmark(gradcheck, linear, with_grad(linear_inputs()), fast_mode=True)


# -- detection ---------------------------------------------------------------------------


def one_wrong_backward(index: int):
    """A tanh backward with element ``index`` wrong by a factor 1.5."""

    def backward(grad_out, x):
        result = tanh_backward(grad_out, x)
        result[index] *= 1.5
        return result

    return backward


def one_wrong_tanh(index: int):
    """torch.tanh with the same wrong element in its autograd backward."""

    class Tanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = torch.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_out):
            (y,) = ctx.saved_tensors
            result = grad_out * (1 - y * y)
            result[index] *= 1.5
            return result

    return Tanh.apply


def engine_catches(n: int, seed: int, elementwise: bool) -> bool:
    x, index = tanh_input(n, seed), _wrong_index(n, seed)
    try:
        check_gradient(torch.tanh, one_wrong_backward(index), [x], seed=seed,
                       elementwise=elementwise)
    except GradientCheckError as error:
        return error.diagnoses[0].indices == ((index,),)
    return False


def torch_fast_catches(n: int, seed: int) -> bool:
    x, index = tanh_input(n, seed), _wrong_index(n, seed)
    return not gradcheck(one_wrong_tanh(index), with_grad([x]), fast_mode=True,
                         raise_exception=False)


def _wrong_index(n: int, seed: int) -> int:
    return int(torch.randint(n, (), generator=torch.Generator().manual_seed(10_000 + seed)))


def detection_table(sizes=SIZES, seeds: int = SEEDS) -> str:
    """One element wrong by 1.5x: caught (by the engine: and located) in how many tries."""
    rows = [f"{'n':>8} {'engine elementwise':>19} {'engine lines':>13} {'torch fast':>11}"]
    for n in sizes:
        counts = [sum(engine_catches(n, s, True) for s in range(seeds)),
                  sum(engine_catches(n, s, False) for s in range(seeds)),
                  sum(torch_fast_catches(n, s) for s in range(seeds))]
        rows.append(f"{n:>8} " + " ".join(f"{f'{c}/{seeds}':>{w}}"
                                          for c, w in zip(counts, (19, 13, 11), strict=True)))
    return "\n".join(rows)


def test_detection_rate_of_one_wrong_element():
    """Run with -s to see the table; the engine must catch every one."""
    with_one_thread = torch.get_num_threads() == 1
    table = detection_table()
    print(("" if with_one_thread else "(threads) ") + "\n" + table)
    for line in table.splitlines()[1:]:
        engine = line.split()[1:3]
        assert engine == [f"{SEEDS}/{SEEDS}"] * 2, line


# -- a quick summary without pytest-benchmark ---------------------------------------------


def _best_ms(call, number: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e3


def _tanh_costs(n: int) -> tuple[float, float, float, float]:
    x, xg = [tanh_input(n)], with_grad([tanh_input(n)])
    number = max(1, 2_000 // max(n // 100, 1))
    ew = _best_ms(lambda: check_gradient(torch.tanh, tanh_backward, x, elementwise=True), number)
    lines = _best_ms(lambda: check_gradient(torch.tanh, tanh_backward, x), number)
    fast = _best_ms(lambda: gradcheck(torch.tanh, xg, fast_mode=True), number)
    slow = (_best_ms(lambda: gradcheck(torch.tanh, xg, fast_mode=False), 1)
            if n in SLOW_SIZES else float("nan"))
    return ew, lines, fast, slow


def cost_table() -> str:
    """Best-of-five milliseconds, and ratios, measured side by side for each size."""
    rows = [f"{'n':>8} {'engine ew':>10} {'engine lines':>13} {'torch fast':>11} "
            f"{'torch slow':>11} {'ew/fast':>8} {'lines/fast':>11} {'slow/ew':>8}"]
    for n in SIZES:
        ew, lines, fast, slow = _tanh_costs(n)
        rows.append(f"{n:>8} {ew:>10.3f} {lines:>13.3f} {fast:>11.3f} {slow:>11.3f} "
                    f"{ew / fast:>8.2f} {lines / fast:>11.2f} {slow / ew:>8.1f}")
    inputs, with_grads = linear_inputs(), with_grad(linear_inputs())
    engine = _best_ms(lambda: check_gradient(linear, linear_backward, inputs), 20)
    fast = _best_ms(lambda: gradcheck(linear, with_grads, fast_mode=True), 20)
    rows.append(f"{'linear':>8} {'':>10} {engine:>13.3f} {fast:>11.3f} {'':>11} "
                f"{'':>8} {engine / fast:>11.2f}")
    return "\n".join(rows)


if __name__ == "__main__":
    torch.set_num_threads(1)
    if "--detection" in sys.argv or len(sys.argv) == 1:
        print(detection_table(), "\n")
    if "--cost" in sys.argv or len(sys.argv) == 1:
        print(cost_table())
