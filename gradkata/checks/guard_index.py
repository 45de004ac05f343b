"""A one-time inventory of torch's callables, for judging calls by identity.

The guard recognises a function by the object itself, never by how the
learner spelled it, so it needs to know, for any object torch may hand to a
``TorchFunctionMode``:

- its public spellings (``torch.softmax``, ``Tensor.softmax``), best first,
  to name it in a message;
- whether it is private (reachable only through ``torch._C`` or under a
  ``_name``), since private functions are off limits everywhere;
- for torch's Python-level functions and classes, which code objects belong
  to them, because calls to those never reach the mode themselves: only the
  calls they make do, and the frame they come from tells whose they are.

Each walk happens once per process: the spellings (a few tens of
milliseconds) when the first rule set is resolved, the code (about as much
again) only when a call has to be traced back through torch's Python code.
"""

from __future__ import annotations

import functools
import inspect
import types
import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch

# Namespaces walked first, so that their spellings win in messages.
PREFERRED_NAMESPACES = (
    "torch", "torch.Tensor", "torch.nn.functional", "torch.special", "torch.linalg",
    "torch.fft", "torch.nn.init", "torch.autograd", "torch.autograd.functional",
    "torch.func", "torch.nn", "torch.optim",
)
# torch's C namespaces: whatever in them has no public spelling is private.
PRIVATE_NAMESPACES = (
    "torch._C", "torch._C._VariableFunctions", "torch._C._nn", "torch._C._special",
    "torch._C._linalg", "torch._C._fft", "torch._C._nested", "torch._C._sparse",
    "torch._C._autograd", "torch._C._functorch",
)
# Not namespaces of functions: torch.ops makes kernels on demand (judged by type).
SKIPPED_MODULES = ("torch.ops", "torch.classes")
# How a namespace is written in a message.
SHORT_NAMES = {"torch.Tensor": "Tensor"}


@dataclass
class TorchIndex:
    """Spellings: which callables torch exposes publicly, and which only privately."""

    spellings: dict[int, list[str]] = field(default_factory=dict)  # public, best first
    private: dict[int, str] = field(default_factory=dict)  # no public spelling
    # Every indexed object stays referenced, so no id is ever reused by another.
    keep: list[object] = field(default_factory=list)

    def spell(self, obj) -> str:
        """The best public spelling of ``obj``, else its private one, else module.qualname."""
        found = self.spellings.get(id(obj))
        if found:
            return found[0]
        return self.private.get(id(obj)) or fallback_spelling(obj)

    def is_public(self, obj) -> bool:
        return id(obj) in self.spellings

    def add_spelling(self, obj, spelling: str) -> None:
        self.keep.append(obj)
        self.spellings.setdefault(id(obj), []).append(spelling)


def fallback_spelling(obj) -> str:
    if isinstance(obj, (torch._ops.OpOverloadPacket, torch._ops.OperatorBase)):
        return f"torch.ops.{obj}"
    module = getattr(obj, "__module__", None) or "torch"
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
    return f"{module}.{qualname}"


@dataclass
class CodeIndex:
    """Which code objects are torch's public Python functions and methods."""

    owner: dict[types.CodeType, str] = field(default_factory=dict)  # code -> its spelling
    wrapper_codes: set[types.CodeType] = field(default_factory=set)  # decorators' wrappers


@functools.cache
def torch_index() -> TorchIndex:
    """Walk torch's namespaces once; the result is shared by every rule set."""
    index = TorchIndex()
    private_candidates: list[tuple[object, str]] = []
    with warnings.catch_warnings():  # some deprecated attributes warn when touched
        warnings.simplefilter("ignore")
        for prefix, namespace in public_namespaces():
            _index_namespace(index, prefix, namespace, private_candidates)
        for prefix in PRIVATE_NAMESPACES:
            namespace = resolve_dotted(prefix)
            if namespace is not None:
                private_candidates.extend(
                    (obj, f"{prefix}.{name}") for name, obj in callable_members(namespace))
    for obj, spelling in private_candidates:
        if id(obj) not in index.spellings and id(obj) not in index.private:
            index.keep.append(obj)
            index.private[id(obj)] = spelling
    return index


