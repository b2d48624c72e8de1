"""The test-support .msg writer makes files that olefile and extract-msg read back exactly."""

from __future__ import annotations

import struct
from datetime import datetime
from zoneinfo import ZoneInfo

import extract_msg
import olefile
import pytest

from tests.support.msg_writer import MINI_CUTOFF, compound_file, write_msg

SP = ZoneInfo("America/Sao_Paulo")

# Sizes around the mini-sector (64), sector (512) and mini-stream cutoff (4096) edges.
SIZES = (0, 1, 63, 64, 65, 511, 512, 4095, 4096, 4097, 70_000)


def test_compound_file_streams_read_back_with_olefile(tmp_path):
    streams = {f"s{size}": bytes(range(256)) * (size // 256) + bytes(size % 256) for size in SIZES}
    streams |= {f"box/inner/{name}": data[::-1] for name, data in streams.items()}
    streams |= {f"many/n{i:03}": f"stream {i}".encode() for i in range(40)}  # a deep sibling tree
    path = tmp_path / "f.cfb"
    path.write_bytes(compound_file(streams))
    with olefile.OleFileIO(str(path)) as ole:
        assert sorted("/".join(p) for p in ole.listdir()) == sorted(streams)
        for name, data in streams.items():
            assert ole.openstream(name).read() == data, name
            # small streams live in the mini stream, as [MS-CFB] requires (an empty one in neither)
            entry = ole.direntries[ole._find(name)]
            assert entry.size == len(data)
            assert entry.is_minifat == (0 < len(data) < MINI_CUTOFF), name
        assert ole.get_type("box/inner") == olefile.STGTY_STORAGE


def test_directory_siblings_form_a_red_black_search_tree(tmp_path):
    streams = {f"n{i:03}": b"x" for i in range(40)} | {"a": b"", "bb": b"", "Zz": b""}
    path = tmp_path / "f.cfb"
    path.write_bytes(compound_file(streams))
    with olefile.OleFileIO(str(path)) as ole:
        entries = {e.sid: e for e in ole.direntries if e is not None}
        names = []

        def walk(sid, parent_red):  # in order; the black height below sid
            if sid == olefile.NOSTREAM:
                return 0
            node = entries[sid]
            red = node.color == 0
            assert not (red and parent_red), "two reds in a row"
            left = walk(node.sid_left, red)
            names.append(node.name)
            right = walk(node.sid_right, red)
            assert left == right, "unequal black heights"
            return left + (not red)

        root = entries[0]
        assert entries[root.sid_child].color == 1
        walk(root.sid_child, False)
        order = [(len(n), n.upper()) for n in names]
        assert order == sorted(order) and len(names) == len(streams)


def test_msg_reads_back_through_extract_msg(tmp_path):
    sent = datetime(2026, 11, 5, 16, 0, tzinfo=SP)
    body = "Kickoff na segunda.\r\nAté lá! " * 400  # beyond the mini-stream cutoff
    path = write_msg(
        tmp_path / "m.msg",
        subject="Kickoff agendado",
        body=body,
        html=b"<p>Kickoff</p>",
        sender_name="Ana Lima",
        sender_email="ana@acme.com.br",
        to=[("Eu", "csm@minhaempresa.com.br"), ("Beto", "beto@acme.com.br")],
        sent=sent,
        message_id="outlook-1@acme.com.br",
        attachments=[("pauta.docx", b"PK\x03\x04" * 10)],
    )
    message = extract_msg.openMsg(str(path))
    try:
        assert message.subject == "Kickoff agendado"
        assert message.body == body
        assert message.htmlBody == b"<p>Kickoff</p>"
        assert message.sender == "Ana Lima <ana@acme.com.br>"
        assert message.to == "Eu <csm@minhaempresa.com.br>; Beto <beto@acme.com.br>"
        assert message.date == sent
        assert message.messageId == "<outlook-1@acme.com.br>"
        [attachment] = message.attachments
        assert (attachment.longFilename, attachment.data) == ("pauta.docx", b"PK\x03\x04" * 10)
    finally:
        message.close()
    with olefile.OleFileIO(str(path)) as ole:
        props = ole.openstream("__properties_version1.0").read()
        assert len(props) == 32 + 16 * (len(props) - 32) // 16  # header, then 16-byte entries
        tags = {struct.unpack_from("<I", props, at)[0] for at in range(32, len(props), 16)}
        assert 0x00390040 in tags and 0x0037001F in tags
        assert ole.exists("__nameid_version1.0/__substg1.0_00020102")


def test_names_longer_than_31_characters_are_refused():
    compound_file({"x" * 31: b""})
    with pytest.raises(ValueError, match="too long"):
        compound_file({"x" * 32: b""})
