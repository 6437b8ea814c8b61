"""One note per event: what each kind of line means (entries.py, tls.py, replies.py)."""

from __future__ import annotations

from mailwarden.explain.entries import SessionState, describe
from mailwarden.explain.replies import reply_meaning, softened
from mailwarden.explain.tls import cipher_weakness, record_header, state_meaning
from mailwarden.explain.wrap import wrap
from mailwarden.locale import activate
from mailwarden.model import Category, Event, EventType, Record


def _event(
    type_: EventType,
    detail: dict[str, str] | None = None,
    payload: str | None = None,
    reason: str | None = None,
    ip: str | None = None,
) -> Event:
    record = Record(None, None, "postfix/smtpd", 1, "-", "-", 1, 0, "-")
    return Event(
        type_,
        Category.DEBUG,
        False,
        None,
        ip,
        None,
        None,
        None,
        reason,
        record,
        payload=payload,
        detail=detail,
    )


def _note(event: Event, state: SessionState | None = None) -> str:
    return describe(event, state or SessionState()).text


# -- TLS packet dumps (the keys the parser is asked to fill) ---------------------------


def test_bio_read_of_minus_one_is_eagain() -> None:
    text = _note(_event(EventType.TLS_DUMP, {"direction": "read", "result": "-1"}))
    assert "EAGAIN" in text and "not an error" in text


def test_bio_read_and_write_counts() -> None:
    assert "read 262 bytes" in _note(
        _event(EventType.TLS_DUMP, {"direction": "read", "result": "262"})
    )
    assert "sent 1030 bytes" in _note(
        _event(EventType.TLS_DUMP, {"direction": "write", "result": "1030"})
    )


def test_hex_row_with_a_record_header() -> None:
    text = _note(_event(EventType.TLS_DUMP, {"offset": "0000", "hex": "16 03 03 01 06"}))
    assert "TLS record header" in text
    assert "0x16 = handshake" in text and "TLS 1.2" in text and "262 bytes" in text
    data = record_header("17 03 03 00 1a")
    assert data is not None and "application data" in data and "26 bytes" in data
    assert record_header("41 42 43 44 45") is None


def test_spaces_nulls_row() -> None:
    text = _note(_event(EventType.TLS_DUMP, {"offset": "0085", "nulls": "yes"}))
    assert "spaces or zero bytes" in text


def test_dump_without_details_still_explains_the_format() -> None:
    text = _note(_event(EventType.TLS_DUMP))
    assert "EAGAIN" in text and "16 03 03" in text and "<SPACES/NULLS>" in text


def test_ssl_accept_states() -> None:
    assert "client's hello" in state_meaning("SSLv3 read client hello B")
    assert "handshake is complete" in state_meaning("SSLv3/TLS write finished")
    assert "before/accept" not in state_meaning("before/accept initialization")
    assert "(TLSv1.3 early data)" in state_meaning("TLSv1.3 early data")
    text = _note(_event(EventType.TLS_SETUP, {"state": "SSLv3 write certificate A"}))
    assert "certificate" in text


def test_tls_engine_and_cipher_list() -> None:
    assert "loads its TLS certificate" in _note(_event(EventType.TLS_SETUP, {"step": "engine"}))
    text = _note(_event(EventType.TLS_SETUP, {"cipher_list": "ALL:+RC4:@STRENGTH"}))
    assert "before 2.8" in text and "STARTTLS" in text


def test_weak_ciphers() -> None:
    assert cipher_weakness("RC4-SHA") is not None
    assert cipher_weakness("EXP-RC4-MD5") is not None
    assert cipher_weakness("DES-CBC3-SHA") is not None
    assert cipher_weakness("ECDHE-RSA-AES256-GCM-SHA384") is None
    text = _note(
        _event(
            EventType.TLS_ESTABLISHED,
            {"protocol": "TLSv1.2", "cipher": "RC4-SHA", "bits": "128/128", "trust": "Anonymous"},
        )
    )
    assert "RC4-SHA is weak" in text and "no certificate" in text


# -- replies and client lines ----------------------------------------------------------


def test_soft_bounce_replies() -> None:
    assert softened("435", "4.7.8") is not None
    assert softened("535", "5.7.8") is None
    text = reply_meaning("435", "4.7.8")
    assert "535 5.7.8" in text and "soft_bounce = yes" in text
    assert "502 5.5.2" in reply_meaning("402", "4.5.2")
    assert "permanent" in reply_meaning("535", "5.7.8")
    assert "Temporary authentication failure" in reply_meaning("454", "4.7.0")
    assert "A permanent failure" in reply_meaning("599", None)


def test_star_after_final_reply_is_an_unknown_command() -> None:
    state = SessionState()
    describe(_event(EventType.AUTH_COMMAND, {"declared_length": "45"}, "AGFk"), state)
    describe(_event(EventType.SERVER_REPLY, {"code": "535", "enhanced": "5.7.8"}), state)
    text = _note(_event(EventType.CLIENT_DATA, {"declared_length": "3"}, "*"), state)
    assert "unknown command" in text and "RFC 4954" in text


def test_star_after_334_is_a_cancel() -> None:
    state = SessionState()
    describe(_event(EventType.AUTH_COMMAND, None, None), state)
    describe(_event(EventType.SERVER_REPLY, {"code": "334"}, reason="334 VXNlcm5hbWU6"), state)
    text = _note(_event(EventType.CLIENT_DATA, None, "*"), state)
    assert "cancels its login" in text


