"""Typed SQLAlchemy 2 models: every entity of the CSDesk domain.

Money is integer cents (``*_cents``), never float. Calendar facts are ``date``;
moments (a meeting, an answer) are naive UTC-free local ``datetime``.
Vocabulary columns hold the English keys listed in ``csdesk.vocab``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy import (
    DateTime as _DateTime,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import FunctionElement

from db import encoding
from db.codes import (
    CHANNEL_CODES,
    EVENT_KIND_CODES,
    EVENT_SOURCE_CODES,
    MEASURE_CODES,
    MEASURE_SOURCE_CODES,
    SEVERITY_CODES,
)
from db.encoding import SQLiteDateTime

# Every date-time column: a native timestamp on PostgreSQL; on SQLite ISO text written by
# db.encoding (``2026-01-05 13:00:00``, a fraction only when there is one), as every bulk
# writer writes it, so values compare equal in SQL whichever path wrote them.
DateTime = _DateTime().with_variant(SQLiteDateTime(), "sqlite")


class _EpochSecondsSQLite(Integer):
    """EpochSeconds' storage on SQLite: an INTEGER column, whose literals keep a fraction."""

    def literal_processor(self, dialect: Any):
        return repr  # an int as itself; a float exactly (Integer's would drop the fraction)


class EpochSeconds(TypeDecorator):
    """A naive ``datetime`` stored on SQLite as seconds since 1970-01-01 of its wall time
    (db.encoding.encode_epoch_seconds: an integer, 4 bytes instead of 19 of ISO text; a REAL
    when it has a fraction). PostgreSQL keeps a native TIMESTAMP, its SQL unchanged.

    Compare it with date-times (``col >= moment``: they are encoded); SQL date functions
    (``date()``, ``strftime``) do not read it on SQLite: use ``db.bulk.day_number``.
    """

    impl = _DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_EpochSecondsSQLite())
        return dialect.type_descriptor(_DateTime())

    def process_bind_param(self, value: datetime | date | None, dialect: Any) -> Any:
        # dialect None: the stored form for SQLite's bulk writers (db.encoding.column_encoder)
        if dialect is not None and dialect.name != "sqlite":
            return value
        return encoding.encode_epoch_seconds(value)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if dialect is not None and dialect.name != "sqlite":
            return value
        return encoding.decode_epoch_seconds(value)


class EpochNow(FunctionElement):
    """The current moment as an ``EpochSeconds`` column's server default stores it (SQLite: whole
    seconds since 1970, UTC like CURRENT_TIMESTAMP; elsewhere CURRENT_TIMESTAMP)."""

    type = _DateTime()
    inherit_cache = True


@compiles(EpochNow, "sqlite")
def _epoch_now_sqlite(element, compiler, **kw):
    return encoding.SQL_NOW_SECONDS


@compiles(EpochNow)
def _epoch_now(element, compiler, **kw):
    return "CURRENT_TIMESTAMP"


# The execution option naming who writes (db.engine.Database.transaction sets it from
# ``Database.user``): the default of every ``author`` column, filled on each insert.
AUTHOR_OPTION = "csdesk_user"
AUTHOR_LENGTH = 150


def current_author(context) -> str | None:
    """The name of the CSM whose write transaction inserts the row (None: nobody set one)."""
    if context is None:
        return None
    return context.execution_options.get(AUTHOR_OPTION) or None


def import_run_index(table: str) -> Index:
    """The index undo finds an import's rows by: only rows an import wrote are in it."""
    return Index(
        f"ix_{table}_import_run_id",
        "import_run_id",
        sqlite_where=text("import_run_id IS NOT NULL"),
        postgresql_where=text("import_run_id IS NOT NULL"),
    )


