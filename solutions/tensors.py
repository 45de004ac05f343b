"""Reference solutions for topic 1: tensor operations.

Each function is built from broadcasting and reductions only; new tensors
are made from the inputs (or with ``device=``), so results keep their dtype
and device, and no input is modified.
"""

import torch


def matmul(a, b):
    if a.dim() != 2 or b.dim() != 2:
        raise ValueError(f"matmul expects two 2-D tensors, got {a.dim()}-D and {b.dim()}-D")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"mat1 and mat2 shapes cannot be multiplied "
                         f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    # C[i, j] = sum_k A[i, k] B[k, j]: line A up as (n, k, 1), B as (1, k, m), sum over k.
    return (a[:, :, None] * b[None, :, :]).sum(dim=1)


def outer(u, v):
    # (n, 1) * (1, m) broadcasts to (n, m) with entry u[i] * v[j].
    return u[:, None] * v[None, :]


def l1_norm(x):
    return x.abs().sum()


def l2_norm(x):
    return (x * x).sum().sqrt()


def cosine_similarity(u, v, eps=1e-8):
    # Each norm is clamped on its own, so a zero vector gives 0, never 0 / 0.
    denominator = l2_norm(u).clamp(min=eps) * l2_norm(v).clamp(min=eps)
    return (u * v).sum() / denominator


def one_hot(labels, num_classes, dtype=torch.float32):
    outside = (labels < 0) | (labels >= num_classes)
    if bool(outside.any()):
        bad = int(labels[outside][0])
        raise ValueError(f"label {bad} is outside [0, {num_classes}): "
                         f"labels must lie in 0 .. {num_classes - 1}")
    classes = torch.arange(num_classes, device=labels.device)
    # Row i compares labels[i] with every class: True exactly at column labels[i].
    return (labels[:, None] == classes[None, :]).to(dtype)
