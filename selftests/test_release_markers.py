"""``gradkata release``: the solution and stub markers, on a small module.

A toy topic of one function, one class and a helper shows the documented
stub; each malformed marking (a block never closed or closing none, blocks
nested or badly indented, a block ending inside a statement or lying in a
helper, an exercise left undefined) is refused with its line.
"""

from __future__ import annotations

import pytest

from gradkata.catalog import Exercise, Topic
from gradkata.release.stubs import ReleaseError, stub_source

# -- the markers, on a small module ----------------------------------------------------------

TOPIC = Topic("toy", 9, "Toy", (Exercise("toy", "double", "9.1", 1.0, ()),
                                Exercise("toy", "Counter", "9.2", 1.0, ())))

MARKED = '''\
"""A toy topic."""

# BEGIN SOLUTION
import math

# END SOLUTION
# BEGIN STUB
# import math  # noqa: F401 - for your solutions
# END STUB


# BEGIN SOLUTION
def _twice(x):
    return x + x
# END SOLUTION


def double(x):
    """Exercise 9.1 - 2 x."""
    # BEGIN SOLUTION
    return _twice(x)  # a helper of the reference
    # END SOLUTION


class Counter:
    """Exercise 9.2 - counts."""

    def __init__(self):
        # BEGIN SOLUTION
        self.count = 0
        # END SOLUTION

    # BEGIN SOLUTION
    def __repr__(self):
        return f"Counter({self.count})"
    # END SOLUTION

    def add(self):
        """One more."""
        # BEGIN SOLUTION
        self.count += 1
        # END SOLUTION
'''

STUB = '''\
"""A toy topic."""

import math  # noqa: F401 - for your solutions


def double(x):
    """Exercise 9.1 - 2 x."""
    raise NotImplementedError("exercise 9.1: write toy.double")


class Counter:
    """Exercise 9.2 - counts."""

    def __init__(self):
        raise NotImplementedError("exercise 9.2: write toy.Counter.__init__")

    def add(self):
        """One more."""
        raise NotImplementedError("exercise 9.2: write toy.Counter.add")
'''


def test_markers_give_the_documented_stub():
    assert stub_source(MARKED, TOPIC, "toy.py") == STUB


@pytest.mark.parametrize(("change", "says"), [
    (("# END SOLUTION\n# BEGIN STUB", "# BEGIN STUB"),
     r"toy\.py:6: '# BEGIN STUB' inside the block opened at line 3"),
    (("+= 1\n        # END SOLUTION\n", "+= 1\n"),
     r"toy\.py:40: '# BEGIN SOLUTION' is never closed"),
    (("# END STUB\n", "# END STUB\n# END STUB\n"), r"toy\.py:10: '# END STUB' closes no block"),
    (("# import math  #", "import math  #"), r"toy\.py:8: a line of a stub block must be"),
    (("    return x + x\n# END", "    # END SOLUTION\n    return x + x\n# END"), r"indented like"),
    (("def _twice(x):\n    return x + x", "def _twice(x):\n    y = x\n    # BEGIN SOLUTION\n"
      "    return x + x\n    # END SOLUTION"), r"blocks do not nest"),
    (("def _twice(x):\n    return x + x\n# END SOLUTION",
      "def _twice(x):\n# END SOLUTION\n    return x + x"),
     r"toy\.py:12: the solution block ends inside the statement at line 13"),
    (("# BEGIN SOLUTION\ndef _twice(x):\n    return x + x\n# END SOLUTION",
      "    # BEGIN SOLUTION\ndef _twice(x):\n    return x + x\n    # END SOLUTION"),
     r"toy\.py:12: the markers are not indented like the statements they hold"),
    (("def double(x):", "def triple(x):"), r"defines no 'double'.*exercise 9\.1"),
    (("        self.count = 0\n        # END SOLUTION",
      "        # END SOLUTION\n        self.count = 0"), r"toy\.Counter\.__init__ is \(part of\)"),
])
def test_malformed_markers_are_refused_with_the_line(change, says):
    old, new = change
    assert old in MARKED
    with pytest.raises(ReleaseError, match=says):
        stub_source(MARKED.replace(old, new, 1), TOPIC, "toy.py")


def test_a_solution_block_inside_a_helper_is_refused():
    helper = "def _twice(x):\n    return x + x\n# END SOLUTION"
    marked = MARKED.replace(helper, "# END SOLUTION\n\n\ndef _twice(x):\n    # BEGIN SOLUTION\n"
                                    "    return x + x\n    # END SOLUTION")
    with pytest.raises(ReleaseError, match=r"inside _twice, which is no exercise's body"):
        stub_source(marked, TOPIC, "toy.py")
