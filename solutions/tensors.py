r"""Topic 1 - tensor operations (张量运算).

A tensor (张量) generalises numbers to any number of axes: a scalar (标量) has
0 axes, a vector (向量) 1, a matrix (矩阵) 2, a batch of images 4. Neural
networks are mostly matrix products and reductions over such tensors, so this
topic rebuilds a few of them from two simpler tools:

- Broadcasting (广播). Two shapes are lined up from the right; an axis of size
  1 (or a missing axis) is stretched to match the other. Indexing with None
  inserts such an axis:

      u[:, None]   has shape (n, 1)        v[None, :]   has shape (1, m)
      u[:, None] * v[None, :]              has shape (n, m)

- Reductions (归约): x.sum(), x.sum(dim=1), x.abs(), x.sqrt(), ... A sum over
  all elements gives a 0-dim tensor (one number, shape ()).

Rules for the whole topic:
- Results keep the input's dtype (float32, float64, ...) and device (CPU or
  GPU). Build new tensors from the inputs (torch.zeros_like(x),
  x.new_zeros(...), Python numbers mixed with x) or pass device=... and
  dtype=...; torch.zeros(n, m) or torch.tensor(3.0) alone lands on the
  default device, in float32.
- Never modify the inputs (no in-place ops such as x.abs_() or b.t_() on
  the caller's tensors).
- Each exercise forbids the torch function it re-implements (listed in its
  docstring), in every spelling: torch.f, Tensor.f, aliases, in-place
  variants. Also forbidden everywhere: autograd, torch.ops.*, torch._*,
  .numpy() and .tolist() of a whole tensor (.item() of one element is fine).

Check your work with `pytest --exercise tensors`, or one exercise at a time:
`pytest --exercise 1.1`.
"""

# BEGIN SOLUTION
# Reference solutions for topic 1: tensor operations.
#
# Each function is built from broadcasting and reductions only; new tensors
# are made from the inputs (or with ``device=``), so results keep their dtype
# and device, and no input is modified.
# END SOLUTION
import torch


def matmul(a, b):
    r"""Exercise 1.1 - the matrix product (矩阵乘法), from its definition.

        C = A B,    C[i, j] = sum_k A[i, k] * B[k, j]

    Entry (i, j) of the product is the dot product (点积) of row i of A with
    column j of B, so the inner sizes must agree: (n, k) times (k, m) gives
    (n, m). In a layer y = x W the rows of x are examples and the columns of
    W are output units.

    Args:
        a: (n, k) floating tensor.
        b: (k, m) tensor of a's dtype and device.

    Returns:
        (n, m), a's dtype and device.

    Example: [[1, 2], [3, 4]] times [[5], [6]] is [[17], [39]]
    (1*5 + 2*6 = 17, 3*5 + 4*6 = 39). A (1, 3) row times a (3, 1) column
    is (1, 1); a (3, 1) column times a (1, 3) row is (3, 3).

    Errors: when the inner sizes differ, raise ValueError with exactly
    PyTorch's message and the real sizes, e.g. for a (4, 10) and b (8, 5):

        mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)

    Check before computing: with broadcasting, a mismatch where one inner size
    is 1 does not fail by itself, it silently computes nonsense.

    Hints: broadcasting can form every product A[i, k] * B[k, j] at once, as
    a tensor of shape (n, k, m); then sum out the right axis. Avoid
    x.view(...) on inputs you did not create: a transposed matrix is not
    contiguous, and view() refuses it where reshape() or indexing with None
    does not.

    Forbidden here: matmul, mm, bmm, einsum, tensordot, linear, dot, inner,
    mv and the operator @.
    """
    # BEGIN SOLUTION
    if a.dim() != 2 or b.dim() != 2:
        raise ValueError(f"matmul expects two 2-D tensors, got {a.dim()}-D and {b.dim()}-D")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"mat1 and mat2 shapes cannot be multiplied "
                         f"({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    # C[i, j] = sum_k A[i, k] B[k, j]: line A up as (n, k, 1), B as (1, k, m), sum over k.
    return (a[:, :, None] * b[None, :, :]).sum(dim=1)
    # END SOLUTION


def outer(u, v):
    r"""Exercise 1.2 - the outer product (外积) of two vectors.

        outer(u, v)[i, j] = u[i] * v[j]

    Every entry of u times every entry of v: a (n,) and a (m,) vector give an
    (n, m) matrix (a matrix of rank 1). Unlike the dot product, the lengths
    need not agree. It is the building block of weight gradients: for
    y = W x, dL/dW = outer(dL/dy, x).

    Args:
        u: (n,) floating tensor.
        v: (m,) tensor of u's dtype and device.

    Returns:
        (n, m), u's dtype and device.

    Example: outer([1, 2, 3], [10, 20]) = [[10, 20], [20, 40], [30, 60]].

    Pitfall: u * v is the elementwise product, shape (n,), and only works when
    n == m. Use broadcasting: give u and v one new axis each, in the right
    places.

    Forbidden here: outer, ger, matmul, einsum and the operator @.
    """
    # BEGIN SOLUTION
    # (n, 1) * (1, m) broadcasts to (n, m) with entry u[i] * v[j].
    return u[:, None] * v[None, :]
    # END SOLUTION


