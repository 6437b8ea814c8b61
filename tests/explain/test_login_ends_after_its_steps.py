"""An AUTH LOGIN exchange has two client lines (the user name, the password), PLAIN one:
in a TLS dump without its ``Write`` lines (as ``grep Read`` leaves it) the server's
answer is missing, and the client's next lines are commands again, shown and explained
as such. A line before the steps are all there stays hidden, whatever it reads like
(``QUIT`` is valid base64: it may be the password)."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]

P = "Feb 23 16:00:{s:02d} mx postfix/smtpd[800]: "
LOGIN = [
    "connect from unknown[203.0.113.80]",
    "Read 23 chars: EHLO [203.0.113.80]??",
    "Read 12 chars: AUTH LOGIN??",
    "Read 26 chars: c2FsZXNAZXhhbXBsZS5jb20=??",
    "Read 18 chars: U3VtbWVyMjAyNCE=??",
    "Read 31 chars: MAIL FROM:<sales@example.com>??",
    "Read 6 chars: QUIT??",
    "disconnect from unknown[203.0.113.80]",
]


def _explained(run: Runner, log_file: LogFile, lines: list[str]) -> str:
    text = "".join(P.format(s=n) + line + "\n" for n, line in enumerate(lines))
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    return out


def _note(out: str, ending: str) -> str:
    """The shown line that ends in ``ending`` and its note, whitespace folded."""
    lines = out.splitlines()
    for n, line in enumerate(lines):
        if line.endswith(ending):
            note = []
            for following in lines[n + 1 :]:
                if not following.startswith("         "):
                    break
                note.append(following)
            return " ".join(" ".join([line, *note]).split())
    raise AssertionError(f"no line ends in {ending!r}:\n{out}")


def test_commands_after_the_two_login_steps_are_commands(run: Runner, log_file: LogFile) -> None:
    out = _explained(run, log_file, LOGIN)
    mail = _note(out, "Read 31 chars: MAIL FROM:<sales@example.com>??")
    assert "The client sends the command MAIL." in mail
    assert "login" not in mail
    quit_ = _note(out, "Read 6 chars: QUIT??")
    assert "The client says goodbye (QUIT)." in quit_
    assert "password" not in quit_
    # The two steps themselves are still told, and hidden.
    assert "The client answers the user name prompt: “sales@example.com”." in " ".join(out.split())
    assert "U3VtbWVyMjAyNCE=" not in out


def test_a_command_word_before_the_password_stays_hidden(run: Runner, log_file: LogFile) -> None:
    # "QUIT" where the password is due: Postfix decodes it as the password.
    lines = [*LOGIN[:4], "Read 6 chars: QUIT??", LOGIN[-1]]
    out = _explained(run, log_file, lines)
    assert "Read 6 chars: QUIT??" not in out
    assert "The client says goodbye" not in out


def test_plain_has_one_step(run: Runner, log_file: LogFile) -> None:
    lines = [
        "connect from unknown[203.0.113.81]",
        "Read 12 chars: AUTH PLAIN??",
        "Read 38 chars: AHNhbGVzQGV4YW1wbGUuY29tAFN1bW1lcjI=??",
        "Read 6 chars: QUIT??",
        "disconnect from unknown[203.0.113.81]",
    ]
    out = _explained(run, log_file, lines)
    assert "The client says goodbye (QUIT)." in _note(out, "Read 6 chars: QUIT??")
    assert "AHNhbGVzQGV4YW1wbGUuY29tAFN1bW1lcjI=" not in out
