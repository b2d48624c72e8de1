"""An XLSX file checked before it is opened: its parts, sizes and rows within CSDesk's limits.

A workbook is a ZIP of XML parts; a hostile or broken one (a zip bomb, a sheet
declaring billions of cells, a huge shared-strings part) is refused with a
message before openpyxl reads it.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path

from csdesk import formatting
from csdesk import limits as L
from csdesk.i18n import tr
from csdesk.importing.reading import _too_many_rows, file_error

_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_PART_NAME_RE = re.compile(r"<(?:\w+:)?Override\b[^>]*>", re.S)
_PART_ATTR_RE = re.compile(r'\b(PartName|ContentType)\s*=\s*["\']([^"\']*)["\']')
_STREAMED = (".png", ".jpg", ".jpeg", ".gif", ".emf", ".wmf", ".bin", ".tif", ".tiff", ".bmp")


def _part_types(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part name -> content type, from ``[Content_Types].xml`` (the overrides only)."""
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return {}
    if info.file_size > L.MIB:
        return {}  # refused below as an oversized part
    text = archive.read(info).decode("utf-8", "replace")
    types: dict[str, str] = {}
    for tag in _PART_NAME_RE.findall(text):
        attrs = dict(_PART_ATTR_RE.findall(tag))
        if "PartName" in attrs and "ContentType" in attrs:
            types[attrs["PartName"].lstrip("/")] = attrs["ContentType"]
    return types


_ROW_TAGS = (b"<row", b":row ", b":row>")  # <row ...>, and <x:row ...> for a prefixed namespace


def _count_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> None:
    """Refuse a sheet with more than ``MAX_ROWS`` rows from its unpacked XML (C loops, 1 MiB
    at a time), before a row is parsed: the row tags are counted, and the last row's number
    is read (rows come in order; the reader would fill a gap up to it with empty rows). A
    sheet of 3 million rows, or of one row numbered 2,000,000, is refused in a second.

    Text holding "<row" (a comment) can only make the count larger; a row is never missed.
    """
    count = 0
    carry = b""
    last = b""  # the start of the last row tag seen
    try:
        with archive.open(info) as part:
            while chunk := part.read(L.MIB):
                block = carry + chunk
                # Tags wholly inside the carried bytes were counted with the block before.
                count += sum(block.count(tag) - carry.count(tag) for tag in _ROW_TAGS)
                if count > L.MAX_ROWS:
                    raise _too_many_rows(path, None, info.filename)
                at = max(block.rfind(b"<row "), block.rfind(b":row "))
                if at >= 0:
                    last = block[at : at + 200]
                carry = block[-5:]  # a tag cut by the 1 MiB boundary is counted with the next block
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise file_error(
            path, tr("this XLSX file is damaged or not a workbook ({problem}).", problem=exc)
        ) from exc
    number = _ROW_NUMBER_RE.match(last)
    if number and int(number.group(1)) > L.MAX_ROWS:
        raise _too_many_rows(path, None, info.filename)


_ROW_NUMBER_RE = re.compile(rb'[<:]row\s[^>]*?\br\s*=\s*["\'](\d{1,15})["\']')


def check_workbook(data: bytes, path: Path) -> None:
    """Refuse a workbook whose zip directory declares too much to unpack, before opening it.

    Python's zip reader never unpacks more than a part's declared size (a part that lies
    fails its CRC check), so the declared sizes bound what the reader can produce.
    """
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))  # the end-of-directory record
    if end < 0 or len(data) < end + 22:
        raise file_error(path, tr("this XLSX file is damaged or not a workbook ({problem}).", problem="zip"))
    entries = int.from_bytes(data[end + 10 : end + 12], "little")
    if entries > L.MAX_ZIP_ENTRIES:  # 0xFFFF: a ZIP64 archive, never a spreadsheet
        raise file_error(
            path,
            tr(
                "this workbook has {count} parts, more than any spreadsheet; it may be a zip bomb. "
                "Open it in Excel, save it again and import the new copy.",
                count=formatting.number(entries),
            ),
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise file_error(
            path, tr("this XLSX file is damaged or not a workbook ({problem}).", problem=exc)
        ) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > L.MAX_ZIP_ENTRIES:
            raise file_error(
                path,
                tr(
                    "this workbook has {count} parts, more than any spreadsheet; it may be a zip bomb. "
                    "Open it in Excel, save it again and import the new copy.",
                    count=formatting.number(len(infos)),
                ),
            )
        types = _part_types(archive)
        total = 0
        for info in infos:
            size, name = info.file_size, info.filename
            total += size
            kind = types.get(name, "")
            packed = max(info.compress_size, 1)
            if size > L.ZIP_RATIO_FROM_BYTES and size > L.MAX_ZIP_RATIO * packed:
                raise file_error(
                    path,
                    tr(
                        "the part {part} of this workbook unpacks to {ratio} times its size ({size} MB); "
                        "no spreadsheet does, it may be a zip bomb. Open it in Excel, save it again "
                        "(or as CSV) and import the new copy.",
                        part=name,
                        ratio=formatting.number(size // packed),
                        size=L.megabytes(size),
                    ),
                )
            if kind == _SHARED_STRINGS_TYPE or name.lower().endswith("sharedstrings.xml"):
                if size > L.MAX_SHARED_STRINGS_BYTES:
                    raise file_error(
                        path,
                        tr(
                            "the workbook's table of texts has {size} MB, more than the {limit} MB "
                            "an import reads. Save the sheet as CSV and import that file.",
                            size=L.megabytes(size),
                            limit=L.megabytes(L.MAX_SHARED_STRINGS_BYTES),
                        ),
                    )
            elif (
                kind != _WORKSHEET_TYPE
                and not name.lower().startswith("xl/worksheets/")
                and not name.lower().endswith(_STREAMED)
                and size > L.MAX_XLSX_PART_BYTES
            ):
                raise file_error(
                    path,
                    tr(
                        "the part {part} of this workbook has {size} MB, more than the {limit} MB "
                        "an import reads. Save the sheet as CSV and import that file.",
                        part=name,
                        size=L.megabytes(size),
                        limit=L.megabytes(L.MAX_XLSX_PART_BYTES),
                    ),
                )
        if total <= L.MAX_XLSX_UNPACKED_BYTES:
            for info in infos:
                if types.get(info.filename) == _WORKSHEET_TYPE or info.filename.lower().startswith(
                    "xl/worksheets/sheet"
                ):
                    _count_rows(archive, info, path)
        if total > L.MAX_XLSX_UNPACKED_BYTES:
            raise file_error(
                path,
                tr(
                    "this workbook unpacks to {size} MB, more than the {limit} MB an import reads. "
                    "Save the sheet you need as CSV (or alone in a workbook) and import that file.",
                    size=L.megabytes(total),
                    limit=L.megabytes(L.MAX_XLSX_UNPACKED_BYTES),
                ),
            )


# Encoding ---------------------------------------------------------------------
