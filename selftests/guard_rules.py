"""The forbidden-call rules and helpers the guard self-tests share.

``X`` is the 4 x 5 tensor every guarded action works on; ``messages`` runs an
action under a ``CallGuard`` and returns what it caught, ``assert_caught``
checks the first catch names the call as the learner wrote it.
"""

from __future__ import annotations

import torch

from gradkata.checks.guard import CallGuard, ForbiddenRules

ACTIVATIONS_TOPIC = ("torch.nn.functional.*", "torch.special.*", "logsigmoid", "logsumexp",
                     "softmax", "log_softmax")
X = torch.randn(4, 5)


def activation_rules(name: str, own: str | None = None) -> ForbiddenRules:
    own = own or name.removesuffix("_backward")
    return ForbiddenRules(f"activations.{name}", (*ACTIVATIONS_TOPIC, own))


def messages(rules: ForbiddenRules, action) -> list[str]:
    guard = CallGuard(rules)
    with guard:
        action()
    return [violation.message for violation in guard.violations]


def assert_caught(rules: ForbiddenRules, action, called: str, because: str = "") -> None:
    found = messages(rules, action)
    assert found, "nothing was caught"
    assert found[0].startswith(f"you called {called}"), found[0]
    assert because in found[0], found[0]
