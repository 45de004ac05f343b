r"""Topic 2 - derivatives (导数) and gradients (梯度), by hand and by differences.

The derivative of f at x is the slope of its tangent line, the instantaneous
rate of change:

    f'(x) = lim_{h -> 0} (f(x + h) - f(x)) / h

f'(x) > 0: f is increasing at x; f'(x) < 0: decreasing; f'(x) = 0: maybe a
minimum, a maximum or a saddle. For a function of several variables
f(x_1, ..., x_n), the partial derivative (偏导数) df/dx_i holds every other
variable fixed, and the gradient collects all of them:

    grad f(x) = [df/dx_1, ..., df/dx_n]

It points in the direction in which f grows fastest; gradient descent steps
against it. Training a network is nothing but computing such gradients.

This topic computes derivatives two ways:
- numerically, with central differences (中心差分), the tool every gradient
  check (including gradkata's) trusts: slow and approximate, but it needs
  nothing but f itself;
- analytically, with the rules of calculus: the power rule and the chain rule
  (链式法则), the rule backpropagation applies over and over.

Rules for the whole topic:
- No autograd: no .backward(), torch.autograd.*, torch.func.* (that is what
  you are building). Also forbidden everywhere: torch.ops.*, torch._*,
  .numpy() and .tolist() of a whole tensor (.item() of one element is fine).
- Tensor results keep the input's dtype and device: build them with
  torch.zeros_like(x), torch.stack(...) of pieces of x, or Python numbers
  mixed with x, not with torch.zeros(shape) or torch.tensor([...]) alone.

Check your work with `pytest --exercise derivatives`, or one exercise at a
time: `pytest --exercise 2.1`.
"""

# BEGIN SOLUTION
# Reference solutions for topic 2: derivatives and gradients, without autograd.
#
# The numerical functions nudge one coordinate of ``x`` at a time in place and
# put back the saved original value (not ``x + h - h``, which rounds), so the
# caller's ``x`` ends exactly as it was.

import itertools

import torch

# END SOLUTION
# BEGIN STUB
# import torch  # noqa: F401 - for your solutions
# END STUB


def central_difference(f, x, h=1e-5):
    r"""Exercise 2.1 - the derivative of a function of one number, numerically.

        f'(x) ~ (f(x + h) - f(x - h)) / (2 h)

    This is the central difference: the slope of the chord from x - h to
    x + h. The one-sided forward difference (f(x + h) - f(x)) / h is off by
    about h f''(x) / 2; the central one by about h^2 f'''(x) / 6, so with
    h = 1e-5 it is about a million times more accurate, and it is exact for
    every quadratic, whatever h is. Smaller h is not always better: f(x + h)
    and f(x - h) agree in more and more leading digits, and the rounding error
    of their difference, divided by 2h, grows. In float64 an h near 1e-5 is a
    good balance.

    Args:
        f: a function from a Python float to a Python float, e.g. math.sin.
        x: float, the point.
        h: float, the step.

    Returns:
        float: exactly the formula above.

    Examples: for f(x) = x^2 at x = 3 the result is 6 (up to rounding); for
    f = math.sin at x = 0 it is ~1.0.

    Pitfall: write 2 * h in parentheses: ... / 2 * h divides by 2 and then
    multiplies by h.
    """
    # BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    # END SOLUTION


# BEGIN SOLUTION
def _nudged_difference(f, x, index, h):
    """(f(x + h e_index) - f(x - h e_index)) / 2h, with x restored exactly afterwards."""
    original = x[index].clone()
    x[index] = original + h
    f_plus = f(x)
    x[index] = original - h
    f_minus = f(x)
    x[index] = original
    return (f_plus - f_minus) / (2 * h)
# END SOLUTION


def numerical_gradient(f, x, h=1e-5):
    r"""Exercise 2.2 - the gradient of a scalar function of a tensor, numerically.

        grad[idx] = (f(x + h e_idx) - f(x - h e_idx)) / (2 h)

    e_idx is the tensor of x's shape with a 1 at position idx and 0
    elsewhere: one central difference per element of x, each moving only that
    element (a partial derivative).

    Args:
        f: a function from a tensor of x's shape to a 0-dim tensor.
        x: float64 tensor of any shape (0-dim included).
        h: float, the step.

    Returns:
        tensor of x's shape (and dtype and device) holding the gradient.

    Example: for f(x) = (x ** 2).sum() the gradient is 2 x; at x = [1, -2, 3]
    the result is ~[2, -4, 6].

    You may change an element of x in place while you evaluate f and put it
    back afterwards; when you return, x must hold exactly its original values.
    Save the original value and write it back: adding h and subtracting it
    again (x + h - 2h + h) does not always land on x, because every float
    operation rounds.

    Pitfall: x may be non-contiguous (a transposed matrix, say). Then
    x.view(-1) fails, and x.reshape(-1) or x.flatten() quietly return a copy:
    nudging the copy never reaches f(x). Index x itself, e.g. with the index
    tuples of itertools.product(*(range(s) for s in x.shape)).
    """
    # BEGIN SOLUTION
    grad = torch.zeros_like(x)
    for index in itertools.product(*(range(size) for size in x.shape)):
        grad[index] = _nudged_difference(f, x, index, h)
    return grad
    # END SOLUTION