def l1_norm(x):
    r"""Exercise 1.3 - the L1 norm (L1 范数): the sum of absolute values.

        ||x||_1 = sum_i |x_i|

    A norm measures the size of a tensor: it is >= 0, 0 only for x = 0,
    ||c x|| = |c| ||x||, and ||x + y|| <= ||x|| + ||y||. L1 is the
    "Manhattan" length; as a penalty it pushes weights to exactly 0.

    Args:
        x: (...) any shape, floating dtype; all elements count.

    Returns:
        0-dim tensor (shape ()), x's dtype and device.

    Examples: ||[3, -4]||_1 = 7; ||[[1, -2], [-3, 4]]||_1 = 10.

    Pitfall: without the absolute value, negative entries cancel positive ones
    (sum([3, -4]) = -1, not a length at all).

    Forbidden here: norm in every spelling (torch.norm, Tensor.norm, ...) and
    everything in torch.linalg.
    """
    # BEGIN SOLUTION
    return x.abs().sum()
    # END SOLUTION


def l2_norm(x):
    r"""Exercise 1.4 - the L2 norm (L2 范数): the Euclidean length.

        ||x||_2 = sqrt(sum_i x_i^2)

    Over all elements of x: for a matrix this is the Frobenius norm
    (F 范数) ||X||_F = sqrt(sum_ij X_ij^2), not a norm of each row.

    Args:
        x: (...) any shape, floating dtype.

    Returns:
        0-dim tensor, x's dtype and device.

    Examples: ||[3, -4]||_2 = 5; ||[[1, 1], [1, 1]]||_2 = 2.

    Pitfall: sum(x^2) alone is the squared norm; it grows like c^2 when x is
    scaled by c, while a norm grows like |c|. Square without squaring in
    place (x.pow_(2) would overwrite the caller's x).

    Forbidden here: norm in every spelling and everything in torch.linalg.
    """
    # BEGIN SOLUTION
    return (x * x).sum().sqrt()
    # END SOLUTION


def cosine_similarity(u, v, eps=1e-8):
    r"""Exercise 1.5 - cosine similarity (余弦相似度) of two vectors.

        cos(u, v) = u . v / (max(||u||_2, eps) * max(||v||_2, eps))

    The cosine of the angle between u and v: 1 for the same direction, 0 for
    perpendicular vectors, -1 for opposite ones. Scaling u or v by a positive
    number does not change it, so it compares directions only (embeddings,
    word vectors).

    Args:
        u: (n,) floating tensor.
        v: (n,) tensor of u's dtype and device.
        eps: float, the smallest norm each vector is taken to have.

    Returns:
        0-dim tensor in [-1, 1], u's dtype and device.

    Examples: cos([1, 0], [0, 2]) = 0; cos([1, 2], [2, 4]) = 1;
    cos([1, 1], [-3, -3]) = -1; cos([0, 0], [1, 2]) = 0.

    Numerical pitfall: a zero vector has norm 0, and 0 / 0 is nan. Clamp each
    norm separately at eps, as the formula says (PyTorch does the same).
    Clamping only their product, max(||u|| ||v||, eps), or adding eps to the
    denominator gives different results when the norms are small, e.g. two
    vectors of norm 1e-5.

    Forbidden here: cosine_similarity, norm in every spelling and everything
    in torch.linalg (you may call your own l2_norm).
    """
    # BEGIN SOLUTION
    # Each norm is clamped on its own, so a zero vector gives 0, never 0 / 0.
    denominator = l2_norm(u).clamp(min=eps) * l2_norm(v).clamp(min=eps)
    return (u * v).sum() / denominator
    # END SOLUTION


def one_hot(labels, num_classes, dtype=torch.float32):
    r"""Exercise 1.6 - one-hot encoding (独热编码) of class labels.

        one_hot(labels)[i, c] = 1 if labels[i] == c, else 0

    Each label becomes a row with a single 1, in the label's column: the form
    in which class targets meet a network's (N, num_classes) outputs.

    Args:
        labels: (N,) int64 tensor, each in [0, num_classes).
        num_classes: int, the number of classes C.
        dtype: the dtype of the result (float32 by default; float64, int64,
            bool ... must work too).

    Returns:
        (N, num_classes) tensor of the requested dtype, on labels' device.

    Example: one_hot([0, 2, 1], 3) =
        [[1, 0, 0],
         [0, 0, 1],
         [0, 1, 0]]

    Errors: a label below 0 or at least num_classes raises ValueError, with a
    message that says which label is wrong and what the range is. Indexing
    with a negative label does not fail by itself (-1 means the last
    column), so check first.

    Pitfalls: the result's dtype is the dtype argument, not labels' dtype
    (int64) and not always float32; its device is labels.device. Hint: one
    comparison, broadcast between the labels and the class numbers
    0 .. num_classes - 1, gives the whole table at once.

    Forbidden here: one_hot in every spelling (torch.nn.functional.one_hot).
    """
    # BEGIN SOLUTION
    outside = (labels < 0) | (labels >= num_classes)
    if bool(outside.any()):
        bad = int(labels[outside][0])
        raise ValueError(f"label {bad} is outside [0, {num_classes}): "
                         f"labels must lie in 0 .. {num_classes - 1}")
    classes = torch.arange(num_classes, device=labels.device)
    # Row i compares labels[i] with every class: True exactly at column labels[i].
    return (labels[:, None] == classes[None, :]).to(dtype)
    # END SOLUTION
