"""gradkata: gradient-checking exercises and their grader."""

__version__ = "0.1.0"

from .checks.failure import CheckFailure
from .markers import exercise, exercise_params

__all__ = [
    "CheckFailure", "GradientCheckError", "__version__", "check_gradient", "exercise",
    "exercise_params",
]


def __getattr__(name):
    # The engine imports torch; load it only when a caller asks for it, so
    # that `import gradkata` (the pytest plugin) stays cheap for other runs.
    if name in ("check_gradient", "GradientCheckError"):
        from .checks import gradcheck

        return getattr(gradcheck, name)
    raise AttributeError(f"module 'gradkata' has no attribute {name!r}")
