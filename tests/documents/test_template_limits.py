"""Template rendering within its budget: time, repetition, size; stoppable; the line named."""

from __future__ import annotations

import itertools
import pprint
import sys
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment, StrictUndefined

from csdesk import i18n
from csdesk.progress import Cancelled, Progress
from csdesk.templates import LIMITS, Limits, TemplateRenderError, format_size, printf_size, render, text_size

ENDLESS = "ok\n{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}\n"
NO_STEP_LIMIT = Limits(seconds=3600, steps=10**12)

# Each builds hundreds of megabytes to gigabytes (before its output could be capped) or
# repeats for ever; on line 2 so the message can be checked for it.
OVER_BUDGET = [
    "{{ (['x' * 100000] * 3000)|join }}",
    "{{ 'x'.join(['y' * 100000] * 3000) }}",
    "{{ ('x' * 100000)|replace('x', 'x' * 3000) }}",
    "{{ ('x' * 100000).replace('x', 'yyyyyyyyyy') }}",
    "{{ '%s%s%s%s%s%s%s%s%s%s' % (('x' * 100000,) * 10) }}",
    "{{ ('%s' * 50000) % (('x' * 10000,) * 50000) }}",
    "{{ ('%s' * 5000)|format(*(['x' * 100000] * 5000)) }}",
    "{{ ('{0}' * 30000).format('x' * 100000) }}",
    "{{ '{0}{0}{0}{0}{0}{0}'.format_map({'0': 'x'}) ~ ('{a}' * 30000).format_map({'a': 'x' * 100000}) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '%.999999f' % 1.0 }}",
    "{{ '%*d' % (10**9, 1) }}",
    "{{ ['x' * 100000] * 100 }}",
    "{{ [['x' * 100000] * 100] }}",
    "{{ (range(100000)|list)|string }}",
    "{% set s = 'x' * 100000 %}{{ s ~ s ~ s ~ s ~ s ~ s }}",
    "{% set ns = namespace(x='ab') %}{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}",
    "{% set ns = namespace(x=2**4000) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}{% endfor %}",
    "{% macro m() %}{% for i in range(100000) %}{{ 'x' * 50 }}{% endfor %}{% endmacro %}{% set a = m() %}",
    "{% filter upper %}{% for i in range(100000) %}{{ 'y' * 50 }}{% endfor %}{% endfilter %}",
    "{% set b %}{% for i in range(100000) %}{{ 'y' * 50 }}{% endfor %}{% endset %}",
    "{{ [1]|slice(10**9)|list|length }}",
    "{{ [1]|batch(10**8, 'x')|list|length }}",
    "{{ [[1] * 100000] * 100000|sum(start=[])|length }}",
    "{{ ('x' * 100000)|list|map('replace', 'x', 'y' * 100000)|list|length }}",
    "{{ ('x\\n' * 50000)|indent('y' * 1000) }}",
    "{{ ('x' * 100000)|wordwrap(1, wrapstring='y' * 1000) }}",
    "{{ ('\\t' * 100000).expandtabs(1000) }}",
    "{{ ('x' * 100000).ljust(10**9) }}",
    "{{ ('x' * 1000).translate({120: 'y' * 100000}) }}",
    "{{ (['x' * 100000] * 5)|tojson }}",
    "{{ (['x' * 100000] * 5)|pprint }}",
    "{{ {'k' * 50000: range(50000)|list}|pprint }}",
    "{{ ('<' * 100000)|forceescape|forceescape }}",
]


@pytest.mark.parametrize("body", OVER_BUDGET)
def test_over_budget_templates_stop_before_building_much_and_name_the_line(body):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with pytest.raises(TemplateRenderError) as info:
            render("ok\n" + body + "\nend\n", {}, "en")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert message.startswith("Line 2: ") and "\n" not in message
    # The biggest text allowed is 500,000 characters (2 MB at 4 bytes each); twenty
    # million characters in all may be built, one value at a time.
    assert peak < 40_000_000, f"{peak / 1e6:.0f} MB"


