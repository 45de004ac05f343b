"""Grading tests for topic 1, ``tensors``: matrix and vector operations from simpler ones.

Every exercise is one row of ``CASES``: its arguments' strategy and a
PyTorch reference. The tests below are each one check family, parametrized
over the rows; identities live in ``PROPERTIES``, and the ``ValueError``s
the SPEC fixes have tests of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from gradkata import exercise, exercise_params
from gradkata.checks import devices, errors, purity, values
from gradkata.checks.failure import CheckFailure
from gradkata.checks.guard import check_no_forbidden_calls, check_source_clean, scan_source
from gradkata.messages import Message
from gradkata.strategies import FLOAT_DTYPES, Call, float_tensors, generator_for, shapes

TOPIC = "tensors"

# Forbidden calls, dtypes and writes into inputs do not hide in particular values: fewer
# examples suffice for those families.
FEWER = settings(max_examples=10)

# -- strategies -------------------------------------------------------------------------

# (n, k, m) for an (n, k) @ (k, m) product: every form a learner's indexing can get wrong.
SHAPE_FORMS = {
    "any": lambda s: (s(1, 6), s(1, 6), s(1, 6)),
    "1x1 by 1x1": lambda s: (1, 1, 1),
    "tall": lambda s: (s(7, 12), s(1, 3), s(1, 3)),
    "wide": lambda s: (s(1, 3), s(1, 3), s(7, 12)),
    "row by column": lambda s: (1, s(2, 6), 1),
    "column by row": lambda s: (s(2, 6), 1, s(2, 6)),
}


@st.composite
def matmul_sizes(draw) -> tuple[int, int, int]:
    form = draw(st.sampled_from(list(SHAPE_FORMS)))
    return SHAPE_FORMS[form](lambda low, high: draw(st.integers(low, high)))


@st.composite
def matrix_pairs(draw, dtype=None, scales=(0.1, 1.0, 10.0)) -> Call:
    n, k, m = draw(matmul_sizes())
    dtype = dtype or draw(st.sampled_from(FLOAT_DTYPES))
    a = draw(float_tensors(shape=(n, k), dtype=dtype, scales=scales))
    return Call((a, draw(float_tensors(shape=(k, m), dtype=dtype, scales=scales))))


@st.composite
def mismatched_matrix_pairs(draw) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, k1) and (k2, m) with k1 != k2; a 1 on either side is the broadcasting trap."""
    n, m = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    k1 = draw(st.sampled_from([1, 2, 3, 4, 10]))
    k2 = draw(st.sampled_from([1, 2, 3, 5, 8]).filter(lambda k: k != k1))
    dtype = draw(st.sampled_from(FLOAT_DTYPES))
    return (draw(float_tensors(shape=(n, k1), dtype=dtype)),
            draw(float_tensors(shape=(k2, m), dtype=dtype)))


@st.composite
def vector_pairs(draw, dtype=None, same_length=False, scales=(0.1, 1.0, 10.0)) -> Call:
    n = draw(st.integers(1, 8))
    m = n if same_length else draw(st.integers(1, 8))
    dtype = dtype or draw(st.sampled_from(FLOAT_DTYPES))
    u = draw(float_tensors(shape=(n,), dtype=dtype, scales=scales))
    return Call((u, draw(float_tensors(shape=(m,), dtype=dtype, scales=scales))))


def any_tensors(dtype=None, scales=(0.1, 1.0, 10.0)) -> st.SearchStrategy:
    return float_tensors(shape=shapes(0, 3, 4), dtype=dtype, scales=scales)


def single_tensors(dtype=None) -> st.SearchStrategy[Call]:
    return any_tensors(dtype).map(lambda x: Call((x,)))


@st.composite
def cosine_calls(draw, dtype=None) -> Call:
    call = draw(vector_pairs(dtype, same_length=True))
    options = draw(st.sampled_from([{}, {"eps": 1e-8}, {"eps": 0.5}, {"eps": 5.0}]))
    return Call(call.args, options)


@st.composite
def label_calls(draw, dtype=None, options=None) -> Call:
    """(labels, num_classes), labels in [0, num_classes); ``options``: the keyword options,
    drawn when None (``dtype`` given: exactly that dtype)."""
    num_classes, n = draw(st.integers(1, 6)), draw(st.integers(1, 8))
    gen = generator_for(draw(st.integers(0, 2**32)))
    labels = torch.randint(0, num_classes, (n,), generator=gen)
    if options is None:
        options = {"dtype": dtype} if dtype is not None else draw(st.sampled_from(
            [{}, {"dtype": torch.float64}, {"dtype": torch.int64}, {"dtype": torch.bool}]))
    return Call((labels, num_classes), options)