class WordCode(TypeDecorator):
    """A word of a closed list stored as its position (one byte instead of ~12 of text).

    A word outside the list is stored as given (SQLite keeps text in an integer column).
    Compare with ``==`` / ``in_`` (they encode the word); ``case(value=...)`` does not.
    """

    impl = Integer
    cache_ok = True

    def __init__(self, words: tuple[str, ...]):
        super().__init__()
        self.words = words
        self._codes = {w: i for i, w in enumerate(words)}

    def process_bind_param(self, value: str | None, dialect: Any) -> int | str | None:
        return None if value is None else self._codes.get(value, value)

    def process_result_value(self, value: int | str | None, dialect: Any) -> str | None:
        return self.words[value] if isinstance(value, int) else value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class SchemaInfo(Base):
    """One row: the schema version this database is at."""

    __tablename__ = "schema_info"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class Setting(Base):
    """Data settings that travel with the database (cadences, thresholds, rules)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class ChangeCounter(Base):
    """One row: a counter every write transaction raises (db.engine), so other CSDesks
    sharing the book see in one cheap query that something changed."""

    __tablename__ = "db_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    counter: Mapped[int] = mapped_column(Integer, default=0)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_account_source_external_id"),
        Index("ix_accounts_renewal_date", "renewal_date"),
        # The Today view: accounts not touched for longer than their cadence, red accounts.
        Index("ix_accounts_status_touch", "status", "last_touch_at"),
        Index("ix_accounts_health_band", "health_band"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    # Accent-, case-, punctuation- and legal-suffix-free name used for matching.
    name_key: Mapped[str] = mapped_column(String(300), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(30))
    cnpj: Mapped[str | None] = mapped_column(String(14), index=True)  # digits only
    domain: Mapped[str | None] = mapped_column(String(253), index=True)
    segment: Mapped[str | None] = mapped_column(String(20))  # csdesk.vocab.SEGMENTS
    tier: Mapped[str | None] = mapped_column(String(50))
    industry: Mapped[str | None] = mapped_column(String(100))
    plan: Mapped[str | None] = mapped_column(String(100))
    mrr_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # 64-bit on every engine
    currency: Mapped[str] = mapped_column(String(3), default="BRL")
    contract_start: Mapped[date | None] = mapped_column(Date)
    renewal_date: Mapped[date | None] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(30), default="onboarding")  # csdesk.vocab.STAGES
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | churned
    churn_date: Mapped[date | None] = mapped_column(Date)
    churn_reason: Mapped[str | None] = mapped_column(String(30))  # csdesk.vocab.CHURN_REASONS
    owner: Mapped[str | None] = mapped_column(String(150), index=True)
    licensed_users: Mapped[int | None] = mapped_column(Integer)
    active_users: Mapped[int | None] = mapped_column(Integer)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set when an import created the account (its undo deletes it), and the day an
    # import last set its MRR: won deals dated before it are already in that MRR.
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL"), index=True
    )
    mrr_as_of: Mapped[date | None] = mapped_column(Date)
    # Raised by every edit of the account's own fields (csdesk.accounts, imports): an edit
    # saved over a version another CSM changed meanwhile is detected, never silently lost.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Denormalised for the book of business, so 50,000 rows load in one scan.
    # last_touch_at is kept by the timeline service, health_* by the health
    # service, last_nps by the survey service.
    last_touch_at: Mapped[datetime | None] = mapped_column(DateTime)
    health_score: Mapped[float | None] = mapped_column(Float)
    health_band: Mapped[str | None] = mapped_column(String(10))  # green | yellow | red
    health_trend: Mapped[float | None] = mapped_column(Float)  # points over 30 days
    last_nps: Mapped[int | None] = mapped_column(Integer)

    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.current_timestamp(), onupdate=func.current_timestamp()
    )

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )


def version_raise(table) -> dict[str, Any]:
    """The SET clause that raises an edited row's version (accounts; nothing for other tables).

    Every bulk UPDATE of an account's fields (an import, its undo) adds it, as the account
    service does, so an edit dialog opened before notices the change."""
    column = table.c.get("version")
    return {} if column is None else {"version": column + 1}


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(20))  # csdesk.vocab.CONTACT_ROLES
    job_title: Mapped[str | None] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(30))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))

    account: Mapped[Account] = relationship(back_populates="contacts")


class TimelineEvent(Base):
    """One dated touchpoint or fact on an account's timeline (domain §6)."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        Index("ix_events_account_time", "account_id", "occurred_at"),
        import_run_index("timeline_events"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # Seconds since 1970 on SQLite (EpochSeconds): this row's and two index entries' worth.
    occurred_at: Mapped[datetime] = mapped_column(EpochSeconds, index=True)
    # The closed lists (kind, channel, severity, source) as their codes (db.codes), in the
    # row and in the kind index: a fifth of a big book's timeline.
    kind: Mapped[str] = mapped_column(WordCode(EVENT_KIND_CODES), index=True)  # csdesk.vocab.EVENT_KINDS
    subkind: Mapped[str | None] = mapped_column(String(30))  # e.g. meeting: kickoff | qbr
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)  # Markdown
    channel: Mapped[str | None] = mapped_column(WordCode(CHANNEL_CODES))  # csdesk.vocab.CHANNELS
    severity: Mapped[str | None] = mapped_column(WordCode(SEVERITY_CODES))  # tickets: low..critical
    source: Mapped[str] = mapped_column(WordCode(EVENT_SOURCE_CODES), default="manual")  # manual | import | auto
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What an import recognises the row by, so importing the same file twice adds nothing.
    import_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(EpochSeconds, server_default=EpochNow())
    # Who logged it (the CSM's name); an imported event's is its import run's.
    author: Mapped[str | None] = mapped_column(String(AUTHOR_LENGTH), default=current_author)


