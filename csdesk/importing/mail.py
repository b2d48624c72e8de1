"""Reading e-mail and calendar files into touches: ``.eml``, Outlook ``.msg``, ``.mbox``, ``.ics``.

:func:`read_touches` yields one :class:`Touch` per message or meeting (a recurring
event gives one per occurrence inside the chosen window) and one :class:`Problem`
per malformed message or event, which the caller reports and skips. A mailbox is
streamed: one message is in memory at a time. A file that is not mail or calendar
at all raises a :class:`~csdesk.errors.UserError` before anything is yielded.

Times are stored as the timeline stores them: local wall time without a zone.
HTML bodies become plain text here (scripts, styles and images dropped; nothing
is fetched), and only attachments' names are kept.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path

from csdesk import limits
from csdesk.errors import UserError
from csdesk.i18n import tr
from csdesk.progress import SILENT, Progress

FORMATS = {".eml": "eml", ".msg": "msg", ".mbox": "mbox", ".mbx": "mbox", ".ics": "ics", ".ical": "ics"}
SUFFIXES = tuple(FORMATS)
EXCERPT_CHARS = 280
# Without --from/--to, a recurring meeting is expanded over the last year up to today.
DEFAULT_RECURRENCE_DAYS = 365

_PARSER = BytesParser(policy=policy.default)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER_LINE = re.compile(rb"^[A-Za-z0-9-]{1,76}:")
_MAIL_HEADERS = re.compile(
    rb"^(from|to|date|subject|message-id|received|return-path|mime-version):", re.I | re.M
)


@dataclass(frozen=True)
class Address:
    name: str
    email: str  # lower case

    def shown(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class Touch:
    """One e-mail or one meeting (occurrence) read from a file."""

    kind: str  # email | meeting
    identity: str  # Message-ID, or UID + RECURRENCE-ID: what re-imports recognise
    title: str
    occurred_at: datetime  # local wall time, no zone
    position: str  # where in the file, for people: "message 3", "event 2"
    sender: Address | None = None  # e-mail: From; meeting: organizer
    recipients: tuple[Address, ...] = ()  # e-mail: To and Cc; meeting: attendees
    text: str = ""  # the body as plain text
    attachments: tuple[str, ...] = ()  # names only
    duration_minutes: int | None = None
    location: str = ""

    @property
    def addresses(self) -> tuple[Address, ...]:
        return ((self.sender,) if self.sender else ()) + self.recipients


@dataclass(frozen=True)
class Problem:
    """A message or event that could not be read: reported, skipped."""

    file: str
    position: str
    message: str
    number: int = 0  # the message's or event's number in the file (1 = first)

    def describe(self) -> str:
        return f"{self.file}: {self.position}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "position": self.position, "message": self.message}


def handles(path: str | Path) -> bool:
    """True for the file names this module reads (the import command dispatches on it)."""
    return Path(path).suffix.lower() in FORMATS


def file_kind(path: str | Path) -> str:
    """``emails`` or ``meetings``: the import run's kind for this file."""
    return "meetings" if FORMATS.get(Path(path).suffix.lower()) == "ics" else "emails"


# Checking the file -----------------------------------------------------------------


def _refuse(path: Path, why: str) -> UserError:
    return UserError(f"{path.name}: {why}")


