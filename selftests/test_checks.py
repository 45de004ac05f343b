"""The value, device and purity check helpers catch what they are for, and pass correct code."""

from __future__ import annotations

import pytest
import torch

from gradkata.checks import devices, purity, values
from gradkata.checks.failure import CheckFailure


def relu_on_default_device(x):
    return torch.maximum(x, torch.zeros(x.shape, dtype=x.dtype))


def relu_data_dependent_with_default_device(x):
    y = torch.zeros(x.shape, dtype=x.dtype)
    if bool((x > 0).any()):  # data-dependent: cannot run on fake tensors
        y[x > 0] = x[x > 0]
    return y


def relu_data_dependent_done_right(x):
    y = x.clone()
    y[y < 0] = 0
    return y * torch.tensor(1.0)  # a 0-dim constant is fine on any device


def test_fake_cuda_catches_a_tensor_made_on_the_default_device():
    with pytest.raises(CheckFailure, match="mixes devices"):
        devices.check_device_hygiene(relu_on_default_device, torch.randn(3, 4), what="relu(x)")


def test_factory_watch_catches_it_where_fake_tensors_cannot_run():
    with pytest.raises(CheckFailure, match=r"torch.zeros\(...\) without device="):
        devices.check_device_hygiene(
            relu_data_dependent_with_default_device, torch.randn(5), what="relu(x)"
        )


@pytest.mark.parametrize(
    "fn",
    [
        relu_data_dependent_done_right,
        lambda x: x.clamp(min=0),
        lambda x: torch.where(x > 0, x, torch.zeros_like(x)),
    ],
)
def test_correct_code_passes_the_device_check(fn):
    devices.check_device_hygiene(fn, torch.randn(4, 3), what="relu(x)")


def test_a_cpu_result_for_cuda_inputs_is_caught():
    with pytest.raises(CheckFailure, match="returned a tensor on cpu"):
        devices.check_device_hygiene(
            lambda x: torch.ones(3, device="cpu"), torch.randn(3), what="f(x)"
        )


def test_purity_catches_in_place_changes_and_restored_values():
    with pytest.raises(CheckFailure, match="modified its input x in place"):
        purity.check_inputs_unchanged(lambda x: x.mul_(2), torch.ones(3), what="f(x)")
    with pytest.raises(CheckFailure, match="values were put back"):
        purity.check_inputs_unchanged(lambda x: x.add_(1).sub_(1), torch.ones(3), what="f(x)")
    assert purity.check_inputs_unchanged(lambda x: x * 2, torch.ones(3), what="f(x)").sum() == 6


def test_value_mismatch_names_the_worst_element_and_its_input():
    x = torch.tensor([0.0, 1.0, -2.0])
    with pytest.raises(CheckFailure) as caught:
        values.assert_close(
            torch.tensor([0.5, 0.7, 0.9]),
            torch.sigmoid(x),
            what="sigmoid(x)",
            reference="torch.sigmoid",
            inputs={"x": x},
        )
    message = str(caught.value)
    assert "differs from torch.sigmoid at 2 of 3 element(s); worst at index (2,)" in message
    assert "x = -2" in message


def test_value_check_reports_shape_before_values():
    with pytest.raises(CheckFailure, match=r"returned shape \(3,\), expected \(1, 3\)"):
        values.assert_close(torch.zeros(3), torch.zeros(1, 3), what="f(x)", reference="g")


def test_float32_rounding_is_within_tolerance_but_a_real_error_is_not():
    x = torch.randn(1000, dtype=torch.float32)
    values.assert_close(1 / (1 + torch.exp(-x)), torch.sigmoid(x), what="s", reference="r")
    with pytest.raises(CheckFailure):
        values.assert_close(
            torch.sigmoid(x) * (1 + 1e-4), torch.sigmoid(x), what="s", reference="r"
        )


def test_non_finite_results_are_reported_with_the_input():
    x = torch.tensor([1.0, 1e4], dtype=torch.float32)
    with pytest.raises(CheckFailure, match="x = 10000: not finite"):
        values.check_finite(torch.exp(x) / torch.exp(x), "f(x)", {"x": x})


def test_dtype_check_names_both_dtypes():
    with pytest.raises(CheckFailure, match=r"returned torch\.float32 for a torch\.float64 input"):
        values.check_dtype(torch.zeros(2), torch.float64, "f(x)")


def test_errors_check_wants_the_exact_value_error():
    from gradkata.checks.errors import check_raises_value_error

    def picky(a):
        raise ValueError("mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)")

    check_raises_value_error(
        picky,
        1,
        what="matmul(a, b)",
        expected_message="mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)",
    )
    with pytest.raises(CheckFailure, match="expected exactly"):
        check_raises_value_error(picky, 1, what="matmul(a, b)", expected_message="other")
    with pytest.raises(CheckFailure, match="returned normally"):
        check_raises_value_error(lambda a: a, 1, what="f(a)")
    with pytest.raises(CheckFailure, match="raised IndexError"):
        check_raises_value_error(lambda a: [][a], 1, what="f(a)")
    with pytest.raises(CheckFailure, match="does not mention '7'"):
        check_raises_value_error(picky, 1, what="f(a)", must_mention=("7",))
