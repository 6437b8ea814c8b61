"""The detector's own sentences in the active language, for the text report.

The detect stage writes its reasons in English (``logged in as sales@example.com after
9 failed logins from this client (bruteforce)``): they are data too, in the JSON and the
daemon's log, which stay English. The text report shows some of them; in another
language :func:`reason` matches each against a small set of patterns and writes the
translated template with the pieces it found (an address, a count, a username: inserted
as values, never read as a template). A sentence no pattern knows stays English. The
detector's fixed sentences (what to do after a break-in, the fix of a server finding)
are marked with ``N_`` where they are written and translated with :func:`fixed`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailwarden.detect import Verdict
from mailwarden.locale import N_, _, active_language

VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.COMPROMISED: N_("got in"),
    Verdict.BRUTEFORCE: N_("brute force"),
    Verdict.HONEYPOT: N_("honeypot"),
    Verdict.ENUMERATION: N_("enumeration"),
    Verdict.SLOW_BRUTEFORCE: N_("slow brute force"),
    Verdict.SPRAY_MEMBER: N_("spraying"),
    Verdict.NETWORK_MEMBER: N_("network"),
    Verdict.PROBE: N_("probe"),
    Verdict.SCANNER: N_("scanner"),
    Verdict.STALE_PASSWORD: N_("stale password"),
}
"""A verdict in a word or two (English: the msgid; :func:`verdict_label` translates)."""

_Table = Sequence[tuple["re.Pattern[str]", str]]


def _p(pattern: str, msgid: str) -> tuple[re.Pattern[str], str]:
    return re.compile(pattern, re.DOTALL), msgid


_FAILED = r"(?P<n>[\d,]+) failed logins?"

_BURSTS: _Table = (
    _p(
        _FAILED + r" on this account from other clients",
        N_("{n} failed logins on this account from other clients"),
    ),
    _p(
        _FAILED + r" on this account from this client",
        N_("{n} failed logins on this account from this client"),
    ),
    _p(
        _FAILED + r" on this account \((?P<own>[\d,]+) from this client, "
        r"(?P<others>[\d,]+) from other clients\)",
        N_(
            "{n} failed logins on this account ({own} from this client, {others} from "
            "other clients)"
        ),
    ),
    _p(
        _FAILED + r" on this account from this client's network (?P<network>[^ ]+)",
        N_("{n} failed logins on this account from this client's network {network}"),
    ),
    _p(
        _FAILED + r" on this account \((?P<own>[\d,]+) from this client's network "
        r"(?P<network>[^ ]+), (?P<others>[\d,]+) from other clients\)",
        N_(
            "{n} failed logins on this account ({own} from this client's network {network}, "
            "{others} from other clients)"
        ),
    ),
)
"""How many failures came before a login, and whose (``_burst_text`` in detect.rules)."""

_GUESSERS: _Table = (
    _p(
        r"from (?P<ips>[^ ]+(?:, [^ ]+)*) and (?P<more>[\d,]+) more",
        N_("from {ips} and {more} more"),
    ),
    _p(r"from (?P<ips>[^ ]+(?:, [^ ]+)*)", N_("from {ips}")),
)
"""The other clients that had guessed the account (``_guessers`` in detect.rules)."""

_WHY: _Table = (
    _p(r"loopback", N_("loopback")),
    _p(r"this server's own address", N_("this server's own address")),
    _p(r"in the allow list \((?P<network>[^ ]+)\)", N_("in the allow list ({network})")),
    _p(r"allow-listed", N_("allow-listed")),
    _p(r"someone logged in from this network", N_("someone logged in from this network")),
    _p(
        r"(?P<ip>[^ ]+) logged in from it as (?P<user>.+), an account (?P<n>[\d,]+) other "
        r"addresse?s? of it had tried: ask the owner whether that was them",
        N_(
            "{ip} logged in from it as {user}, an account {n} other addresses of it had "
            "tried: ask the owner whether that was them"
        ),
    ),
)
"""Why a client is never banned (``Attacker.reasons``, after ``not banned: ``)."""

_REASONS: _Table = (
    _p(
        r"logged in as (?P<user>.+) after "
        + _FAILED
        + r" from this client \((?P<verdict>[a-z_]+)\)",
        N_("logged in as {user} after {n} failed logins from this client ({verdict})"),
    ),
    _p(
        r"logged in \(the log does not say as whom\) after "
        + _FAILED
        + r" from this client \((?P<verdict>[a-z_]+)\)",
        N_(
            "logged in (the log does not say as whom) after {n} failed logins from this "
            "client ({verdict})"
        ),
    ),
    _p(
        r"logged in as (?P<user>.+) right after "
        r"(?P<burst>[\d,]+ failed logins? on this account .+?)"
        r" within (?P<window>[^ ]+) \((?P<guessers>from .+)\)",
        N_("logged in as {user} right after {burst} within {window} ({guessers})"),
    ),
    _p(
        r"logged in as (?P<user>.+) right after "
        r"(?P<burst>[\d,]+ failed logins? on this account .+?)"
        r" within (?P<window>[^ ]+)",
        N_("logged in as {user} right after {burst} within {window}"),
    ),
    _p(
        r"logged in as (?P<user>.+) after " + _FAILED + r" on it, while spraying campaign "
        r"(?P<campaign>[\d,]+) was guessing this account \((?P<guessers>from .+)\)",
        N_(
            "logged in as {user} after {n} failed logins on it, while spraying campaign "
            "{campaign} was guessing this account ({guessers})"
        ),
    ),
    _p(
        r"logged in as (?P<user>.+) after " + _FAILED + r" on it, while other clients were "
        r"guessing this account \((?P<guessers>from .+)\)",
        N_(
            "logged in as {user} after {n} failed logins on it, while other clients were "
            "guessing this account ({guessers})"
        ),
    ),
    _p(
        r"(?P<n>[\d,]+) or more failed logins within (?P<window>[^ ]+)",
        N_("{n} or more failed logins within {window}"),
    ),
    _p(
        r"(?P<n>[\d,]+) distinct usernames within (?P<window>[^ ]+)",
        N_("{n} distinct usernames within {window}"),
    ),
    _p(
        r"The login came from (?P<ip>[^ ]+|an address), (?P<why>.+): it is never banned\. Find "
        r"the machine or program there that logged in \(a webmail, proxy or relay passes on "
        r"its users' logins\) and audit other accounts tried from it\.",
        N_(
            "The login came from {ip}, {why}: it is never banned. Find the machine or program "
            "there that logged in (a webmail, proxy or relay passes on its users' logins) and "
            "audit other accounts tried from it."
        ),
    ),
    _p(
        r"more than (?P<cap>[\d,]+) clients at once: the state of (?P<n>[\d,]+) idle clients "
        r"was forgotten \(policy\.max_clients\)",
        N_(
            "more than {cap} clients at once: the state of {n} idle clients was forgotten "
            "(policy.max_clients)"
        ),
    ),
    _p(
        r"(?P<n>[\d,]+) hostile clients beyond the cap are counted in their networks only",
        N_("{n} hostile clients beyond the cap are counted in their networks only"),
    ),
    _p(
        r"more than (?P<cap>[\d,]+) sessions open at once: (?P<n>[\d,]+) of them were closed "
        r"early \(policy\.max_clients\)",
        N_(
            "more than {cap} sessions open at once: {n} of them were closed early "
            "(policy.max_clients)"
        ),
    ),
    _p(
        r"(?P<n>[\d,]+) failed logins named no client address",
        N_("{n} failed logins named no client address"),
    ),
)
"""The detector's sentences that the text report shows: a break-in's reason, the advice
for a login from a never-banned address, the analysis's notes."""

