"""The one exception every check raises when a learner's code is wrong."""

from __future__ import annotations

from ..messages import render


class CheckFailure(AssertionError):
    """A check found a mistake; ``str(error)`` is the learner-facing explanation in English.

    Checks raise it with one or two plain sentences naming what is wrong
    ("sign error in the gradient for x", "you called torch.softmax"), never a
    traceback or a dump of whole tensors. The grader shows that text as is.

    message: a :class:`gradkata.messages.Message` (every check of gradkata's
        own speaks through the catalogues), or a plain ``str``, which reads
        the same in every language (a course author's own check).
    """

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message

    def explanation(self, lang: str) -> str:
        """The explanation in ``lang`` (``"en"`` or ``"zh"``)."""
        return render(self.message, lang)
