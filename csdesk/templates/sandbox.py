"""The sandbox a template renders in: Jinja2's immutable sandbox plus a budget of time, repetition and size."""

from __future__ import annotations

import contextvars
import functools
import operator
import pprint
import re
import string
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Namespace

from csdesk import formatting, i18n
from csdesk.i18n import tr
from csdesk.progress import Cancelled, Progress

MAX_OUTPUT_CHARS = 500_000
MAX_RANGE_ITEMS = 200_000  # summed over every range() of one render
MAX_SEQUENCE = 100_000  # "x" * n, [..] * n
MAX_POWER_BITS = 4096
MAX_WIDTH = 1_000  # center(), indent(), format widths

# Sandboxed rendering ----------------------------------------------------------------
#
# Jinja2's sandbox stops a template from reaching Python's internals, not from running
# for ever or filling the memory. One render therefore carries a budget (``_Budget``)
# that the template's every way of spending goes through:
#
# - time and repetition: each loop turn (the code generator wraps every ``for``), call,
#   filter and recursive ``loop()`` ticks; every few ticks the clock and the cancel flag
#   are read, so a render stops within milliseconds of its deadline or of Stop;
# - memory: a text or list is never built longer than ``Limits.value_chars``: operators
#   (``*`` ``+`` ``%`` ``~``), str methods (``join``, ``replace``, ``format``…), filters
#   and expression output are sized *before* Python builds the result (a list's text
#   is counted through its items, so ``[big] * n`` cannot hide a huge ``str()``), block
#   buffers (macros, ``set`` and ``filter`` blocks) are counted as they grow, and the
#   characters made in all are capped by ``Limits.work_chars``.


@dataclass(frozen=True)
class Limits:
    """What one render may spend; past any of these it stops with a one-line error."""

    seconds: float = 5.0
    steps: int = 1_000_000  # loop turns, calls and filters
    value_chars: int = MAX_OUTPUT_CHARS  # the longest text or list built at once
    work_chars: int = 20_000_000  # characters built in all (operators, filters, methods, blocks)
    output_chars: int = MAX_OUTPUT_CHARS


LIMITS = Limits()
_CLOCK_EVERY = 64  # ticks between two looks at the clock and the cancel flag


class BudgetExceeded(SecurityError):
    """The template went over one of its limits (time, repetition or size)."""


_active: contextvars.ContextVar[_Budget] = contextvars.ContextVar("template_budget")


class _Budget:
    __slots__ = ("limits", "clock", "deadline", "steps", "work", "range_items", "progress", "_countdown")

    def __init__(
        self,
        limits: Limits = LIMITS,
        clock: Callable[[], float] = time.monotonic,
        progress: Progress | None = None,
    ):
        self.limits = limits
        self.clock = clock
        self.deadline = clock() + limits.seconds
        self.steps = limits.steps
        self.work = limits.work_chars
        self.range_items = MAX_RANGE_ITEMS
        self.progress = progress
        self._countdown = _CLOCK_EVERY

    def tick(self, n: int = 1) -> None:
        self.steps -= n
        if self.steps < 0:
            raise BudgetExceeded(
                tr(
                    "the template repeats too much (more than {n} loop turns and calls); simplify its loops",
                    n=formatting.number(self.limits.steps, 0, i18n.current_language()),
                )
            )
        self._countdown -= n
        if self._countdown <= 0:
            self._countdown = _CLOCK_EVERY
            self.check_clock()

    def check_clock(self) -> None:
        if self.progress is not None and self.progress.cancelled:
            raise Cancelled()
        if self.clock() > self.deadline:
            raise BudgetExceeded(
                tr(
                    "the template took longer than {seconds} seconds to fill in; simplify its loops",
                    seconds=formatting.number(
                        self.limits.seconds, 0 if self.limits.seconds == int(self.limits.seconds) else 1
                    ),
                )
            )

    def check_size(self, chars: int) -> None:
        """Refuse to build a text or list of ``chars`` characters (or items)."""
        if chars > self.limits.value_chars:
            raise BudgetExceeded(
                tr(
                    "a text or list would be longer than {n} characters",
                    n=formatting.number(self.limits.value_chars, 0, i18n.current_language()),
                )
            )

    def spend(self, chars: int) -> None:
        self.work -= chars
        if self.work < 0:
            raise BudgetExceeded(
                tr(
                    "the template builds too much text (more than {n} characters in all)",
                    n=formatting.number(self.limits.work_chars, 0, i18n.current_language()),
                )
            )

    def made(self, value: Any) -> Any:
        """Account for a value a call, filter or operator returned; iterators are counted as read."""
        if isinstance(value, (str, bytes, list, tuple, dict)):
            self.check_size(len(value))
            self.spend(len(value))
        elif isinstance(value, Iterator) and not isinstance(value, _CountedIterator):
            return _CountedIterator(value, self)
        return value

    def loop(self, iterable: Any) -> _CountedIterator:
        if isinstance(iterable, _CountedIterator):
            return iterable  # already counted (a filter's lazy result)
        return _CountedIterator(iter(iterable), self)