def test_ehlo_inside_tls() -> None:
    state = SessionState(tls_up=True, starttls=True)
    text = _note(_event(EventType.CLIENT_DATA, {"declared_length": "16"}, "EHLO localhost"), state)
    assert "“localhost”" in text and "greet again" in text
    assert "typical greeting of password-guessing bots" in text


# -- wrapping --------------------------------------------------------------------------


def test_english_wraps_at_spaces() -> None:
    lines = wrap("The quick brown fox jumps over the lazy dog " * 5, 30)
    assert all(len(line) <= 30 for line in lines)
    assert " ".join(lines).split() == ("The quick brown fox jumps over the lazy dog " * 5).split()


def test_chinese_wraps_by_display_width_and_keeps_punctuation() -> None:
    text = "服务器接受已被攻破的 TLS：它同意使用了 TLSv1.2 RC4-SHA。" * 4
    lines = wrap(text, 20)
    from rich.cells import cell_len

    assert all(cell_len(line) <= 20 for line in lines)
    assert not any(line[:1] in "，。：；）" for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_word_with_a_parenthesis_is_not_broken_before_it() -> None:
    """``pam_authenticate() failed`` came out as ``pam_authenticate`` / ``() failed``."""
    text = "see the function foo_bar_baz_quux(argument) and pam_authenticate() failed"
    for width in range(26, 60):  # the longest word fits
        lines = wrap(text, width)
        assert " ".join(lines) == text, (width, lines)
        assert not any(line.startswith("(") for line in lines), (width, lines)
    # a parenthesis after a space still starts a new line with its word
    assert wrap("word (aside) more", 8) == ["word", "(aside)", "more"]


def test_long_tokens_are_folded() -> None:
    lines = wrap("x" * 50, 20)
    assert lines == ["x" * 20, "x" * 20, "x" * 10]


def test_a_long_token_is_never_cut_inside_an_address() -> None:
    """Cut after ``…:12``, ``2001:db8:a11:1:1234:…`` leaves another address on the line."""
    address = "2001:db8:a11:1:1234:5678:9abc:def0"
    line = f"passwd-file(office@example.com,{address},<SpKev6RMM9ogAQ24ChEAAQAAAAAA0000>):"
    for width in range(40, 80):
        lines = wrap(line, width)
        assert "".join(lines) == line
        assert any(address in piece for piece in lines), (width, lines)
        assert all(len(piece) <= width for piece in lines)
    assert wrap(f"from unknown[{address}]: x", 20) == ["from", "unknown[", address, "]: x"]
    assert wrap("来源：192.0.2.44，一个地址", 8)[1].startswith("192.0.2.44")


def test_notes_follow_the_active_language() -> None:
    activate("zh_CN")
    try:
        text = _note(_event(EventType.TLS_DUMP, {"direction": "read", "result": "-1"}))
        assert "EAGAIN" in text and "稍后重试" in text
    finally:
        activate("en")


def test_a_pasters_remark_in_place_of_the_hex_rows() -> None:
    from mailwarden.explain import explain
    from mailwarden.explain.document import Entry

    record = Record(None, None, "postfix/smtpd", 1, "read from …", "-", 1, 0, "-")
    detail = {"direction": "read", "result": "11", "trailer": "(some cipher text)"}
    event = _event(EventType.TLS_DUMP, detail)._replace(record=record)
    notes = [b.note for b in explain([(record, [event])]) if isinstance(b, Entry)]
    assert "“(some cipher text)” is not Postfix's" in notes[0]


def test_a_run_of_closing_punctuation_never_starts_a_line() -> None:
    text = (
        "此时 Postfix 会把每一行写进日志（“Read N chars” 表示收到了 N 个字节；"
        "回车换行显示为 “??”）。下一句"
    )
    for width in range(10, 60):
        for line in wrap(text, width):
            assert line[:1] not in "，。：；）”", (width, line)


def test_a_full_stop_after_a_closing_quote_never_starts_a_line() -> None:
    """“Password mismatch”. at the end of a line left the “.” alone on the next."""
    text = "A login failed: account office@example.com. Reason: “Password mismatch”."
    for width in range(20, 80):
        lines = wrap(text, width)
        assert all(line[:1] not in ".,;:)" for line in lines), (width, lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_reply_codes_and_rfc_numbers_stay_on_one_line() -> None:
    texts = [
        "本日志中出现的：435 4.7.8、402 4.5.2。只有作为应答时才表示取消登录（RFC 4954）；",
        "Seen here: 435 4.7.8, 402 4.5.2. A “*” cancels a login (RFC 4954); here it is not.",
    ]
    for text in texts:
        for width in range(12, 60):
            lines = wrap(text, width)
            assert "".join(lines).replace(" ", "") == text.replace(" ", "")
            for line in lines:
                assert not line.endswith(("RFC", "402", "435", "(RFC")), (width, line)
                assert not line.startswith(("4954", "4.5.2", "4.7.8")), (width, line)


def test_a_long_run_of_hex_digits_or_colons_folds_to_the_width() -> None:
    # Attacker text (a HELO name, a username) of tens of thousands of hex digits or
    # colons: folded to the width like any other word, addresses in it kept whole.
    for token in ["a" * 20_000, ":" * 20_000, "ab:" * 7_000, "2001:db8::1 " + "f" * 9_000]:
        lines = wrap(token, 80)
        assert all(len(line) <= 80 for line in lines)
        assert "".join(lines).replace(" ", "") == token.replace(" ", "")
    assert "2001:db8::1" in wrap("2001:db8::1 " + "f" * 9_000, 80)[0]