@st.composite
def out_of_range_label_calls(draw) -> Call:
    call = draw(label_calls())
    labels, num_classes = call.args
    bad = draw(st.sampled_from([num_classes, num_classes + 3, -1, -num_classes - 2]))
    labels = labels.clone()
    labels[draw(st.integers(0, labels.numel() - 1))] = bad
    return Call((labels, num_classes), call.kwargs)


# -- the exercises and their references --------------------------------------------------

def matmul_magnitude(a, b):
    """sum_k |A[i, k]| |B[k, j]|: the size the rounding error of a product scales with."""
    return (a.abs()[:, :, None] * b.abs()[None, :, :]).sum(dim=1)


@dataclass(frozen=True)
class Case:
    """One exercise: how to draw its arguments, and its PyTorch reference."""

    name: str
    arg_names: tuple[str, ...]
    calls: Callable[..., st.SearchStrategy[Call]]  # calls(dtype=None)
    reference: Callable
    reference_name: str
    scale: Callable[..., tuple] = lambda *args: ()  # float64 args -> scale_by tensors

    @property
    def exercise_id(self) -> str:
        return f"{TOPIC}.{self.name}"


CASES = {case.name: case for case in [
    Case("matmul", ("a", "b"), matrix_pairs, torch.matmul, "torch.matmul",
         scale=lambda a, b: (matmul_magnitude(a, b),)),
    Case("outer", ("u", "v"), vector_pairs, torch.outer, "torch.outer"),
    Case("l1_norm", ("x",), single_tensors, lambda x: torch.linalg.vector_norm(x, 1),
         "torch.linalg.vector_norm(x, 1)", scale=lambda x: (x.abs().sum(),)),
    Case("l2_norm", ("x",), single_tensors, lambda x: torch.linalg.vector_norm(x, 2),
         "torch.linalg.vector_norm(x, 2)"),
    Case("cosine_similarity", ("u", "v"), cosine_calls,
         lambda u, v, eps=1e-8: F.cosine_similarity(u, v, dim=0, eps=eps),
         "torch.nn.functional.cosine_similarity"),
    Case("one_hot", ("labels", "num_classes"), label_calls,
         lambda labels, num_classes, dtype=torch.float32: F.one_hot(labels, num_classes).to(dtype),
         "torch.nn.functional.one_hot"),
]}
FLOAT_CASES = [case for case in CASES.values() if case.name != "one_hot"]


def params(family: str, cases=None) -> list:
    """One ``pytest.param`` per case, marked with its exercise and check family."""
    return exercise_params(CASES.values() if cases is None else cases, family)


def describe(case: Case, call: Call) -> str:
    """The learner's call in words, e.g. ``cosine_similarity(u, v, eps=0.5)``."""
    options = [f"{k}={v!r}" for k, v in call.kwargs.items()]
    return f"{case.name}({', '.join(list(case.arg_names) + options)})"


def assert_matches_reference(case: Case, call: Call, result) -> None:
    """Compare with PyTorch evaluated in float64, so its float32 rounding is not held
    against the learner."""
    exact = call.in_float64()
    values.assert_close(result, exact(case.reference), what=describe(case, call),
                        reference=case.reference_name,
                        inputs=dict(zip(case.arg_names, call.args, strict=True)),
                        scale_by=case.scale(*exact.args))


# -- value: parity with PyTorch -----------------------------------------------------------

@pytest.mark.parametrize("case", params("value"))
@given(data=st.data())
def test_matches_pytorch(impl, case: Case, data):
    call = data.draw(case.calls(), label="call")
    assert_matches_reference(case, call, call(getattr(impl, case.name)))


# Vectors whose norms are 0, below eps, or above eps with a product below it.
COSINE_EDGES = {
    Message("tests_tensors.two_zero_vectors"): ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    Message("tests_tensors.u_is_zero"): ([0.0, 0.0, 0.0], [1.0, -2.0, 2.0]),
    Message("tests_tensors.v_is_zero"): ([3.0, 0.0, -4.0], [0.0, 0.0, 0.0]),
    Message("tests_tensors.norms_below_eps"): ([3e-9, 0.0, 4e-9], [1.0, 2.0, -2.0]),
    Message("tests_tensors.product_below_eps"): ([3e-5, 4e-5, 0.0], [0.0, 6e-6, 8e-6]),
}


