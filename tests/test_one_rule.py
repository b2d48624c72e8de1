"""One rule, one place: money's compact forms and the NPS groups are written once in the core."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPS_RULE = ROOT / "csdesk" / "nps.py"
# (operator, constant) pairs that write the NPS groups: >= 9, > 8 (promoter), <= 6, < 7 (detractor).
NPS_LITERALS = {(ast.GtE, 9), (ast.Gt, 8), (ast.LtE, 6), (ast.Lt, 7)}


def _trees(packages=("cli", "csdesk", "ui")):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def defined_functions(name: str) -> list[Path]:
    return [
        path
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name
    ]


def nps_literals(tree: ast.AST) -> list[int]:
    """Line numbers of comparisons like ``score >= 9`` or ``s <= 6``."""
    lines = []
    for node in ast.walk(tree):
        # A count (``len(xs) > 8``) is not an answer.
        if isinstance(node, ast.Compare) and not isinstance(node.left, ast.Call):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(right, ast.Constant) and (type(op), right.value) in NPS_LITERALS:
                    lines.append(node.lineno)
    return sorted(lines)


def test_compact_money_is_defined_once_in_formatting():
    for name in ("compact_money", "axis_money"):
        assert defined_functions(name) == [ROOT / "csdesk" / "formatting.py"], name


def test_the_nps_groups_are_written_only_in_the_nps_module():
    assert defined_functions("nps_group") == [NPS_RULE]
    assert defined_functions("nps_groups") == [NPS_RULE]
    copies = {
        str(path.relative_to(ROOT)): lines
        for path, tree in _trees()
        if path != NPS_RULE and (lines := nps_literals(tree))
    }
    assert copies == {}


def test_the_scan_sees_a_copy():
    copy = ast.parse(
        "promoters = sum(1 for s in scores if s >= 9)\ndetractors = (a <= 6).sum()\nmany = len(xs) > 8\n"
    )
    assert nps_literals(copy) == [1, 2]


RULES = ROOT / "csdesk" / "rules"
PALETTE = ROOT / "csdesk" / "palette.py"


def test_names_cnpj_and_calendar_rules_are_defined_once_in_rules():
    expected = {
        "fold": RULES / "names.py",
        "name_key": RULES / "names.py",
        "name_keys": RULES / "names.py",
        "word_key": RULES / "names.py",
        "valid_cnpj": RULES / "cnpj.py",
        "format_cnpj": RULES / "cnpj.py",
        "add_months": RULES / "calendar.py",
        "quarter_of": RULES / "calendar.py",
        "month_start": RULES / "calendar.py",
    }
    for name, path in expected.items():
        assert defined_functions(name) == [path], name
    for copy in ("fast_name_key", "fast_fold", "fast_valid_cnpj", "_add_months"):
        assert defined_functions(copy) == [], copy


def band_colour_tables(tree: ast.AST) -> list[int]:
    """Line numbers of dict literals that give the bands colours written as "#rrggbb"."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            hexes = [
                n
                for v in node.values
                for n in ast.walk(v)
                if isinstance(n, ast.Constant) and str(n.value).startswith("#")
            ]
            if {"green", "yellow", "red"} <= keys and hexes:
                found.append(node.lineno)
    return found


def test_band_colours_are_the_palettes():
    copies = {
        str(path.relative_to(ROOT)): lines
        for path, tree in _trees()
        if path != PALETTE and (lines := band_colour_tables(tree))
    }
    assert copies == {}
    assert band_colour_tables(
        ast.parse('C = {"green": QColor("#17803d"), "yellow": "#ca8a04", "red": "#dc2626"}')
    )
