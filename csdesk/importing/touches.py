"""E-mails and meetings onto account timelines: matching people to accounts, then writing.

Matching (:class:`Matcher`): a participant's address is first looked up among the
contacts' e-mails, then by its domain against ``Account.domain`` (a subdomain counts;
free-mail domains never do). Unknown people at a matched account's domain are offered
as new contacts. What matches nothing is listed as unmatched, for the user to assign
(``TouchOptions.assign``) or skip.

Writing (:func:`import_touches`) is one transaction and one import run (kind
``emails`` or ``meetings``): the events (and the contacts asked for) carry the run's
id, so ``csdesk import --undo`` removes them; each account's last touch is kept by
the timeline service, its earlier value recorded for undo. An event is recognised by
its ``import_key`` (Message-ID, or UID + RECURRENCE-ID, per account): importing the
same mailbox again changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from csdesk import clock, timeline
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.importing.mail import Address, Problem, Touch, excerpt, file_kind, read_touches
from csdesk.importing.match import import_key
from csdesk.importing.write import _to_json
from csdesk.progress import SILENT, Progress
from csdesk.rules.names import normalize_domain
from db import Database
from db.models import Account, Contact, ImportChange, ImportRun, Setting, TimelineEvent

# The user's own addresses (a data setting): mail from them is outgoing, and they are
# never a customer's contact.
MY_ADDRESSES_KEY = "mail.my_addresses"

# Personal mailbox providers: an address there says nothing about the company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "hotmail.com", "hotmail.com.br", "outlook.com", "outlook.com.br",
        "live.com", "live.com.br", "msn.com", "yahoo.com", "yahoo.com.br", "ymail.com", "bol.com.br",
        "uol.com.br", "terra.com.br", "ig.com.br", "icloud.com", "me.com", "mac.com", "proton.me",
        "protonmail.com", "pm.me", "aol.com", "gmx.com", "gmx.net", "zoho.com", "yandex.com",
        "mail.com", "r7.com", "globo.com", "globomail.com", "oi.com.br", "zipmail.com.br",
    }
)  # fmt: skip
_FREE_MAIL_STEMS = ("gmail.", "hotmail.", "outlook.", "live.", "yahoo.", "icloud.", "proton")

BATCH = 1000
VIDEO_HINTS = ("zoom.us", "meet.google", "teams.microsoft", "teams.live", "webex", "whereby")


def is_free_mail(domain: str) -> bool:
    """True for personal mailbox domains (never matched to an account by domain)."""
    domain = domain.lower()
    return domain in FREE_MAIL_DOMAINS or domain.startswith(_FREE_MAIL_STEMS)


def my_addresses(db: Database) -> list[str]:
    with db.session() as session:
        row = session.get(Setting, MY_ADDRESSES_KEY)
        return list(row.value or []) if row is not None else []


def set_my_addresses(db: Database, addresses: Iterable[str]) -> list[str]:
    """Store the user's own addresses (lower case, each once); returns them."""
    cleaned: list[str] = []
    for address in addresses:
        address = address.strip().lower()
        if "@" not in address:
            raise UserError(tr('"{value}" is not an e-mail address.', value=address))
        if address not in cleaned:
            cleaned.append(address)
    with db.transaction() as session:
        row = session.get(Setting, MY_ADDRESSES_KEY)
        if row is None:
            session.add(Setting(key=MY_ADDRESSES_KEY, value=cleaned))
        else:
            row.value = cleaned
    return cleaned


# Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unmatched:
    """A message or meeting no account was found for."""

    identity: str
    kind: str
    position: str
    occurred_at: datetime
    title: str
    sender: str
    addresses: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.identity,
            "kind": self.kind,
            "position": self.position,
            "date": self.occurred_at.isoformat(),
            "title": self.title,
            "from": self.sender,
            "addresses": list(self.addresses),
        }


@dataclass(frozen=True)
class NewContact:
    """Someone at an account's domain who is not yet one of its contacts."""

    account_id: int
    account: str
    name: str
    email: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "account": self.account,
            "name": self.name,
            "email": self.email,
        }


@dataclass(frozen=True)
class Logged:
    """One touch as it was (or would be) logged."""

    account_id: int
    account: str
    kind: str
    occurred_at: datetime
    title: str
    direction: str
    new: bool  # False: already on the timeline


