"""Alembic's environment: always run by db.migrations on a connection inside the caller's
write transaction (which holds the book's write lock), never from the command line's own URL."""

from alembic import context

from db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("CSDesk's migrations run from db.schema.upgrade (open the book with csdesk).")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
)
with context.begin_transaction():
    context.run_migrations()
