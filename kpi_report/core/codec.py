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
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise CodecError(f"cannot encode {type(value).__name__}")


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
        hints = typing.get_type_hints(kind)
        names = [f.name for f in dataclasses.fields(kind)]
        fields = [(name, _decoder(hints[name])) for name in names]
        expected = set(names)

        def record(data: Any) -> Any:
            if type(data) is not dict or data.keys() != expected:
                raise CodecError(f"expected the fields of {kind.__name__}")
            return kind(**{name: d(data[name]) for name, d in fields})

        return record
    raise CodecError(f"cannot decode {kind}")
