"""The jinja2 environment for the output templates (progress list HTML, annual review).

A project's own ``templates/`` folder overrides the packaged templates (docs/templates.md), so a template is code
that the planning section writes and the tool runs. It runs in Jinja's sandbox: no access to Python internals
(``__class__``, ``__globals__`` …), ``range`` over at most 100,000 items, and ``*`` / ``**`` bounded so a slip
such as ``'x' * 10**9`` or a repeated squaring is a one-line error. This stops mistakes, not a determined
author: loops, ``~`` and filters such as ``center`` can still run long or build large text. Clerks' text is
never template code (it is escaped data), so it cannot do either.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined
from jinja2.bccache import Bucket
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from kpi_report.core.version import __version__

MAX_PRODUCT = 100_000  # items or characters a template may make with *
MAX_INT_BITS = 10_000  # largest whole number a template may make with * or ** (about 3,000 digits)


class TemplateSandbox(SandboxedEnvironment):
    """A sandboxed environment that also bounds ``*`` (repetition, products) and ``**`` (powers)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if _is_int(left) and _is_int(right):
            bits = (
                left.bit_length() * abs(right) if operator == "**" else left.bit_length() + right.bit_length()
            )
            if bits > MAX_INT_BITS:
                raise SecurityError(f"テンプレートの {operator} で作る数が大きすぎます")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and _is_int(count) and len(seq) * count > MAX_PRODUCT:
                    raise SecurityError(
                        f"テンプレートの * で作る文字列・リストが大きすぎます（{MAX_PRODUCT:,} まで）"
                    )
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """An attribute of one of this package's own objects (``row.measure.name`` …) read without the
        sandbox's general checks; everything else through the sandbox, unchanged.

        A template reads tens of thousands of attributes of the presented report, and the sandbox checks each
        (is the object a function, a method, a type, a frame, a generator …?), which took most of the
        rendering time. For an instance of a class of this package (never one of those kinds) the sandbox
        allows exactly the attributes not beginning with ``_`` and wraps only ``str.format`` methods: so such
        an attribute that is not a method is returned as read (tests/test_templating compares every attribute
        with the plain sandbox).
        """
        cls = type(obj)
        own = _OWN.get(cls)
        if own is None:
            own = _OWN[cls] = cls.__module__.startswith("kpi_report.") and not issubclass(cls, type)
        if own and not attribute.startswith("_"):
            try:
                value = getattr(obj, attribute)
            except AttributeError:
                pass
            else:
                if not isinstance(value, _METHODS):
                    return value
        return super().getattr(obj, attribute)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """A plain Python function without attributes of its own (the helpers the tool puts in the context:
        ``wrap``, ``long_row``, ``kpi_chart`` …) called directly; every other callable through the sandbox,
        unchanged.

        The review calls such helpers about ten thousand times per build, and each call went through the
        sandbox's check (the callable's ``unsafe_callable`` / ``alters_data`` marks) and Jinja's search for
        ``pass_context``-like marks (``jinja_pass_arg``), five times the cost of the call itself. A function
        carries those marks only as attributes of its own, so for one with none both come to calling it
        without Jinja's ``_loop_vars`` / ``_block_vars`` arguments; a StopIteration is left to Jinja
        (tests/test_templating compares every kind of callable with the plain sandbox).
        """
        if type(obj) is not types.FunctionType or obj.__dict__:
            return super().call(context, obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)
        try:
            return obj(*args, **kwargs)
        except StopIteration:  # Jinja makes it an undefined value
            return context.call(_stop)


def _stop() -> None:
    raise StopIteration


_METHODS = (types.MethodType, types.BuiltinMethodType)  # a str.format among them is the sandbox's to wrap
_OWN: dict[type, bool] = {}  # class -> whether it is one of this package's own


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def template_environment(dirs: Sequence[Path], keep_trailing_newline: bool = False) -> TemplateSandbox:
    """Templates from ``dirs`` (the project's first), autoescaped, undefined names an error, sandboxed.

    Compiled templates are kept between runs in Jinja's per-user cache folder (:func:`compiled_templates`).
    """
    return TemplateSandbox(
        loader=FileSystemLoader([str(d) for d in dirs]),
        bytecode_cache=compiled_templates(keep_trailing_newline),
        undefined=StrictUndefined,
        keep_trailing_newline=keep_trailing_newline,
        **_OPTIONS,
    )


_OPTIONS = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True}  # every environment's


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's folder cache, except that a file it cannot read or write is a miss, never a failed build
    (a full or cleaned-up temporary folder while `build --watch` runs for days)."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError):  # unreadable or cut short: compile again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):
            super().dump_bytecode(bucket)


_COMPILED: dict[str, BytecodeCache | None] = {}  # by what decides the compiled code (see compiled_templates)


def compiled_templates(keep_trailing_newline: bool = False) -> BytecodeCache | None:
    """Where compiled templates are kept between runs: Jinja's own per-user folder in the temporary
    directory (``_jinja2-cache-<uid>``; Jinja makes it mode 0700 and refuses one owned by someone else or
    open to others), files named ``__kpi_report_<settings>_<key>.cache``; ``None`` where that folder cannot be
    had.

    Compiling the review's and the page's templates took about 0.15 s of every build. Jinja keys an entry by
    the template's name and file and checks the source's checksum, its own version and Python's; the compiled
    code also depends on the environment's settings and on which operators the sandbox intercepts, so those
    and this tool's version are part of the file name: an entry never changes what a template makes, and a
    newer sandbox never runs code compiled for an older one. It is not kept under the project's outputs/: it
    is Python code, and whoever may write outputs/ (a shared drive) must not be able to run code that
    templates/, which runs in the sandbox, cannot.
    """
    settings = (
        f"{__version__}|{TemplateSandbox.__qualname__}|{sorted(TemplateSandbox.intercepted_binops)}|"
        f"{sorted(TemplateSandbox.intercepted_unops)}|{keep_trailing_newline}|{_OPTIONS}"
    )
    fingerprint = hashlib.sha256(settings.encode()).hexdigest()[:16]
    if fingerprint not in _COMPILED:
        try:
            _COMPILED[fingerprint] = _CompiledTemplates(pattern=f"__kpi_report_{fingerprint}_%s.cache")
        except (OSError, RuntimeError):  # no temporary folder, or one another user made or can write
            _COMPILED[fingerprint] = None
    return _COMPILED[fingerprint]