@exercise("tensors.cosine_similarity", check="value")
def test_cosine_similarity_clamps_each_norm_at_eps(impl):
    for dtype in FLOAT_DTYPES:
        for edge, (u, v) in COSINE_EDGES.items():
            call = Call((torch.tensor(u, dtype=dtype), torch.tensor(v, dtype=dtype)))
            result = call(impl.cosine_similarity)
            what = Message("tests_tensors.cosine_for", edge=edge, dtype=str(dtype)[6:])
            result = values.check_is_tensor(result, what)
            if not bool(result.isfinite().all()):
                raise CheckFailure(Message("tests_tensors.zero_norm", what=what,
                                           value=float(result)))
            values.assert_close(result, call.in_float64()(CASES["cosine_similarity"].reference),
                                what=what, reference="torch.nn.functional.cosine_similarity")


# -- property: identities each operation satisfies -----------------------------------------

def close(actual, expected, identity: str) -> None:
    values.assert_close(actual, expected,
                        what=Message("tests_activations.left_side", identity=identity),
                        reference=Message("tests_activations.right_side"))


def matmul_transposes(fn, a, b):
    # Transposed operands are not contiguous: this also tries the learner's indexing on them.
    close(fn(b.T, a.T), fn(a, b).T, "matmul(B.T, A.T) = matmul(A, B).T")
    close(fn(a, torch.eye(a.shape[1], dtype=a.dtype)), a, "matmul(A, I) = A")


def outer_transposes(fn, u, v):
    values.check_shape(values.check_is_tensor(fn(u, v), "outer(u, v)"), (len(u), len(v)),
                       "outer(u, v)")
    close(fn(v, u), fn(u, v).T, "outer(v, u) = outer(u, v).T")
    close(fn(u * -2.5, v), fn(u, v) * -2.5, "outer(-2.5 u, v) = -2.5 outer(u, v)")


def norm_is_a_norm(name, power):
    """Homogeneity, the triangle inequality, and how the norm splits over x's positive and
    negative parts (they sit on different elements): ||x||^p = ||x+||^p + ||x-||^p."""
    def identities(fn, x):
        close(fn(x * -2.5), fn(x) * 2.5, f"{name}(-2.5 x) = 2.5 {name}(x)")
        positive, negative = x.clamp(min=0), x.clamp(max=0)
        split = f"{name}(x.clamp(min=0))^{power} + {name}(x.clamp(max=0))^{power}"
        close(fn(x) ** power, fn(positive) ** power + fn(negative) ** power,
              f"{name}(x)^{power} = {split}")
        y = x.flip(list(range(x.dim()))) - 0.75
        total, parts = fn(x + y), fn(x) + fn(y)
        if bool(total > parts * (1 + 1e-12) + 1e-12):
            raise CheckFailure(Message("tests_tensors.triangle", name=name, total=float(total),
                                       parts=float(parts)))
    return identities


def cosine_measures_the_angle(fn, u, v, eps=1e-8):
    result = fn(u, v, eps)
    close(fn(v, u, eps), result, "cos(v, u) = cos(u, v)")
    if bool(norms_above(u, v, eps)):  # away from the clamp, only directions count
        close(fn(u * 3.0, v * 0.5, eps), result, "cos(3u, 0.5v) = cos(u, v)")
        close(fn(u, u, eps), torch.ones_like(result), "cos(u, u) = 1")
    if not bool((result.abs() <= 1 + 1e-12).all()):
        raise CheckFailure(Message("tests_tensors.cosine_outside", value=float(result)))


def norms_above(u, v, eps):
    return (u * u).sum() > 4 * eps * eps and (v * v).sum() > 4 * eps * eps


PROPERTIES: dict[str, Callable] = {
    "matmul": matmul_transposes,
    "outer": outer_transposes,
    "l1_norm": norm_is_a_norm("l1_norm", 1),
    "l2_norm": norm_is_a_norm("l2_norm", 2),
    "cosine_similarity": cosine_measures_the_angle,
}