def _budget() -> _Budget:
    """The running render's budget; a fresh one while Jinja folds constants at compile time."""
    budget = _active.get(None)
    return budget if budget is not None else _Budget()


class _CountedIterator:
    """An iterator whose every item costs one tick: loops, and what filters hand on lazily."""

    __slots__ = ("_iterator", "_budget")

    def __init__(self, iterator: Iterator[Any], budget: _Budget):
        self._iterator = iterator
        self._budget = budget

    def __iter__(self) -> _CountedIterator:
        return self

    def __next__(self) -> Any:
        item = next(self._iterator)
        self._budget.tick()
        return item


class _CountedBuffer(list):
    """The text a block (macro, ``set`` or ``filter`` block, ``caller()``) collects, counted."""

    __slots__ = ("_budget", "_size")

    def __init__(self, budget: _Budget):
        super().__init__()
        self._budget = budget
        self._size = 0

    def _grow(self, chars: int) -> None:
        self._size += chars
        if self._size > self._budget.limits.output_chars:
            raise BudgetExceeded(
                tr(
                    "the document is longer than {max} characters",
                    max=self._budget.limits.output_chars,
                )
            )
        self._budget.spend(chars)

    def append(self, item: Any) -> None:
        self._grow(len(item))
        super().append(item)

    def extend(self, items: Any) -> None:
        items = tuple(items)
        self._grow(sum(len(i) for i in items))
        super().extend(items)


def text_size(value: Any, limit: int) -> int:
    """An upper bound of ``len(str(value))``, counted up to ``limit``.

    Walks lists, tuples, dicts and namespaces without building any text; past
    ``limit`` it stops and returns ``limit + 1``. Strings inside containers count as
    their ``repr`` (quotes, escapes).
    """
    if isinstance(value, str):
        return len(value)
    total = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            total += len(item) * (2 if item.isprintable() else 10) + 2 if depth else len(item)
        elif isinstance(item, (bytes, bytearray)):
            total += 4 * len(item) + 3
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + len(item) * 2
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, dict):
            total += 2 + len(item) * 4
            for key, child in item.items():
                stack.append((key, depth + 1))
                stack.append((child, depth + 1))
        elif isinstance(item, Namespace):
            stack.append((object.__getattribute__(item, "_Namespace__attrs"), depth + 1))
            total += 12
        else:  # numbers, dates, undefined values, macros, loop objects: short texts
            total += 64
        if total > limit:
            return limit + 1
    return total


def _sizes(values: Iterable[Any], limit: int) -> int:
    return max((text_size(v, limit) for v in values), default=0)


def _join_estimate(items: Iterable[Any], separator: str, limit: int) -> int:
    total = 0
    for item in items:
        total += text_size(item, limit) + len(separator)
        if total > limit:
            return limit + 1
    return total


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])?")
_FORMAT_NUMBER = re.compile(r"\d+")


def _check_width(width: Any) -> int:
    if not isinstance(width, int) or width > MAX_WIDTH:
        raise SecurityError(tr("a width above {max} is not allowed", max=MAX_WIDTH))
    return width


