"""``gradkata release``: the learner's ``exercises/`` made from the marked ``solutions/``.

The reference modules in ``solutions/`` are the single source: each holds the
learner-facing docstrings, and comment markers say what only the reference
has and what only the learner's stub has::

    def double(x):
        r\"\"\"Exercise 9.1 - twice x, elementwise. (The learner reads this.)\"\"\"
        # BEGIN SOLUTION
        return 2 * x
        # END SOLUTION

becomes, in the stub, the same ``def`` line and docstring and one line,
``raise NotImplementedError("exercise 9.1: write <topic>.double")``.
At module or class level a ``# BEGIN SOLUTION`` block (imports, helpers, a
method) is left out of the stub; a ``# BEGIN STUB`` / ``# END STUB`` block
holds lines only the stub has, commented out in the reference. Modules:

- :mod:`.markers` finds the blocks;
- :mod:`.stubs` turns one reference module into its stub;
- :mod:`.regenerate` writes or checks ``exercises/`` for the whole catalogue;
- :mod:`.learner_repo` writes the learner's repository (``--out DIR``).
"""
