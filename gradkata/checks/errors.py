"""The ``errors`` family: bad input raises the SPEC's ``ValueError``, worded as specified."""

from __future__ import annotations

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
        raise CheckFailure(
            f"{what} raised {type(error).__name__}: {error} — it should raise ValueError") from None
    else:
        raise CheckFailure(f"{what} should raise ValueError for this input, but returned normally")
    if expected_message is not None and message != expected_message:
        raise CheckFailure(f"{what} raised ValueError({message!r}); expected exactly "
                           f"ValueError({expected_message!r})")
    missing = [m for m in must_mention if m not in message]
    if missing:
        raise CheckFailure(f"{what} raised ValueError({message!r}), which does not mention "
                           f"{', '.join(repr(m) for m in missing)}: say what was wrong")