@pytest.mark.parametrize(
    "body",
    [
        ENDLESS,
        "ok\n{% macro f() %}{% for i in 'xx' %}{{ f() }}{% endfor %}{% endmacro %}{{ f() }}\n",
        "ok\n{% for x in [1] recursive %}{{ loop(['a', 'b']) }}{% endfor %}\n",
        "ok\n{{ ('x' * 100000)|list|map('upper')|map('lower')|map('upper')|list|length }}\n",
    ],
)
def test_repeating_too_much_stops_with_a_message(body):
    with pytest.raises(TemplateRenderError) as info:
        render(body, {}, "en", limits=Limits(steps=5_000))
    assert str(info.value).startswith("Line 2: ")
    assert "repeats too much" in str(info.value) or "recursion" in str(info.value)


def test_the_step_limit_counts_every_loop_turn():
    body = "{% for i in range(n) %}.{% endfor %}"
    assert render(body, {"n": 900}, "en", limits=Limits(steps=1_000)) == "." * 900
    with pytest.raises(TemplateRenderError, match="more than 1,000 loop turns"):
        render(body, {"n": 1_100}, "en", limits=Limits(steps=1_000))


def test_the_time_limit_stops_a_render_that_is_still_running():
    seconds = itertools.count()  # every look at the clock: one second later
    with pytest.raises(TemplateRenderError) as info:
        render(ENDLESS, {}, "en", limits=Limits(seconds=5, steps=10**12), clock=lambda: float(next(seconds)))
    assert str(info.value) == "Line 2: the template took longer than 5 seconds to fill in; simplify its loops"


def test_the_time_limit_message_is_in_the_users_language():
    i18n.set_language("pt_BR")
    seconds = itertools.count()
    with pytest.raises(TemplateRenderError, match="Linha 2: o modelo levou mais de 5 segundos"):
        render(
            ENDLESS, {}, "pt_BR", limits=Limits(seconds=5, steps=10**12), clock=lambda: float(next(seconds))
        )


def test_cancelling_stops_a_running_render():
    progress = Progress()
    looks = itertools.count()

    def clock() -> float:
        if next(looks) == 20:  # the render is well under way: the user presses Stop
            progress.cancel()
        return 0.0

    with pytest.raises(Cancelled):
        render(ENDLESS, {}, "en", limits=NO_STEP_LIMIT, progress=progress, clock=clock)
    assert next(looks) == 21  # it stopped at its next look, not at the end of the loops


def test_a_render_cancelled_before_it_starts_does_not_run():
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        render("{{ x }}", {"x": 1}, "en", progress=progress)


def test_the_work_limit_counts_all_the_text_built():
    body = "{% for i in range(n) %}{% set x = 'ab' * 50 %}{% endfor %}done"
    assert render(body, {"n": 5}, "en", limits=Limits(work_chars=1_000)) == "done"
    with pytest.raises(TemplateRenderError, match="builds too much text"):
        render(body, {"n": 20}, "en", limits=Limits(work_chars=1_000))


def test_output_over_the_limit_names_the_line_it_came_from():
    with pytest.raises(TemplateRenderError) as info:
        render("a\nb\n{% for i in range(100000) %}xxxxxxxxxx{% endfor %}\n", {}, "en")
    assert str(info.value).startswith("Line 3: the document is longer than")