@dataclass
class TouchOptions:
    account_id: int | None = None  # log everything to this account (a file dropped on its page)
    window: tuple[datetime, datetime] | None = None  # local, inclusive
    keep_bodies: bool = False  # privacy: only an excerpt unless asked
    add_contacts: bool = False  # create the offered new contacts
    assign: dict[str, int] = field(default_factory=dict)  # unmatched identity -> account id
    today: date | None = None
    preview_limit: int = 500  # how many logged touches the result lists (counts are always whole)


@dataclass
class TouchResult:
    kind: str
    source: str
    file: str
    as_of: date
    created: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    new_contacts: list[NewContact] = field(default_factory=list)
    contacts_created: int = 0
    logged: list[Logged] = field(default_factory=list)
    run_id: int | None = None
    dry_run: bool = False
    account_ids: list[int] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)

    @property
    def warnings(self) -> list[str]:
        return [p.describe() for p in self.errors]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "source": self.source,
            "created": self.created,
            "updated": 0,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [
                {"row": p.number, "column": "", "value": p.position, "message": p.message, "file": p.file}
                for p in self.errors
            ],
            "dry_run": self.dry_run,
            "file": self.file,
            "as_of": self.as_of.isoformat(),
            "warnings": self.warnings,
            "unmatched": [u.as_dict() for u in self.unmatched],
            "new_contacts": [c.as_dict() for c in self.new_contacts],
            "contacts_created": self.contacts_created,
            "account_ids": self.account_ids,
        }


# Matching -------------------------------------------------------------------------------


def _domain_chain(domain: str) -> Iterable[str]:
    """'mail.acme.com.br' -> 'mail.acme.com.br', 'acme.com.br', 'com.br' (not the last label)."""
    labels = domain.split(".")
    for start in range(len(labels) - 1):
        yield ".".join(labels[start:])


@dataclass(frozen=True)
class Match:
    account_id: int | None
    contact_id: int | None
    direction: str  # in | out
    strangers: tuple[Address, ...]  # unknown people at the account's domain


class Matcher:
    """Addresses to accounts, from one read of contacts and domains."""

    def __init__(self, session, mine: Iterable[str], account_id: int | None = None):
        self.mine = {m.lower() for m in mine}
        self.fixed = account_id
        self.contacts: dict[str, tuple[int, int]] = {}
        query = select(Contact.email, Contact.account_id, Contact.id).where(Contact.email.is_not(None))
        if account_id is not None:
            query = query.where(Contact.account_id == account_id)
        for email, owner, contact_id in session.execute(query.order_by(Contact.id)):
            self.contacts.setdefault(email.strip().lower(), (owner, contact_id))
        self.domains: dict[str, int | None] = {}
        self.names: dict[int, str] = {}
        self.account_domain: dict[int, str] = {}
        for owner, name, raw in session.execute(select(Account.id, Account.name, Account.domain)):
            self.names[owner] = name
            domain = normalize_domain(raw)
            if not domain or is_free_mail(domain):
                continue
            self.account_domain[owner] = domain
            # Two accounts on one domain: the domain says nothing about which one.
            self.domains[domain] = None if domain in self.domains and self.domains[domain] != owner else owner

    def _by_domain(self, address: str) -> int | None:
        domain = address.rsplit("@", 1)[-1]
        if is_free_mail(domain):
            return None
        for candidate in _domain_chain(domain):
            if candidate in self.domains:
                return self.domains[candidate]
        return None

    def _at_domain(self, address: str, account_id: int) -> bool:
        domain = self.account_domain.get(account_id)
        at = address.rsplit("@", 1)[-1]
        return bool(domain) and not is_free_mail(at) and (at == domain or at.endswith("." + domain))

    def match(self, touch: Touch) -> Match:
        sender = touch.sender.email if touch.sender else ""
        outgoing = sender in self.mine
        others = [a for a in touch.addresses if a.email not in self.mine]
        if touch.kind == "email" and not outgoing and not self.mine and sender:
            # Without the user's addresses: mail from a customer is incoming; mail from an
            # unknown sender to a customer is the user's own.
            sender_known = sender in self.contacts or self._by_domain(sender) is not None
            outgoing = not sender_known and any(
                a.email in self.contacts or self._by_domain(a.email) is not None for a in touch.recipients
            )
        if outgoing:
            others = [a for a in others if a.email != sender]
        account_id: int | None = None
        contact_id: int | None = None
        for person in others:
            hit = self.contacts.get(person.email)
            if hit is not None:
                account_id, contact_id = hit
                break
        if account_id is None:
            if self.fixed is not None:
                account_id = self.fixed
            else:
                for person in others:
                    account_id = self._by_domain(person.email)
                    if account_id is not None:
                        break
        strangers: tuple[Address, ...] = ()
        if account_id is not None:
            strangers = tuple(
                p for p in others if p.email not in self.contacts and self._at_domain(p.email, account_id)
            )
        return Match(account_id, contact_id, "out" if outgoing else "in", strangers)


