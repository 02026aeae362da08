"""The templates' sandbox calls the tool's own helpers faster (issue 15) and calls, refuses and fails exactly as
Jinja's plain sandbox does; the review's helpers made faster give what they gave."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from jinja2 import pass_context, pass_environment, pass_eval_context
from jinja2.sandbox import SandboxedEnvironment, unsafe

from kpi_report.core.project import PACKAGED_TEMPLATES
from kpi_report.render.review.review import wrap_class
from kpi_report.render.templating import TemplateSandbox, template_environment


class PlainCalls(TemplateSandbox):
    """The same sandbox with Jinja's own call."""

    call = SandboxedEnvironment.call


def _helper(text: str) -> str:
    return text.upper()


def _closure() -> Callable[..., Any]:
    seen = "!"

    def helper(text: str, *args: Any, **kwargs: Any) -> str:
        return f"{text}{seen}{args}{sorted(kwargs)}"

    return helper


def _stops(_: Any) -> str:
    raise StopIteration


def _fails(_: Any) -> str:
    raise ValueError("壊れた値")


def _marked(name: str, value: Any) -> Callable[[Any], str]:
    def helper(text: Any) -> str:
        return f"called {text}"

    setattr(helper, name, value)
    return helper


@pass_context
def _with_context(context: Any, text: str) -> str:
    return f"{text} in {context.name}"


@pass_environment
def _with_environment(environment: Any, text: str) -> str:
    return f"{text} {environment.sandboxed}"


@pass_eval_context
def _with_eval_context(eval_context: Any, text: str) -> str:
    return f"{text} {eval_context.autoescape}"


class Own:
    def shout(self, text: str) -> str:
        return text.upper()

    def __call__(self, text: str) -> str:
        return f"<{text}>"


Own.__module__ = "kpi_report.fake"  # one of the package's classes, to the sandbox

CALLABLES: dict[str, Any] = {
    "function": _helper,
    "closure": _closure(),
    "lambda": lambda text: f"λ{text}",
    "stops": _stops,
    "fails": _fails,
    "unsafe": unsafe(_marked("x", 1)),
    "alters_data": _marked("alters_data", True),
    "marked but safe": _marked("unsafe_callable", False),
    "with_context": _with_context,
    "with_environment": _with_environment,
    "with_eval_context": _with_eval_context,
    "builtin": len,
    "class": str,
    "method": Own().shout,
    "callable object": Own(),
    "partial": partial(_helper),
    "format": "{0.__class__}".format,
    "not callable": "text",
}

TEMPLATES = (
    "{{ f('a') }}",
    "{{ f('a', 'b', key='c') }}",
    "{% for x in ['a', 'b'] %}{{ f(x) }}{% endfor %}",  # in a loop Jinja passes _loop_vars
    "{% set y = 'v' %}{{ f(y) }}",
    "{% macro m(x) %}{{ f(x) }}{% endmacro %}{{ m('a') }}",
    "{{ f(f) }}",
    "{{ f(*['a']) }}{{ f(**{'text': 'b'}) }}",
    "{{ f(_loop_vars={}, text='a') }}",
    "{{ f('a') is defined }}",
)


def _outcome(env: TemplateSandbox, source: str, f: Any) -> tuple[str, str]:
    try:
        return "ok", env.from_string(source).render(f=f)
    except Exception as exc:  # compared: the same exception, with the same message
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("name", CALLABLES)
def test_every_call_comes_out_as_in_the_plain_sandbox(name: str) -> None:
    fast, plain = template_environment([PACKAGED_TEMPLATES]), template_environment([PACKAGED_TEMPLATES])
    plain.__class__ = PlainCalls
    for source in TEMPLATES:
        assert _outcome(fast, source, CALLABLES[name]) == _outcome(plain, source, CALLABLES[name]), source


def test_unsafe_callables_stay_refused() -> None:
    env = template_environment([PACKAGED_TEMPLATES])
    for name in ("unsafe", "alters_data"):
        assert _outcome(env, "{{ f(f) }}", CALLABLES[name])[0] == "SecurityError", name


def test_a_plain_function_is_called_without_the_sandboxs_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[Any] = []
    real = SandboxedEnvironment.is_safe_callable

    def is_safe_callable(self: SandboxedEnvironment, obj: Any) -> bool:
        checked.append(obj)
        return real(self, obj)

    monkeypatch.setattr(SandboxedEnvironment, "is_safe_callable", is_safe_callable)
    env = template_environment([PACKAGED_TEMPLATES])
    assert env.from_string("{% for x in 'ab' %}{{ f(x) }}{% endfor %}").render(f=_helper) == "AB"
    assert checked == []
    assert env.from_string("{{ f('a') }}").render(f=Own().shout) == "A"
    assert len(checked) == 1


_UNBREAKABLE = re.compile(  # wrap_class's two patterns as one, as they were written before (issue 15)
    r"[^\s\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]{16,}"
    r"|[\u3001\u3002\u3005\u300b\u300d\u300f\u3011\u3015\u301c\u3041\u3043\u3045\u3047\u3049\u3063"
    r"\u3083\u3085\u3087\u308e\u309d\u309e\u30a1\u30a3\u30a5\u30a7\u30a9\u30c3\u30e3\u30e5\u30e7"
    r"\u30ee\u30f5\u30f6\u30fb\u30fc\u30fd\u30fe\u2025\u2026\uff09\uff0c\uff0e\uff5e\uff70]{16,}"
)


@pytest.mark.parametrize("seed", range(5))
def test_wrap_finds_the_runs_it_found(seed: int) -> None:
    rng = random.Random(seed)
    kinds = (
        "abcXYZ019/-_.:",
        " \n\t\u3000",
        "地域連携説明会",
        "ーっゃ。、」・…",
        "あいうアイウ（）",
        "ＡＢＣ１２３",
    )
    for _ in range(2_000):  # runs of one kind of character, some of them long enough
        runs = [rng.choice(kinds) for _ in range(rng.randint(0, 6))]
        text = "".join(rng.choice(kind) for kind in runs for _ in range(rng.randint(1, 20)))
        assert wrap_class(text) == ("w" if _UNBREAKABLE.search(text) else ""), text
