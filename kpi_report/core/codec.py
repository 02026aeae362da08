"""The model's frozen dataclasses to JSON values and back, for the rebuild caches (never pickle).

:func:`encode` turns a dataclass (fields of str, int, float, bool, None, date, tuples and other dataclasses)
into plain JSON values; :func:`decode` rebuilds it from the field types, checking every value on the way: a
value of the wrong shape raises :class:`CodecError` (a cache treats that as a miss). Floats that JSON cannot
hold (inf, NaN) are kept as tagged strings, so a decoded object equals the encoded one.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


class CodecError(ValueError):
    """A JSON value does not fit the type it should decode to."""


def encode(value: Any) -> Any:
    """``value`` (a dataclass, tuple, date or scalar) as JSON values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: encode(getattr(value, name)) for name in _field_names(type(value))}
    raise CodecError(f"cannot encode {type(value).__name__}")


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def decode(kind: type[T], data: Any) -> T:
    """Rebuild a value of type ``kind`` from :func:`encode`'s output.

    Raises:
        CodecError: ``data`` does not have the shape of ``kind``.
    """
    result: T = _decoder(typing.cast(Any, kind))(data)
    return result


Decoder = Callable[[Any], Any]


def _scalar(kind: type) -> Decoder:
    def check(data: Any) -> Any:
        if type(data) is not kind:
            raise CodecError(f"expected {kind.__name__}, not {type(data).__name__}")
        return data

    return check


def _float(data: Any) -> float:
    if type(data) is float:
        return data
    if type(data) is int:
        return float(data)
    if isinstance(data, dict) and set(data) == {"float"} and data["float"] in ("inf", "-inf", "nan"):
        return float(data["float"])
    raise CodecError("expected a number")


def _date(data: Any) -> date:
    if not isinstance(data, dict) or set(data) != {"date"} or not isinstance(data["date"], str):
        raise CodecError("expected a date")
    try:
        return date.fromisoformat(data["date"])
    except ValueError as error:
        raise CodecError(str(error)) from error


def _none(data: Any) -> None:
    if data is not None:
        raise CodecError("expected null")


@cache
def _decoder(kind: Any) -> Decoder:
    """A function decoding values of ``kind``, made once per type."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [_decoder(option) for option in typing.get_args(kind) if option is not type(None)]
        nullable = type(None) in typing.get_args(kind)
        if nullable and len(options) == 1:  # X | None: the one option, or null
            only = options[0]

            def optional(data: Any) -> Any:
                return None if data is None else only(data)

            return optional

        def union(data: Any) -> Any:
            if data is None and nullable:
                return None
            for option in options:
                try:
                    return option(data)
                except CodecError:
                    continue
            raise CodecError(f"{data!r} fits none of {kind}")

        return union
    if origin is typing.Literal:
        allowed = typing.get_args(kind)

        def literal(data: Any) -> Any:
            if data not in allowed:
                raise CodecError(f"{data!r} is not one of {allowed}")
            return data

        return literal
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            if args[0] in (bool, int, str):  # the common case (texts): one pass over the items' types
                scalar = args[0]

                def scalars(data: Any) -> Any:
                    if type(data) is not list:
                        raise CodecError(f"expected a list for {kind}")
                    for value in data:
                        if type(value) is not scalar:
                            raise CodecError(f"expected {scalar.__name__}, not {type(value).__name__}")
                    return tuple(data)

                return scalars
            item = _decoder(args[0])

            def sequence(data: Any) -> Any:
                if type(data) is not list:
                    raise CodecError(f"expected a list for {kind}")
                return tuple(map(item, data))

            return sequence
        items = [_decoder(a) for a in args]

        def fixed(data: Any) -> Any:
            if type(data) is not list or len(data) != len(items):
                raise CodecError(f"expected {len(items)} items for {kind}")
            return tuple(d(v) for d, v in zip(items, data, strict=True))

        return fixed
    if kind is Any:
        return lambda data: data
    if kind is type(None):
        return _none
    if kind in (bool, int, str):
        return _scalar(kind)
    if kind is float:
        return _float
    if kind is date:
        return _date
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _record(kind)
    raise CodecError(f"cannot decode {kind}")


def _record(kind: type) -> Decoder:
    """A decoder of dataclass ``kind``: an object holding exactly its fields, each checked by its type.

    The decoder is generated once per type, one statement per field (as :mod:`dataclasses` generates
    ``__init__``): a field of type str, int or bool is checked in place, any other goes through its type's
    decoder. A plain dataclass (every field set by ``__init__``, no ``__post_init__``, no slots) is filled
    without calling ``__init__``, whose frozen ``__setattr__`` per field would be most of the cost of
    decoding a large plan; its fields are set in declaration order, as ``__init__`` sets them.
    """
    hints = typing.get_type_hints(kind)
    fields = dataclasses.fields(kind)
    plain = (
        all(f.init for f in fields) and not hasattr(kind, "__post_init__") and "__slots__" not in vars(kind)
    )
    scope: dict[str, Any] = {
        "CodecError": CodecError,
        "expected": {f.name for f in fields},
        "kind": kind,
        "new": object.__new__,
        "wrong": _wrong,
    }
    body = [
        "def record(data):",
        "    if type(data) is not dict or data.keys() != expected:",
        "        raise CodecError(f'expected the fields of {kind.__name__}')",
    ]
    for i, f in enumerate(fields):  # field names are identifiers: safe in the generated source
        hint = hints[f.name]
        if hint in (bool, int, str):
            scope[f"t{i}"] = hint
            body += [
                f"    v{i} = data[{f.name!r}]",
                f"    if type(v{i}) is not t{i}:",
                f"        wrong(t{i}, v{i})",
            ]
        else:
            scope[f"d{i}"] = _decoder(hint)
            body.append(f"    v{i} = d{i}(data[{f.name!r}])")
    arguments = ", ".join(f"{f.name}=v{i}" for i, f in enumerate(fields))
    if plain:
        body += ["    made = new(kind)", f"    made.__dict__.update({arguments})", "    return made"]
    else:
        body.append(f"    return kind({arguments})")
    exec("\n".join(body), scope)  # the source is made above from the dataclass's own field names
    record: Decoder = scope["record"]
    return record


def _wrong(kind: type, value: Any) -> None:
    raise CodecError(f"expected {kind.__name__}, not {type(value).__name__}")
