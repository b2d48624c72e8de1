"""Persistence: typed models, the engine, schema versions. Never imports Qt."""

from db.engine import Database, DatabaseError, open_database

__all__ = ["Database", "DatabaseError", "open_database"]
