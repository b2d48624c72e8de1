"""Real e-mail and calendar files for the tests, built with the standard library and icalendar."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from csdesk import accounts
from csdesk.accounts import AccountData, ContactData

SP = ZoneInfo("America/Sao_Paulo")
ME = "csm@minhaempresa.com.br"


def book(db) -> dict[str, int]:
    """Three accounts: two with a company domain and a contact, one on a free-mail domain."""
    ids = {}
    for name, domain in (
        ("Acme", "acme.com.br"),
        ("Padaria Pitanga", "pitanga.com.br"),
        ("Dona Rosa", "gmail.com"),
    ):
        ids[name] = accounts.create_account(
            db, AccountData(name=name, domain=domain, segment="high_touch")
        ).id
    accounts.save_contact(db, ContactData(account_id=ids["Acme"], name="Ana Lima", email="Ana@Acme.com.br"))
    accounts.save_contact(
        db, ContactData(account_id=ids["Padaria Pitanga"], name="Paulo", email="paulo.pitanga@gmail.com")
    )
    return ids


def message(
    sender: str,
    to: str,
    subject: str,
    when: datetime,
    text: str = "Olá!",
    *,
    message_id: str | None = None,
    html: str | None = None,
    attachments: tuple[str, ...] = (),
    cc: str | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = when.strftime("%a, %d %b %Y %H:%M:%S %z")
    if message_id:
        msg["Message-ID"] = f"<{message_id}>"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name in attachments:
        msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename=name)
    return msg


def write_eml(path: Path, msg: EmailMessage) -> Path:
    path.write_bytes(bytes(msg))
    return path


def write_mbox(path: Path, messages: list) -> Path:
    box = mailbox.mbox(str(path))
    try:
        for msg in messages:
            box.add(msg)
        box.flush()
    finally:
        box.close()
    return path


def attendee(address: str, name: str = "") -> vCalAddress:
    value = vCalAddress(f"mailto:{address}")
    if name:
        value.params["CN"] = name
    return value


def event(uid: str, summary: str, start: datetime, minutes: int = 60, attendees=(), **extra) -> Event:
    ev = Event()
    ev.add("UID", uid)
    ev.add("SUMMARY", summary)
    ev.add("DTSTART", start)
    ev.add("DTEND", start + timedelta(minutes=minutes))
    ev.add("DTSTAMP", datetime(2026, 11, 1, 12, 0, tzinfo=ZoneInfo("UTC")))
    ev.add("ORGANIZER", attendee(ME, "Eu"))
    for address, name in attendees:
        ev.add("ATTENDEE", attendee(address, name))
    for key, value in extra.items():
        ev.add(key.replace("_", "-"), value)
    return ev


def write_ics(path: Path, events: list[Event], raw_tail: bytes = b"") -> Path:
    cal = Calendar()
    cal.add("PRODID", "-//CSDesk tests//")
    cal.add("VERSION", "2.0")
    for ev in events:
        cal.add_component(ev)
    data = cal.to_ical()
    if raw_tail:  # a hand-broken event, inserted before END:VCALENDAR
        data = data.replace(b"END:VCALENDAR", raw_tail + b"END:VCALENDAR")
    path.write_bytes(data)
    return path


def local(moment: datetime) -> datetime:
    """What the timeline stores for a zoned moment: this machine's wall time, no zone."""
    return moment.astimezone().replace(tzinfo=None)