def numerical_jacobian(f, x, h=1e-5):
    r"""Exercise 2.3 - the Jacobian matrix (雅可比矩阵) of a vector function, numerically.

        J[i, j] = d f_i / d x_j ~ (f_i(x + h e_j) - f_i(x - h e_j)) / (2 h)

    For f from n numbers to m numbers, J is (m, n): row i is the gradient of
    output f_i, column j says how every output moves when x_j moves. So one
    central difference in coordinate j (two calls of f, each giving all m
    outputs) fills column j. For m = 1 it is the gradient laid out as a row.

    Args:
        f: a function from an (n,) tensor to an (m,) tensor.
        x: (n,) float64 tensor.
        h: float, the step.

    Returns:
        (m, n) tensor, x's dtype and device.

    Example: for f(x) = [x_0 * x_1, x_0 + 2 x_1, x_1 ** 2] at x = [3, 5]
    (n = 2, m = 3):

        J = [[5,  3],
             [1,  2],
             [0, 10]]

    As for numerical_gradient, x may be changed while you work, but must hold
    exactly its original values when you return.

    Pitfall: the orientation. Stacking the differences for each j as rows
    gives J transposed, (n, m).
    """
    # BEGIN SOLUTION
    # Column j is d f / d x_j, so the stack over j goes along dim 1: J is (m, n).
    columns = [_nudged_difference(f, x, j, h) for j in range(x.shape[0])]
    return torch.stack(columns, dim=1)
    # END SOLUTION


def quadratic_gradient(x):
    r"""Exercise 2.4 - the gradient of a quadratic, by hand.

        y = 3 x_1^2 + 4 x_2^2 + 5 x_3^2

    Work out dy/dx_1, dy/dx_2 and dy/dx_3 with the power rule
    (d/dx x^n = n x^(n-1)): each partial derivative treats the other two
    variables as constants.

    Args:
        x: (3,) floating tensor, [x_1, x_2, x_3].

    Returns:
        (3,) tensor [dy/dx_1, dy/dx_2, dy/dx_3], x's dtype and device.

    Example: at x = [0, 0, 0] the gradient is [0, 0, 0]: the bottom of the
    bowl, where gradient descent stops.

    Pitfall: a coefficient tensor built with torch.tensor([...]) lives in
    float32 on the CPU; Python numbers multiplied with x follow x.
    """
    # BEGIN SOLUTION
    # y = 3 x1^2 + 4 x2^2 + 5 x3^2  =>  dy/dx_i = 2 * c_i * x_i.
    return torch.stack([6 * x[0], 8 * x[1], 10 * x[2]])
    # END SOLUTION


def polynomial_derivative(coeffs, x):
    r"""Exercise 2.5 - the derivative of a polynomial (多项式), by the power rule.

        p(x)  = c_0 + c_1 x + c_2 x^2 + ... + c_d x^d = sum_i c_i x^i
        p'(x) = c_1 + 2 c_2 x + ... + d c_d x^(d-1)

    Args:
        coeffs: a sequence (list or tuple) of numbers, lowest power first:
            coeffs[i] is c_i. Do not modify it.
        x: a Python float, or a floating tensor of any shape (then p' is taken
            elementwise).

    Returns:
        p'(x): a Python float for a float x; for a tensor x, a tensor of x's
        shape, dtype and device.

    Example: coeffs [1, 3, 2] is p(x) = 1 + 3x + 2x^2, so p'(x) = 3 + 4x and
    p'(2.0) = 11.0. A constant polynomial, e.g. [5], has derivative 0.

    Pitfalls: the constant c_0 disappears; the power i comes down as a
    factor and drops by one. Do not evaluate x ** (i - 1) for i = 0: at
    x = 0.0 that is 0.0 ** -1, a ZeroDivisionError for a float (inf, and then
    nan, for a tensor). Horner's rule avoids powers altogether:
    a + x * (b + x * (c + ...)).
    """
    # BEGIN SOLUTION
    # p'(x) = sum_{i>=1} i c_i x^(i-1), by Horner's rule from the highest power down.
    # Starting from 0 * x keeps x's kind: a float stays a float, a tensor keeps shape,
    # dtype and device.
    result = x * 0.0
    for power in range(len(coeffs) - 1, 0, -1):
        result = result * x + power * coeffs[power]
    return result
    # END SOLUTION


def chain_rule(f_prime, g, g_prime):
    r"""Exercise 2.6 - the chain rule (链式法则), as a function that returns a function.

        d/dx f(g(x)) = f'(g(x)) * g'(x)

    The outer derivative is taken where the outer function is evaluated, at
    g(x), not at x; then it is multiplied by the inner derivative.
    Backpropagation is this rule applied layer after layer.

    Args:
        f_prime: the derivative f' of the outer function f.
        g: the inner function.
        g_prime: the derivative g' of g.
        All three take and return a float (or work elementwise on tensors).

    Returns:
        a function of one argument x that returns d/dx f(g(x)); calling it
        with a float gives a float, with a tensor a tensor.

    Example: y = 2x, z = y^2, so z = (2x)^2. With g(x) = 2x, g'(x) = 2,
    f'(y) = 2y: dz/dx = f'(g(x)) * g'(x) = 2 (2x) * 2 = 8x, which is 24 at
    x = 3. Evaluating f' at x instead of g(x) would give 2 * 3 * 2 = 12.
    """
    # BEGIN SOLUTION
    def derivative(x):
        return f_prime(g(x)) * g_prime(x)

    return derivative
    # END SOLUTION