@pytest.mark.parametrize("case", params("property", FLOAT_CASES))
@given(data=st.data())
def test_satisfies_its_identities(impl, case: Case, data):
    # float64: the identities hold to rounding there.
    call = data.draw(case.calls(torch.float64), label="call")
    PROPERTIES[case.name](getattr(impl, case.name), *call.args, **call.kwargs)


# -- errors: the ValueErrors the SPEC fixes ------------------------------------------------

def shapes_message(a, b) -> str:
    return (f"mat1 and mat2 shapes cannot be multiplied "
            f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")


@exercise("tensors.matmul", check="errors")
@given(pair=mismatched_matrix_pairs())
def test_matmul_rejects_mismatched_shapes_in_pytorchs_words(impl, pair):
    a, b = pair
    what = Message("tests_tensors.matmul_for", a=tuple(a.shape), b=tuple(b.shape))
    errors.check_raises_value_error(impl.matmul, a, b, what=what,
                                         expected_message=shapes_message(a, b))


@exercise("tensors.one_hot", check="errors")
@given(call=out_of_range_label_calls())
def test_one_hot_rejects_labels_outside_the_classes(impl, call):
    labels, num_classes = call.args
    errors.check_raises_value_error(
        impl.one_hot, *call.args, **call.kwargs,
        what=Message("tests_tensors.one_hot_with", classes=num_classes, labels=labels.tolist()))


# -- dtype, device, purity, guard ------------------------------------------------------------

@pytest.mark.parametrize("case", params("dtype", FLOAT_CASES))
@FEWER
@given(data=st.data())
def test_keeps_the_input_dtype(impl, case: Case, data):
    call = data.draw(case.calls(), label="call")  # float32 and float64 both come up
    values.check_dtype(call(getattr(impl, case.name)), call.args[0].dtype, describe(case, call))


ONE_HOT_OPTIONS = [{}, *({"dtype": d} for d in (torch.float32, torch.float64, torch.float16,
                                               torch.int64, torch.bool))]


@exercise("tensors.one_hot", check="dtype")
@given(data=st.data())
def test_one_hot_returns_the_requested_dtype(impl, data):
    options = data.draw(st.sampled_from(ONE_HOT_OPTIONS), label="options")
    call = data.draw(label_calls(options=options), label="call")
    result = values.check_is_tensor(call(impl.one_hot), describe(CASES["one_hot"], call))
    wanted = options.get("dtype", torch.float32)
    if result.dtype != wanted:
        raise CheckFailure(Message("tests_tensors.one_hot_dtype",
                                   what=describe(CASES["one_hot"], call), dtype=result.dtype,
                                   wanted=wanted))


@pytest.mark.parametrize("case", params("device"))
@settings(max_examples=5)  # fake tensors are slow, and device bugs do not hide in values
@given(data=st.data())
def test_keeps_the_input_device_on_fake_cuda(impl, case: Case, data):
    call = data.draw(case.calls(), label="call")
    fn, what = getattr(impl, case.name), describe(case, call)
    devices.check_device_hygiene(fn, *call.args, what=what, **call.kwargs)


@pytest.mark.skipif(not devices.cuda_available(),
                    reason="no CUDA device: real GPU parity not checked")
@pytest.mark.parametrize("case", params("device"))
@settings(max_examples=10)
@given(data=st.data())
def test_matches_cpu_on_real_cuda(impl, case: Case, data):
    call = data.draw(case.calls(), label="call")
    what = Message("devices.on_cuda", what=describe(case, call))
    devices.check_cuda_parity(
        getattr(impl, case.name), *call.args, what=what, **call.kwargs,
        compare=lambda gpu, cpu: values.assert_close(gpu, cpu, what=what,
                                                     reference=Message(
                                                         "devices.cpu_result")))


@pytest.mark.parametrize("case", params("purity"))
@FEWER
@given(data=st.data())
def test_leaves_its_inputs_unchanged(impl, case: Case, data):
    call = data.draw(case.calls(), label="call")
    purity.check_inputs_unchanged(getattr(impl, case.name), *call.args,
                                  what=describe(case, call), **call.kwargs)


@pytest.mark.parametrize("case", params("guard"))
@FEWER
@given(data=st.data())
def test_calls_nothing_forbidden(impl, forbidden, case: Case, data):
    check_source_clean(scan_source(Path(impl.__file__)), case.name)
    call = data.draw(case.calls(), label="call")
    check_no_forbidden_calls(getattr(impl, case.name), *call.args, rules=forbidden, **call.kwargs)
