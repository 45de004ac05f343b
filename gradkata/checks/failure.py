"""The one exception every check raises when a learner's code is wrong."""


class CheckFailure(AssertionError):
    """A check found a mistake; ``str(error)`` is the learner-facing explanation.

    Checks raise it with one or two plain sentences naming what is wrong
    ("sign error in the gradient for x", "you called torch.softmax"), never a
    traceback or a dump of whole tensors. The grader shows that text as is.
    """
