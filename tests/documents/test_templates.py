import pytest

from csdesk import templates
from csdesk.documents.context import sample_data
from csdesk.errors import UserError
from csdesk.templates import TemplateInfo, TemplateRenderError, render


def test_every_builtin_template_renders_in_both_languages():
    for kind in templates.KINDS:
        for language in ("pt_BR", "en"):
            text = render(templates.builtin_template(kind, language).body, sample_data(language), language)
            assert "Padaria Pitanga" in text


def test_filters_format_money_and_dates_per_language():
    data = {"cents": 123456, "d": sample_data()["today"].replace(year=2026, month=11, day=25)}
    assert render("{{ cents|money }} {{ d|day }}", data, "pt_BR") == "R$ 1.234,56 25/11/2026"
    assert render("{{ cents|money }} {{ d|day }}", data, "en") == "R$1,234.56 Nov 25, 2026"


def test_loops_and_conditions_work():
    body = "{% for c in items %}{{ loop.index }}:{{ c.name }} {% endfor %}{% if n > 1 %}many{% endif %}"
    assert render(body, {"items": [{"name": "a"}, {"name": "b"}], "n": 2}) == "1:a 2:b many"


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ namespace.__init__.__globals__ }}",
        "{% include '/etc/passwd' %}",
        "{% import 'os' as os %}{{ os }}",
        "{% from 'os' import system %}",
        "{% extends '/etc/passwd' %}",
        "{{ x.__class__.__subclasses__() }}",
        "{{ x|attr('__class__') }}",
        "{{ '{0.__class__}'.format(x) }}",
        "{{ '{0.__class__.__init__.__globals__}'.format(x) }}",
        "{{ '%s'.__mod__ }}",
        "{{ items.append(1) }}",
        "{{ data.update({'a': 1}) }}",
        "{{ data.pop('a') }}",
        "{% for i in range(10**9) %}{% endfor %}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{{ 'x' * 10**9 }}",
        "{{ [1] * 10**8 }}",
        "{{ 10**100000 }}",
        "{{ (10**100)**100 }}",
        "{{ 'a'|center(10**9) }}",
        "{{ '%0999999999d'|format(1) }}",
        "{{ lipsum(10**6) }}",
        "{% for i in range(100000) %}{{ 'xxxxxxxxxx' }}{% endfor %}",
        "{{ self.__init__ }}",
        "{{ x.__str__.__self__ }}",
    ],
)
def test_hostile_templates_fail_with_a_message(body):
    with pytest.raises(TemplateRenderError) as info:
        render(body, {"x": "text", "items": [1, 2], "data": {"a": 1}})
    assert str(info.value)


def test_hostile_results_never_leak_python_internals():
    # Even where the sandbox returns an undefined instead of raising, nothing is revealed.
    for body in ("{{ ''.__class__ }}", "{{ (1).__class__ }}"):
        with pytest.raises(TemplateRenderError):
            render(body, {})


def test_errors_name_the_line():
    with pytest.raises(TemplateRenderError) as info:
        render("line one\n{{ account.nme }}\n", {"account": {"name": "x"}})
    assert info.value.line == 2 and "Line 2" in str(info.value)
    with pytest.raises(TemplateRenderError) as info:
        render("ok\nok\n{% if %}\n", {})
    assert info.value.line == 3


def test_user_templates_duplicate_edit_and_delete(db):
    builtin = templates.builtin_template("qbr", "pt_BR")
    copy = templates.duplicate_template(db, builtin)
    assert copy.name == "CSDesk (cópia)" and copy.based_on == "CSDesk" and not copy.builtin
    again = templates.duplicate_template(db, builtin)
    assert again.name == "CSDesk (cópia) 2"
    edited = templates.save_template(
        db, TemplateInfo("qbr", "pt_BR", "Minha RTS", "# {{ account.name }}", id=copy.id)
    )
    assert templates.find_template(db, "qbr", "pt_BR", "Minha RTS").body == "# {{ account.name }}"
    names = [t.name for t in templates.list_templates(db, "qbr", "pt_BR")]
    assert names == ["CSDesk", "CSDesk (cópia) 2", "Minha RTS"]
    templates.delete_template(db, edited.id)
    with pytest.raises(UserError):
        templates.find_template(db, "qbr", "pt_BR", "Minha RTS")


def test_a_template_that_does_not_compile_is_not_saved(db):
    with pytest.raises(TemplateRenderError, match="Line 2"):
        templates.save_template(db, TemplateInfo("qbr", "en", "Broken", "ok\n{% for %}"))
    with pytest.raises(UserError):
        templates.save_template(db, TemplateInfo("qbr", "en", "CSDesk", "x"))
    assert [t.name for t in templates.list_templates(db, "qbr", "en")] == ["CSDesk"]
