"""One classification of errors for both faces: the user's side (exit 2, a message) or a bug (exit 1, logged)."""

from __future__ import annotations

import errno

import pytest

from cli import main as cli
from cli.commands import accounts as accounts_command
from csdesk.errors import UserError, exit_code, is_user_error
from db import DatabaseError


@pytest.mark.parametrize(
    ("error", "users"),
    [
        (UserError("carteira.csv, row 3: no name"), True),
        (DatabaseError("the database is locked"), True),
        (FileNotFoundError(errno.ENOENT, "No such file", "carteira.csv"), True),
        (PermissionError(errno.EACCES, "Permission denied", "/relatorios"), True),
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (ValueError("invalid literal for int()"), False),
        (KeyError("mrr"), False),
        (OSError(errno.EBADF, "Bad file descriptor"), False),
        (OSError("no errno"), False),
    ],
)
def test_whose_problem_an_error_is(error, users):
    assert is_user_error(error) is users
    assert exit_code(error) == (2 if users else 1)


@pytest.mark.parametrize(
    ("error", "code", "said"),
    [
        (UserError("Conta desconhecida: fix it"), 2, "csdesk: Conta desconhecida: fix it"),
        (ValueError("a slip inside CSDesk"), 1, "csdesk: internal error; details in"),
    ],
)
def test_the_command_line_exits_by_the_same_classification(db_path, monkeypatch, capsys, error, code, said):
    def failing(_args):
        raise error

    monkeypatch.setattr(accounts_command, "run_accounts", failing)
    logged = []
    monkeypatch.setattr(cli.log, "exception", lambda *a, **k: logged.append(a))
    assert cli.main(["--db", str(db_path), "accounts"]) == code
    assert capsys.readouterr().err.startswith(said)
    assert bool(logged) is (code == 1)  # a bug is logged, a user's error is not
