"""Which accounts exist, and which names only bots try.

``--users FILE`` (or ``policy.users_file``) lists the real accounts: one name per line,
or a Dovecot passwd-file (``user:{SCHEME}hash:uid:gid:…``: the part before the first
``:`` is the name). Blank lines and ``#`` comments are skipped.

Names are compared case-insensitively. A name without a domain matches an account with
one by its local part (``alice`` matches ``alice@example.com``) and the other way round,
because Dovecot's ``auth_username_format`` and default realm make both work for a login.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from mailwarden.errors import InputError
from mailwarden.locale import _
from mailwarden.locale.system import os_reason

CUT = "…"
"""Ends an account name that was cut: by the log (Postfix's TLS dump keeps 40 bytes of
an AUTH line) or by :func:`clip_name`. Every output marks a cut name with it."""
MAX_NAME = 256
"""The longest username the detector keeps (an address is at most 254 characters, RFC
5321). A longer one is cut by :func:`clip_name`: its tables are capped in entries, and a
client must not fill each entry with a name of the log's whole line length."""


def clip_name(user: str) -> str:
    """``user`` as the detector keeps it: at most :data:`MAX_NAME` characters, a cut one
    ending in ``…``."""
    return user if len(user) <= MAX_NAME else user[: MAX_NAME - 1] + CUT


def account_key(user: str) -> str:
    """The name as accounts are compared: trimmed and case-folded."""
    return user.strip().casefold()


def local_part(key: str) -> str:
    return key.rpartition("@")[0] if "@" in key else key


def same_account(a: str, b: str) -> bool:
    """Whether two names (:func:`account_key`) are one account: equal, or one without a
    domain and the other's local part (``alice`` and ``alice@example.com``, as
    :meth:`Accounts.exists` compares them). Two domains must be the same:
    alice@a.example and alice@b.example are two people."""
    if a == b:
        return True
    if "@" in a:
        return "@" not in b and a.rpartition("@")[0] == b
    return "@" in b and b.rpartition("@")[0] == a


TYPO_DISTANCE = 2
"""The most single-character edits (a transposition is one) that make a name a typo of
another (:func:`typo_of`), for names of :data:`TYPO_LONG_NAME` characters or more; one
for shorter names (``bob`` and ``rob`` are one edit apart, not two)."""
TYPO_LONG_NAME = 8


def typo_of(tried: str, key: str) -> bool:
    """Whether ``tried`` (a name a login failed with) is ``key`` mistyped: another form
    of the same account (:func:`same_account`), or its local part a character off (two
    for local parts of :data:`TYPO_LONG_NAME` characters or more: ``mai`` for ``mia``)
    at the same domain, or without a domain on one side. At two domains only the same
    local part with the domain a character off (emma@exmaple.com for emma@example.com;
    never a one-letter label: alice@a.example and alice@b.example are two people)."""
    if same_account(tried, key):
        return True
    tried_local, _, tried_domain = tried.rpartition("@") if "@" in tried else (tried, "", "")
    key_local, _, key_domain = key.rpartition("@") if "@" in key else (key, "", "")
    if tried_domain and key_domain and tried_domain != key_domain:
        return tried_local == key_local and _domain_typo(tried_domain, key_domain)
    shortest = min(len(tried_local), len(key_local))
    if shortest < 3:
        return False
    most = TYPO_DISTANCE if shortest >= TYPO_LONG_NAME else 1
    return _edits(tried_local, key_local, most) <= most


def _domain_typo(tried: str, domain: str) -> bool:
    """Whether domain ``tried`` is ``domain`` a character off, their first labels of
    three characters or more (a.example and b.example are two domains)."""
    shortest = min(len(tried.partition(".")[0]), len(domain.partition(".")[0]))
    return shortest >= 3 and _edits(tried, domain, 1) <= 1