def printf_size(fmt: str, args: Any, limit: int) -> int:
    """An upper bound of ``len(fmt % args)``; widths and precisions above MAX_WIDTH are refused."""
    values = (
        list(args.values()) if isinstance(args, dict) else list(args) if isinstance(args, tuple) else [args]
    )
    biggest = _sizes(values, limit)
    total = len(fmt)
    for match in _PRINTF_SPEC.finditer(fmt):
        width, precision, conversion = match.groups()
        for number in (width, precision):
            if number == "*":
                for value in values:
                    if isinstance(value, int):
                        _check_width(value)
                number = str(MAX_WIDTH)
            if number:
                total += _check_width(int(number))
        total += biggest * (10 if conversion in ("r", "a") else 1) + 330  # 330: the digits of a float
    return total


def format_size(fmt: str, values: list[Any], limit: int) -> int:
    """An upper bound of ``len(fmt.format(*values))`` (str.format's mini-language)."""
    biggest = _sizes(values, limit)
    total = len(fmt)
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return total  # str.format will refuse it with its own message
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        total += biggest * (10 if conversion in ("r", "a") else 1) + 330
        for number in _FORMAT_NUMBER.findall(spec or ""):
            total += _check_width(int(number))
        if spec and "{" in spec:
            for value in values:
                if isinstance(value, int) and not isinstance(value, bool):
                    total += _check_width(value)
    return total


# What a str (or bytes) method would build, from its arguments, before it runs.
def _join_size(s: Any, args: tuple, kwargs: dict, budget: _Budget) -> tuple[int, tuple]:
    items = list(budget.loop(args[0])) if args else []
    limit = budget.limits.value_chars
    total = len(s) * max(0, len(items) - 1)
    for item in items:
        total += len(item) if isinstance(item, (str, bytes)) else 0
        if total > limit:
            break
    return total, (items, *args[1:])


def _replace_size(s: Any, args: tuple, kwargs: dict, budget: _Budget) -> tuple[int, tuple]:
    old, new = (args + (None, None))[:2]
    kind = str if isinstance(s, str) else bytes
    if not isinstance(old, kind) or not isinstance(new, kind):
        return len(s), args  # the method refuses it
    count = args[2] if len(args) > 2 else kwargs.get("count", -1)
    found = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(s) + found * max(0, len(new) - len(old)), args


def _width_size(s: Any, args: tuple, kwargs: dict, budget: _Budget) -> tuple[int, tuple]:
    width = args[0] if args else kwargs.get("width", 0)
    return max(len(s), width if isinstance(width, int) else 0), args


def _expandtabs_size(s: Any, args: tuple, kwargs: dict, budget: _Budget) -> tuple[int, tuple]:
    size = args[0] if args else kwargs.get("tabsize", 8)
    tab = "\t" if isinstance(s, str) else b"\t"
    return len(s) + s.count(tab) * (size if isinstance(size, int) else 0), args


def _translate_size(s: Any, args: tuple, kwargs: dict, budget: _Budget) -> tuple[int, tuple]:
    table = args[0] if args else None
    longest = 1
    if isinstance(table, dict):
        longest = max([1, *(len(v) for v in table.values() if isinstance(v, (str, bytes)))])
    return len(s) * longest, args


_METHOD_SIZES = {
    "join": _join_size,
    "replace": _replace_size,
    "center": _width_size,
    "ljust": _width_size,
    "rjust": _width_size,
    "zfill": _width_size,
    "expandtabs": _expandtabs_size,
    "translate": _translate_size,
}


# Filters: what each one would build, from its input and arguments, before it runs.
# Filters that turn their input into text are refused an input whose text is too long.
_TEXT_FILTERS = frozenset(
    {
        "capitalize", "center", "e", "escape", "forceescape", "format", "indent", "lower", "pprint",
        "replace", "safe", "string", "striptags", "title", "tojson", "trim", "truncate", "upper",
        "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr", "tr", "label",
    }
)  # fmt: skip