class RevenueChange(Base):
    """A dated MRR movement; the metrics are computed from these."""

    __tablename__ = "revenue_changes"
    __table_args__ = (
        Index("ix_revenue_account_date", "account_id", "effective_date"),
        import_run_index("revenue_changes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    effective_date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(15))  # csdesk.vocab.REVENUE_KINDS
    mrr_before_cents: Mapped[int] = mapped_column(BigInteger)
    mrr_after_cents: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(10), default="manual")
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))
    import_key: Mapped[str | None] = mapped_column(String(64))


class HealthModel(Base):
    """A configurable health model (domain §4); ``segment`` None = the default."""

    __tablename__ = "health_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    segment: Mapped[str | None] = mapped_column(String(20), unique=True)
    # [{key, measure, weight, scale: {...}}]; thresholds {green: 80, yellow: 60}
    components: Mapped[list[Any]] = mapped_column(default=list)
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.current_timestamp(), onupdate=func.current_timestamp()
    )


class HealthLayout(Base):
    """The components (key, measure, weight) of the snapshots that share them: one row per model version.

    Snapshots keep only their numbers (``HealthSnapshot.points`` / ``inputs``), in
    this layout's order; the names are stored once here instead of once per row.
    """

    __tablename__ = "health_layouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # [{key, measure, weight}]
    components: Mapped[list[Any]] = mapped_column(default=list)


# Component points (0-10) are kept in hundredths, uint16 little-endian, this for a missing
# one: hundredths are what every breakdown shows and explains with, half the bytes of float32.
POINTS_MISSING = 0xFFFF


def unpack_points(data: bytes | None) -> list[float | None]:
    if not data:
        return []
    return [None if v == POINTS_MISSING else v / 100 for v in struct.unpack(f"<{len(data) // 2}H", data)]


def unpack_floats(data: bytes | None, digits: int) -> list[float | None]:
    if not data:
        return []
    return [None if math.isnan(v) else round(v, digits) for v in struct.unpack(f"<{len(data) // 4}f", data)]


_EPOCH = date(1970, 1, 1)


