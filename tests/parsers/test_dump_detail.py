"""Packet-dump lines carry what explain needs to say what they are (EAGAIN, a TLS record
header, a person's remark) without re-reading the text."""

from __future__ import annotations

from mailwarden.model import Event, EventType

from .helpers import events

H = "Feb 23 11:57:42 mx postfix/smtpd[32451]: "


def only(line: str) -> Event:
    (event,) = events(line)
    return event


def test_bio_read_that_returned_eagain() -> None:
    e = only(H + "read from 7FD690FE02C0 [7FD6910804C0] (11 bytes => -1 (0xFFFFFFFFFFFFFFFF))")
    assert e.type is EventType.TLS_DUMP and not e.hostile
    assert e.detail == {"direction": "read", "requested": "11", "result": "-1"}


def test_bio_write_with_a_pasted_remark_after_it() -> None:
    e = only(H + "write to 7FD690FE02C0 [7FD69108DE80] (47 bytes => 47 (0x2F)) (some cipher text)")
    assert e.detail == {
        "direction": "write",
        "requested": "47",
        "result": "47",
        "trailer": "(some cipher text)",
    }


def test_bio_openssl3_short_form() -> None:
    e = only(H + "read from 55D0C2A4B2C0 [55D0C2A57A03] (5 bytes => -1)")
    assert e.detail == {"direction": "read", "requested": "5", "result": "-1"}


def test_hex_row_gives_offset_and_bytes() -> None:
    e = only(H + "0000 16 03 03 01 06 .....")
    assert e.detail == {"offset": "0000", "hex": "16 03 03 01 06"}


def test_full_hex_row_with_the_middle_bar() -> None:
    e = only(H + "0010 00 01 02 03 04 05 06 07|08 09 0a 0b 0c 0d 0e 0f  ........ ........")
    assert e.detail is not None
    assert e.detail["hex"] == "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"


def test_spaces_nulls_summary() -> None:
    e = only(H + "0085 - <SPACES/NULLS>")
    assert e.detail == {"offset": "0085", "nulls": "yes"}


def test_engine_line_is_marked() -> None:
    e = only(H + "initializing the server-side TLS engine")
    assert e.type is EventType.TLS_SETUP and e.detail == {"step": "engine"}