def check_file(path: str | Path) -> str:
    """The file's format (eml, msg, mbox, ics) after checking it is one; else a UserError."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _refuse(path, tr("not an e-mail or calendar file (.eml, .msg, .mbox, .ics)."))
    try:
        if not path.exists():
            raise UserError(tr("{file}: no such file.", file=str(path)))
        if not path.is_file():
            raise _refuse(path, tr("not a regular file."))
        # Single messages and calendars are read whole (a mailbox is streamed): the import's size limit.
        if fmt != "mbox" and path.stat().st_size > limits.MAX_FILE_BYTES:
            raise _refuse(
                path,
                tr(
                    "larger than {limit}: split it or export a shorter period.",
                    limit=limits.megabytes(limits.MAX_FILE_BYTES),
                ),
            )
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        raise UserError(
            tr("{file}: cannot be read ({problem}).", file=str(path), problem=exc.strerror)
        ) from exc
    if not head.strip():
        raise _refuse(path, tr("the file is empty."))
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if fmt == "msg":
        if not head.startswith(_OLE_MAGIC):
            raise _refuse(path, tr("not an Outlook message (.msg): save the e-mail from Outlook again."))
    elif fmt == "ics":
        if not stripped[:15].upper().startswith(b"BEGIN:VCALENDAR"):
            raise _refuse(path, tr("not a calendar file: it does not start with BEGIN:VCALENDAR."))
    elif fmt == "mbox":
        if not stripped.startswith(b"From "):
            raise _refuse(path, tr('not a mailbox: an .mbox file starts with a "From " line.'))
    elif b"\x00" in head or not (_HEADER_LINE.match(stripped) and _MAIL_HEADERS.search(head)):
        raise _refuse(path, tr("not an e-mail message: it has no mail headers."))
    return fmt


# Text ---------------------------------------------------------------------------------


class _TextOfHtml(HTMLParser):
    """HTML to plain text: the words only; scripts, styles and head dropped, nothing loaded."""

    _SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "svg", "object"})
    _BREAK = frozenset(
        {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr", "pre"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs) -> None:
        if tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body; no markup, no links to load."""
    parser = _TextOfHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 (html.parser is lenient; a crash means garbage: keep what was read)
        pass
    return tidy("".join(parser.parts))


def tidy(text: str) -> str:
    """Spaces collapsed inside lines, at most one blank line in a row."""
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


_QUOTE_HEAD = re.compile(r"^(on .+ wrote:|em .+ escreveu:|-{2,} ?original message ?-{2,}|de: .+)$", re.I)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of what was written: quoted replies and signatures' dashes left out."""
    kept: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(">") or _QUOTE_HEAD.match(stripped) or stripped == "--":
            if kept:
                break
            continue
        if stripped:
            kept.append(stripped)
    joined = " ".join(kept)
    if len(joined) <= limit:
        return joined
    cut = joined[:limit].rsplit(" ", 1)[0] or joined[:limit]
    return cut.rstrip(" ,.;:") + "…"


# Time ----------------------------------------------------------------------------------


