"""The user-world error: something the user can fix, reported in one line.

Anything else that goes wrong is a bug and travels as an ordinary exception.
"""


class UserError(Exception):
    """A problem of the user's world: bad file, unknown account, locked database."""