# Writing ----------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


class RejectedTouches(UserError):
    """Some messages or events could not be read and the caller did not accept skipping them."""

    def __init__(self, result: TouchResult):
        super().__init__(
            tr(
                "{count} message(s) or event(s) could not be read; nothing was imported. "
                "Add --yes to import the rest.",
                count=result.rejected,
            )
        )
        self.result = result


def _title(touch: Touch) -> str:
    title = touch.title or (tr("(no subject)") if touch.kind == "email" else tr("(no title)"))
    return title[: timeline.TITLE_MAX]


def _channel(touch: Touch) -> str | None:
    if touch.kind == "email":
        return "email"
    where = f"{touch.location} {touch.text[:2000]}".lower()
    return "video" if any(hint in where for hint in VIDEO_HINTS) else None


def _event_row(touch: Touch, match: Match, account_id: int, key: str, run_id: int | None, keep_bodies: bool):
    if touch.kind == "email":
        data: dict[str, Any] = {
            "direction": match.direction,
            "from": touch.sender.shown() if touch.sender else "",
            "to": [a.shown() for a in touch.recipients],
            "subject": touch.title,
            "attachments": list(touch.attachments),
            "message_id": touch.identity,
        }
    else:
        uid, _, rid = touch.identity.partition("\x1f")
        data = {
            "attendees": [a.shown() for a in touch.recipients],
            "organizer": touch.sender.shown() if touch.sender else "",
            "duration_minutes": touch.duration_minutes,
            "location": touch.location,
            "uid": uid,
            "recurrence_id": rid or None,
        }
    short = excerpt(touch.text)
    data["excerpt"] = short
    return {
        "account_id": account_id,
        "occurred_at": touch.occurred_at,
        "kind": touch.kind,
        "subkind": None,
        "title": _title(touch),
        "body": (touch.text if keep_bodies else short) or None,
        "channel": _channel(touch),
        "severity": None,
        "source": "import",
        "contact_id": match.contact_id,
        "import_run_id": run_id,
        "data": data,
        "import_key": key,
    }


def _key(touch: Touch) -> str:
    return import_key("mail", touch.kind, touch.identity)