# Everything a real template does renders exactly as plain Jinja2 renders it.
EVERYDAY = """\
{% macro row(c) %}| {{ c.name }} | {{ c.role }} |{% endmacro %}
{% macro box() %}[{{ caller() }}]{% endmacro %}
{% set ns = namespace(total=0) %}
# {{ account.name|upper }} — {{ "%.1f"|format(score) }} ({{ '%s/%s' % (done, total) }})
{{ "{} of {}".format(done, total) }} · {{ "{name}".format_map(account) }} · {{ account.name ~ "!" }}
{% for c in contacts if c.name %}{{ loop.index }}/{{ loop.length }} {{ row(c) }}
{% set ns.total = ns.total + c.mrr %}{% endfor %}
{{ contacts|map(attribute='name')|join(', ') }} · {{ contacts|sum(attribute='mrr') }} · {{ ns.total }}
{{ contacts|selectattr('role', 'equalto', 'champion')|map(attribute='name')|first }}
{{ (contacts|sort(attribute='name')|list)[0].name }} · {{ contacts|groupby('role')|length }}
{{ "Resumo do trimestre com vários marcos e próximos passos"|wordwrap(20) }}
{{ "linha\\noutra"|indent(2, first=True) }} · {{ "meio"|center(12) }} · {{ "a-b-c"|replace("-", " / ") }}
{{ ", ".join(["x", "y"]) }} · {{ "-" * 10 }} · {{ [1, 2] * 2 }} · {{ 2 ** 10 }} · {{ 7 % 3 }} · {{ 10 * 10 }}
{% for row in range(7)|batch(3, 0) %}{{ row }}{% endfor %} {% for col in range(7)|slice(2) %}{{ col }}{% endfor %}
{% for item in tree recursive %}{{ item.name }}{% if item.children %}({{ loop(item.children) }}){% endif %}{% endfor %}
{% set block %}bloco {{ done }}{% endset %}{{ block }} {% filter upper %}filtro{% endfilter %}
{% call box() %}x{% endcall %} {{ cycler('a', 'b').next() }} {{ (contacts|first).name|truncate(4, True, '…', 0) }}
{{ contacts|tojson }} {{ {'b': 1, 'a': [1, 'x']}|pprint }} {{ contacts|length }} {{ 'x'|e }}
"""
DATA = {
    "account": {"name": "Padaria Pitanga"},
    "score": 82.46,
    "done": 3,
    "total": 5,
    "contacts": [
        {"name": "Carla", "role": "champion", "mrr": 10},
        {"name": "Ana", "role": "user", "mrr": 5},
        {"name": "", "role": "user", "mrr": 1},
    ],
    "tree": [{"name": "a", "children": [{"name": "b", "children": []}]}, {"name": "c", "children": []}],
}


def test_everyday_templates_render_as_plain_jinja_does():
    options = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}
    expected = Environment(undefined=StrictUndefined, **options).from_string(EVERYDAY).render(**DATA)
    assert render(EVERYDAY, DATA, "en") == expected


def test_the_defaults_are_the_documented_limits():
    assert (LIMITS.seconds, LIMITS.steps, LIMITS.value_chars, LIMITS.work_chars, LIMITS.output_chars) == (
        5.0,
        1_000_000,
        500_000,
        20_000_000,
        500_000,
    )


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(values)
def test_text_size_bounds_str_and_pprint(value):
    size = text_size(value, 10**9)
    assert size >= len(str(value)) and text_size([value], 10**9) >= len(
        pprint.pformat(value, width=sys.maxsize)
    )
    assert text_size(value, 3) <= max(size, 4)  # counting stops past the limit


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["%s", "%r", "%d", "%5s", "%-8.3s", "%%", "x", "%.2f"]), max_size=8),
    st.lists(st.integers(-(10**6), 10**6), min_size=8, max_size=8),
)
def test_printf_size_bounds_percent_formatting(pieces, numbers):
    fmt = "".join(pieces)
    args = tuple(numbers[: sum(1 for p in pieces if p != "%%" and p != "x")])
    assert printf_size(fmt, args, 10**9) >= len(fmt % args)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["{}", "{!r}", "{:>6}", "{:.3}", "x", "{{", "{0}"]), max_size=8),
    st.text(max_size=20),
)
def test_format_size_bounds_str_format(pieces, word):
    fmt = "".join(pieces)
    if "{0}" in pieces and any(p in ("{}", "{!r}", "{:>6}", "{:.3}") for p in pieces):
        return  # mixing automatic and manual numbering is an error either way
    count = sum(1 for p in pieces if p not in ("x", "{{"))
    assert format_size(fmt, [word] * max(count, 1), 10**9) >= len(fmt.format(*[word] * max(count, 1)))