def public_namespaces() -> Iterator[tuple[str, object]]:
    """(spelling prefix, module or class): the preferred ones, then every public torch module."""
    queue = deque(resolve_dotted(name) for name in PREFERRED_NAMESPACES)
    visited: set[int] = set()
    while queue:
        namespace = queue.popleft()
        if namespace is None or id(namespace) in visited:
            continue
        visited.add(id(namespace))
        name = getattr(namespace, "__name__", "")
        if namespace is torch.Tensor:
            name = "torch.Tensor"
        yield SHORT_NAMES.get(name, name), namespace
        if isinstance(namespace, types.ModuleType):
            queue.extend(public_submodules(namespace))


def public_submodules(module: types.ModuleType) -> Iterator[types.ModuleType]:
    """Already-imported public submodules (vars, not getattr: no lazy imports fire)."""
    for attribute, value in list(vars(module).items()):
        if (isinstance(value, types.ModuleType) and not attribute.startswith("_")
                and is_public_module_name(value.__name__)
                and value.__name__.startswith(module.__name__ + ".")):
            yield value


def is_public_module_name(name: str) -> bool:
    parts = name.split(".")
    return (parts[0] == "torch" and not any(part.startswith("_") for part in parts)
            and not any(name == skipped or name.startswith(skipped + ".")
                        for skipped in SKIPPED_MODULES))


def _index_namespace(index: TorchIndex, prefix: str, namespace, private_candidates) -> None:
    for name, obj in callable_members(namespace):
        spelling = f"{prefix}.{name}"
        if is_private_name(name):
            private_candidates.append((obj, spelling))
        elif not isinstance(obj, type) or is_torch_class(obj):
            index.add_spelling(obj, spelling)


@functools.cache
def torch_code_index() -> CodeIndex:
    """Walk torch's public Python functions and classes once, for their code objects."""
    codes = CodeIndex()
    spelled_classes: set[int] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for prefix, namespace in public_namespaces():
            for name, obj in callable_members(namespace):
                if is_private_name(name):
                    continue
                if isinstance(obj, types.FunctionType):
                    for code in owned_codes(obj, codes.wrapper_codes):
                        codes.owner.setdefault(code, f"{prefix}.{name}")
                elif isinstance(obj, type) and is_torch_class(obj):
                    if id(obj) in spelled_classes:
                        continue
                    spelled_classes.add(id(obj))
                    index_class_code(codes, obj, f"{prefix}.{name}")
    return codes


def index_class_code(codes: CodeIndex, cls: type, spelling: str) -> None:
    for function in class_functions(cls):
        for code in owned_codes(function, codes.wrapper_codes):
            codes.owner.setdefault(code, spelling)


def is_torch_class(obj) -> bool:
    return isinstance(obj, type) and (getattr(obj, "__module__", None) or "").startswith("torch")


def callable_members(namespace) -> Iterator[tuple[str, object]]:
    """(name, value) for the callables a module or class exposes."""
    if isinstance(namespace, types.ModuleType):
        members = list(vars(namespace).items())
    else:
        members = [(name, inspect.getattr_static(namespace, name, None)) for name in dir(namespace)]
        members = [(name, _unwrap_descriptor(namespace, name, value)) for name, value in members]
    for name, value in members:
        if value is not None and callable(value) and not isinstance(value, types.ModuleType):
            yield name, value


def _unwrap_descriptor(cls, name: str, value):
    """A class's attribute as torch's mode would see it (``Tensor.softmax``, not a bound method)."""
    if isinstance(value, (staticmethod, classmethod)):
        return value.__func__
    if isinstance(value, property):
        return None  # getters reach the mode as transient method-wrappers: never judged
    try:
        return getattr(cls, name)
    except Exception:  # an attribute that cannot even be read is not callable
        return None


