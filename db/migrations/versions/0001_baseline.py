"""Baseline: schema version 2, the tables of db/models.py.

A new book is created from the models and stamped here; a version-1 file is
brought to version 2 by db.schema's step, then stamped. Run on an empty
database, this creates the models' tables (what is there already is kept).

Revision ID: 0001_baseline
Revises:
"""

from alembic import op

from db.models import Base

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    Base.metadata.create_all(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("CSDesk never goes back below its baseline schema")
