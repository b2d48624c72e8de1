"""Whose problem an error is: the user's (one line, exit 2) or CSDesk's (a bug: logged, exit 1).

Both faces classify with :func:`is_user_error`: the command line for its exit
code, the window for a warning or a bug report.
"""

from __future__ import annotations

import errno

# What the file system says about the user's own files and folders: a missing file, no
# permission, a full or read-only disk. Any other OSError is CSDesk's.
USER_OS_ERRORS = frozenset(
    (
        errno.ENOENT,
        errno.EACCES,
        errno.EPERM,
        errno.ENOSPC,
        errno.EROFS,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
        errno.EDQUOT if hasattr(errno, "EDQUOT") else errno.ENOSPC,
    )
)


class UserError(Exception):
    """A problem of the user's world: bad file, unknown account, locked database."""


def is_user_error(error: BaseException) -> bool:
    """True for something the user can fix (said in one line); False for a bug."""
    from db import DatabaseError  # not at import: the core's errors load before the storage

    if isinstance(error, UserError | DatabaseError):
        return True
    return isinstance(error, OSError) and error.errno in USER_OS_ERRORS


def exit_code(error: BaseException) -> int:
    """The command line's exit code for ``error``: 2 the user's side, 1 a bug."""
    return 2 if is_user_error(error) else 1