class DayNumber(TypeDecorator):
    """A ``date`` stored as whole days since 1970-01-01 (2-3 bytes instead of 10 of ISO text)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: date | int | None, dialect: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        if isinstance(value, datetime):
            value = value.date()
        return (value - _EPOCH).days

    def process_result_value(self, value: int | None, dialect: Any) -> date | None:
        return None if value is None else date.fromordinal(_EPOCH.toordinal() + int(value))


class Tenths(TypeDecorator):
    """A number with one decimal (a 0-100 score) stored as an integer count of tenths."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Any) -> int | None:
        return None if value is None else round(float(value) * 10)

    def process_result_value(self, value: float | None, dialect: Any) -> float | None:
        return None if value is None else float(value) / 10


HEALTH_BANDS = ("green", "yellow", "red")  # stored as their position


class BandCode(TypeDecorator):
    """A health band (green, yellow, red) stored as its position 0-2."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: str | int | None, dialect: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        return HEALTH_BANDS.index(value)

    def process_result_value(self, value: int | None, dialect: Any) -> str | None:
        return None if value is None else HEALTH_BANDS[int(value)]


class HealthSnapshot(Base):
    """One account's score on one day (weekly history).

    Millions of rows in a big book, so each is kept small: keyed by (account, day)
    without a separate row id (SQLite WITHOUT ROWID: the key is the table's order,
    no second copy of it in an index), the day as a day number, the score in tenths,
    the band as 0-2. The breakdowns are kept per account (``HealthBreakdown``).
    """

    __tablename__ = "health_snapshots"
    __table_args__ = (
        PrimaryKeyConstraint("account_id", "as_of", name="pk_health_snapshots"),
        # The portfolio's average health by day (AVG(score) GROUP BY as_of) reads this
        # narrow index (the key's account id comes with it) instead of the whole table.
        Index("ix_health_snapshots_as_of_score", "as_of", "score"),
        {"sqlite_with_rowid": False},
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    as_of: Mapped[date] = mapped_column(DayNumber)
    score: Mapped[float] = mapped_column(Tenths)
    band: Mapped[str] = mapped_column(BandCode)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("health_models.id", ondelete="SET NULL"))


def breakdown_components(
    layout: Sequence[dict[str, Any]], points_data: bytes | None, inputs_data: bytes | None
) -> list[dict[str, Any]]:
    """A breakdown in the long form from a layout, packed points and packed input values."""
    points = unpack_points(points_data)
    values = unpack_floats(inputs_data, 2)
    present = sum(c["weight"] for c, p in zip(layout, points, strict=False) if p is not None)
    out = []
    for i, comp in enumerate(layout):
        p = points[i] if i < len(points) else None
        out.append(
            comp
            | {
                "points": p,
                "value": values[i] if p is not None and i < len(values) else None,
                "effective_weight": round(comp["weight"] / present, 4) if p is not None and present else 0.0,
                "missing": p is None,
            }
        )
    return out


class HealthBreakdown(Base):
    """The component breakdowns of one account's whole health history, in one compressed row.

    A score's "why it moved" (each component's points and input value) is read one account
    at a time, so it is kept per account rather than per snapshot: the days, layout ids,
    points (uint16 hundredths) and input values (float32) as arrays, zlib-compressed
    (csdesk.health.storage packs and unpacks them). ``first_day`` is the earliest day held.
    """

    __tablename__ = "health_breakdowns"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    first_day: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Measure(Base):
    """A dated numeric health input (logins, active users, payment delay...).

    Millions of rows in a big book: keyed by (account, metric, day) without a row id
    (SQLite WITHOUT ROWID: the table is its own index, in key order), the metric as its
    code (csdesk.vocab.MEASURES, coded by MEASURE_CODES), the day as a day number and
    the source as its code (MEASURE_SOURCE_CODES). Import undo names a measure by its key.
    """

    __tablename__ = "measures"
    __table_args__ = (
        PrimaryKeyConstraint("account_id", "metric", "as_of", name="pk_measures"),
        import_run_index("measures"),
        {"sqlite_with_rowid": False},
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(WordCode(MEASURE_CODES))
    as_of: Mapped[date] = mapped_column(DayNumber)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(WordCode(MEASURE_SOURCE_CODES), default="manual")
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))


class SurveyResponse(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        Index("ix_survey_account_time", "account_id", "answered_at"),
        import_run_index("survey_responses"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(5))  # nps (0-10) | csat (1-5) | ces (1-7)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    respondent: Mapped[str | None] = mapped_column(String(254))
    answered_at: Mapped[datetime] = mapped_column(EpochSeconds, index=True)  # as the timeline's moments
    source: Mapped[str] = mapped_column(String(10), default="manual")
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id", ondelete="SET NULL"))
    import_key: Mapped[str | None] = mapped_column(String(64))


class SuccessPlan(Base):
    __tablename__ = "success_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="success")  # success | get_well
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(15), default="active")  # active | done | archived
    root_cause: Mapped[str | None] = mapped_column(Text)  # get-well plans
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.current_timestamp(), onupdate=func.current_timestamp()
    )

    outcomes: Mapped[list[DesiredOutcome]] = relationship(
        cascade="all, delete-orphan", order_by="DesiredOutcome.position"
    )
    criteria: Mapped[list[SuccessCriterion]] = relationship(
        cascade="all, delete-orphan", order_by="SuccessCriterion.position"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        cascade="all, delete-orphan", order_by="Milestone.position"
    )


class DesiredOutcome(Base):
    """Desired outcome = required outcome + appropriate experience."""

    __tablename__ = "desired_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    required_outcome: Mapped[str] = mapped_column(Text)
    appropriate_experience: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)  # what was achieved, for the QBR


class SuccessCriterion(Base):
    __tablename__ = "success_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    metric: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(30))
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    current: Mapped[float | None] = mapped_column(Float)
    due_date: Mapped[date | None] = mapped_column(Date)


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    owner_side: Mapped[str] = mapped_column(String(10), default="ours")  # ours | customer
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(15), default="planned")  # csdesk.vocab.MILESTONE_STATUSES
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0-100
    is_quick_win: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_on: Mapped[date | None] = mapped_column(Date)


class Task(Base):
    """A to-do or an alert; rules and alerts dedupe on (account_id, rule_key)."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("account_id", "rule_key", name="uq_task_rule_key"),
        Index("ix_tasks_status_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("success_plans.id", ondelete="SET NULL"))
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(10), default="normal")  # low | normal | high
    kind: Mapped[str] = mapped_column(String(15), default="follow_up")  # csdesk.vocab.TASK_KINDS
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done | cancelled
    owner_side: Mapped[str] = mapped_column(String(10), default="ours")  # ours | customer
    origin: Mapped[str] = mapped_column(String(10), default="manual")  # manual | rule | alert
    rule_key: Mapped[str | None] = mapped_column(String(100))
    import_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_runs.id", ondelete="SET NULL"), index=True
    )
    import_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    author: Mapped[str | None] = mapped_column(String(AUTHOR_LENGTH), default=current_author)
    # The playbook whose run made this task (a plain integer: the playbooks' table links to it).
    playbook_id: Mapped[int | None] = mapped_column(Integer)