def local(moment: datetime | date) -> datetime:
    """A moment as the timeline stores it: local wall time, no zone, whole seconds."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(9, 0))
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment.replace(microsecond=0)


# E-mail --------------------------------------------------------------------------------


def _addresses(*values: object) -> tuple[Address, ...]:
    found: list[Address] = []
    seen: set[str] = set()
    texts = [str(v).replace(";", ",") for v in values if v]
    for name, addr in email.utils.getaddresses(texts):
        addr = addr.strip().strip("<>").lower()
        if "@" not in addr or addr in seen:
            continue
        seen.add(addr)
        found.append(Address(name.strip().strip('"'), addr))
    return tuple(found)


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 (a header the policy cannot parse: read it raw)
        value = message.get_all(name, [None])[0] if hasattr(message, "get_all") else None
    return "" if value is None else " ".join(str(value).split())


def _part_text(part) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def _body_text(message: EmailMessage) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001
        part = None
    if part is None:
        return ""
    content = _part_text(part)
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        return html_to_text(content)
    return tidy(content)


def _attachment_names(message: EmailMessage) -> tuple[str, ...]:
    names: list[str] = []
    try:
        for part in message.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            if filename and part.get_content_disposition() in ("attachment", "inline", None):
                if part.get_content_disposition() != "inline" or not part.get_content_type().startswith(
                    "text/"
                ):
                    names.append(str(filename))
    except Exception:  # noqa: BLE001 (names are a nicety: a broken part hides its name, not the mail)
        pass
    return tuple(names)


def _mail_moment(message: EmailMessage, envelope: bytes | None) -> datetime | None:
    text = _header(message, "Date")
    if text:
        try:
            return local(email.utils.parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError):
            pass
    if envelope:  # the mbox "From sender date" line
        parts = envelope.decode("latin-1").split(None, 2)
        if len(parts) == 3:
            try:
                return datetime.strptime(" ".join(parts[2].split()), "%a %b %d %H:%M:%S %Y")
            except ValueError:
                return None
    return None


def touch_of_message(
    message: EmailMessage, file: str, position: str, envelope: bytes | None = None
) -> Touch | Problem:
    """A parsed message as a touch, or the problem that makes it unusable."""
    sender = _addresses(_header(message, "From"))
    subject = _header(message, "Subject")
    if not sender and not subject and not _header(message, "Date"):
        return Problem(file, position, tr("not an e-mail message (no From, Subject or Date)."))
    moment = _mail_moment(message, envelope)
    if moment is None:
        return Problem(file, position, tr("the message has no readable date."))
    return _email_touch(
        _header(message, "Message-ID"),
        moment,
        sender,
        _addresses(_header(message, "To"), _header(message, "Cc")),
        subject,
        _body_text(message),
        _attachment_names(message),
        position,
    )


def _email_touch(
    message_id: str,
    moment: datetime,
    sender: tuple[Address, ...],
    recipients: tuple[Address, ...],
    subject: str,
    text: str,
    attachments: tuple[str, ...],
    position: str,
) -> Touch:
    """One e-mail, whatever file it came from. Its identity (what makes a re-import add
    nothing) is the Message-ID, else its date, sender and subject."""
    message_id = message_id.strip("<> ")
    identity = message_id or "\x1f".join((moment.isoformat(), sender[0].email if sender else "", subject))
    return Touch(
        kind="email",
        identity=identity,
        title=subject,
        occurred_at=moment,
        position=position,
        sender=sender[0] if sender else None,
        recipients=tuple(a for a in recipients if a not in sender),
        text=text,
        attachments=attachments,
    )


def _parse(
    data: bytes, file: str, position: str, envelope: bytes | None = None, number: int = 1
) -> Touch | Problem:
    try:
        message = _PARSER.parsebytes(data)
        found = touch_of_message(message, file, position, envelope)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 (one broken message is skipped, the rest imported)
        found = Problem(
            file, position, tr("cannot be read ({problem}).", problem=str(exc) or type(exc).__name__)
        )
    return replace(found, number=number) if isinstance(found, Problem) else found


def _read_eml(path: Path) -> Iterator[Touch | Problem]:
    yield _parse(path.read_bytes(), path.name, tr("message 1"))


_ESCAPED_FROM = re.compile(rb"^>(>*From )")


def mbox_messages(path: Path) -> Iterator[tuple[int, int, bytes, bytes]]:
    """(number, first line, envelope line, raw message) per message, one at a time."""
    number = 0
    start = 0
    envelope = b""
    lines: list[bytes] = []
    with open(path, "rb") as handle:
        for line_number, line in enumerate(handle, 1):
            if line.startswith(b"From "):
                if number:
                    yield number, start, envelope, b"".join(lines)
                number += 1
                start = line_number
                envelope = line[5:].strip()
                lines = []
                continue
            if line.startswith(b">") and _ESCAPED_FROM.match(line):
                line = line[1:]
            lines.append(line)
    if number:
        yield number, start, envelope, b"".join(lines)


def _read_mbox(path: Path, progress: Progress) -> Iterator[Touch | Problem]:
    size = max(1, path.stat().st_size)
    done = 0
    for number, line, envelope, data in mbox_messages(path):
        done += len(data)
        progress.step(min(done, size), size, tr("Reading the mailbox…"))
        position = tr("message {n} (line {line})", n=number, line=line)
        yield _parse(data, path.name, position, envelope, number)


def _read_msg(path: Path) -> Iterator[Touch | Problem]:
    position = tr("message 1")
    try:
        import extract_msg

        message = extract_msg.openMsg(str(path))
    except Exception as exc:  # noqa: BLE001 (a damaged .msg is reported, not a crash)
        problem = str(exc) or type(exc).__name__
        yield Problem(path.name, position, tr("cannot be read ({problem}).", problem=problem), 1)
        return
    try:
        found = touch_of_msg(message, path.name, position)
        yield replace(found, number=1) if isinstance(found, Problem) else found
    finally:
        try:
            message.close()
        except Exception:  # noqa: BLE001
            pass


def _msg_sender_address(message) -> tuple[Address, ...]:
    """The sender from PidTagSenderEmailAddress: extract-msg reads the sender's address only from the
    transport headers or PidTagSenderSmtpAddress, which a message saved without headers may lack."""
    read = getattr(message, "getStringStream", None)
    if read is None:
        return ()
    name, address = read("__substg1.0_0C1A") or "", (read("__substg1.0_0C1F") or "").strip().lower()
    return (Address(name.strip(), address),) if "@" in address else ()  # not an Exchange (X.500) one


def touch_of_msg(message, file: str, position: str) -> Touch | Problem:
    """An extract-msg message as a touch."""
    try:
        sender = _addresses(getattr(message, "sender", "") or "") or _msg_sender_address(message)
        moment_value = getattr(message, "date", None)
        if isinstance(moment_value, str):
            moment_value = email.utils.parsedate_to_datetime(moment_value)
        if not isinstance(moment_value, datetime):
            return Problem(file, position, tr("the message has no readable date."))
        moment = local(moment_value)
        subject = " ".join(str(getattr(message, "subject", "") or "").split())
        text = str(getattr(message, "body", "") or "")
        if not text.strip():
            html = getattr(message, "htmlBody", None) or b""
            if isinstance(html, bytes):
                html = html.decode("utf-8", errors="replace")
            text = html_to_text(html)
        else:
            text = tidy(text)
        names = []
        for attachment in getattr(message, "attachments", None) or []:
            name = (
                getattr(attachment, "longFilename", None)
                or getattr(attachment, "shortFilename", None)
                or getattr(attachment, "name", None)
            )
            if name:
                names.append(str(name))
        return _email_touch(
            str(getattr(message, "messageId", "") or ""),
            moment,
            sender,
            _addresses(getattr(message, "to", "") or "", getattr(message, "cc", "") or ""),
            subject,
            text,
            tuple(names),
            position,
        )
    except Exception as exc:  # noqa: BLE001
        return Problem(
            file, position, tr("cannot be read ({problem}).", problem=str(exc) or type(exc).__name__)
        )


# Calendar --------------------------------------------------------------------------------


def _ical_address(value) -> Address | None:
    if value is None:
        return None
    text = str(value)
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    if "@" not in text:
        return None
    name = ""
    params = getattr(value, "params", None)
    if params is not None:
        name = str(params.get("CN", "") or "").strip().strip('"')
    return Address(name, text)


def _rid(moment: datetime | date) -> str:
    """An occurrence's RECURRENCE-ID as text: UTC for zoned times, as written otherwise."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if isinstance(moment, datetime):
        return moment.strftime("%Y%m%dT%H%M%S")
    return moment.strftime("%Y%m%d")


