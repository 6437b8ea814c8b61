"""Account lists in the verdict are in natural order (user2 before user10), the same in
the headline and in the steps: “user10 … user17 and 16 more” left out user1 to user9."""

from __future__ import annotations

from collections.abc import Callable

from clirunner import Runner

LogFile = Callable[[str], str]


def _log(order: list[int]) -> str:
    lines: list[str] = []
    for n, user in enumerate(order):
        pid, second = 9000 + n, n + 1
        client = f"unknown[2001:db8:77:1::{n // 2 + 1:x}]"
        p = f"Feb 23 15:00:{second:02d} mail postfix/smtpd[{pid}]: "
        lines += [
            f"{p}connect from {client}",
            f"{p}warning: {client}: SASL LOGIN authentication failed: UGFzc3dvcmQ6, "
            f"sasl_username=user{user}@example.com",
            f"{p}disconnect from {client} ehlo=1 auth=0/1 commands=1/2",
        ]
    return "\n".join(lines) + "\n"


def test_the_targeted_accounts_start_at_user1(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(_log(list(range(1, 25)))))
    assert code == 0, err
    text = " ".join(out.split())
    expected = ", ".join(f"“user{n}@example.com”" for n in range(1, 9))
    assert f"Make sure the targeted accounts ({expected} and 16 more)" in text


def test_a_client_s_accounts_are_in_the_same_order(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(_log([10, 2])))
    assert code == 0, err
    text = " ".join(out.split())
    assert "tried to log in as “user2@example.com”, “user10@example.com”" in text
    assert "targeted accounts (“user2@example.com”, “user10@example.com”)" in text


def test_an_account_name_of_thousands_of_digits_is_listed(run: Runner, log_file: LogFile) -> None:
    """A digit run is compared by its length and digits, never made an int: 4,400 digits
    (past Python's 4,300-digit limit) stopped explain with a traceback."""
    p = "mx postfix/submission/smtpd[1201]: warning: unknown[203.0.113.7]: SASL LOGIN "
    p += "authentication failed: UGFzc3dvcmQ6, sasl_username="
    text = f"Nov 30 08:00:00 {p}{'9' * 4400}\nNov 30 08:00:01 {p}alice\n"
    code, out, err = run("explain", log_file(text))
    assert code == 0, err
    assert "Traceback" not in err
    assert "“alice”" in out


def test_leading_zeros_do_not_make_a_number_larger(run: Runner, log_file: LogFile) -> None:
    code, out, err = run("explain", log_file(_log([10, 9, 2]).replace("user10@", "user010@")))
    assert code == 0, err
    text = " ".join(out.split())
    assert "“user2@example.com”, “user9@example.com”, “user010@example.com”" in text
