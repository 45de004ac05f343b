"""Known-wrong learner implementations for topic 1, ``tensors``.

Each function is a realistic mistake, named for what it gets wrong, and
registered with the exercise it attempts, the check family meant to catch
it and a phrase that family's message must contain.
"""

from __future__ import annotations

import math

import torch

from solutions.tensors import l2_norm

from .registry import wrong


def _shapes_message(a, b):
    return (f"mat1 and mat2 shapes cannot be multiplied "
            f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")


# -- matmul -----------------------------------------------------------------------

@wrong("tensors.matmul", caught_by="value", says="returned shape")
def matmul_returning_the_transposed_product(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(_shapes_message(a, b))
    # C[j, i] instead of C[i, j]: the loops' indices in the wrong order.
    return (b.T[:, :, None] * a.T[None, :, :]).sum(dim=1)


@wrong("tensors.matmul", caught_by="value", says="differs from torch.matmul")
def matmul_reshaping_b_instead_of_transposing(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(_shapes_message(a, b))
    # Meant B.T, of shape (m, k); reshape() gives that shape with the entries in the wrong places.
    return (a[:, None, :] * b.reshape(b.shape[1], b.shape[0])[None, :, :]).sum(dim=2)


@wrong("tensors.matmul", caught_by="errors", says="expected exactly")
def matmul_with_the_sizes_swapped_in_the_message(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"mat1 and mat2 shapes cannot be multiplied "
                         f"({b.shape[0]}x{b.shape[1]} and {a.shape[0]}x{a.shape[1]})")
    return (a[:, :, None] * b[None, :, :]).sum(dim=1)


@wrong("tensors.matmul", caught_by="errors", says="returned normally")
def matmul_without_a_shape_check(a, b):
    return (a[:, :, None] * b[None, :, :]).sum(dim=1)


@wrong("tensors.matmul", caught_by="guard", says="torch.mm")
def matmul_calling_torch_mm(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(_shapes_message(a, b))
    return torch.mm(a, b)


@wrong("tensors.matmul", caught_by="guard", says="torch.dot")
def matmul_from_row_column_dot_products(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(_shapes_message(a, b))
    rows = [torch.stack([torch.dot(row, column) for column in b.T]) for row in a]
    return torch.stack(rows)


@wrong("tensors.matmul", caught_by="property", says="view size is not compatible")
def matmul_indexing_flat_views(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(_shapes_message(a, b))
    (n, k), m = a.shape, b.shape[1]
    # Row-major by hand: row i of A is flat_a[i*k : (i+1)*k], column j of B is flat_b[j::m].
    # view(-1) needs a contiguous tensor; a transposed matrix is not one.
    flat_a, flat_b = a.view(-1), b.view(-1)
    rows = [torch.stack([(flat_a[i * k:(i + 1) * k] * flat_b[j::m]).sum() for j in range(m)])
            for i in range(n)]
    return torch.stack(rows)


@wrong("tensors.matmul", caught_by="purity", says="modified its input b")
def matmul_transposing_b_in_place(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(_shapes_message(a, b))
    columns = b.t_()  # rows of columns ... of the caller's b
    return (a[:, None, :] * columns[None, :, :]).sum(dim=2)


@wrong("tensors.matmul", caught_by="dtype", says="returned torch.float32 for a torch.float64")
def matmul_filling_a_float32_result(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(_shapes_message(a, b))
    result = torch.zeros(a.shape[0], b.shape[1], device=a.device)
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            result[i, j] = (a[i, :] * b[:, j]).sum()
    return result


@wrong("tensors.matmul", caught_by="device", says="torch.zeros")
def matmul_filling_a_result_on_the_default_device(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(_shapes_message(a, b))
    result = torch.zeros(a.shape[0], b.shape[1], dtype=a.dtype)
    for i in range(a.shape[0]):
        for j in range(b.shape[1]):
            result[i, j] = (a[i, :] * b[:, j]).sum()
    return result


# -- outer ------------------------------------------------------------------------

@wrong("tensors.outer", caught_by="value", says="returned shape")
def outer_as_the_elementwise_product(u, v):
    return u * v


@wrong("tensors.outer", caught_by="value", says="returned shape")
def outer_with_the_axes_swapped(u, v):
    return u[None, :] * v[:, None]


@wrong("tensors.outer", caught_by="guard", says="torch.outer")
def outer_calling_torch_outer(u, v):
    return torch.outer(u, v)


@wrong("tensors.outer", caught_by="guard", says="ger")
def outer_calling_the_alias_ger(u, v):
    return torch.ger(u, v)


@wrong("tensors.outer", caught_by="guard", says="`@`")
def outer_as_column_at_row(u, v):
    return u[:, None] @ v[None, :]


# -- l1_norm ----------------------------------------------------------------------

@wrong("tensors.l1_norm", caught_by="value", says="differs from torch.linalg.vector_norm")
def l1_norm_summing_signed_values(x):
    return x.sum()


@wrong("tensors.l1_norm", caught_by="property", says="l1_norm(x.clamp(min=0))")
def l1_norm_taking_abs_after_the_sum(x):
    return x.sum().abs()


@wrong("tensors.l1_norm", caught_by="guard", says="vector_norm")
def l1_norm_calling_linalg(x):
    return torch.linalg.vector_norm(x, ord=1)


@wrong("tensors.l1_norm", caught_by="purity", says="modified its input x")
def l1_norm_taking_abs_in_place(x):
    return x.abs_().sum()


@wrong("tensors.l1_norm", caught_by="device", says="torch.tensor")
def l1_norm_rebuilt_from_a_python_float(x):
    return torch.tensor(float(x.abs().sum()), dtype=x.dtype)


# -- l2_norm ----------------------------------------------------------------------

@wrong("tensors.l2_norm", caught_by="value", says="differs from torch.linalg.vector_norm")
def l2_norm_without_the_square_root(x):
    return (x * x).sum()


@wrong("tensors.l2_norm", caught_by="value", says="returned shape")
def l2_norm_of_each_row(x):
    return (x * x).sum(dim=-1).sqrt()


@wrong("tensors.l2_norm", caught_by="guard", says="torch.norm")
def l2_norm_calling_torch_norm(x):
    return torch.norm(x)


@wrong("tensors.l2_norm", caught_by="purity", says="modified its input x")
def l2_norm_squaring_in_place(x):
    return x.pow_(2).sum().sqrt()


@wrong("tensors.l2_norm", caught_by="dtype", says="returned torch.float32 for a torch.float64")
def l2_norm_through_math_sqrt(x):
    return torch.tensor(math.sqrt(float((x * x).sum())))


# -- cosine_similarity ------------------------------------------------------------

@wrong("tensors.cosine_similarity", caught_by="value", says="0 / 0")
def cosine_similarity_dividing_by_zero_norms(u, v, eps=1e-8):
    return (u * v).sum() / (l2_norm(u) * l2_norm(v))


@wrong("tensors.cosine_similarity", caught_by="value",
       says="differs from torch.nn.functional.cosine_similarity")
def cosine_similarity_clamping_the_product_of_norms(u, v, eps=1e-8):
    return (u * v).sum() / (l2_norm(u) * l2_norm(v)).clamp(min=eps)


@wrong("tensors.cosine_similarity", caught_by="value",
       says="differs from torch.nn.functional.cosine_similarity")
def cosine_similarity_adding_eps_to_the_denominator(u, v, eps=1e-8):
    return (u * v).sum() / (l2_norm(u) * l2_norm(v) + eps)


@wrong("tensors.cosine_similarity", caught_by="property", says="cos(3u, 0.5v) = cos(u, v)")
def cosine_similarity_without_the_square_roots(u, v, eps=1e-8):
    return (u * v).sum() / ((u * u).sum().clamp(min=eps) * (v * v).sum().clamp(min=eps))


@wrong("tensors.cosine_similarity", caught_by="guard", says="cosine_similarity")
def cosine_similarity_calling_functional(u, v, eps=1e-8):
    return torch.nn.functional.cosine_similarity(u, v, dim=0, eps=eps)


@wrong("tensors.cosine_similarity", caught_by="guard", says="norm")
def cosine_similarity_with_torch_norm(u, v, eps=1e-8):
    return (u * v).sum() / (u.norm().clamp(min=eps) * v.norm().clamp(min=eps))


# -- one_hot ----------------------------------------------------------------------

def _check_labels(labels, num_classes):
    if bool(((labels < 0) | (labels >= num_classes)).any()):
        raise ValueError(f"labels must lie in [0, {num_classes})")


@wrong("tensors.one_hot", caught_by="device", says="torch.zeros")
def one_hot_on_the_default_device(labels, num_classes, dtype=torch.float32):
    _check_labels(labels, num_classes)
    result = torch.zeros(labels.shape[0], num_classes, dtype=dtype)
    result[torch.arange(labels.shape[0]), labels] = 1
    return result


@wrong("tensors.one_hot", caught_by="dtype", says="not torch.")
def one_hot_in_the_labels_dtype(labels, num_classes, dtype=torch.float32):
    _check_labels(labels, num_classes)
    return (labels[:, None] == torch.arange(num_classes, device=labels.device)).long()


@wrong("tensors.one_hot", caught_by="errors", says="returned normally")
def one_hot_without_a_range_check(labels, num_classes, dtype=torch.float32):
    classes = torch.arange(num_classes, device=labels.device)
    return (labels[:, None] == classes).to(dtype)


@wrong("tensors.one_hot", caught_by="errors", says="raised IndexError")
def one_hot_by_indexing_without_a_range_check(labels, num_classes, dtype=torch.float32):
    result = torch.zeros(labels.shape[0], num_classes, dtype=dtype, device=labels.device)
    result[torch.arange(labels.shape[0], device=labels.device), labels] = 1
    return result


@wrong("tensors.one_hot", caught_by="value", says="returned shape")
def one_hot_transposed(labels, num_classes, dtype=torch.float32):
    _check_labels(labels, num_classes)
    return (torch.arange(num_classes, device=labels.device)[:, None] == labels).to(dtype)


@wrong("tensors.one_hot", caught_by="guard", says="one_hot")
def one_hot_calling_functional(labels, num_classes, dtype=torch.float32):
    _check_labels(labels, num_classes)
    return torch.nn.functional.one_hot(labels, num_classes).to(dtype)


@wrong("tensors.one_hot", caught_by="purity", says="wrote into its input labels")
def one_hot_clamping_labels_in_place(labels, num_classes, dtype=torch.float32):
    _check_labels(labels, num_classes)
    labels.clamp_(0, num_classes - 1)
    # The check passed, so the clamp changes nothing... except the version counter.
    return (labels[:, None] == torch.arange(num_classes, device=labels.device)).to(dtype)