class Renewal(Base):
    """One renewal closed: the due date, its outcome, MRR before and after, the new term."""

    __tablename__ = "renewals"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)  # the renewal date it closed
    outcome: Mapped[str] = mapped_column(String(10))  # csdesk.vocab.RENEWAL_OUTCOMES
    mrr_before_cents: Mapped[int] = mapped_column(BigInteger)
    mrr_after_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="BRL")
    term_months: Mapped[int | None] = mapped_column(Integer)
    closed_on: Mapped[date] = mapped_column(Date)
    next_renewal_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class ChurnRecord(Base):
    """Why an account churned: reason, voluntary or not, root cause and the save attempts."""

    __tablename__ = "churn_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    churn_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(30))  # csdesk.vocab.CHURN_REASONS
    churn_type: Mapped[str | None] = mapped_column(String(12))  # voluntary | involuntary
    root_cause: Mapped[str | None] = mapped_column(Text)
    save_attempts: Mapped[str | None] = mapped_column(Text)
    mrr_lost_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="BRL")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class Playbook(Base):
    """A trigger and the tasks it creates (csdesk.playbooks); the CSM edits them."""

    __tablename__ = "playbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    builtin_key: Mapped[str | None] = mapped_column(String(40), unique=True)  # shipped ones
    name: Mapped[str] = mapped_column(String(150))
    trigger: Mapped[str] = mapped_column(String(30))  # csdesk.playbooks.TRIGGERS
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    steps: Mapped[list[Any]] = mapped_column(default=list)  # tasks: title, offset, owner, priority, e-mail
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class PlaybookRun(Base):
    """One trigger occurrence a playbook acted on: never twice for the same key."""

    __tablename__ = "playbook_runs"
    __table_args__ = (
        UniqueConstraint("playbook_id", "account_id", "occurrence_key", name="uq_playbook_run"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbooks.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    occurrence_key: Mapped[str] = mapped_column(String(60))
    occurred_on: Mapped[date] = mapped_column(Date)
    ran_at: Mapped[datetime] = mapped_column(DateTime)
    tasks_created: Mapped[int] = mapped_column(Integer, default=0)


class Handoff(Base):
    """What Sales learned and promised (one per account): feeds the kickoff and the success plan."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    pains: Mapped[str | None] = mapped_column(Text)
    promised_outcomes: Mapped[str | None] = mapped_column(Text)
    stakeholders: Mapped[str | None] = mapped_column(Text)
    risks: Mapped[str | None] = mapped_column(Text)
    deal_notes: Mapped[str | None] = mapped_column(Text)
    seller: Mapped[str | None] = mapped_column(String(150))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


class Opportunity(Base):
    """An expansion opportunity (upsell, cross-sell, more licences) handed to the account executive."""

    __tablename__ = "opportunities"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(15))  # csdesk.expansion.KINDS
    title: Mapped[str] = mapped_column(String(200))
    value_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # added MRR
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | won | lost
    executive: Mapped[str | None] = mapped_column(String(150))
    executive_email: Mapped[str | None] = mapped_column(String(254))
    notes: Mapped[str | None] = mapped_column(Text)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    handed_off_on: Mapped[date | None] = mapped_column(Date)


class Template(Base):
    """A user template (built-in ones live in resources/templates)."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("kind", "language", "name", name="uq_template_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # kickoff | qbr | success_plan | get_well | follow_up_email
    language: Mapped[str] = mapped_column(String(5))  # pt_BR | en
    name: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    based_on: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.current_timestamp(), onupdate=func.current_timestamp()
    )


class ImportRun(Base):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(15))
    source: Mapped[str] = mapped_column(String(15))
    preset: Mapped[str | None] = mapped_column(String(100))
    as_of: Mapped[date] = mapped_column(Date)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="done")  # done | undone
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    author: Mapped[str | None] = mapped_column(String(AUTHOR_LENGTH), default=current_author)


class ImportChange(Base):
    """What one import did to one row, so the run can be undone as a unit."""

    __tablename__ = "import_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"), index=True)
    table_name: Mapped[str] = mapped_column(String(40))
    # The row's id; a measure's account id, its metric and day in ``before``/``after``
    # (it has no id: csdesk.importing.write.KEYS).
    row_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))  # created | updated
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # column values before update
    # The values the import wrote over them (schema 2; None for older runs): a value that
    # differs from it at undo time was changed since, by hand or by a later import.
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ImportPreset(Base):
    """A named column mapping, offered again for files with the same headers."""

    __tablename__ = "import_presets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(15))
    source: Mapped[str] = mapped_column(String(15))
    header_signature: Mapped[str] = mapped_column(String(64), index=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