def import_touches(
    db: Database,
    path: str | Path,
    options: TouchOptions | None = None,
    *,
    dry_run: bool = False,
    accept_rejects: bool = True,
    progress: Progress = SILENT,
) -> TouchResult:
    """Log the e-mails or meetings of ``path`` on the accounts they belong to (see the module).

    Unreadable messages or events are skipped and listed in ``errors``; with
    ``accept_rejects=False`` their presence writes nothing and raises :class:`RejectedTouches`.
    """
    options = options or TouchOptions()
    path = Path(path)
    today = options.today or clock.today()
    result = TouchResult(
        kind=file_kind(path),
        source=path.suffix.lower().lstrip("."),
        file=path.name,
        as_of=today,
        dry_run=dry_run,
    )
    items = read_touches(path, window=options.window, today=today, progress=progress)
    first = next(items, None)  # a file that is not mail at all is refused before any write
    mine = my_addresses(db)
    try:
        with db.transaction() as session:
            if options.account_id is not None and session.get(Account, options.account_id) is None:
                raise UserError(tr("Account {id} does not exist.", id=options.account_id))
            matcher = Matcher(session, mine, options.account_id)
            run: ImportRun | None = None
            if not dry_run:
                run = ImportRun(
                    file_name=str(path)[:500],
                    kind=result.kind,
                    source=result.source,
                    as_of=today,
                    status="done",
                )
                session.add(run)
                session.flush()
            run_id = run.id if run is not None else None
            seen = set(
                session.execute(
                    select(TimelineEvent.account_id, TimelineEvent.import_key).where(
                        TimelineEvent.kind == result.kind.removesuffix("s"),
                        TimelineEvent.import_key.is_not(None),
                    )
                ).all()
            )
            touched: set[int] = set()
            offered: dict[str, NewContact] = {}
            batch: list[dict[str, Any]] = []

            def flush() -> None:
                if batch and not dry_run:
                    session.execute(insert(TimelineEvent), batch)
                batch.clear()

            stream = items if first is None else _chain(first, items)
            for item in stream:
                if isinstance(item, Problem):
                    result.errors.append(item)
                    continue
                match = matcher.match(item)
                account_id = match.account_id
                if account_id is None and item.identity in options.assign:
                    account_id = options.assign[item.identity]
                    if account_id not in matcher.names:
                        raise UserError(tr("Account {id} does not exist.", id=account_id))
                    match = Match(account_id, None, match.direction, ())
                if account_id is None:
                    result.unmatched.append(
                        Unmatched(
                            item.identity,
                            item.kind,
                            item.position,
                            item.occurred_at,
                            item.title,
                            item.sender.shown() if item.sender else "",
                            tuple(a.email for a in item.addresses if a.email not in matcher.mine),
                        )
                    )
                    continue
                for person in match.strangers:
                    offered.setdefault(
                        person.email,
                        NewContact(account_id, matcher.names[account_id], person.name, person.email),
                    )
                key = _key(item)
                new = (account_id, key) not in seen
                if len(result.logged) < options.preview_limit:
                    result.logged.append(
                        Logged(
                            account_id,
                            matcher.names[account_id],
                            item.kind,
                            item.occurred_at,
                            _title(item),
                            match.direction,
                            new,
                        )
                    )
                if not new:
                    result.unchanged += 1
                    continue
                seen.add((account_id, key))
                touched.add(account_id)
                result.created += 1
                batch.append(_event_row(item, match, account_id, key, run_id, options.keep_bodies))
                if len(batch) >= BATCH:
                    flush()
            flush()
            result.new_contacts = sorted(offered.values(), key=lambda c: (c.account, c.email))
            if options.add_contacts and result.new_contacts:
                result.contacts_created = len(result.new_contacts)
                if not dry_run:
                    session.execute(
                        insert(Contact),
                        [
                            {
                                "account_id": c.account_id,
                                "name": c.name or c.email.split("@")[0],
                                "email": c.email,
                                "is_primary": False,
                                "source": "mail",
                                "import_run_id": run_id,
                            }
                            for c in result.new_contacts
                        ],
                    )
                    touched.update(c.account_id for c in result.new_contacts)
            result.account_ids = sorted(touched)
            if result.errors and not accept_rejects and not dry_run:
                result.run_id = None
                rejected = RejectedTouches(result)
                raise rejected
            if dry_run or run is None or not (result.created or result.contacts_created):
                raise _Rollback
            progress.step(0, 0, tr("Saving…"), force=True)
            _refresh_last_touch(session, run.id, result.account_ids)
            run.created = result.created + result.contacts_created
            run.unchanged = result.unchanged
            run.rejected = result.rejected
            result.run_id = run.id
    except _Rollback:
        pass
    return result


def _chain(first, rest):
    yield first
    yield from rest


def _refresh_last_touch(session, run_id: int, account_ids: list[int]) -> None:
    """The timeline service keeps last touch; the values it replaced are kept for undo."""
    for start in range(0, len(account_ids), 500):
        chunk = account_ids[start : start + 500]
        before = dict(
            session.execute(select(Account.id, Account.last_touch_at).where(Account.id.in_(chunk))).all()
        )
        timeline.refresh_last_touch(session, chunk)
        after = dict(
            session.execute(select(Account.id, Account.last_touch_at).where(Account.id.in_(chunk))).all()
        )
        changes = [
            {
                "run_id": run_id,
                "table_name": "accounts",
                "row_id": account_id,
                "action": "updated",
                "before": {"last_touch_at": _to_json(before.get(account_id))},
                "after": {"last_touch_at": _to_json(after.get(account_id))},
            }
            for account_id in chunk
            if before.get(account_id) != after.get(account_id)
        ]
        if changes:
            session.execute(insert(ImportChange), changes)
