"""Persistence: typed models, the engine, schema versions. Never imports Qt.

The engine is loaded on first use, so a Qt- and SQLAlchemy-free module of this
package (``db.codes``) can be read without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from db.engine import Database, DatabaseError, open_database

__all__ = ["Database", "DatabaseError", "open_database"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from db import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'db' has no attribute {name!r}")