def _filter_size(name: str, value: Any, args: tuple, kwargs: dict, budget: _Budget) -> int | None:
    limit = budget.limits.value_chars

    def arg(index: int, key: str, default: Any = None) -> Any:
        return args[index] if len(args) > index else kwargs.get(key, default)

    if name == "replace":
        if not isinstance(value, str):
            budget.check_size(text_size(value, limit))
            value = str(value)
        old, new, count = str(arg(0, "old", "")), str(arg(1, "new", "")), arg(2, "count")
        size, _ = _replace_size(value, (old, new, -1 if count is None else count), {}, budget)
        return size
    if name == "center":
        return text_size(value, limit) + _check_width(arg(0, "width", 80))
    if name == "indent":
        width = arg(0, "width", 4)
        pad = _check_width(width) if isinstance(width, int) else len(str(width)[:MAX_WIDTH])
        text = value if isinstance(value, str) else ""
        return text_size(value, limit) + (text.count("\n") + 2) * pad
    if name == "wordwrap":
        wrap = arg(3, "wrapstring") or "\n"
        size = text_size(value, limit)
        return size + (size + 1) * len(str(wrap))
    if name == "format":
        if not isinstance(value, str):
            return text_size(value, limit) + printf_size("", kwargs or args, limit)
        return printf_size(value, kwargs or args, limit)
    if name == "urlize":
        extra = sum(len(str(arg(i, k) or "")) for i, k in ((3, "target"), (4, "rel")))
        size = text_size(value, limit)
        return 3 * size + (size // 4 + 1) * (40 + extra)
    if name == "truncate":
        return text_size(value, limit) + len(str(arg(2, "end", "...")))
    if name in ("batch", "slice"):
        count = arg(0, "linecount" if name == "batch" else "slices", 1)
        if isinstance(count, int) and count > MAX_SEQUENCE:
            raise BudgetExceeded(tr("a text or list would be longer than {n} characters", n=MAX_SEQUENCE))
        return None
    if name == "sum":
        start = arg(1, "start", 0)
        if not isinstance(start, (int, float, Decimal)):
            raise SecurityError(tr("sum adds numbers only"))
        return None
    if name == "pprint":
        return text_size([value], limit)  # a string shows as its repr (on one line: see environment())
    if name == "tojson":
        return 6 * text_size([value], limit)  # \uXXXX escapes
    if name in _TEXT_FILTERS:
        return text_size(value, limit)
    return None


def _budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    passes_first = getattr(function, "jinja_pass_arg", None) is not None

    @functools.wraps(function)
    def budgeted(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        offset = 1 if passes_first else 0
        if len(args) > offset:
            value, rest = args[offset], args[offset + 1 :]
            if name == "join":  # read a lazy input once, counted, then size what it makes
                items = list(budget.loop(value)) if not isinstance(value, (str, list, tuple)) else value
                separator = str(rest[0] if rest else kwargs.get("d", ""))
                budget.check_size(_join_estimate(items, separator, budget.limits.value_chars))
                args = (*args[:offset], items, *rest)
            else:
                size = _filter_size(name, value, rest, kwargs, budget)
                if size is not None:
                    budget.check_size(size)
        return budget.made(function(*args, **kwargs))

    return budgeted


def _limited_range(*args: int) -> range:
    items = range(*args)
    budget = _budget()
    budget.range_items -= len(items)
    if budget.range_items < 0 or len(items) > MAX_RANGE_ITEMS:
        raise SecurityError(tr("the template loops too many times"))
    return items


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


_SHORT_TEXT = (str, int, float, date, Decimal, type(None))  # their text is short or already counted


def _finalize(value: Any) -> Any:
    """Every ``{{ expression }}`` passes here before it becomes text."""
    # Numbers: ** and * keep integers under MAX_POWER_BITS, and Python refuses to print
    # one of more than 4,300 digits.
    if not isinstance(value, _SHORT_TEXT):
        budget = _budget()
        budget.check_size(text_size(value, budget.limits.value_chars))
    return value


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator with the budget's hooks: loops, ``~`` and block buffers."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        counted = nodes.Call(
            nodes.EnvironmentAttribute("budget_loop", lineno=node.lineno),
            [node.iter],
            [],
            None,
            None,
            lineno=node.lineno,
        )
        loop = nodes.For(
            node.target, counted, node.body, node.else_, node.test, node.recursive, lineno=node.lineno
        )
        super().visit_For(loop, frame)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.autoescape else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.budget_concat({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.budget_buffer()")


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox plus a budget on everything that can exhaust memory or time."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    # Hooks the generated code calls (never reachable from a template's own names).
    def budget_loop(self, iterable: Any) -> _CountedIterator:
        return _budget().loop(iterable)

    def budget_buffer(self) -> _CountedBuffer:
        return _CountedBuffer(_budget())

    def budget_concat(self, join: Callable[[Any], str], parts: tuple) -> str:
        budget = _budget()
        limit = budget.limits.value_chars
        size = 0
        for part in parts:
            size += text_size(part, limit)
            budget.check_size(size)
        budget.spend(size)
        return join(parts)

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        budget = _budget()
        budget.tick()
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's inner turn
            args = (budget.loop(args[0]), *args[1:])
        owner = getattr(__obj, "__self__", None)
        measure = _METHOD_SIZES.get(getattr(__obj, "__name__", ""))
        if measure is not None and isinstance(owner, (str, bytes)):
            size, args = measure(owner, args, kwargs, budget)
            budget.check_size(size)
        return budget.made(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        sandboxed = super().wrap_str_format(value)
        if sandboxed is None:
            return None
        fmt = value.__self__

        def budgeted(*args: Any, **kwargs: Any) -> str:
            budget = _budget()
            budget.tick()
            # format_map's one argument holds every value: its size bounds each of them.
            values = [*args, *kwargs.values()]
            budget.check_size(format_size(fmt, values, budget.limits.value_chars))
            return budget.made(sandboxed(*args, **kwargs))

        return functools.update_wrapper(budgeted, value)

    def call_binop(self, context, operator_name: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.tick()
        if operator_name == "**":
            if isinstance(right, (int, float)) and isinstance(left, (int, float)):
                base_bits = abs(left).bit_length() if isinstance(left, int) else 64
                bits = abs(float(right)) * max(1, base_bits)
                if bits > MAX_POWER_BITS:
                    raise SecurityError(tr("the number is too large"))
            return operator.pow(left, right)
        if operator_name == "*":
            if isinstance(left, int) and isinstance(right, int):
                if left.bit_length() + right.bit_length() > MAX_POWER_BITS:
                    raise SecurityError(tr("the number is too large"))
                return operator.mul(left, right)
            for seq, count in ((left, right), (right, left)):
                if _size(seq) and isinstance(count, int):
                    if _size(seq) * count > MAX_SEQUENCE:
                        raise SecurityError(tr("the text or list is too long"))
                    if not isinstance(seq, (str, bytes)):  # the items' text counts too
                        budget.check_size(text_size(seq, budget.limits.value_chars) * count)
            return budget.made(operator.mul(left, right))
        if operator_name == "%":
            if isinstance(left, str):
                budget.check_size(printf_size(left, right, budget.limits.value_chars))
                return budget.made(operator.mod(left, right))
            return operator.mod(left, right)
        if _size(left) and _size(right):
            budget.check_size(_size(left) + _size(right))
        result = operator.add(left, right)
        if _size(result) > MAX_OUTPUT_CHARS:
            raise SecurityError(tr("the text or list is too long"))
        return budget.made(result)


def _money_filter(language: str):
    def money(cents: Any, currency: str = "BRL") -> str:
        if cents is None or cents == "":
            return ""
        return formatting.money(int(cents), currency, language)

    return money


def _day_filter(language: str):
    def day(value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        if isinstance(value, datetime):
            value = value.date()
        return formatting.day(value, language)

    return day


@cache
def environment(language: str) -> _Sandbox:
    env = _Sandbox(
        loader=None,
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.globals["range"] = _limited_range
    env.globals.pop("lipsum", None)
    env.filters["money"] = _money_filter(language)
    env.filters["day"] = _day_filter(language)
    env.filters["percent"] = lambda v, digits=0: formatting.percent(v, digits, language)
    env.filters["number"] = lambda v, digits=0: formatting.number(v, digits, language)
    env.filters["label"] = lambda key, labels: i18n.label(labels, key, language)
    env.filters["tr"] = lambda text: i18n.tr(text, language)
    # pprint indents each wrapped line by its column: a long key over a long list would
    # make a text the square of its size. On one line, it is the value's repr.
    env.filters["pprint"] = lambda value: pprint.pformat(value, width=sys.maxsize)
    base_center, base_indent = env.filters["center"], env.filters["indent"]
    env.filters["center"] = lambda s, width=80: base_center(s, _check_width(width))
    env.filters["indent"] = lambda s, width=4, *a, **k: base_indent(
        s, _check_width(width) if isinstance(width, int) else width[:MAX_WIDTH], *a, **k
    )
    env.filters = {name: _budgeted_filter(name, f) for name, f in env.filters.items()}
    return env
