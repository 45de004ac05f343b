"""The ``errors`` family: bad input raises the SPEC's ``ValueError``, worded as specified."""

from __future__ import annotations

from ..messages import Message
from .failure import CheckFailure


def check_raises_value_error(fn, *args, what: str, expected_message: str | None = None,
                             must_mention: tuple[str, ...] = (), **kwargs) -> None:
    """``fn(*args, **kwargs)`` raises ``ValueError``.

    expected_message: the exact text the SPEC fixes (e.g. the matmul shape
        message), compared word for word.
    must_mention: fragments the message must contain (e.g. the bad label).
    """
    try:
        fn(*args, **kwargs)
    except ValueError as error:
        message = str(error)
    except NotImplementedError:
        raise  # a stub: the exercise is todo, not wrong
    except Exception as error:
        raise CheckFailure(Message("errors.other_exception", what=what,
                                   type=type(error).__name__, error=str(error))) from None
    else:
        raise CheckFailure(Message("errors.returned", what=what))
    if expected_message is not None and message != expected_message:
        raise CheckFailure(Message("errors.other_wording", what=what, message=message,
                                   expected=expected_message))
    missing = [m for m in must_mention if m not in message]
    if missing:
        raise CheckFailure(Message("errors.not_mentioned", what=what, message=message,
                                   missing=", ".join(repr(m) for m in missing)))