def _event_facts(event) -> dict:
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND") if event.get("DTEND") is not None else None
    duration: timedelta | None = None
    if end is not None:
        duration = end - start
    elif event.get("DURATION") is not None:
        duration = event.decoded("DURATION")
    attendees = event.get("ATTENDEE") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    people = tuple(a for a in (_ical_address(x) for x in attendees) if a is not None)
    organizer = _ical_address(event.get("ORGANIZER"))
    minutes = None
    if duration is not None and isinstance(start, datetime):
        minutes = max(0, int(duration.total_seconds() // 60))
    return {
        "start": start,
        "minutes": minutes,
        "title": " ".join(str(event.get("SUMMARY", "") or "").split()),
        "organizer": organizer,
        "attendees": tuple(a for a in people if a != organizer),
        "text": tidy(str(event.get("DESCRIPTION", "") or "")),
        "location": " ".join(str(event.get("LOCATION", "") or "").split()),
        "cancelled": str(event.get("STATUS", "")).upper() == "CANCELLED",
    }


def _meeting(uid: str, rid: str, moment, facts: dict, position: str) -> Touch:
    return Touch(
        kind="meeting",
        identity=f"{uid}\x1f{rid}",
        title=facts["title"],
        occurred_at=local(moment),
        position=position,
        sender=facts["organizer"],
        recipients=facts["attendees"],
        text=facts["text"],
        duration_minutes=facts["minutes"],
        location=facts["location"],
    )


def _bound(moment: datetime, like: datetime | date) -> datetime:
    """A local window bound in the same kind (zoned or floating) as an event's start."""
    if isinstance(like, datetime) and like.tzinfo is not None:
        return moment.astimezone()
    return moment


def _occurrences(event, start, window: tuple[datetime, datetime]) -> list:
    from dateutil.rrule import rruleset, rrulestr

    all_day = not isinstance(start, datetime)
    first = datetime.combine(start, time.min) if all_day else start
    rules = rruleset()
    for rule in event.get("RRULE") if isinstance(event.get("RRULE"), list) else [event.get("RRULE")]:
        text = rule.to_ical().decode()
        if all_day or first.tzinfo is None:
            text = re.sub(r"(UNTIL=\d{8}T\d{6})Z", r"\1", text)
        rules.rrule(rrulestr(text, dtstart=first, ignoretz=first.tzinfo is None))
    for name, add in (("RDATE", rules.rdate), ("EXDATE", rules.exdate)):
        values = event.get(name)
        for value in values if isinstance(values, list) else ([values] if values is not None else []):
            for item in value.dts:
                moment = item.dt
                if not isinstance(moment, datetime):
                    moment = datetime.combine(moment, time.min)
                if first.tzinfo is not None and moment.tzinfo is None:
                    moment = moment.replace(tzinfo=first.tzinfo)
                elif first.tzinfo is None and moment.tzinfo is not None:
                    moment = moment.replace(tzinfo=None)
                add(moment)
    low, high = _bound(window[0], first), _bound(window[1], first)
    found = rules.between(low, high, inc=True)
    return [m.date() for m in found] if all_day else found


def _read_ics(path: Path, window: tuple[datetime, datetime] | None, today: date) -> Iterator[Touch | Problem]:
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(path.read_bytes())
    except ValueError as exc:
        raise _refuse(path, tr("the calendar cannot be read ({problem}).", problem=str(exc)[:200])) from exc
    events = list(calendar.walk("VEVENT"))
    overridden: dict[str, set[str]] = {}
    for event in events:
        if event.get("RECURRENCE-ID") is not None and not event.errors:
            try:
                overridden.setdefault(str(event.get("UID")), set()).add(_rid(event.decoded("RECURRENCE-ID")))
            except Exception:  # noqa: BLE001 (reported when the event itself is read)
                pass
    expand_window = window or (
        datetime.combine(today - timedelta(days=DEFAULT_RECURRENCE_DAYS), time.min),
        datetime.combine(today, time.max),
    )
    for number, event in enumerate(events, 1):
        uid = str(event.get("UID", "") or "")
        position = tr("event {n}", n=number) + (f" ({uid[:60]})" if uid else "")
        if event.errors:
            prop, why = event.errors[0]
            yield Problem(path.name, position, f"{prop}: {why}", number)
            continue
        if not uid:
            yield Problem(path.name, position, tr("the event has no UID."), number)
            continue
        try:
            facts = _event_facts(event)
            if facts["cancelled"]:
                continue
            if event.get("RECURRENCE-ID") is not None:
                rid = _rid(event.decoded("RECURRENCE-ID"))
                moments = [(rid, facts["start"])]
            elif event.get("RRULE") is not None:
                skip = overridden.get(uid, set())
                moments = [
                    (r, m)
                    for m in _occurrences(event, facts["start"], expand_window)
                    if (r := _rid(m)) not in skip
                ]
            else:
                moments = [("", facts["start"])]
        except Exception as exc:  # noqa: BLE001 (one broken event is skipped, the rest imported)
            problem = str(exc) or type(exc).__name__
            yield Problem(path.name, position, tr("cannot be read ({problem}).", problem=problem), number)
            continue
        for rid, moment in moments:
            touch = _meeting(uid, rid, moment, facts, position)
            if window is None or window[0] <= touch.occurred_at <= window[1]:
                yield touch


# Entry point ------------------------------------------------------------------------------


def read_touches(
    path: str | Path,
    *,
    window: tuple[datetime, datetime] | None = None,
    today: date | None = None,
    progress: Progress = SILENT,
) -> Iterator[Touch | Problem]:
    """The touches in ``path`` (and the problems met), in file order.

    ``window`` (local, inclusive) keeps only what happened inside it and bounds the
    expansion of recurring meetings (default for them: the last year up to ``today``).
    """
    path = Path(path)
    fmt = check_file(path)
    if fmt == "eml":
        items = _read_eml(path)
    elif fmt == "msg":
        items = _read_msg(path)
    elif fmt == "mbox":
        items = _read_mbox(path, progress)
    else:
        from csdesk import clock

        yield from _read_ics(path, window, today or clock.today())
        return
    for item in items:
        if window is not None and isinstance(item, Touch) and not window[0] <= item.occurred_at <= window[1]:
            continue
        yield item
