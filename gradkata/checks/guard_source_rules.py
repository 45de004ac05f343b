"""What the source scan looks for, and the sentence a learner reads for each."""

from __future__ import annotations

import enum

from ..messages import Message
from .guard_index import is_private_name


class Category(enum.Enum):
    """A kind of finding; its value is the learner-facing reason (a :class:`Message`)."""

    TORCH_C = Message("guard_source.torch_c")
    ESCAPE = Message("guard_source.escape")
    PRIVATE = Message("guard_source.private")
    CTYPES = Message("guard_source.ctypes")
    TRACE = Message("guard_source.trace")
    INTROSPECTION = Message("guard_source.introspection")
    SYS_MODULES = Message("guard_source.sys_modules")
    DYNAMIC_IMPORT = Message("guard_source.dynamic_import")
    EVAL = Message("guard_source.eval")
    ELSEWHERE = Message("guard_source.elsewhere")


# Names whose only use is to switch torch function modes off or reorder them.
ESCAPE_NAMES = frozenset({
    "DisableTorchFunction", "DisableTorchFunctionSubclass", "_disabled_torch_function_impl",
    "_pop_mode", "_push_mode", "_pop_mode_temporarily", "_get_current_function_mode",
    "_get_current_function_mode_stack", "_len_torch_function_stack", "_set_torch_function_mode",
    "_get_function_stack_at", "_pop_torch_function_stack", "_push_on_torch_function_stack",
    "_DisableTorchDispatch", "_DisableFuncTorch", "_no_torch_function_mode",
})
CTYPES_MODULES = frozenset({"ctypes", "_ctypes", "cffi"})
# The guard watches the calling thread only.
ELSEWHERE_MODULES = frozenset({"threading", "_thread", "concurrent", "multiprocessing",
                               "subprocess", "torch.multiprocessing"})
ELSEWHERE_CALLS = ("os.fork", "os.system", "os.popen", "os.spawn", "os.exec", "os.posix_spawn")
TRACE_HOOKS = frozenset({
    "sys.settrace", "sys.setprofile", "threading.settrace", "threading.setprofile",
    "threading.settrace_all_threads", "threading.setprofile_all_threads",
})
INTROSPECTION_CALLS = frozenset({
    "sys._getframe", "sys._current_frames", "inspect.currentframe", "inspect.stack",
    "inspect.trace", "inspect.getouterframes", "inspect.getinnerframes",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents",
})
# Attribute names that reach frames or every live object, whatever they are read from
# (``__import__("sys")._getframe``): no tensor or module of an exercise has them.
FRAME_ATTRIBUTES = frozenset({
    "f_back", "f_locals", "f_globals", "f_builtins", "tb_frame", "gi_frame", "cr_frame",
    "ag_frame", "_getframe", "_current_frames", "settrace", "setprofile", "get_objects",
    "get_referrers", "get_referents",
})
IMPORT_FUNCTIONS = frozenset({"__import__", "importlib.import_module", "importlib.__import__",
                              "builtins.__import__"})
STRING_BUILTINS = frozenset({"eval", "exec", "compile",
                             "builtins.eval", "builtins.exec", "builtins.compile"})


def judge_dotted(dotted: str) -> Category | None:
    """The finding a module path or imported name stands for, if any: ``torch._C.X`` ..."""
    parts = dotted.split(".")
    if parts[0] == "torch" and "_C" in parts:
        return Category.TORCH_C
    if any(part in ESCAPE_NAMES for part in parts):
        return Category.ESCAPE
    if parts[0] in CTYPES_MODULES:
        return Category.CTYPES
    if dotted in TRACE_HOOKS or dotted.startswith("sys.monitoring"):
        return Category.TRACE
    if (parts[0] in ELSEWHERE_MODULES or ".".join(parts[:2]) in ELSEWHERE_MODULES
            or dotted.startswith(ELSEWHERE_CALLS)):
        return Category.ELSEWHERE
    if dotted in INTROSPECTION_CALLS:
        return Category.INTROSPECTION
    if dotted == "sys.modules" or dotted.startswith("sys.modules."):
        return Category.SYS_MODULES
    if dotted in STRING_BUILTINS:
        return Category.EVAL
    if parts[0] == "torch" and any(is_private_name(part) for part in parts[1:]):
        return Category.PRIVATE
    return None


def judge_string(text: str, bare: bool = False) -> Category | None:
    """A name or string the code uses. ``bare``: an identifier of its own (a variable,
    an attribute), where only the mode-escape names count: ``_C`` alone is innocent."""
    if text in ESCAPE_NAMES:
        return Category.ESCAPE
    if bare:
        return None
    if text == "_C":
        return Category.TORCH_C
    return judge_dotted(text)