def class_functions(cls: type) -> Iterator[types.FunctionType]:
    """The Python functions a class defines itself: methods, static/class methods, properties."""
    for value in vars(cls).values():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            yield from (f for f in (value.fget, value.fset, value.fdel)
                        if isinstance(f, types.FunctionType))
        elif isinstance(value, types.FunctionType):
            yield value


def owned_codes(function, wrapper_codes: set[types.CodeType]) -> list[types.CodeType]:
    """The code objects that belong to ``function``: its body and what is nested in it.

    A decorator's wrapper (``functools.wraps``) has a body named after the
    decorator, shared by every function it wraps; that body is recorded in
    ``wrapper_codes`` and the search follows ``__wrapped__`` to the real one.
    """
    found: list[types.CodeType] = []
    seen: set[int] = set()
    while isinstance(function, types.FunctionType) and id(function) not in seen:
        seen.add(id(function))
        code = function.__code__
        if code_belongs_to(code, function.__qualname__):
            found.extend(nested_codes(code))
        else:
            wrapper_codes.add(code)
        function = getattr(function, "__wrapped__", None)
    return found


def code_belongs_to(code: types.CodeType, qualname: str) -> bool:
    return code.co_qualname == qualname or code.co_qualname.startswith(qualname + ".")


def nested_codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from nested_codes(const)


def is_private_name(name: str) -> bool:
    """``_softmax`` is private; ``__add__`` (a dunder) is not."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def resolve_dotted(dotted: str):
    """``"torch.nn.functional"`` -> that object, or None when torch has no such thing."""
    obj: object = torch
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def namespace_members(module: types.ModuleType, skip_modules: tuple[str, ...] = ()):
    """What a namespace and its public submodules define, not what they merely import.

    ``torch.nn.functional`` imports ``Tensor`` and ``handle_torch_function``;
    those are not ``torch.nn.*``. Its C functions (``gelu`` from
    ``torch._C._nn``, ``relu_`` from ``torch``) are: torch put them there, and
    so is what a module lists in ``__all__`` from its private implementation.
    """
    modules = [module]
    seen_modules = {id(module)}
    while modules:
        current = modules.pop()
        exported = set(getattr(current, "__all__", None) or ())
        with warnings.catch_warnings():  # touching deprecated torch aliases warns
            warnings.simplefilter("ignore")
            members = list(vars(current).items())
            modules_here = {name for name, obj in members if isinstance(obj, types.ModuleType)}
        for name, obj in members:
            if is_private_name(name):
                continue
            if name in modules_here:
                if (id(obj) not in seen_modules and obj.__name__.startswith(module.__name__ + ".")
                        and is_public_module_name(obj.__name__)
                        and obj.__name__ not in skip_modules):
                    seen_modules.add(id(obj))
                    modules.append(obj)
            elif callable(obj) and (belongs_to(obj, module.__name__, skip_modules)
                                    or (name in exported and is_private_implementation(obj))):
                yield obj


def is_private_implementation(obj) -> bool:
    """Defined in a private torch module (``torch._functorch.apis``), exported publicly."""
    home = getattr(obj, "__module__", None) or ""
    return home.startswith("torch.") and not is_public_module_name(home)


def belongs_to(obj, module_name: str, skip_modules: tuple[str, ...] = ()) -> bool:
    """Defined in ``module_name`` (or below), or a C function torch put there."""
    home = getattr(obj, "__module__", None) or ""
    if home in skip_modules:
        return False
    if isinstance(obj, (types.FunctionType, type)):
        return home == module_name or home.startswith(module_name + ".")
    # torch._C's own helpers (has_torch_function ...) are plumbing, not API.
    return home.startswith("torch") and home != "torch._C"


def codes_of(obj) -> list[types.CodeType]:
    """The Python code that runs when ``obj`` is called (none for C functions)."""
    wrappers: set[types.CodeType] = set()
    if isinstance(obj, type):
        return [code for function in class_functions(obj)
                for code in owned_codes(function, wrappers)]
    return owned_codes(obj, wrappers)
