"""Imports run one way: ui -> csdesk -> db, and cli -> csdesk -> db beside ui. The core and storage never load Qt."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> dict[Path, set[str]]:
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[path] = names
    return found


def test_core_and_db_never_import_qt():
    for package in ("csdesk", "db"):
        for path, names in imported_modules(package).items():
            assert not {"PySide6", "shiboken6", "matplotlib.backends"} & names, path


def test_db_never_imports_core_or_ui():
    for path, names in imported_modules("db").items():
        assert not {"csdesk", "ui"} & names, path


def test_core_never_imports_a_face():
    """The window (ui/) and the command line (cli/) sit on the core; ``python -m csdesk`` is only a door to cli."""
    for path, names in imported_modules("csdesk").items():
        assert "ui" not in names, path
        if path != ROOT / "csdesk" / "__main__.py":
            assert "cli" not in names, path


def test_the_command_line_never_loads_qt_at_import():
    """cli/ may start the window (``csdesk`` alone), but only from inside a function, when asked for."""
    for path in (ROOT / "cli").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = {node.module.split(".")[0]}
            else:
                continue
            assert not {"ui", "PySide6", "shiboken6"} & names, path


def test_the_window_never_imports_the_command_line():
    for package in ("ui", "db"):
        for path, names in imported_modules(package).items():
            assert "cli" not in names, path


def test_ui_runs_no_sql_of_its_own():
    for path, names in imported_modules("ui").items():
        assert not {"sqlalchemy", "sqlite3"} & names, path


def test_driver_level_code_stays_in_db():
    """The core speaks SQLAlchemy; pragmas, checkpoints and the sqlite3 module live in db/."""
    for path, names in imported_modules("csdesk").items():
        assert "sqlite3" not in names, path


DRIVER_ATTRIBUTES = {"driver_connection", "dbapi_connection", "raw_connection", "cursor", "set_progress_handler"}
DRIVERS = {"sqlite3", "psycopg", "psycopg2", "pysqlite2", "apsw"}


def test_the_core_uses_no_driver_connection_or_cursor():
    """No database driver module in csdesk/, nor the driver's connection or cursor behind SQLAlchemy's."""
    for path, names in imported_modules("csdesk").items():
        assert not DRIVERS & names, path
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        assert not DRIVER_ATTRIBUTES & used, f"{path}: {sorted(DRIVER_ATTRIBUTES & used)}"
