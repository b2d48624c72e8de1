"""Accounts and contacts: validation, create / read / update / delete.

The UI and the CLI get frozen dataclasses, never live ORM objects. Every
write validates first and raises :class:`ValidationError` listing each field
that is wrong and why, so a form can show it beside the field.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from csdesk import clock, ledger, vocab
from csdesk.currency import recognise as recognise_currency
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.rules.cnpj import normalize_cnpj, valid_cnpj
from csdesk.rules.names import fold, name_key, normalize_domain
from db import Database
from db.models import Account, Contact

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ValidationError(UserError):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


@dataclass(frozen=True)
class AccountData:
    """Everything a user can edit on an account; ``id`` None for a new one."""

    name: str
    id: int | None = None
    external_id: str | None = None
    source: str | None = None
    cnpj: str | None = None
    domain: str | None = None
    segment: str | None = None
    tier: str | None = None
    industry: str | None = None
    plan: str | None = None
    mrr_cents: int = 0
    currency: str = "BRL"
    contract_start: date | None = None
    renewal_date: date | None = None
    stage: str = "onboarding"
    status: str = "active"
    churn_date: date | None = None
    churn_reason: str | None = None
    owner: str | None = None
    licensed_users: int | None = None
    active_users: int | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)

    @property
    def arr_cents(self) -> int:
        return self.mrr_cents * 12


@dataclass(frozen=True)
class AccountSummary(AccountData):
    """An account as shown in lists: its data plus the derived figures."""

    last_touch_at: datetime | None = None
    health_score: float | None = None
    health_band: str | None = None
    health_trend: float | None = None
    last_nps: int | None = None
    version: int = 0  # raised by every edit: what an edit dialog saw, to detect another CSM's edit

    def data(self) -> AccountData:
        """The editable part."""
        return AccountData(**{name: getattr(self, name) for name in _DATA_FIELDS})


@dataclass(frozen=True)
class ContactData:
    account_id: int
    name: str
    id: int | None = None
    role: str | None = None
    job_title: str | None = None
    email: str | None = None
    phone: str | None = None
    is_primary: bool = False
    external_id: str | None = None
    source: str | None = None


_DATA_FIELDS = [f.name for f in fields(AccountData)]
_ACCOUNT_FIELDS = [f.name for f in fields(AccountData) if f.name != "id"]
_SUMMARY_FIELDS = [f.name for f in fields(AccountSummary)]
_CONTACT_FIELDS = [f.name for f in fields(ContactData) if f.name != "id"]


def validate_account(data: AccountData) -> list[FieldError]:
    errors: list[FieldError] = []
    if not data.name or not data.name.strip():
        errors.append(FieldError("name", tr("Give the account a name.")))
    if data.mrr_cents < 0:
        errors.append(FieldError("mrr_cents", tr("MRR cannot be negative.")))
    if data.segment is not None and data.segment not in vocab.SEGMENTS:
        errors.append(FieldError("segment", tr("Unknown segment.")))
    if data.stage not in vocab.STAGES:
        errors.append(FieldError("stage", tr("Unknown stage.")))
    if data.status not in vocab.STATUSES:
        errors.append(FieldError("status", tr("Status must be active or churned.")))
    if data.cnpj and not valid_cnpj(data.cnpj):
        errors.append(FieldError("cnpj", tr("This CNPJ is not valid: check its 14 digits.")))
    if data.contract_start and data.renewal_date and data.renewal_date < data.contract_start:
        errors.append(FieldError("renewal_date", tr("The renewal date is before the contract start.")))
    if data.status == "churned" and data.churn_reason and data.churn_reason not in vocab.CHURN_REASONS:
        errors.append(FieldError("churn_reason", tr("Unknown churn reason.")))
    if (
        data.licensed_users is not None
        and data.active_users is not None
        and data.active_users > data.licensed_users
    ):
        errors.append(FieldError("active_users", tr("More active users than licences.")))
    if recognise_currency(data.currency) != data.currency:
        errors.append(FieldError("currency", tr("Use a three-letter currency code such as BRL.")))
    return errors


def validate_contact(data: ContactData) -> list[FieldError]:
    errors: list[FieldError] = []
    if not data.name or not data.name.strip():
        errors.append(FieldError("name", tr("Give the contact a name.")))
    if data.role is not None and data.role not in vocab.CONTACT_ROLES:
        errors.append(FieldError("role", tr("Unknown role.")))
    if data.email and not EMAIL_RE.match(data.email.strip()):
        errors.append(FieldError("email", tr("This e-mail address is not valid.")))
    return errors


def _clean(data: AccountData) -> AccountData:
    return replace(
        data,
        name=data.name.strip(),
        cnpj=normalize_cnpj(data.cnpj) or None,
        domain=normalize_domain(data.domain),
        owner=(data.owner or "").strip() or None,
        currency=recognise_currency(data.currency) or (data.currency or "").strip().upper(),  # US$ -> USD
    )


# The columns the revenue ledger keeps (csdesk.ledger.record): set through it, never directly.
LEDGER_FIELDS = ("mrr_cents", "status", "churn_date", "churn_reason")


def _apply(account: Account, data: AccountData, *, skip: tuple[str, ...] = ()) -> None:
    for name in _ACCOUNT_FIELDS:
        if name not in skip:
            setattr(account, name, getattr(data, name))
    account.name_key = name_key(data.name)
    if data.status == "churned":
        account.stage = "churned"


def _summary(account: Account) -> AccountSummary:
    return AccountSummary(**{name: getattr(account, name) for name in _SUMMARY_FIELDS})


def create_account(db: Database, data: AccountData, today: date | None = None) -> AccountSummary:
    """A new account; a paying one enters the revenue ledger (new logo at its contract start,
    else an opening balance today)."""
    data = _clean(data)
    errors = validate_account(data)
    if errors:
        raise ValidationError(errors)
    today = today or clock.today()
    with db.transaction() as session:
        account = Account(id=data.id) if data.id else Account()
        _apply(account, data)
        session.add(account)
        session.flush()
        if data.status == "active" and data.mrr_cents > 0:
            start = data.contract_start
            on = start if start is not None and start <= today else today
            ledger.record(session, account, on=on, mrr=data.mrr_cents, status="active", state=ledger.NEVER)
        return _summary(account)


class EditConflict(UserError):
    """The account changed since the editor read it (another CSM, an import): nothing was saved.

    ``theirs`` is the account as it is now; ``fields`` the fields both sides changed
    to different values (given by :func:`edit_merging`).
    """

    def __init__(self, theirs: AccountSummary, fields: tuple[str, ...] = ()):
        self.theirs = theirs
        self.fields = fields
        if fields:
            message = tr(
                '"{name}" was changed by someone else meanwhile ({fields}); nothing was saved. '
                "Look at it again and repeat your change.",
                name=theirs.name,
                fields=", ".join(fields),
            )
        else:
            message = tr(
                '"{name}" was changed by someone else meanwhile; nothing was saved.', name=theirs.name
            )
        super().__init__(message)


def changed_fields(before: AccountData, after: AccountData) -> tuple[str, ...]:
    """The editable fields whose values differ."""
    return tuple(name for name in _ACCOUNT_FIELDS if getattr(before, name) != getattr(after, name))


def conflicting_fields(base: AccountData, mine: AccountData, theirs: AccountData) -> tuple[str, ...]:
    """Fields both edits changed from ``base``, to different values."""
    ours, others = changed_fields(base, mine), set(changed_fields(base, theirs))
    return tuple(n for n in ours if n in others and getattr(mine, n) != getattr(theirs, n))


def merge_edit(base: AccountData, mine: AccountData, theirs: AccountData, *, prefer: str = "mine") -> AccountData:
    """``theirs`` with my changes from ``base`` on top; on a field both changed, ``prefer`` wins.

    What only the other side changed is always kept: choosing "mine" never undoes it silently.
    """
    clash = set(conflicting_fields(base, mine, theirs))
    merged = theirs
    for name in changed_fields(base, mine):
        if name in clash and prefer != "mine":
            continue
        merged = replace(merged, **{name: getattr(mine, name)})
    return replace(merged, id=theirs.id)


def _claim(session, account_id: int, seen_version: int | None) -> None:
    """Raise the account's version, only if it is still ``seen_version`` (None: whatever it is).

    ``UPDATE ... WHERE version = :seen`` is atomic on every engine: of two CSMs saving
    the same version, the second finds no row (PostgreSQL makes it wait for the first's
    commit, then re-checks) and gets :class:`EditConflict`.
    """
    condition = [Account.id == account_id]
    if seen_version is not None:
        condition.append(Account.version == seen_version)
    claimed = session.execute(
        update(Account).where(*condition).values(version=Account.version + 1),
        execution_options={"synchronize_session": False},
    ).rowcount
    if claimed:
        return
    current = session.get(Account, account_id)
    if current is None:
        raise UserError(tr("Account {id} no longer exists.", id=account_id))
    raise EditConflict(_summary(current))


@dataclass(frozen=True)
class EditResult:
    """A saved account and the revenue movement its edit recorded (None: MRR and status unchanged)."""

    account: AccountSummary
    movement: ledger.Recorded | None = None


def update_account(
    db: Database,
    data: AccountData,
    *,
    effective: date | None = None,
    reason_detail: str | None = None,
    today: date | None = None,
) -> AccountSummary:
    return edit_account(db, data, effective=effective, reason_detail=reason_detail, today=today).account


def edit_account(
    db: Database,
    data: AccountData,
    *,
    effective: date | None = None,
    reason_detail: str | None = None,
    today: date | None = None,
    seen_version: int | None = None,
) -> EditResult:
    """Save an account; a change of its MRR or status is a movement of the revenue ledger dated
    ``effective`` (a churn: its churn date, else ``effective``; default today).

    With ``seen_version`` (the version the editor read), an account changed since raises
    :class:`EditConflict` and nothing is saved.
    """
    if data.id is None:
        raise ValueError("update_account needs an id")
    data = _clean(data)
    errors = validate_account(data)
    if errors:
        raise ValidationError(errors)
    with db.transaction() as session:
        _claim(session, data.id, seen_version)
        account = session.get(Account, data.id)
        if account is None:
            raise UserError(tr("Account {id} no longer exists.", id=data.id))
        moved = None
        if data.mrr_cents != (account.mrr_cents or 0) or data.status != account.status:
            churning = data.status == "churned" and account.status != "churned"
            on = (data.churn_date if churning else None) or effective or today or clock.today()
            moved = ledger.record(
                session,
                account,
                on=on,
                mrr=data.mrr_cents,
                status=data.status,
                reason=data.churn_reason,
                reason_detail=reason_detail,
            )
        if moved is not None:
            _apply(account, data, skip=LEDGER_FIELDS)
            if account.status == "churned":
                account.stage = "churned"
        else:
            _apply(account, data)
        session.flush()
        return EditResult(_summary(account), moved)


def edit_merging(
    db: Database,
    base: AccountData,
    mine: AccountData,
    seen_version: int,
    **options: Any,
) -> EditResult:
    """Save ``mine`` (an edit of ``base``, read at ``seen_version``) for a writer that cannot ask.

    An account changed meanwhile gets my changes on top of its new values, unless both
    changed the same field: then :class:`EditConflict` names those fields and nothing is saved.
    """
    try:
        return edit_account(db, mine, seen_version=seen_version, **options)
    except EditConflict as conflict:
        theirs = conflict.theirs
        clash = conflicting_fields(base, mine, theirs.data())
        if clash:
            raise EditConflict(theirs, clash) from None
        merged = merge_edit(base, mine, theirs.data())
        return edit_account(db, merged, seen_version=theirs.version, **options)


def revert_edit(
    db: Database,
    before: AccountData,
    movement: ledger.Recorded | None,
    *,
    seen_version: int | None = None,
) -> AccountSummary:
    """Undo :func:`edit_account`: its movement leaves the ledger, the account gets ``before`` back.

    With ``seen_version`` (the version the edit saved), an account changed since by someone
    else raises :class:`EditConflict`: undoing would overwrite their change.
    """
    if before.id is None:
        raise ValueError("revert_edit needs an id")
    with db.transaction() as session:
        _claim(session, before.id, seen_version)
        if movement is not None:
            ledger.remove(session, movement.change_id, movement.event_id)
        account = session.get(Account, before.id)
        if account is None:
            raise UserError(tr("Account {id} no longer exists.", id=before.id))
        _apply(account, _clean(before))
        session.flush()
        return _summary(account)


def get_account(db: Database, account_id: int) -> AccountSummary:
    with db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise UserError(tr("Account {id} does not exist.", id=account_id))
        return _summary(account)


def list_accounts(db: Database) -> list[AccountSummary]:
    with db.session() as session:
        return [_summary(a) for a in session.scalars(select(Account).order_by(Account.name_key, Account.id))]


def delete_account(db: Database, account_id: int) -> None:
    """Delete an account and everything attached to it (contacts, timeline...)."""
    with db.transaction() as session:
        session.execute(delete(Account).where(Account.id == account_id))


def find_accounts(db: Database, reference: str) -> list[AccountSummary]:
    """Accounts a user may mean by ``reference``: an id, an external id, or a name.

    A name matches exactly or as a unique prefix, ignoring case and accents.
    """
    reference = reference.strip()
    with db.session() as session:
        if reference.isdigit():
            account = session.get(Account, int(reference))
            if account is not None:
                return [_summary(account)]
        by_external = session.scalars(select(Account).where(Account.external_id == reference)).all()
        if by_external:
            return [_summary(a) for a in by_external]
        folded = " ".join(fold(reference).split())
        key = name_key(reference)
        if not key:  # nothing but punctuation: it names no account
            return []
        candidates = session.scalars(
            select(Account)
            .where(
                or_(
                    Account.name_key.startswith(key, autoescape=True),
                    func.lower(Account.name) == reference.lower(),
                )
            )
            .order_by(Account.name_key, Account.id)
        ).all()
        # Best match first: the same name, then the same name without legal suffix, then a prefix.
        for test in (
            lambda a: " ".join(fold(a.name).split()) == folded,
            lambda a: a.name_key == key,
            lambda a: " ".join(fold(a.name).split()).startswith(folded),
        ):
            found = [a for a in candidates if test(a)]
            if found:
                return [_summary(a) for a in found]
        return [_summary(a) for a in candidates]


def resolve_account(db: Database, reference: str) -> AccountSummary:
    """One account for ``reference``, or a UserError that lists the candidates."""
    matches = find_accounts(db, reference)
    if not matches:
        raise UserError(tr('No account matches "{ref}".', ref=reference))
    if len(matches) > 1:
        listing = "; ".join(f"{m.id}: {m.name}" for m in matches[:10])
        if len(matches) > 10:
            listing += f"; … (+{len(matches) - 10})"
        raise UserError(
            tr(
                '"{ref}" matches several accounts: {listing}. Use the id or more of the name.',
                ref=reference,
                listing=listing,
            )
        )
    return matches[0]


# Contacts -------------------------------------------------------------------


def _contact(contact: Contact) -> ContactData:
    return ContactData(id=contact.id, **{name: getattr(contact, name) for name in _CONTACT_FIELDS})


def list_contacts(db: Database, account_id: int) -> list[ContactData]:
    with db.session() as session:
        query = (
            select(Contact)
            .where(Contact.account_id == account_id)
            .order_by(Contact.is_primary.desc(), Contact.name, Contact.id)
        )
        return [_contact(c) for c in session.scalars(query)]


def save_contact(db: Database, data: ContactData) -> ContactData:
    """Create (id None) or update a contact."""
    data = replace(data, name=data.name.strip(), email=(data.email or "").strip() or None)
    errors = validate_contact(data)
    if errors:
        raise ValidationError(errors)
    with db.transaction() as session:
        contact = session.get(Contact, data.id) if data.id else Contact(id=None)
        if contact is None:
            raise UserError(tr("Contact {id} no longer exists.", id=data.id))
        for name in _CONTACT_FIELDS:
            setattr(contact, name, getattr(data, name))
        if data.is_primary:
            for other in session.scalars(
                select(Contact).where(Contact.account_id == data.account_id, Contact.is_primary)
            ):
                if other is not contact:
                    other.is_primary = False
        session.add(contact)
        session.flush()
        return _contact(contact)


def delete_contact(db: Database, contact_id: int) -> None:
    with db.transaction() as session:
        session.execute(delete(Contact).where(Contact.id == contact_id))


def as_dict(data: AccountData | ContactData) -> dict[str, Any]:
    return asdict(data)


# Snapshots, so a deletion can be undone -------------------------------------


@dataclass(frozen=True)
class AccountSnapshot:
    """Every row of one account and of everything that hangs off it, as plain values.

    ``tables`` lists (table name, rows) in insertion order (parents first).
    """

    account_id: int
    name: str
    tables: tuple[tuple[str, tuple[dict[str, Any], ...]], ...]

    def count(self, table_name: str) -> int:
        return sum(len(rows) for name, rows in self.tables if name == table_name)


def _owned_tables():
    """Tables whose rows die with an account (ON DELETE CASCADE, directly or through a parent)."""
    from db.models import Base

    accounts_table = Account.__table__
    owned = [accounts_table]
    for table in Base.metadata.sorted_tables:
        if table is accounts_table:
            continue
        links = [
            fk
            for fk in table.foreign_keys
            if fk.ondelete and fk.ondelete.upper() == "CASCADE" and fk.column.table in owned
        ]
        if links:
            owned.append(table)
    return owned


def snapshot_account(db: Database, account_id: int) -> AccountSnapshot:
    """Capture an account with its contacts, timeline, plans... before deleting it."""
    owned = _owned_tables()
    ids: dict[str, set[Any]] = {}
    captured: list[tuple[str, tuple[dict[str, Any], ...]]] = []
    with db.session() as session:
        for table in owned:
            if table is Account.__table__:
                query = select(table).where(table.c.id == account_id)
            else:
                conditions = [
                    fk.parent.in_(ids[fk.column.table.name])
                    for fk in table.foreign_keys
                    if fk.ondelete and fk.ondelete.upper() == "CASCADE" and ids.get(fk.column.table.name)
                ]
                if not conditions:
                    continue
                query = select(table).where(or_(*conditions))
            rows = tuple(dict(row) for row in session.execute(query).mappings())
            if table is Account.__table__ and not rows:
                raise UserError(tr("Account {id} does not exist.", id=account_id))
            pk = next(iter(table.primary_key.columns)).name
            ids[table.name] = {row[pk] for row in rows}
            if rows:
                captured.append((table.name, rows))
    name = captured[0][1][0]["name"]
    return AccountSnapshot(account_id=account_id, name=name, tables=tuple(captured))


def restore_account(db: Database, snapshot: AccountSnapshot) -> None:
    """Put back a deleted account exactly as captured, with the same ids."""
    from db.models import Base

    with db.transaction() as session:
        if session.get(Account, snapshot.account_id) is not None:
            raise UserError(tr("Account {id} already exists.", id=snapshot.account_id))
        for table_name, rows in snapshot.tables:
            table = Base.metadata.tables[table_name]
            if table_name == "revenue_changes":  # the account's movements, back as they were
                ledger.insert_movements(session.connection(), [dict(row) for row in rows])
            else:
                session.execute(table.insert(), [dict(row) for row in rows])


@dataclass(frozen=True)
class ContactSnapshot:
    """A contact and the rows that pointed at it (timeline events, survey answers)."""

    data: ContactData
    links: tuple[tuple[str, str, tuple[int, ...]], ...]  # (table, column, row ids)


def snapshot_contact(db: Database, contact_id: int) -> ContactSnapshot:
    from db.models import Base

    with db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise UserError(tr("Contact {id} no longer exists.", id=contact_id))
        links = []
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                if fk.column.table is Contact.__table__ and table is not Contact.__table__:
                    pk = next(iter(table.primary_key.columns))
                    ids = tuple(session.scalars(select(pk).where(fk.parent == contact_id)))
                    if ids:
                        links.append((table.name, fk.parent.name, ids))
        return ContactSnapshot(data=_contact(contact), links=tuple(links))


def restore_contact(db: Database, snapshot: ContactSnapshot) -> ContactData:
    """Put a deleted contact back with its id, and re-link the rows that pointed at it."""
    from db.models import Base

    data = snapshot.data
    with db.transaction() as session:
        if session.get(Account, data.account_id) is None:
            raise UserError(tr("Account {id} no longer exists.", id=data.account_id))
        session.add(Contact(id=data.id, **{name: getattr(data, name) for name in _CONTACT_FIELDS}))
        session.flush()
        for table_name, column, ids in snapshot.links:
            table = Base.metadata.tables[table_name]
            pk = next(iter(table.primary_key.columns))
            session.execute(table.update().where(pk.in_(ids)).values({column: data.id}))
    return data