def _edits(a: str, b: str, most: int) -> int:
    """The optimal string alignment distance of ``a`` and ``b`` (insertions, deletions,
    substitutions, transpositions of neighbours), or ``most + 1`` once it is certainly
    more than ``most``."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            best = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if (
                before is not None
                and j > 1
                and a[i - 1] == b[j - 2]
                and a[i - 2] == b[j - 1]
                and before[j - 2] + 1 < best
            ):
                best = before[j - 2] + 1
            row[j] = best
        if min(row) > most:
            return most + 1
        before, previous = previous, row
    return previous[-1]


class Accounts:
    """The set of real accounts."""

    __slots__ = ("_forms", "_full", "_local", "source")

    def __init__(self, names: Iterable[str], source: str = "") -> None:
        self.source = source
        self._full = {account_key(n) for n in names if n.strip()}
        self._local = {local_part(k) for k in self._full}
        self._forms: dict[str, set[str]] | None = None

    def __len__(self) -> int:
        return len(self._full)

    def same(self, other: Accounts | None) -> bool:
        """Whether ``other`` lists the same accounts (a reload that read the file again)."""
        return other is not None and self._full == other._full

    def exists(self, user: str) -> bool:
        key = account_key(user)
        if key in self._full:
            return True
        if "@" in key:
            return local_part(key) in self._full
        return key in self._local

    def domains(self, local: str) -> set[str]:
        """The full names listed with local part ``local`` (worked out once, when first
        asked: the rare case of a login without a domain)."""
        forms = self._forms
        if forms is None:
            forms = self._forms = {}
            for name in self._full:
                if "@" in name:
                    forms.setdefault(local_part(name), set()).add(name)
        return forms.get(local, set())


MAX_ACCOUNTS = 2_000_000
"""The most names a list of accounts may hold (a few hundred MB in memory): more is refused,
not read into memory to the end (``--users /dev/zero``)."""
MAX_ACCOUNT_LINE = 64 << 10
"""The longest line of a list of accounts or passwd-file (a hash and its fields are a
few hundred bytes); a longer one means another kind of file."""


_LOG_LINE = re.compile(
    r"(?:[A-Z][a-z]{2} [ 0-3]?\d \d\d:\d\d:\d\d"  # Feb 22 06:25:01 (RFC 3164)
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d)"  # 2026-02-22T06:25:01+00:00 (RFC 5424, ISO)
)
"""The start of a log line: a syslog or ISO time stamp. No account name nor passwd-file
entry starts so (``2026-02-22T06`` would be its name)."""


def _name_of(line: str) -> str:
    """The name a line of a list of accounts or passwd-file gives: up to its first ``:``
    and, past that, its first field separated by white space, so a map (``alice@example.org
    example.org/alice/``) or a comment after the name (``bob@example.org  # on leave``)
    gives the name; a quoted local part keeps its spaces (``"eve smith"@example.org``)."""
    name = line.split(":", 1)[0].strip()
    if not any(c.isspace() for c in name):
        return name
    start = 0
    if name.startswith('"'):
        end = name.find('"', 1)
        start = end + 1 if end > 0 else 0
    field = name[start:].split(None, 1)
    return name[:start] + (field[0] if field and not name[start:][:1].isspace() else "")


def _logged(line: str) -> bool:
    """Whether ``line`` reads as a log line of a format :data:`_LOG_LINE` does not know
    (``journalctl -o short-full``, ``short-unix``, RFC 5424 with its priority, a line
    with no time): words before its first ``:`` (a time, a host, a program), where a list
    of accounts or a passwd-file has one name; a comment after a name (``bob  # on
    leave: back in May``) and a quoted local part (``"eve smith"@example.org:``) aside."""
    head, colon, _rest = line.partition(":")
    words = head.split()
    return bool(colon) and len(words) >= 2 and words[0][:1] != '"' and words[1][:1] != "#"


def _not_accounts(name: str, line: str) -> str | None:
    """Why ``line`` (its name ``name``) is no line of a list of accounts or passwd-file:
    a log line (``--users mail.log`` names a log where the list of accounts was meant)
    or a name over :data:`MAX_NAME` characters; None for a name."""
    if _LOG_LINE.match(line) or _logged(line):
        return _(
            "{path}: line {line}: a log line: not a list of accounts"
            " (one name per line) or a Dovecot passwd-file"
        )
    if len(name) > MAX_NAME:
        return _(
            "{path}: line {line}: a name over 256 characters: not a list of accounts"
            " (one name per line) or a Dovecot passwd-file"
        )
    return None


def load_accounts(path: str | Path) -> Accounts:
    """Read a list of accounts or a Dovecot passwd-file, line by line; :class:`InputError`
    (one line) if it cannot be read or is not one: binary, a line over
    `MAX_ACCOUNT_LINE`, a log line, a name over `MAX_NAME` characters, more than
    `MAX_ACCOUNTS` names (so at most about 512 MB of names are
    held). A pipe is read (``--users <(getent passwd | cut -d: -f1)``)."""
    names: list[str] = []
    try:
        with open(path, "rb") as stream:
            for number, raw in enumerate(iter(lambda: stream.readline(MAX_ACCOUNT_LINE + 1), b"")):
                if b"\0" in raw or (len(raw) > MAX_ACCOUNT_LINE and not raw.endswith(b"\n")):
                    if b"\0" in raw:
                        message = _(
                            "{path}: line {line}: binary data: not a list of accounts"
                            " (one name per line) or a Dovecot passwd-file"
                        )
                    else:
                        message = _(
                            "{path}: line {line}: a line over 64 KiB: not a list of accounts"
                            " (one name per line) or a Dovecot passwd-file"
                        )
                    raise InputError(message.format(path=path, line=f"{number + 1:,}"))
                line = raw.decode("utf-8", "replace")
                line = (line.removeprefix("\ufeff") if number == 0 else line).strip()
                if not line or line.startswith("#"):
                    continue
                if len(names) >= MAX_ACCOUNTS:
                    raise InputError(
                        _(
                            "{path}: more than {n} accounts: too many to hold;"
                            " list those of the domains under attack"
                        ).format(path=path, n=f"{MAX_ACCOUNTS:,}")
                    )
                name = _name_of(line)
                problem = _not_accounts(name, line)
                if problem is not None:
                    raise InputError(problem.format(path=path, line=f"{number + 1:,}"))
                names.append(name)
    except OSError as exc:
        raise InputError(
            _("{path}: cannot read the list of accounts: {reason}").format(
                path=path, reason=os_reason(exc)
            )
        ) from None
    return Accounts(names, str(path))
