"""An AUTH PLAIN payload sent on its own line after the ``334`` (smtpd -v chat, TLS
dumps), as explain tells it. PLAIN is ``authzid NUL authcid NUL password``: the login
name is authcid, and “acting for” is said only when authzid is not empty and differs
from it. A payload that is no PLAIN payload (one piece, no NUL) names nobody: it may be
a LOGIN step, or a password."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from clirunner import Runner

LogFile = Callable[[str], str]

CLIENT = "198.51.100.23"
P = "Mar 11 10:00:01 mx postfix/submission/smtpd[4100]: "


def _b64(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


def _session(command: str, payload: str, dump: bool) -> str:
    """``AUTH <command>``, the 334, then the payload on its own line, then the failure."""
    if dump:
        lines = [
            f"Read {len(command) + 7} chars: AUTH {command}??",
            "Write 6 chars: 334 ??",
            f"Read {len(payload) + 2} chars: {payload[:40]}",
        ]
    else:
        lines = [
            f"< unknown[{CLIENT}]: AUTH {command}",
            f"> unknown[{CLIENT}]: 334 ",
            f"< unknown[{CLIENT}]: {payload}",
        ]
    lines = [f"connect from unknown[{CLIENT}]", *lines]
    lines.append(f"warning: unknown[{CLIENT}]: SASL {command} authentication failed: ")
    return "".join(P + line + "\n" for line in lines)


def _payload_note(run: Runner, log_file: LogFile, text: str) -> tuple[str, str]:
    """(the note of the payload line, the whole output), whitespace folded."""
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    out = " ".join(out.split())
    note = out.split("‹…›", 1)[1].split("SASL", 1)[0]
    return note, out


@pytest.mark.parametrize("dump", [False, True], ids=["chat", "dump"])
@pytest.mark.parametrize(
    "authzid", ["", "alice@example.com"], ids=["empty authzid", "authzid repeats the user"]
)
def test_a_plain_payload_for_the_login_name_itself_acts_for_nobody(
    run: Runner, log_file: LogFile, authzid: str, dump: bool
) -> None:
    payload = _b64(f"{authzid}\0alice@example.com\0secret")
    note, out = _payload_note(run, log_file, _session("PLAIN", payload, dump))
    assert "The client sends its credentials: account “alice@exampl" in note
    assert "acting for" not in out


def test_a_plain_payload_for_another_identity_says_so(run: Runner, log_file: LogFile) -> None:
    payload = _b64("bob@example.com\0alice@example.com\0secret")
    note, out = _payload_note(run, log_file, _session("PLAIN", payload, dump=False))
    assert "account “alice@example.com”, acting for “bob@example.com”, password ***" in note
    assert (
        "It tried AUTH PLAIN with account “alice@example.com”, acting for “bob@example.com”" in out
    )


def test_a_plain_payload_cut_before_the_login_name_does_not_guess_it(
    run: Runner, log_file: LogFile
) -> None:
    """The dump's 40 bytes end inside ``alice@…``: the first part may be the account or
    the identity it acts for (or the account, its leading NUL forgotten)."""
    payload = _b64("bob@example.com\0alice@example.com\0secret")
    note, out = _payload_note(run, log_file, _session("PLAIN", payload, dump=True))
    assert "“bob@example.com”, the account or the identity it acts for" in note
    assert "acting for" not in out


@pytest.mark.parametrize("dump", [False, True], ids=["chat", "dump"])
@pytest.mark.parametrize("piece", ["alice@example.com", "Tr0ub4dor&3x"], ids=["name", "password"])
def test_a_payload_that_is_no_plain_names_nobody(
    run: Runner, log_file: LogFile, piece: str, dump: bool
) -> None:
    """A LOGIN user name, or a password, sent after ``AUTH PLAIN``: no NUL in it."""
    note, out = _payload_note(run, log_file, _session("PLAIN", _b64(piece), dump))
    assert "Its data is not a PLAIN payload" in note
    assert "acting for" not in out and piece not in out


def test_a_login_user_name_after_auth_login_is_the_user_name(
    run: Runner, log_file: LogFile
) -> None:
    """The control: after ``AUTH LOGIN`` the same line is the user name, not PLAIN."""
    text = _session("LOGIN", _b64("alice@example.com"), dump=False)
    text = text.replace(
        f"{P}> unknown[{CLIENT}]: 334 \n", f"{P}> unknown[{CLIENT}]: 334 VXNlcm5hbWU6\n"
    )
    note, out = _payload_note(run, log_file, text)
    assert "The client answers the user name prompt: “alice@example.com”." in note
    assert "acting for" not in out


def test_an_initial_response_that_is_no_plain_shows_no_password(
    run: Runner, log_file: LogFile
) -> None:
    """``AUTH PLAIN <base64 of a password>`` on one line: once shown as “acting for”."""
    text = (
        f"{P}connect from unknown[{CLIENT}]\n"
        f"{P}< unknown[{CLIENT}]: AUTH PLAIN {_b64('Tr0ub4dor&3x')}\n"
        f"{P}warning: unknown[{CLIENT}]: SASL PLAIN authentication failed: \n"
    )
    for args in (("explain",), ("explain", "--lang", "zh_CN"), ("analyze", "--format", "json")):
        code, out, err = run(*args, log_file(text))
        assert code == 0, err
        assert "Tr0ub4dor" not in out and "acting for" not in out


def _initial(payload: str, dump: bool) -> str:
    """``AUTH PLAIN <payload>`` on one line, then the failure."""
    if dump:
        line = f"Read {len(payload) + 13} chars: " + f"AUTH PLAIN {payload}"[:40]
    else:
        line = f"< unknown[{CLIENT}]: AUTH PLAIN {payload}"
    lines = [f"connect from unknown[{CLIENT}]", line]
    lines.append(f"warning: unknown[{CLIENT}]: SASL PLAIN authentication failed: ")
    return "".join(P + line + "\n" for line in lines)


@pytest.mark.parametrize("password", ["pass123", "pass12345"])  # 3 and 2 characters left over
def test_a_verbose_plain_payload_without_padding_is_whole(
    run: Runner, log_file: LogFile, password: str
) -> None:
    """smtpd -v writes the whole line: base64 without its '=' padding is what the client
    sent, not a cut. It was told as "cut off in the log (it shows 40 bytes)"."""
    payload = _b64(f"\0admin\0{password}").rstrip("=")
    assert len(payload) % 4 in (2, 3)

    note, out = _payload_note(run, log_file, _initial(payload, dump=False))

    assert f"account “admin”, password *** ({len(password)} characters)." in note
    assert "cut" not in note and "40 bytes" not in note
    assert "cut off in the log" not in out


def test_a_verbose_plain_payload_that_stops_one_character_into_a_group_is_cut(
    run: Runner, log_file: LogFile
) -> None:
    """One character left over ends no whole payload: cut (or broken), but not by the
    40-byte dump, which a verbose line is not."""
    payload = _b64("\0admin@example.com\0secretpw123")[:29]

    note, _out = _payload_note(run, log_file, _initial(payload, dump=False))

    assert "password *** (at least 3 characters, cut off in the log)" in note
    assert "40 bytes" not in note
    assert "The data stops one character into a base64 group" in note
    assert "It holds only the beginning of the password." in note


def test_a_dumped_plain_payload_cut_at_40_bytes_is_still_told_so(
    run: Runner, log_file: LogFile
) -> None:
    """The seed's `Read 45 chars: AUTH PLAIN AGFkbWluQGZpcGljay5jb20Ad2lsb`."""
    payload = "AGFkbWluQGZpcGljay5jb20Ad2lsbWEx"  # admin@fipick.com, wilma1 (32 sent)

    note, _out = _payload_note(run, log_file, _initial(payload, dump=True))

    assert "password *** (4–6 characters, cut off in the log)" in note
    assert "The log cut the line off (it shows 40 bytes)" in note