_VERDICT_VALUES = frozenset(v.value for v in Verdict)
_NESTED: dict[str, _Table] = {"burst": _BURSTS, "guessers": _GUESSERS, "why": _WHY}


MAYBE_GOT_IN = N_("maybe got in")
"""The label of a compromise the owner must confirm (``Attacker.unsure``)."""


def verdict_label(verdict: Verdict, unsure: bool = False) -> str:
    """``brute force`` (English), ``暴力破解`` (Chinese); ``maybe got in`` for a
    compromise the owner must confirm (``unsure``)."""
    if unsure and verdict is Verdict.COMPROMISED:
        return _(MAYBE_GOT_IN)
    return _(VERDICT_LABELS[verdict])


def _translated(text: str, table: _Table) -> str | None:
    for pattern, msgid in table:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values: dict[str, str] = {}
        for name, value in match.groupdict().items():
            if value is None:
                values[name] = ""
            elif name in _NESTED:
                values[name] = _translated(value, _NESTED[name]) or value
            elif name == "verdict" and value in _VERDICT_VALUES:
                values[name] = verdict_label(Verdict(value))
            elif name == "ip" and value == "an address":
                values[name] = _("an address")
            else:
                values[name] = value
        return _(msgid).format(**values)
    return None


def reason(text: str) -> str:
    """One of the detector's sentences (:data:`_REASONS`) in the active language; as it
    is when the language is English or no pattern knows it."""
    if active_language() == "en":
        return text
    return _translated(text, _REASONS) or text


def not_banned(text: str) -> str:
    """Why a client is never banned (``loopback``, ``in the allow list (…)``)."""
    if active_language() == "en":
        return text
    return _translated(text, _WHY) or text


def fixed(text: str) -> str:
    """One of the detector's fixed sentences (marked ``N_`` where it is written)."""
    return _(text) if text else text


__all__ = ["VERDICT_LABELS", "fixed", "not_banned", "reason", "verdict_label"]
