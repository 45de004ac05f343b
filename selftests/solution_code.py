"""The reference solutions' code, as the release self-tests read it.

``reference`` is a topic's solutions/ module as text; ``solution_lines`` the
code lines of its solution blocks, which no file given to a learner may hold.
"""

from __future__ import annotations

from gradkata.release.markers import find_blocks

from .conftest import ROOT


def solution_lines(solution: str) -> set[str]:
    """The stripped code lines of ``solution``'s solution blocks (not comments or imports)."""
    lines = solution.splitlines()
    found = set()
    for block in find_blocks(lines, "solution"):
        if block.kind == "solution":
            found |= {line.strip() for line in lines[block.begin:block.end - 1]}
    return {line for line in found if line and not line.startswith(("#", "import ", "from "))}


def reference(topic: str) -> str:
    return (ROOT / "solutions" / f"{topic}.py").read_text(encoding="utf-8")
