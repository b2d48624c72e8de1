"""A small Outlook ``.msg`` writer for the tests: no library can write one, so this builds it by hand.

Two layers, both following Microsoft's open specifications:

* ``compound_file`` writes an OLE Compound File ([MS-CFB], version 3): 512-byte sectors, a FAT,
  a directory of 128-byte entries (each storage's children kept as a red-black tree), and a
  mini stream of 64-byte mini sectors (with its own mini FAT) holding every stream shorter than
  4096 bytes, as the spec requires.
* ``write_msg`` lays out a message in it ([MS-OXMSG]): the ``__properties_version1.0`` stream
  of fixed-size properties, one ``__substg1.0_XXXXYYYY`` stream per string property, an empty
  named-property storage and one ``__recip_version1.0_#N`` storage per recipient.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE, END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
RED, BLACK = 0, 1
MSG_CLSID = bytes.fromhex("0B0D020000000000C000000000000046")  # the root CLSID Outlook gives a .msg


# Compound file ------------------------------------------------------------------------------


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b"") -> None:
        self.name, self.kind, self.data = name, kind, data
        self.children: dict[str, _Entry] = {}
        self.left = self.right = self.child = NO_STREAM
        self.color, self.start, self.size, self.index = BLACK, END_OF_CHAIN, 0, 0


def _order(name: str) -> tuple:
    """Directory order ([MS-CFB] 2.6.4): shorter names first, then by upper-cased code points."""
    return (len(name), [ord(c) for c in name.upper()])


def _tree(entries: list[_Entry], depth: int, height: int) -> int:
    """A balanced binary search tree of sorted siblings; its root's index.

    Every level but the deepest is full, so all-black with the deepest level red (below the root)
    is a valid red-black colouring: every path to a leaf crosses the same number of black nodes.
    """
    if not entries:
        return NO_STREAM
    middle = len(entries) // 2
    node = entries[middle]
    node.color = RED if depth == height and depth > 0 else BLACK
    node.left = _tree(entries[:middle], depth + 1, height)
    node.right = _tree(entries[middle + 1 :], depth + 1, height)
    return node.index


def _chain(fat: list[int], count: int) -> int:
    """Append a chain of ``count`` consecutive sectors to ``fat``; its first sector."""
    if count == 0:
        return END_OF_CHAIN
    first = len(fat)
    fat.extend(range(first + 1, first + count))
    fat.append(END_OF_CHAIN)
    return first


def _pad(data: bytes, size: int) -> bytes:
    return data + b"\x00" * (-len(data) % size)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A compound file holding ``streams``, keyed by path ("storage/sub/stream")."""
    root = _Entry("Root Entry", ROOT)
    for path, data in streams.items():
        *storages, name = path.split("/")
        parent = root
        for part in storages:
            parent = parent.children.setdefault(part, _Entry(part, STORAGE))
        parent.children[name] = _Entry(name, STREAM, data)
    entries = [root]  # depth-first: every entry gets its directory index
    pending = [root]
    while pending:
        for child in sorted(pending.pop().children.values(), key=lambda e: _order(e.name)):
            child.index = len(entries)
            entries.append(child)
            pending.append(child)

    # Small streams go to the mini stream, the others to sectors of their own.
    mini_fat: list[int] = []
    mini_stream = b""
    for entry in entries:
        if entry.kind == STREAM and len(entry.data) < MINI_CUTOFF:
            entry.size = len(entry.data)
            entry.start = _chain(mini_fat, -(-entry.size // MINI_SECTOR))
            mini_stream += _pad(entry.data, MINI_SECTOR)
    for entry in entries:
        siblings = sorted(entry.children.values(), key=lambda e: _order(e.name))
        height = max(len(siblings).bit_length() - 1, 0)
        entry.child = _tree(siblings, 0, height)

    fat: list[int] = []
    body: list[bytes] = []

    def place(data: bytes) -> int:
        data = _pad(data, SECTOR)
        body.append(data)
        return _chain(fat, len(data) // SECTOR)

    root.start, root.size = place(mini_stream), len(mini_stream)
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_start = place(mini_fat_bytes + b"\xff" * (-len(mini_fat_bytes) % SECTOR))  # unused: free
    mini_fat_sectors = -(-len(mini_fat_bytes) // SECTOR)
    for entry in entries:
        if entry.kind == STREAM and len(entry.data) >= MINI_CUTOFF:
            entry.size = len(entry.data)
            entry.start = place(entry.data)
    entries_bytes = b"".join(_directory_entry(e) for e in entries)
    unused = _directory_entry(_Entry("", 0))  # empty slots fill the last directory sector
    directory_start = place(entries_bytes + unused * (-len(entries) % (SECTOR // 128)))

    # The FAT covers itself, so its own sectors come last.
    fat_sectors = 1
    while (len(fat) + fat_sectors) > fat_sectors * (SECTOR // 4):
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("too big for a header-only DIFAT")
    fat_start = len(fat)
    fat.extend([FAT_SECTOR] * fat_sectors)
    fat.extend([FREE] * (fat_sectors * (SECTOR // 4) - len(fat)))
    difat = list(range(fat_start, fat_start + fat_sectors)) + [FREE] * (109 - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        b"\x00" * 16,
        0x003E,  # minor version
        3,  # major version: 512-byte sectors
        0xFFFE,  # little-endian
        9,  # sector size 2**9
        6,  # mini sector size 2**6
        b"\x00" * 6,
        0,  # directory sectors (always 0 in version 3)
        fat_sectors,
        directory_start,
        0,  # transaction signature
        MINI_CUTOFF,
        mini_fat_start if mini_fat else END_OF_CHAIN,
        mini_fat_sectors,
        END_OF_CHAIN,  # no DIFAT sectors
        0,
        *difat,
    )
    return header + b"".join(body) + struct.pack(f"<{len(fat)}I", *fat)


def _directory_entry(entry: _Entry) -> bytes:
    name = (entry.name + "\x00").encode("utf-16-le") if entry.name else b""
    if len(name) > 64:
        raise ValueError(f"name too long: {entry.name}")
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        entry.kind,
        entry.color,
        entry.left if entry.kind else NO_STREAM,
        entry.right if entry.kind else NO_STREAM,
        entry.child if entry.kind != STREAM and entry.kind else NO_STREAM,
        MSG_CLSID if entry.kind == ROOT else b"\x00" * 16,
        0,  # state bits
        0,  # created
        0,  # modified
        entry.start if entry.kind in (STREAM, ROOT) else 0,
        entry.size,
    )


# Message ------------------------------------------------------------------------------------

PT_LONG, PT_SYSTIME, PT_UNICODE, PT_BINARY = 0x0003, 0x0040, 0x001F, 0x0102
READABLE_WRITABLE = 0x6
MAPI_TO = 1
ATTACH_BY_VALUE = 1


def _filetime(moment: datetime) -> int:
    """100-nanosecond intervals since 1601-01-01 UTC."""
    delta = moment.astimezone(UTC) - datetime(1601, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def _properties(
    prefix: str, header: bytes, variable: dict[int, str | bytes], fixed: dict[int, tuple[int, int]]
) -> dict[str, bytes]:
    """One object's property streams: strings and binaries (by property id) in streams of their own,
    the fixed-size values (``fixed``: id to (type, value)) inline in ``__properties_version1.0``.

    A variable-size entry there holds its stream's byte size (a string's counts its terminator).
    """
    streams = {}
    rows = []
    for prop_id, value in variable.items():
        if isinstance(value, str):
            kind, data, size = PT_UNICODE, value.encode("utf-16-le"), len(value.encode("utf-16-le")) + 2
        else:
            kind, data, size = PT_BINARY, value, len(value)
        streams[f"{prefix}__substg1.0_{prop_id:04X}{kind:04X}"] = data
        rows.append(struct.pack("<IIII", prop_id << 16 | kind, READABLE_WRITABLE, size, 0))
    for prop_id, (kind, value) in fixed.items():
        rows.append(struct.pack("<IIQ", prop_id << 16 | kind, READABLE_WRITABLE, value))
    streams[f"{prefix}__properties_version1.0"] = header + b"".join(rows)
    return streams


def write_msg(
    path: Path,
    *,
    subject: str,
    sender_name: str,
    sender_email: str,
    to: list[tuple[str, str]],
    sent: datetime,
    message_id: str,
    body: str = "",
    html: bytes | None = None,
    attachments: list[tuple[str, bytes]] = (),
    smtp_address_property: bool = True,
) -> Path:
    """An Outlook e-mail (IPM.Note) from an Internet (SMTP) sender, without transport headers.

    ``to`` holds (name, address) recipients, ``attachments`` (file name, content) pairs.
    ``smtp_address_property=False`` leaves out PidTagSenderSmtpAddress, as some Outlook
    versions do, so the sender's address is only in PidTagSenderEmailAddress.
    """
    header = struct.pack("<8xIIII8x", len(to), len(attachments), len(to), len(attachments))
    variable: dict[int, str | bytes] = {
        0x001A: "IPM.Note",  # message class
        0x0037: subject,
        0x0C1A: sender_name,
        0x0C1E: "SMTP",  # sender address type
        0x0C1F: sender_email,  # sender address (of that type)
        0x0E04: "; ".join(name for name, _ in to),  # display to
        0x1035: f"<{message_id}>",
    }
    if body:
        variable[0x1000] = body
    if html is not None:
        variable[0x1013] = html
    if smtp_address_property:
        variable[0x5D01] = sender_email
    streams = _properties(
        "",
        header,
        variable,
        {
            0x0039: (PT_SYSTIME, _filetime(sent)),  # client submit time
            0x0E06: (PT_SYSTIME, _filetime(sent)),  # message delivery time
            0x340D: (PT_LONG, 0x00040000),  # store support mask: strings are Unicode
        },
    )
    for number, (name, address) in enumerate(to):
        streams |= _properties(
            f"__recip_version1.0_#{number:08X}/",
            b"\x00" * 8,
            {0x3001: name, 0x3002: "SMTP", 0x3003: address, 0x39FE: address},
            {0x0C15: (PT_LONG, MAPI_TO), 0x3000: (PT_LONG, number)},  # recipient type, row id
        )
    for number, (name, data) in enumerate(attachments):
        streams |= _properties(
            f"__attach_version1.0_#{number:08X}/",
            b"\x00" * 8,
            {0x3707: name, 0x3704: name[:12], 0x3001: name, 0x3701: data},  # long/short name, data
            {0x3705: (PT_LONG, ATTACH_BY_VALUE), 0x0E21: (PT_LONG, number)},  # method, number
        )
    for stream in ("00020102", "00030102", "00040102"):  # GUIDs, entries, strings: none named
        streams[f"__nameid_version1.0/__substg1.0_{stream}"] = b""
    path.write_bytes(compound_file(streams))
    return path
