"""The verdict: is someone attacking, who, how, did they get in, what the log gives away
about the server, and what to do, most important first.

Everything is written from :class:`~mailwarden.explain.facts.ExcerptFacts`, so the same
code answers for any excerpt: one bot's single guess, a brute force that got in, a
Dovecot IMAP attack or a clean log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from ipaddress import ip_address, ip_network

from mailwarden.detect.accounts import CUT, account_key, same_account
from mailwarden.detect.analysis import BAN, NEVER_BANNED, Compromise, Verdict
from mailwarden.detect.pieces import after_piece
from mailwarden.detect.server import WEAK_TLS_FIXES, either, or_parameters, port_465_service
from mailwarden.explain.document import Block, Command, Heading, Item, Paragraph
from mailwarden.explain.entries import (
    clipped,
    credential_text,
    is_bot_greeting,
    password_is_real,
    quoted,
)
from mailwarden.explain.facts import ClientFacts, ExcerptFacts, line_kind
from mailwarden.explain.tls import cipher_weakness
from mailwarden.locale import N_, _, ngettext
from mailwarden.model import Event, EventType, Finding, IPNetwork, address_key
from mailwarden.parsers.dovecot import accepted_only
from mailwarden.parsers.sasl import escape_text

MAX_CLIENTS = 10
Step = list[str | Command]
"""A step of the advice: sentences, and commands to paste, each shown on a line of its
own (:class:`~mailwarden.explain.document.Command`)."""
MAX_OF_A_KIND = 5
"""Findings across clients of one kind told one by one (spraying campaigns, networks)."""
MAX_CREDENTIALS = 5
MAX_ACCOUNTS = 8

_MONTHS = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)

_SERVICES = {
    "smtp": N_(
        "the smtp service (port 25, unless submission on 587 was set up without its own "
        "syslog_name)"
    ),
    "submission": N_("submission on port 587"),
    "submissions": N_("submissions on port 465"),
    "smtps": N_("submissions on port 465"),
    "imap": N_("IMAP"),
    "pop3": N_("POP3"),
    "managesieve": N_("ManageSieve"),
    "postscreen": N_("postscreen on port 25"),
}

_VERDICTS: dict[Verdict, str] = {
    Verdict.COMPROMISED: N_("It guessed a password and logged in."),
    Verdict.BRUTEFORCE: N_("It is guessing passwords fast: a brute-force attack."),
    Verdict.HONEYPOT: N_(
        "It tried a decoy account that no real user has (a honeypot): a sure sign of an attack."
    ),
    Verdict.ENUMERATION: N_(
        "It tries many different user names, to find accounts that exist or have weak "
        "passwords (enumeration)."
    ),
    Verdict.SLOW_BRUTEFORCE: N_(
        "It guesses slowly, a few times an hour, to stay under rate limits such as fail2ban's."
    ),
    Verdict.SPRAY_MEMBER: N_(
        "It is one of many addresses trying the same accounts: password spraying by a botnet."
    ),
    Verdict.NETWORK_MEMBER: N_("It is one of several addresses of one network attacking together."),
    Verdict.PROBE: N_(
        "One guess or a few at accounts that bots always try, or that do not exist: an "
        "automated probe."
    ),
    Verdict.SCANNER: N_(
        "It did not try to log in but broke SMTP rules (relay attempts, non-SMTP commands): "
        "a scanner."
    ),
}


_VIOLATIONS: dict[str, str] = {
    "pregreet": N_("talked before the server's greeting (PREGREET)"),
    "non_smtp": N_("sent commands that are not SMTP"),
    "pipelining": N_("sent commands without waiting for the replies"),
    "bare_newline": N_("ended lines with a bare newline"),
    "limits": N_("went over postscreen's command limits"),
    "hangup": N_("hung up in the middle of postscreen's tests"),
    "denylisted": N_("is on this server's own postscreen deny list"),
    "dnsbl": N_("is on a DNS blocklist"),
    "relay": N_("tried to relay mail through the server"),
    "rejected": N_("was refused by the server's restrictions"),
    "rate": N_("hit the server's rate limits"),
    "other": N_("failed one of postscreen's tests"),
}
"""What a client did, by :func:`~mailwarden.explain.facts.violation_kind`: said of it
(“It did not try to log in but …”)."""


def _violations(kinds: Iterable[str]) -> str:
    """A client's violations in words, joined (“talked before the server's greeting
    (PREGREET) and is on a DNS blocklist”)."""
    said = [_(_VIOLATIONS[k]) for k in kinds if k in _VIOLATIONS]
    if len(said) < 2:
        return "".join(said)
    return _("{items} and {last}").format(items=_(", ").join(said[:-1]), last=said[-1])


def when(moment: datetime | None) -> str:
    """``Feb 23 11:57:42`` (English) / ``2月23日 11:57:42`` (Chinese): the log's own
    precision, without a year that the log may not have."""
    if moment is None:
        return "?"
    return _("{month} {day} {time}").format(
        month=_(_MONTHS[moment.month - 1]),
        day=moment.day,
        time=moment.strftime("%H:%M:%S"),
    )


def _span(first: datetime | None, last: datetime | None) -> str:
    if first is None:
        return ""
    if last is None or last == first:
        return when(first)
    if last.date() == first.date():
        return f"{when(first)}–{last.strftime('%H:%M:%S')}"
    return f"{when(first)} – {when(last)}"


def _count(n: int) -> str:
    """A count as the verdict says it, with a thousands separator (“4,990”), as the
    excerpt's “…37,602 more entries” above it. ngettext still chooses by the int."""
    return f"{n:,}"


_DIGITS = re.compile(r"([0-9]+)")


def _natural(name: str) -> tuple[list[str | tuple[int, str]], str]:
    """An account name as a person sorts it: case-folded, its runs of digits by their
    value (user2 before user10), then the name itself for names that only those differ
    in. A run's value is compared as (its length without leading zeros, those digits),
    never converted with ``int()``: the name is the attacker's, and Python refuses to
    convert more than 4,300 digits (explain stopped with a traceback)."""
    folded = name.casefold()
    parts: list[str | tuple[int, str]] = []
    for index, part in enumerate(_DIGITS.split(folded)):
        if index % 2:
            digits = part.lstrip("0")
            parts.append((len(digits), digits))
        else:
            parts.append(part)
    return parts, folded


def _listing(items: list[str], limit: int = MAX_ACCOUNTS) -> str:
    shown = items[:limit]
    text = _(", ").join(shown)
    if len(items) > limit:
        text += " " + _("and {n} more").format(n=_count(len(items) - limit))
    return text


def _service_names(client: ClientFacts) -> str:
    names = [_(_SERVICES[s]) if s in _SERVICES else escape_text(s) for s in client.services]
    return _(", ").join(names) if names else _("the mail server")


# -- the answer to "is someone attacking?" ----------------------------------------------


def _headline(facts: ExcerptFacts) -> list[Block]:
    blocks: list[Block] = [Heading(_("Is someone trying to break into your mail accounts?"), 2)]
    attackers = facts.attackers
    benign = _owners(facts) or [c for c in facts.clients if c.stale_password]
    if not attackers and benign:
        if any(c.owner_by_time for c in benign):
            text = _(
                "Most likely not. The failed logins in these lines come from addresses "
                "that also log in successfully: most likely a user mistyping, or a device "
                "with an old password. The lines are not in time order: mailwarden's "
                "detector, which reads them in the order given, counts a break-in where by "
                "the time stamps the login came before the failures (details below)."
            )
        elif any(_misspelt_device(c) is not None for c in benign):
            text = _(
                "Most likely not. The failed logins in these lines come from addresses "
                "that also log in successfully: most likely a device set up with a "
                "misspelt user name, a user mistyping, or a device with an old password; "
                "mailwarden's detector does not count them as an attack either (details "
                "below)."
            )
        else:
            text = _(
                "Most likely not. The failed logins in these lines come from addresses "
                "that also log in successfully: most likely a user mistyping, or a "
                "device with an old password; mailwarden's detector does not count them "
                "as an attack either (details below)."
            )
        blocks.append(Paragraph(text, 2))
        return blocks
    if attackers and not any(client.tried_to_log_in for client in attackers):
        return blocks + _no_guessing(facts)
    if not attackers:
        text = _("No. Nobody in these lines tried to log in and failed.")
        if facts.logins:
            text += " " + ngettext(
                "There is {n} successful login.", "There are {n} successful logins.", facts.logins
            ).format(n=_count(facts.logins))
        if facts.outside:
            text += " " + ngettext(
                "These lines show {n} client outside any mail session (postscreen's checks, "
                "for example): it never reached the point of logging in.",
                "These lines show {n} clients outside any mail session (postscreen's checks, "
                "for example): none of them reached the point of logging in.",
                facts.outside,
            ).format(n=_count(facts.outside))
        elif not facts.sessions:
            text += " " + _("These lines contain no client connection at all.")
        blocks.append(Paragraph(text, 2))
        return blocks
    # The answer on guessing comes from the clients that tried to log in; a scanner
    # beside them (postscreen's checks, non-SMTP commands) guessed nothing and is named
    # after it, so that one typo next to a scanner is not called password guessing.
    guessing = [c for c in attackers if c.tried_to_log_in or c.succeeded]
    compromised = [c for c in guessing if c.succeeded]
    if compromised and all(_others_guessed(c) for c in compromised):
        text = _(
            "Maybe. An account was logged into from one address right after another "
            "address's failed logins as it: the password guessed there and used from "
            "here (botnets split the work so), or its owner logging in. Ask the owner "
            "(details below)."
        )
    elif compromised and all(c.unsure and c.doubted for c in compromised):
        text = _(
            "Maybe. A login followed failed ones, but its address kept failing as that "
            "account after it, as the owner's phone or mail program with an old password "
            "does: ask the owner whether that device is theirs (details below)."
        )
    elif compromised and all(c.unsure for c in compromised):
        text = _(
            "Maybe. A login followed failed ones, which looks the same whether a guess "
            "worked or the owner mistyped: ask the owner whether it was them (details "
            "below)."
        )
    elif compromised:
        text = _("Yes, and at least one attacker got in.")
    elif all(_too_few(client) for client in guessing) and any(
        _bot_signs(client) for client in guessing
    ):
        # analyze: "No attack found: too few to tell guessing from a typo"
        failed = sum(_attempts(client) for client in guessing)
        text = (
            _(
                "Not clearly. These lines show {n} failed logins and nothing more. The "
                "client behaves like a bot (details below), but mailwarden's detector does "
                "not count so few failures as an attack (too few failures; “mailwarden "
                "analyze” reports no attack either). More failures from the same address "
                "would settle it: check the rest of the log."
            )
            if len(guessing) == 1 and failed > 1
            else ngettext(
                "Not clearly. These lines show {n} failed login and nothing more. The client "
                "behaves like a bot (details below), but mailwarden's detector does not count "
                "one failure as an attack (too few failures; “mailwarden analyze” reports no "
                "attack either). More failures from the same address would settle it: check "
                "the rest of the log.",
                "Not clearly. These lines show {n} failed logins and nothing more. The clients "
                "behave like bots (details below), but mailwarden's detector does not count so "
                "few failures as an attack (too few failures; “mailwarden analyze” reports no "
                "attack either). More failures from the same addresses would settle it: check "
                "the rest of the log.",
                failed,
            )
        ).format(n=_count(failed))
    elif all(_unjudged(client) for client in guessing):
        failed = sum(_attempts(client) for client in guessing)
        text = ngettext(
            "Not clearly. These lines show {n} failed login and nothing more. A failure "
            "alone reads the same whether a person mistyped a password or a bot made its "
            "first guess, and mailwarden's detector does not count it as an attack (too few "
            "failures). More failures from the same address would settle it: check the rest "
            "of the log (“mailwarden analyze”).",
            "Not clearly. These lines show {n} failed logins and nothing more. A few "
            "failures alone read the same whether a person mistyped a password or a bot "
            "made its first guesses, and mailwarden's detector does not count them as an "
            "attack (too few failures). More failures from the same addresses would settle "
            "it: check the rest of the log (“mailwarden analyze”).",
            failed,
        ).format(n=_count(failed))
    elif any(client.someone_else for client in guessing):
        text = _(
            "Yes. Someone is trying to guess passwords; no guess worked, as far as these "
            "lines show. A login from a guessing address was as an account it did not "
            "try: someone else behind that address, as mailwarden's detector judges it "
            "(details below)."
        )
    elif any(client.login_read_first for client in guessing):
        text = _(
            "Yes. Someone is trying to guess passwords. mailwarden's detector counts no "
            "break-in: a login from a guessing address is stamped after its failed logins "
            "but comes before them in these lines, which the detector reads in the order "
            "given. Ask the account's owner whether the login was theirs (details below)."
        )
    elif _none_got_in(attackers) and _unguessed_logins(facts, attackers):
        text = _(
            "Yes. Someone is trying to guess passwords; none of the guessing addresses got in."
        )
    elif _none_got_in(attackers):
        text = _("Yes. Someone is trying to guess passwords; nobody got in.")
    elif any(client.logged_in_first for client in guessing):  # a login, then guessing
        text = ngettext(
            "Yes. Someone is trying to guess passwords; these lines show no successful "
            "login by the guessing address after its failed logins.",
            "Yes. Someone is trying to guess passwords; these lines show no successful "
            "login by the guessing addresses after their failed logins.",
            len(guessing),
        )
    elif _logins_shown(facts):  # someone else's login: not denied
        text = ngettext(
            "Yes. Someone is trying to guess passwords; these lines show no successful "
            "login by the guessing address.",
            "Yes. Someone is trying to guess passwords; these lines show no successful "
            "login by the guessing addresses.",
            len(guessing),
        )
    else:
        text = _("Yes. Someone is trying to guess passwords; these lines show no successful login.")
    logins = [] if compromised else _unguessed_logins(facts, attackers)
    if logins:
        text += " " + _unguessed_text(logins)
    others = _other_violators(facts)
    trying = {id(c) for c in guessing}  # by identity: comparing dataclasses costs a square
    scanners = [c.ip for c in attackers if id(c) not in trying] + others
    if scanners:
        text += " " + ngettext(
            "Besides, {n} client tripped the server's checks without trying to log in: {ips}.",
            "Besides, {n} clients tripped the server's checks without trying to log in: {ips}.",
            len(scanners),
        ).format(n=_count(len(scanners)), ips=_listing(scanners, 5))
    blocks.append(Paragraph(text, 2))
    for client in attackers[:MAX_CLIENTS]:  # the others are named in the text only
        blocks.append(Item("•", _summary(client), 4))
    if len(attackers) > MAX_CLIENTS:
        blocks.append(
            Paragraph(
                _("…and {n} more addresses.").format(n=_count(len(attackers) - MAX_CLIENTS)), 4
            )
        )
    return blocks


def _other_violators(facts: ExcerptFacts) -> list[str]:
    """The addresses that tripped the server's checks (:attr:`ExcerptFacts.violators`)
    that are neither hostile clients nor clients that tried to log in: too little for
    the detector to call them attackers."""
    hostile = {c.ip for c in facts.attackers}
    tried = {c.ip for c in facts.clients if c.tried_to_log_in or c.succeeded_as or c.success_events}
    return sorted(
        (ip for ip in facts.violators if ip not in hostile and ip not in tried), key=address_key
    )


def _violator_item(facts: ExcerptFacts, ip: str) -> Item:
    what = _violations(facts.violators[ip])
    return Item(
        "•",
        _(
            "{ip}: no login attempt; it {what}. Too little for mailwarden's detector to "
            "count it as an attack."
        ).format(ip=ip, what=what),
        4,
    )


def _no_guessing(facts: ExcerptFacts) -> list[Block]:
    """The answer when the hostile clients only broke SMTP rules or tripped the
    server's checks, and nobody tried to log in: no guessing, and who tripped what."""
    hostile = [c.ip for c in facts.attackers]
    tried = {c.ip for c in facts.clients if c.tried_to_log_in or c.succeeded_as or c.success_events}
    others = _other_violators(facts)
    named = hostile + others
    if tried or facts.logins:
        text = _("No password guessing in these lines: the hostile clients did not try to log in.")
    else:
        text = _("No password guessing in these lines: no client tried to log in.")
    text += " " + ngettext(
        "{n} client tripped the server's checks instead: {ips}.",
        "{n} clients tripped the server's checks instead: {ips}.",
        len(named),
    ).format(n=_count(len(named)), ips=_listing(named, 5))
    if facts.logins:
        text += " " + ngettext(
            "There is {n} successful login.", "There are {n} successful logins.", facts.logins
        ).format(n=_count(facts.logins))
    blocks: list[Block] = [Paragraph(text, 2)]
    for client in facts.attackers[:MAX_CLIENTS]:
        blocks.append(Item("•", _summary(client), 4))
    for ip in others[: max(0, MAX_CLIENTS - len(hostile))]:
        blocks.append(_violator_item(facts, ip))
    if len(named) > MAX_CLIENTS:
        blocks.append(
            Paragraph(_("…and {n} more addresses.").format(n=_count(len(named) - MAX_CLIENTS)), 4)
        )
    return blocks


SEVERAL_ACCOUNTS = 3
"""An address that logged in as this many accounts or more is shared (an office, a NAT):
:func:`_unguessed_logins` names none of its logins."""


def _unguessed_logins(
    facts: ExcerptFacts, attackers: list[ClientFacts]
) -> list[tuple[str, datetime | None, str]]:
    """Logins as an account the guessing addresses tried, after their first failure on
    it, from an address that made no guess (no failed login) and that the detector calls
    no break-in (outside ``compromise_window``): in an excerpt worth a word, the owner
    being the one to confirm it. (account as shown, when, address): each account's
    first such login, in time order.

    Not an account the guessing tried fewer than ``compromise_failures`` times (the
    detector's threshold for a login after others' guessing): a name on a list, no
    attack on it; nor a login from an address that logged in as
    :data:`SEVERAL_ACCOUNTS` accounts or more, an office's or a provider's shared
    address (a day's log of one: every colleague's login named)."""
    from mailwarden.config import PolicyConfig  # explain's detector: the default policy

    needed = PolicyConfig().compromise_failures
    tried: dict[str, datetime | None] = {}  # account key -> its first failure, if known
    lines: dict[str, int] = {}  # account key -> the failure lines that named it
    for client in attackers:
        for key in client.account_keys:
            times = client.failure_names.get(key)
            first = times[0] if times is not None else None
            lines[key] = lines.get(key, 0) + client.failure_name_lines.get(key, 0)
            known = tried.get(key)
            if known is None or (first is not None and first < known):
                tried[key] = first
    tried = {key: first for key, first in tried.items() if lines.get(key, 0) >= needed}
    if not tried:
        return []
    hostile = {id(client) for client in attackers}
    found: dict[str, tuple[str, datetime | None, str]] = {}
    for client in facts.clients:
        if id(client) in hostile or client.failures or client.failed_attempts:
            continue
        if len({account_key(user) for user in client.succeeded_as if user}) >= SEVERAL_ACCOUNTS:
            continue  # an office's address: its logins are its people's, not one intruder's
        for user in client.succeeded_as:
            if not user:
                continue
            moment = client.login_time(user)
            for key, first in tried.items():
                if same_account(account_key(user), key) and (
                    moment is None or first is None or moment > first
                ):
                    seen = found.get(key)
                    if seen is None or (
                        moment is not None and (seen[1] is None or moment < seen[1])
                    ):
                        found[key] = (quoted(escape_text(user)), moment, client.ip)
                    break
    return sorted(found.values(), key=lambda f: (f[1] is None, f[1] or datetime.min))


def _unguessed_text(logins: list[tuple[str, datetime | None, str]]) -> str:
    """The logins of :func:`_unguessed_logins`, for the owners to confirm."""
    if len(logins) == 1:
        user, moment, ip = logins[0]
        return _(
            "{user} logged in at {time} from {ip}, which made no guess: confirm with the "
            "owner that this was them."
        ).format(user=user, time=when(moment), ip=ip)
    shown = [
        _("{user} at {time} from {ip}").format(user=user, time=when(moment), ip=ip)
        for user, moment, ip in logins
    ]
    return _(
        "Accounts the guessing tried logged in from addresses that made no guess ({logins}): "
        "confirm with their owners that this was them."
    ).format(logins=_listing(shown, 3))


def _none_got_in(attackers: list[ClientFacts]) -> bool:
    """Every hostile client that tried to log in ended each of its connections with a
    summary that counts no login (:attr:`ClientFacts.no_login_for_sure`); a scanner,
    which never tried, leaves nothing to doubt."""
    guessing = [client for client in attackers if client.tried_to_log_in]
    return bool(guessing) and all(client.no_login_for_sure for client in guessing)


def _logins_shown(facts: ExcerptFacts) -> bool:
    """These lines show a successful login, by anyone."""
    return bool(facts.logins) or any(c.succeeded_as or c.success_events for c in facts.clients)


def _attempts(client: ClientFacts) -> int:
    """Its failed attempts, each once: the detector's count when it counted guesses
    (what analyze shows), else the session layer's; decoded AUTH payloads when the
    lines show no failure at all (a dump without the warning line)."""
    if client.attacker is not None and client.attacker.failures:
        return client.attacker.failures
    return client.failed_attempts or len(client.credentials)


def _too_few(client: ClientFacts) -> bool:
    """It failed to log in, too few times for any of the detector's rules (it has no
    judgement of it), and nobody got in from it: analyze reports no attack."""
    return client.attacker is None and not client.succeeded and client.tried_to_log_in


def _unjudged(client: ClientFacts) -> bool:
    """It failed to log in, too few times for any of the detector's rules (it has no
    judgement of it), nothing else in these lines marks it as a bot, and nobody got in
    from it: a person's typo and a bot's first guess look the same here."""
    return (
        client.attacker is None
        and not client.succeeded
        and client.tried_to_log_in
        and not _bot_signs(client)
    )


def _others_guessed(client: ClientFacts) -> int:
    """The failed logins of other addresses that its login followed, when it made none
    itself and the detector calls the login a break-in after their guessing (its
    ``by_others`` compromise; :attr:`ClientFacts.guessed_by` names them); else 0."""
    if not client.succeeded or not client.guessed_by:
        return 0
    if client.failures or client.failed_attempts or client.credentials:
        return 0
    return max((c.failures_before for c in client.compromises), default=0)


def _logged_in_users(client: ClientFacts) -> str:
    users = [quoted(escape_text(u)) for u in client.succeeded_as if u]
    return _listing(users or [_("an unknown account")])


def _summary(client: ClientFacts) -> str:
    accounts = _accounts(client)
    n = _attempts(client)
    others = _others_guessed(client)
    if others:
        return ngettext(
            "{ip} made no failed login itself: it logged in as {users} after {n} failed "
            "login on that account from {ips}.",
            "{ip} made no failed login itself: it logged in as {users} after {n} failed "
            "logins on that account from {ips}.",
            others,
        ).format(
            ip=client.ip,
            users=_logged_in_users(client),
            n=_count(others),
            ips=_listing(client.guessed_by, 5),
        )
    if not client.tried_to_log_in:
        what = _violations(client.violations)
        scanner = client.attacker is not None and Verdict.SCANNER in client.attacker.verdicts
        if what and scanner:  # “203.0.113.9: no login attempt; it talked before …: a scanner.”
            return _("{ip}: no login attempt; it {what}: a scanner.").format(
                ip=client.ip, what=what
            )
        verdict = _verdict_text(client)
        if verdict is None:
            return _("{ip}: no login attempt, but hostile.").format(ip=client.ip)
        return _("{ip}: no login attempt, but hostile. {what}").format(ip=client.ip, what=verdict)
    if accounts:
        text = ngettext(
            "{ip} tried to log in as {accounts}: {n} failed attempt.",
            "{ip} tried to log in as {accounts}: {n} failed attempts.",
            n,
        ).format(ip=client.ip, accounts=_listing(accounts), n=_count(n))
        unnamed = client.attacker.unnamed_failures if client.attacker is not None else None
        if unnamed:  # analyze: "4 tries unnamed"
            text += " " + ngettext(
                "{n} of them named no account.", "{n} of them named no account.", unnamed
            ).format(n=_count(unnamed))
    else:
        text = ngettext(
            "{ip}: {n} failed login attempt.", "{ip}: {n} failed login attempts.", n
        ).format(ip=client.ip, n=_count(n))
    if client.succeeded and _accepted_only(client):
        text += " " + _("It has the password: the server accepted it.")
    elif client.succeeded:
        text += " " + (_("It logged in then.") if client.unsure else _("It got in."))
    elif client.someone_else:
        text += " " + _("Someone else logged in from its address, as another account.")
    elif client.login_read_first:
        text += " " + _("A login from it is not counted as a break-in (see below).")
    caught = _violations(client.violations)
    if caught and _bot_violations(client) and not _this_machine(client):
        text += " " + _(
            "It also {what}: signs of a bot, not of a person mistyping a password."
        ).format(what=caught)
    elif caught:
        text += " " + _("It also {what}.").format(what=caught)
    return text


def _accounts(client: ClientFacts) -> list[str]:
    """The accounts it tried, each once, quoted, in the order of the steps' lists
    (:func:`_natural`)."""
    return [quoted(a) for a in sorted(client.accounts, key=_natural)]


def _password_in_log(client: ClientFacts, facts: ExcerptFacts) -> bool:
    """The log holds a password (or a mistyped one) of an account this client logged in
    as: a password it sent in the session of its login, or an account the exposure
    finding counts among the users who logged in after the log showed their password."""
    if client.real_passwords:
        return True
    logged = {account_key(u) for u in client.succeeded_as if u}
    for finding in facts.server_findings:
        if finding.kind != "credential_exposed":
            continue
        users = finding.data.get("users_who_logged_in")
        if not isinstance(users, list | tuple):
            continue
        if any(account_key(str(u)) in logged for u in users):
            return True
    return False


def _owners(facts: ExcerptFacts) -> list[ClientFacts]:
    """Clients whose failed logins the detector judged an owner's typos."""
    return [c for c in facts.clients if c.owner_typos]


# -- one attacker ----------------------------------------------------------------------


def _who(client: ClientFacts) -> str:
    if client.no_reverse_name:
        text = _("{ip}, an address without a reverse DNS name (Postfix writes “unknown”).")
    elif client.names:
        text = _("{ip}, reverse DNS name {names}.")
    else:
        text = _("{ip}.")
    names = [escape_text(n) for n in client.names if n != "unknown"]
    text = text.format(ip=client.ip, names=_(", ").join(names))
    if _this_machine(client):
        text += " " + _(
            "That is this machine itself (a loopback address, or the server's own): the "
            "logins come through a program on the server (a webmail such as Roundcube or "
            "SOGo, a script, a proxy), not from an outside bot; whoever uses that program "
            "is hidden behind it."
        )
    count = client.connections
    span = _span(client.first, client.last)
    if count:
        text += " " + ngettext(
            "{n} connection to {services}, {span}.",
            "{n} connections to {services}, {span}.",
            count,
        ).format(n=_count(count), services=_service_names(client), span=span)
    elif span:
        text += " " + _("Seen {span}.").format(span=span)
    return text


def _unknown_accounts(client: ClientFacts) -> str | None:
    """What the server said of the accounts it tried: how many do not exist."""
    count = len(client.unknown_accounts.intersection(client.account_keys))
    if not count:
        return None
    if len(client.accounts) == 1:
        return _("The server says no account by that name exists.")
    if count == len(client.accounts):
        return _("The server says none of them exists: it is guessing account names.")
    return ngettext(
        "The server says {n} of them does not exist: it is guessing account names too.",
        "The server says {n} of them do not exist: it is guessing account names too.",
        count,
    ).format(n=_count(count))


def _verdict_text(client: ClientFacts) -> str | None:
    """The detect stage's worst verdict in words ("compromised" is the outcome, not this)."""
    if client.attacker is None:
        return None
    judged = [v for v in client.attacker.verdicts if v is not Verdict.COMPROMISED]
    if judged and judged[0] is Verdict.PROBE and _attempts(client) == 1:
        return _(
            "One guess at an account that bots always try, or that does not exist: an "
            "automated probe."
        )
    if judged and judged[0] is Verdict.SCANNER and _violations(client.violations):
        return _("It did not try to log in but {what}: a scanner.").format(
            what=_violations(client.violations)
        )
    if judged and judged[0] in _VERDICTS:
        return _(_VERDICTS[judged[0]])
    return None


_BOT_VIOLATIONS = frozenset({"pregreet", "non_smtp", "pipelining", "bare_newline"})
"""Violations that no mail program a person uses commits: the client is a bot. A DNS
blocklist or a deny list names an address (a user's home connection is on some), and a
refusal or rate limit a user's mail program can meet."""


def _bot_violations(client: ClientFacts) -> list[str]:
    return [kind for kind in client.violations if kind in _BOT_VIOLATIONS]


def _bot_signs(client: ClientFacts) -> list[str]:
    signs: list[str] = []
    for name in client.greetings:
        if is_bot_greeting(name):
            signs.append(_("a made-up greeting (“EHLO {name}”)").format(name=name))
            break
    if client.star_after_reply:
        signs.append(_("a stray “*” after the refusal"))
    if any(a.upper() == "AUTH" for a in client.hung_up_after):
        signs.append(_("hanging up right after the refusal"))
    caught = _violations(_bot_violations(client))
    if caught:  # postscreen's PREGREET, non-SMTP commands: no person's mail program does that
        signs.append(_("the server's finding that it {what}").format(what=caught))
    if client.no_reverse_name and signs:
        signs.append(_("an address without a reverse DNS name"))
    return signs


def _what(client: ClientFacts, show_passwords: bool, logged_in: frozenset[str]) -> str:
    sentences: list[str] = []
    accounts = _accounts(client)
    if _too_few(client):
        if accounts:
            sentences.append(
                _("It failed to log in as {accounts}.").format(accounts=_listing(accounts))
            )
        else:
            sentences.append(_("It failed to log in."))
    elif len(accounts) == 1:
        sentences.append(
            _("It is trying to guess the password of {account}.").format(account=accounts[0])
        )
    elif accounts:
        sentences.append(
            _("It is trying to guess passwords for {n} accounts.").format(n=_count(len(accounts)))
        )
    elif _others_guessed(client):
        sentences.append(
            _(
                "It did not guess: it logged in as {users} right after failed logins as "
                "that account from {ips}, as a botnet does when the "
                "address that guessed the password is not the one that uses it."
            ).format(users=_logged_in_users(client), ips=_listing(client.guessed_by, 5))
        )
    elif client.tried_to_log_in:
        sentences.append(_("It is trying to guess passwords."))
    unknown = _unknown_accounts(client)
    if unknown:
        sentences.append(unknown)
    judged = _verdict_text(client)
    if judged is not None:
        sentences.append(judged)
    names = _(", ").join(clipped(name) for name in client.greetings)
    if client.tls:
        protocol, cipher = client.tls[0]
        if client.greetings:  # one sentence, not one "It …" after the other
            text = _(
                "It introduced itself as “{name}” and set up TLS ({protocol}, cipher {cipher})."
            )
        else:
            text = _("It set up TLS ({protocol}, cipher {cipher}).")
        sentences.append(text.format(name=names, protocol=protocol or "?", cipher=cipher or "?"))
    elif client.greetings:
        sentences.append(_("It introduced itself as “{name}”.").format(name=names))
    for index, cred in enumerate(client.credentials[:MAX_CREDENTIALS]):
        real = password_is_real(cred, index in client.real_passwords, logged_in)
        sentences.append(
            _("It tried AUTH {mech} with {credential}.").format(
                mech=cred.mechanism, credential=credential_text(cred, show_passwords, real)
            )
        )
    if len(client.credentials) > MAX_CREDENTIALS:
        sentences.append(
            _("…and {n} more decoded attempts.").format(
                n=_count(len(client.credentials) - MAX_CREDENTIALS)
            )
        )
    if not client.credentials and client.mechanisms:
        sentences.append(
            _("Login method: {mechanisms}.").format(mechanisms=_(", ").join(client.mechanisms))
        )
    signs = [] if _this_machine(client) else _bot_signs(client)
    if signs:
        sentences.append(
            _("This is an automated bot, not a person who mistyped: {signs}.").format(
                signs=_(", ").join(signs)
            )
        )
        sentences.append(
            _(
                "Bots like this work through lists of common and leaked passwords (a "
                "dictionary or credential-stuffing attack), a few guesses per connection, "
                "from many addresses."
            )
        )
    return " ".join(sentences)


def _success_line(event: Event) -> str:
    if event.type is EventType.SERVER_REPLY:
        return _("the server answered 235 (authentication successful)")
    if event.type is EventType.DISCONNECT:
        return _("the disconnect statistics count a successful AUTH")
    if accepted_only(event):
        return _(
            "the server accepted the password of {user}, though the session did not start "
            "({reason})"
        ).format(user=escape_text(event.user or "?"), reason=escape_text(event.reason or ""))
    return _("the log records a successful login as {user}").format(
        user=escape_text(event.user or "?")
    )


def _accepted_only(client: ClientFacts, user: str | None = None) -> bool:
    """Whether every success line of ``client`` (as ``user``, when given) is a password
    accepted with a login that failed after it (no session started)."""
    key = account_key(user) if user else None
    events = [
        e
        for e in client.success_events
        if key is None or (e.user is not None and account_key(e.user) == key)
    ]
    return bool(events) and all(accepted_only(e) for e in events)


def _queued(client: ClientFacts) -> Paragraph:
    """The messages it sent once logged in, by their queue IDs (Postfix's own: letters
    and digits), and how to look at one and delete it: the commands on lines of their
    own."""
    count = client.queued_count
    ids = _(", ").join(client.queued[:5])
    if count > 5:
        ids += " " + _("and {n} more").format(n=_count(count - 5))
    sent = ngettext(
        "After logging in it sent {n} message (queue ID {ids}).",
        "After logging in it sent {n} messages (queue IDs {ids}).",
        count,
    ).format(n=_count(count), ids=ids)
    if count == 1:
        show = _("This shows it:")
        delete = _("and this deletes it while it is queued:")
    else:
        show = _("This shows the first:")
        delete = _("and this deletes it while it is queued (the others likewise, by their IDs):")
    first = client.queued[0]
    return Paragraph(
        sent,
        4,
        (show, Command(f"postcat -q {first}"), delete, Command(f"postsuper -d {first}")),
    )


def _outcome(client: ClientFacts, others: bool = False) -> list[Block]:
    """Did it get in; ``others``: these lines show someone's login, which the lack of
    its own is not to deny."""
    blocks: list[Block] = []
    if client.succeeded:
        users = [quoted(escape_text(u)) for u in client.succeeded_as if u] or [
            _("an unknown account")
        ]
        if _accepted_only(client):
            text = _(
                "YES: it has the password of {users}. The server accepted the password, "
                "though the session did not start (a failure after the password check)."
            ).format(users=_listing(users))
        elif client.unsure and client.doubted:
            text = _("MAYBE: it logged in as {users}.").format(users=_listing(users))
        elif client.unsure:
            text = _("It logged in as {users}.").format(users=_listing(users))
        else:
            text = _("YES: it got in as {users}.").format(users=_listing(users))
        first = _first_login(client)
        failed = client.failures_before(first) if first is not None else _attempts(client)
        guessed = _others_guessed(client)
        if client.unsure and client.doubted:
            text += " " + _doubt_text(client, failed)
        elif guessed:
            text += " " + ngettext(
                "That was after {n} failed login on that account from {ips}: the password "
                "guessed there and used from here, or its owner logging in. Ask the owner.",
                "That was after {n} failed logins on that account from {ips}: the password "
                "guessed there and used from here, or its owner logging in. Ask the owner.",
                guessed,
            ).format(n=_count(guessed), ips=_listing(client.guessed_by, 5))
        elif failed and client.unsure:
            text += " " + ngettext(
                "That was after {n} failed attempt: a guess that worked, or its owner "
                "retyping a mistyped password. Ask the owner.",
                "That was after {n} failed attempts: a guess that worked, or its owner "
                "retyping a mistyped password. Ask the owner.",
                failed,
            ).format(n=_count(failed))
        elif failed:
            text += " " + ngettext(
                "That was after {n} failed attempt: it guessed the password.",
                "That was after {n} failed attempts: it guessed the password.",
                failed,
            ).format(n=_count(failed))
        blocks.append(Paragraph(text, 4))
        seen: set[str] = set()
        for event in client.success_events[:3]:
            line = _success_line(event)
            if line not in seen:
                seen.add(line)
                blocks.append(
                    Item(
                        "–", _("{time}: {what}").format(time=when(event.record.time), what=line), 6
                    )
                )
        if client.queued:
            blocks.append(_queued(client))
        return blocks
    if client.logged_in_first:
        users = [quoted(escape_text(u)) for u in client.succeeded_as if u]
        text = _(
            "No login after its failures is visible in these lines. It logged in as "
            "{users} ({time}), but before its failed logins, not after them: by the time "
            "stamps, no guess that worked."
        ).format(
            users=_listing(users or [_("an unknown account")]), time=when(_first_login(client))
        )
        if client.withdrawn:
            text += " " + _(
                "The lines are not in time order: mailwarden's detector, which reads them "
                "in the order given, counts a break-in."
            )
        blocks.append(Paragraph(text, 4))
        return blocks
    if client.login_read_first:
        text = _(
            "No break-in is counted. It logged in as {users} ({time}), after its failed "
            "logins by the time stamps, but that line comes before them in these lines: "
            "mailwarden's detector, which reads the lines in the order given (entries less "
            "than 10 minutes out of order, or those of hosts whose clocks differ, are "
            "counted so), counts no break-in. Only the "
            "account's owner can tell whether the login was theirs."
        ).format(users=_logged_in_users(client), time=when(_first_login(client)))
        blocks.append(Paragraph(text, 4))
        return blocks
    if client.someone_else:
        users = [quoted(escape_text(u)) for u in client.succeeded_as if u]
        text = _(
            "No guess that worked is visible in these lines. A login as {users} came from "
            "its address ({time}) after its failed logins, but as an account it did not "
            "try: mailwarden's detector takes it for someone else behind the same address "
            "(an office's network, a carrier's shared address), not a guess that worked."
        ).format(users=_listing(users), time=when(_first_login(client)))
        blocks.append(Paragraph(text, 4))
        return blocks
    if not client.tried_to_log_in:
        blocks.append(Paragraph(_("It did not try to log in."), 4))
        return blocks
    if not (client.failures or client.failed_attempts or client.failure_replies):
        blocks.append(Paragraph(_("Unknown: these lines show no answer to its login."), 4))
        return blocks
    if client.no_login_for_sure:
        blocks.append(Paragraph(_("No, it did not get in. How we can tell:"), 4))
    else:
        if others:
            text = _("No successful login by it is visible in these lines. What they show:")
        else:
            text = _("No successful login is visible in these lines. What they show:")
        blocks.append(Paragraph(text, 4))
    logged = _attempts(client) if client.failures or client.failed_attempts else 0
    if logged:
        blocks.append(
            Item(
                "–",
                ngettext(
                    "the server logged {n} failed login;",
                    "the server logged {n} failed logins;",
                    logged,
                ).format(n=_count(logged)),
                6,
            )
        )
    if client.failure_replies:
        blocks.append(
            Item(
                "–",
                _("it answered {replies}: authentication failed;").format(
                    replies=_(", ").join(client.failure_replies)
                ),
                6,
            )
        )
    if client.no_login_for_sure:
        blocks.append(
            Item(
                "–",
                _(
                    "each of its connections ended with a summary that counts no successful "
                    "login (Postfix's “auth=0/…”, Dovecot's “auth failed”);"
                ),
                6,
            )
        )
    blocks.append(Item("–", _no_success_text(client, others), 6))
    if not client.no_login_for_sure:
        blocks.append(Paragraph(_not_proof(client), 4))
    return blocks


def _doubt_text(client: ClientFacts, failed: int) -> str:
    """Why its login is in doubt (:attr:`ClientFacts.doubted`): the failures before it,
    and those as the account after it, over how many minutes, as a device with an old
    password makes them."""
    doubt = client.doubted[0]
    text = ""
    if failed:
        text = (
            ngettext(
                "That was after {n} failed attempt.", "That was after {n} failed attempts.", failed
            ).format(n=_count(failed))
            + " "
        )
    minutes = 0
    if doubt.time is not None and doubt.last_failure_after is not None:
        minutes = max(1, round((doubt.last_failure_after - doubt.time).total_seconds() / 60))
    tries = ngettext("{n} more try", "{n} more tries", doubt.failures_after).format(
        n=_count(doubt.failures_after)
    )
    span = ngettext("{n} minute", "{n} minutes", minutes).format(n=_count(minutes))
    return text + _(
        "But this address kept failing as {user} for {tries} over {span} after logging "
        "in, as a phone or mail program with an old password does: a bot that guessed the "
        "password does not keep failing with it. Ask the owner."
    ).format(user=quoted(escape_text(doubt.user or "?")), tries=tries, span=span)


def _doubt_of(client: ClientFacts, user: str | None) -> Compromise | None:
    """Its compromise in doubt as ``user`` (any, when None)."""
    key = account_key(user) if user else None
    for compromise in client.doubted:
        if key is None or (compromise.user and account_key(compromise.user) == key):
            return compromise
    return None


def _not_proof(client: ClientFacts) -> str:
    """Why the lines cannot prove that nobody got in, and where to look."""
    kinds = set(client.kinds)
    if "dovecot" in kinds and "postfix" not in kinds:
        text = _(
            "That is not proof: Dovecot logs each successful login (“Login:”), but in lines "
            "that may not be part of this excerpt."
        )
    elif client.login_sessions and client.refused_sessions == client.login_sessions:
        # Every connection ended with auth=0/N: failures logged outside them (the
        # authentication server's own lines) are why this is no proof.
        text = _(
            "That is not proof: every connection shown ended without a login, but some "
            "failures were logged outside them (by the authentication server), so this "
            "client may have connected in lines that are not part of this excerpt."
        )
    else:
        text = _(
            "That is not proof: Postfix logs a successful AUTH (the line with "
            "“sasl_method=”) only when mail follows, and Postfix before 3.0 writes no "
            "“auth=” statistics when the client disconnects."
        )
    return text + " " + _("To be sure, check the whole log (see “What to do” below).")


_SAFE_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@_+-")
_LOGS = "/var/log/mail.log*"


_NOT_IN_ACCOUNTS = frozenset(' <>=,;"\\\t')


def _could_be_account(name: str) -> bool:
    """A name tried that may be an account of the server: not cut off by the log, and
    free of what no mailbox name holds (blanks, ``<>=,;"``, escaped control
    characters); ``x> rip=203.0.113.5 user=<admin`` is a bot's injection attempt."""
    return bool(name) and not name.endswith(CUT) and not (set(name) & _NOT_IN_ACCOUNTS)


def _safe(name: str) -> bool:
    """Can the name go into a shell command between single quotes as it is?"""
    return bool(name) and set(name) <= _SAFE_NAME and not name.startswith("-")


_JOURNAL = "journalctl -u postfix@- -u postfix -u dovecot"
"""The mail logs in the journal, on a system without a mail.log (Debian 12 installs no
rsyslog): Postfix's units (``postfix@-`` on Debian, ``postfix`` elsewhere), Dovecot's."""


def _log_checks(clients: list[ClientFacts]) -> Step:
    """Commands that look through the whole log for a login by these clients: the
    analyzer, and a zgrep for the logins of the accounts they tried (names safe to paste
    into a shell only; else for logins from the address), in the log files and in the
    journal, each on a line of its own. A login line is Postfix's (``sasl_method=``,
    ``sasl_username=``, the client as ``[addr]``) or Dovecot's (``Login: user=<…>``,
    ``rip=addr``; ``… successful auths``, a password accepted by a login that failed
    after it), whichever the failures came from: a password guessed over one works
    for the other (IMAP after SMTP AUTH failures, sending spam after IMAP ones)."""
    step: Step = [Command(f"mailwarden analyze {_LOGS}")]
    step.append(_("On Red Hat and CentOS the log files are /var/log/maillog*."))
    logins = "grep -E 'sasl_method=|Login:|Logged in|successful auths'"
    names = list(dict.fromkeys(n for c in clients for n in c.accounts if _safe(n)))[:3]
    patterns: list[str] = []
    if names:
        for name in names:
            patterns.append(f"'user=<{name}>'")
            patterns.append(f"'sasl_username={name}'")
        step.append(
            ngettext("Every login of that account:", "Every login of those accounts:", len(names))
        )
    elif clients:
        ip = clients[0].ip
        patterns = [f"'rip={ip},'", f"'[{ip}]'"]
        step.append(_("Every login from that address:"))
    journal = ""
    if patterns:
        pattern = patterns[0] if len(patterns) == 1 else " ".join(f"-e {p}" for p in patterns)
        # Failures carry the name too (Postfix 3.9: sasl_username=, Dovecot: user=<>).
        step.append(Command(f"zgrep -F {pattern} {_LOGS} | {logins}"))
        journal = f"{_JOURNAL} | grep -F {pattern} | {logins}"
    step.append(
        _("Where there is no {logs} (Debian 12 without rsyslog logs to the journal only):").format(
            logs="/var/log/mail.log"
        )
    )
    step.append(Command("mailwarden analyze --journal"))
    if journal:
        step.append(Command(journal))
    return step


def _guessed_accounts(client: ClientFacts) -> list[str]:
    """The accounts a client tried that its login may have been as: names fit to be an
    account, less those the server said do not exist."""
    return [
        name
        for name, key in zip(client.accounts, client.account_keys, strict=True)
        if _could_be_account(name) and key not in client.unknown_accounts
    ]


def _unnamed_guess(client: ClientFacts) -> str:
    """Which account a login that no line names was most likely as: the one the client
    was guessing, when the failures name it."""
    guessed = _guessed_accounts(client)
    if not guessed:
        return _("These lines do not name it.")
    return ngettext(
        "These lines do not name it, but most likely it is {accounts}, the account it was "
        "guessing.",
        "These lines do not name it, but most likely it is one of {accounts}, the accounts "
        "it was guessing.",
        len(guessed),
    ).format(accounts=_listing([quoted(escape_text(n)) for n in guessed]))


def _login_account(client: ClientFacts, user: str | None) -> str:
    """The account of a login, to write in a sentence: its name, else what is known."""
    if user:
        return quoted(escape_text(user))
    guessed = _guessed_accounts(client)
    if not guessed:
        return _("the account {ip} logged in as (these lines do not name it)").format(ip=client.ip)
    return ngettext(
        "the account {ip} logged in as (these lines do not name it; most likely {accounts}, "
        "the account it was guessing)",
        "the account {ip} logged in as (these lines do not name it; most likely one of "
        "{accounts}, the accounts it was guessing)",
        len(guessed),
    ).format(ip=client.ip, accounts=_listing([quoted(escape_text(n)) for n in guessed]))


def _end_sessions(client: ClientFacts, user: str | None) -> Step:
    """How to end an intruder's sessions: a new password ends none already logged in,
    nor does a ban (it drops new connections only)."""
    ip = f"'[{client.ip}]'" if ":" in client.ip else client.ip  # ss: IPv6 in brackets
    if user and _safe(user):
        return [
            _(
                "A new password does not end sessions already logged in, nor does a ban (it "
                "stops new connections): end them as root, IMAP and POP3 with doveadm kick, "
                "SMTP with ss:"
            ),
            Command(f"doveadm kick {user}"),
            Command(f"ss -K dst {ip}"),
            *_ss_fallback(ip),
        ]
    return [
        _(
            "A new password does not end sessions already logged in, nor does a ban (it "
            "stops new connections): end them as root, IMAP and POP3 with “doveadm kick” "
            "and the account's name, SMTP with:"
        ),
        Command(f"ss -K dst {ip}"),
        *_ss_fallback(ip),
    ]


def _ss_fallback(ip: str) -> Step:
    """How to see that ``ss -K`` ended the connections, and what to do when it did not:
    ss says nothing either when the address has no connection left or when the kernel,
    built without CONFIG_INET_DIAG_DESTROY (Debian's has it, some others not), cannot
    end one; ``ss -tn dst`` tells the two apart. Postfix is restarted only then, with its
    own command or systemd's (a SysV host has no systemctl)."""
    return [
        _("Then check that no connection from the address remains:"),
        Command(f"ss -tn dst {ip}"),
        _(
            "If it still lists some (a kernel built without CONFIG_INET_DIAG_DESTROY, where "
            "ss -K ends none and says nothing), restart Postfix, which ends every SMTP "
            "session:"
        ),
        Command("postfix stop"),
        Command("postfix start"),
        _("or, on a host with systemd:"),
        Command("systemctl restart postfix"),
    ]


_SESSION_ID = re.compile(r"[A-Za-z0-9+/]{1,64}")
"""A Dovecot session id (``session=<…>``: base64 letters) fit to paste into a command."""


def _unnamed_lookup(client: ClientFacts) -> Step:
    """How to find the account of a login that no line of the excerpt names: Postfix
    names it (``sasl_method=…, sasl_username=…``) on the lines of a logged-in client,
    from its first mail on; Dovecot (``Login: user=<>``, the client as ``rip=``) on the
    lines of the mail process that serves that login's session, ``imap(ACCOUNT)<PID>
    <SESSION>:``, which carry the session id of its login line."""
    unnamed = [e for e in client.success_events if not e.user]
    if unnamed and all(line_kind(e.record.program) == "dovecot" for e in unnamed):
        sessions = [e.session for e in unnamed if e.session and _SESSION_ID.fullmatch(e.session)]
        if not sessions:
            return [
                _(
                    "Dovecot's login line does not name the account (user=<>) and carries "
                    "no session id to follow it by: the log does not say which account "
                    "it was."
                )
            ]
        return [
            _(
                "To find out which account it was, look for the session id of its "
                "Dovecot login line (session=<{session}>) in the whole log: the IMAP or "
                "POP3 process that serves the session names the account on its lines "
                "(imap(ACCOUNT)<PID><{session}>). If no line does, the log does not say "
                "which account it was."
            ).format(session=sessions[0]),
            Command(f"zgrep -F '<{sessions[0]}>' {_LOGS}"),
        ]
    return [
        _(
            "To find out which account it was, look for that client's lines with "
            "“sasl_method=” in the whole log: Postfix names the account on them "
            "(sasl_username=) once the client sends mail. If no line does, the log does "
            "not say which account it was."
        ),
        Command(f"zgrep -F '[{client.ip}]' {_LOGS} | grep -F 'sasl_method='"),
    ]


def _first_login(client: ClientFacts) -> datetime | None:
    times = [t for u in client.succeeded_as if (t := client.login_time(u)) is not None]
    if not times:
        times = [t for t in [client.login_time(None)] if t is not None]
    return min(times) if times else None


def _no_success_text(client: ClientFacts, others: bool = False) -> str:
    kinds = set(client.kinds)
    signs: list[str] = []
    if client.saw_replies:
        signs.append(_("no 235 reply"))
    if "postfix" in kinds:
        # Postfix 3.9 (and 3.8.3, …) writes sasl_username= on failures too; sasl_method=
        # is only on the lines of a client that logged in (client=…, and its rejects).
        signs.append(_("no line with “sasl_method=”"))
    if "dovecot" in kinds:
        signs.append(_("no “Login:” or “Logged in” line"))
    if others:  # someone else's login is in the lines: only its own lines lack one
        if not signs:
            return _("none of its lines shows a successful login.")
        return _("none of its lines shows a successful login: {signs}.").format(
            signs=_(", ").join(signs)
        )
    if not signs:
        return _("nothing in these lines shows a successful login.")
    return _("nothing shows a successful login: {signs}.").format(signs=_(", ").join(signs))


def _client_blocks(
    client: ClientFacts, show_passwords: bool, logged_in: frozenset[str], others: bool = False
) -> list[Block]:
    return [
        Heading(_("The client {ip}").format(ip=client.ip), 2),
        Paragraph(_("Who: {text}").format(text=_who(client)), 2),
        Paragraph(_("What: {text}").format(text=_what(client, show_passwords, logged_in)), 2),
        Paragraph(_("Did it get in?"), 2),
        *_outcome(client, others),
    ]


def _owner_login(client: ClientFacts) -> tuple[datetime | None, list[str]]:
    """The login an owner's failures are told with, and its accounts (quoted): the
    first one logged at or after the first failure (the owner got the password right),
    else the first login at all (with every account it logged in as)."""
    logins = [quoted(escape_text(u)) for u in client.succeeded_as if u]
    failed = [t for t, _n in client.failure_times if t is not None]
    if failed:
        start = min(failed)
        after = [
            (event.record.time, event)
            for event in client.success_events
            if event.record.time is not None and event.record.time >= start
        ]
        if after:
            moment = min(t for t, _e in after)
            users = [
                quoted(escape_text(e.user))
                for t, e in after
                if t == moment and e.type is EventType.AUTH_SUCCESS and e.user
            ]
            return moment, list(dict.fromkeys(users)) or logins
    return _first_login(client), logins


def _owner_text(client: ClientFacts) -> str:
    names = [escape_text(n) for n in client.names if n != "unknown"]
    where = client.ip
    if names:
        where = _("{ip} (reverse DNS name {names})").format(ip=client.ip, names=_(", ").join(names))
    first, logins = _owner_login(client)
    login = _listing(logins) if logins else _("an account the log does not name")
    if first is not None and not client.failures_before(first):
        return _failed_after_login(client, where, login, first)
    failed = client.failures_before(first) if first is not None else _attempts(client)
    failed = failed or _attempts(client)
    tried = client.accounts_failed(first) if first is not None else client.accounts
    if not tried or client.logged_in_as_all(tried):
        text = ngettext(
            "{ip} failed to log in once and then logged in successfully as {login} "
            "({time}) from the same address.",
            "{ip} failed to log in {n} times and then logged in successfully as {login} "
            "({time}) from the same address.",
            failed,
        )
        mistake = _(
            "Most likely the account's owner mistyping the password, not an attack "
            "(mailwarden's detector judges so too)."
        )
    else:
        text = ngettext(
            "{ip} failed to log in once (as {accounts}) and then logged in "
            "successfully as {login} ({time}) from the same address.",
            "{ip} failed to log in {n} times (as {accounts}) and then logged in "
            "successfully as {login} ({time}) from the same address.",
            failed,
        )
        mistake = _user_mistake(client)
    text = text.format(
        ip=where,
        n=_count(failed),
        accounts=_listing([quoted(a) for a in tried]),
        login=login,
        time=when(first),
    )
    return " ".join([text, *_later_failures(client, first, failed), mistake])


def _user_mistake(client: ClientFacts) -> str:
    """Why failures beside its login are a user's mistake: a misspelt user name on a
    device (:func:`_misspelt_device`), else mistyping."""
    misspelt = _misspelt_device(client)
    if misspelt is None:
        return _(
            "Most likely a user mistyping the user name or the password, not an attack "
            "(mailwarden's detector judges so too)."
        )
    return _(
        "Every failure was as {tried}, a misspelling of {account}: most likely the "
        "owner's phone or mail program set up with a misspelt user name, retrying "
        "until the name was fixed, not an attack (mailwarden's detector judges so "
        "too). Fix the user name on that device."
    ).format(tried=misspelt[0], account=misspelt[1])


def _misspelt_device(client: ClientFacts) -> tuple[str, str] | None:
    """The name its failures were on and the account it misspells (quoted), when the
    detector judged them a device set up with a misspelt user name (its
    ``misspelt_username`` finding)."""
    for finding in client.findings:
        if finding.kind == "misspelt_username":
            users = [str(u) for u in finding.data.get("users", ())]
            tried = _listing([quoted(escape_text(u)) for u in users]) if users else "?"
            return tried, quoted(escape_text(str(finding.data.get("account", "?"))))
    if client.misspelt_by_time is not None:  # as the detector judges it in time order
        name, account = client.misspelt_by_time
        return quoted(name), quoted(account)
    return None


def _failed_after_login(client: ClientFacts, where: str, login: str, first: datetime) -> str:
    """The owner text when every failure came after the logins."""
    n = _attempts(client)
    tried = client.accounts_failed(first, after=True)
    if client.owner_by_time or not tried or client.logged_in_as_all(tried):
        text = ngettext(
            "{ip} logged in successfully as {login} ({time}) and later failed to log in "
            "once from the same address.",
            "{ip} logged in successfully as {login} ({time}) and later failed to log in "
            "{n} times from the same address.",
            n,
        )
        if client.owner_by_time:  # every account it failed on is one it logged in as
            mistake = _(
                "Most likely the account's owner: a device with an old password, or a "
                "mistyped one, not an attack. The lines are not in time order: "
                "mailwarden's detector, which reads them in the order given, counts a "
                "break-in, but by the time stamps the login came first."
            )
        else:
            mistake = _(
                "Most likely the account's owner mistyping the password, not an attack "
                "(mailwarden's detector judges so too)."
            )
    else:
        text = ngettext(
            "{ip} logged in successfully as {login} ({time}) and later failed to log in "
            "once (as {accounts}) from the same address.",
            "{ip} logged in successfully as {login} ({time}) and later failed to log in "
            "{n} times (as {accounts}) from the same address.",
            n,
        )
        mistake = _user_mistake(client)
    text = text.format(
        ip=where,
        n=_count(n),
        accounts=_listing([quoted(a) for a in tried]),
        login=login,
        time=when(first),
    )
    return " ".join([text, mistake])


def _later_failures(client: ClientFacts, first: datetime | None, before: int) -> list[str]:
    """A sentence on the failures logged after the first login, when there were any."""
    later = _attempts(client) - before
    if first is None or later <= 0:
        return []
    accounts = client.accounts_failed(first, after=True)
    if accounts:
        text = ngettext(
            "After that, it failed once more (as {accounts}).",
            "After that, it failed {n} more times (as {accounts}).",
            later,
        )
    else:
        text = ngettext(
            "After that, it failed once more.", "After that, it failed {n} more times.", later
        )
    return [text.format(n=_count(later), accounts=_listing([quoted(a) for a in accounts]))]


def _owner_blocks(facts: ExcerptFacts) -> list[Block]:
    owners = _owners(facts)
    if not owners:
        return []
    return [
        Heading(_("Failed logins that are most likely not an attack"), 2),
        *(Item("•", _owner_text(c), 2) for c in owners[:MAX_CLIENTS]),
    ]


# -- the server ------------------------------------------------------------------------


def _exposure_source(finding: Finding) -> str:
    """Which setting put credentials in the log: ``tls_loglevel``, ``verbose``,
    ``dovecot`` (auth_verbose_passwords), ``dovecot_debug`` (auth_debug_passwords)."""
    source = finding.data.get("source", finding.subject)
    if source in {"tls_loglevel", "tls_dump"}:
        return "tls_loglevel"
    return source if source in _EXPOSURE_FIX else "tls_loglevel"


TLSPROXY_LOGLEVEL = "tlsproxy_tls_loglevel"


def _tls_settings(findings: Iterable[Finding]) -> set[str]:
    """The settings the TLS dump's lines of these findings show (the finding's
    ``settings``: ``smtpd_tls_loglevel``, tlsproxy's ``tlsproxy_tls_loglevel``)."""
    found: set[str] = set()
    for finding in findings:
        settings = finding.data.get("settings")
        if isinstance(settings, list):
            found.update(str(setting) for setting in settings)
    return found or {"smtpd_tls_loglevel"}


def _for_tls_settings(text: str, settings: set[str]) -> str:
    """A text that names smtpd_tls_loglevel, for the settings the lines show: only
    tlsproxy's lines, their own tlsproxy_tls_loglevel named instead; both, a sentence
    on tlsproxy's added."""
    if TLSPROXY_LOGLEVEL not in settings:
        return text
    if settings == {TLSPROXY_LOGLEVEL}:
        return text.replace("smtpd_tls_loglevel", TLSPROXY_LOGLEVEL)
    return (
        text
        + " "
        + _(
            "The “postfix/tlsproxy” lines show tlsproxy_tls_loglevel 4 (by default the "
            "same as smtpd_tls_loglevel): if it is set apart, lower it to 1 too."
        )
    )


def _step_for_tls_settings(step: Step, settings: set[str]) -> Step:
    """:func:`_for_tls_settings` for a step of the advice: its commands name the
    setting too; the sentence on tlsproxy's goes at its end."""
    if TLSPROXY_LOGLEVEL not in settings:
        return step
    if settings == {TLSPROXY_LOGLEVEL}:
        return [
            Command(p.text.replace("smtpd_tls_loglevel", TLSPROXY_LOGLEVEL))
            if isinstance(p, Command)
            else p.replace("smtpd_tls_loglevel", TLSPROXY_LOGLEVEL)
            for p in step
        ]
    return [*step, _for_tls_settings("", settings).strip()]


def _exposed(findings: list[Finding]) -> list[str]:
    texts: list[str] = []
    for finding in findings:
        source = _exposure_source(finding)
        if source == "verbose":
            text = _(
                "Verbose logging (smtpd -v or debug_peer_list) is on: the log holds the "
                "complete login data, passwords included, of every user it covers."
            )
        elif source == "dovecot":
            # Dovecot logs the password only on a mismatch (auth_verbose_passwords: "in
            # case of password mismatches, log the attempted password"), plain or hashed.
            text = _(
                "Dovecot's auth_verbose_passwords is on: the log holds the password (or its "
                "hash) given in every failed login, users' mistyped real passwords included."
            )
        elif source == "dovecot_debug":
            text = _(
                "Dovecot's auth_debug_passwords is on: the log holds the passwords users "
                "type and, beside each wrong one, the stored password or its hash."
            )
        else:
            text = _(
                "smtpd_tls_loglevel is 4 or more. At that level Postfix writes the first 40 "
                "bytes of every line a client sends into the log: the login of every user, "
                "passwords included, not only the attackers'. Anyone who can read the log (or "
                "its backups) can read them."
            )
            if not _int(finding, "payloads"):
                text += " " + _(
                    "These lines hold no login, but their “Read”/“Write N chars” lines show "
                    "the level."
                )
            text = _for_tls_settings(text, _tls_settings([finding]))
        real = finding.data.get("users_who_logged_in_count")
        if isinstance(real, int) and real > 0:
            text += " " + ngettext(
                "Among them is {n} real user who logged in successfully.",
                "Among them are {n} real users who logged in successfully.",
                real,
            ).format(n=_count(real))
        texts.append(text)
    return texts


def _keys(finding: Finding, key: str) -> list[str]:
    value = finding.data.get(key)
    return [str(k) for k in value] if isinstance(value, dict | list | tuple) else []


def _weak_tls(findings: list[Finding]) -> list[str]:
    negotiated = [k for f in findings for k in _keys(f, "ciphers")]
    lists = [k for f in findings for k in _keys(f, "cipher_lists")]
    parts: list[str] = []
    if negotiated:
        reasons = []
        for item in negotiated:
            cipher = item.rsplit(" ", 1)[-1]
            why = cipher_weakness(cipher)
            reasons.append(_("{cipher} ({why})").format(cipher=item, why=why) if why else item)
        parts.append(
            _("The server accepts broken TLS: it agreed to {ciphers}.").format(
                ciphers=_("; ").join(reasons)
            )
        )
    if lists:
        parts.append(
            _("Its cipher list “{list}” lets such ciphers in.").format(list=_(", ").join(lists))
        )
    return [" ".join(parts) or _("The server accepts weak TLS settings.")]


def _soft_bounce(findings: list[Finding]) -> list[str]:
    codes = [k for f in findings for k in _keys(f, "codes")]
    if all(f.data.get("or") for f in findings):  # 450 for unknown recipients only
        text = _(
            "soft_bounce = yes, or {parameters} set to 450: an unknown recipient is refused "
            "only for now (450 instead of 550), which tells bots to come back and delays "
            "real bounces."
        ).format(parameters=either(or_parameters(findings)))
    else:
        text = _(
            "soft_bounce = yes: every refusal becomes temporary (4xx instead of 5xx), which "
            "tells bots to come back and delays real bounces."
        )
    if codes:
        text += " " + _("Seen here: {replies}.").format(replies=_(", ").join(codes))
    return [text]


def _port_25(findings: list[Finding]) -> list[str]:
    return [
        _(
            "AUTH is offered on the service that logs as “smtpd” without a service name: "
            "port 25, unless submission (587) was set up without its own syslog_name. On port "
            "25 only other mail servers connect, and they never log in; password bots look "
            "for AUTH there."
        )
    ]


def _outdated(findings: list[Finding]) -> list[str]:
    texts: list[str] = []
    for finding in findings:
        cipher_list = finding.data.get("cipher_list")
        if isinstance(cipher_list, str) and cipher_list:
            texts.append(_old_list_text(cipher_list))
        else:
            texts.append(
                _("The server software is outdated ({subject}).").format(
                    subject=escape_text(finding.subject)
                )
            )
    return texts


def _old_list_text(cipher_list: str) -> str:
    return _(
        "The TLS cipher list “{list}” is the built-in default of Postfix before 2.8: this "
        "Postfix is more than ten years old and lacks later security fixes and defences."
    ).format(list=escape_text(cipher_list))


def _unavailable(findings: list[Finding]) -> list[str]:
    count = sum(int(f.data.get("failures", 0) or 0) for f in findings)
    return [
        ngettext(
            "The authentication server did not answer {n} time: a problem of the server, not "
            "counted as a guess.",
            "The authentication server did not answer {n} times: a problem of the server, "
            "not counted as guesses.",
            count,
        ).format(n=_count(count))
    ]


_SERVER_TEXT: dict[str, Callable[[list[Finding]], list[str]]] = {
    "credential_exposed": _exposed,
    "auth_on_port_25": _port_25,
    "weak_tls": _weak_tls,
    "soft_bounce": _soft_bounce,
    "outdated_server": _outdated,
    "auth_unavailable": _unavailable,
}


def _server_blocks(facts: ExcerptFacts) -> list[Block]:
    by_kind: dict[str, list[Finding]] = {}
    for finding in facts.server_findings:
        by_kind.setdefault(finding.kind, []).append(finding)
    items: list[str] = []
    for kind, render in _SERVER_TEXT.items():
        if kind in by_kind:
            items += render(by_kind[kind])
    if facts.old_cipher_list is not None and "outdated_server" not in by_kind:
        items.append(_old_list_text(facts.old_cipher_list))
    if not items:
        return []
    return [
        Heading(_("What the log reveals about your server"), 2),
        *(Item("•", text, 2) for text in items),
    ]


def _int(finding: Finding, key: str) -> int:
    value = finding.data.get(key)
    return value if isinstance(value, int) else 0


def _enumeration_text(finding: Finding, facts: ExcerptFacts) -> str:
    """The names tried and by whom. The finding counts the names every hostile client
    tried but only the clients that tried many each (the enumerators), so the
    addresses that tried any name are counted here, from the same clients the verdict
    lists: “37 names, by 1 address” was said of names that came from two."""
    names = _int(finding, "usernames_tried")
    enumerators = _int(finding, "client_count")
    addresses = max(enumerators, sum(1 for c in facts.attackers if c.accounts))
    if not enumerators:  # a spraying campaign tried many names together, a few each
        return ngettext(
            "{n} different user names were tried by {addresses} address working together, "
            "a few names each: someone is looking for the accounts that exist.",
            "{n} different user names were tried by {addresses} addresses working together, "
            "a few names each: someone is looking for the accounts that exist.",
            addresses,
        ).format(n=_count(names), addresses=_count(addresses))
    if addresses == enumerators:
        return ngettext(
            "{n} different user names were tried, by {clients} address: someone is "
            "looking for the accounts that exist.",
            "{n} different user names were tried, by {clients} addresses: someone is "
            "looking for the accounts that exist.",
            enumerators,
        ).format(n=_count(names), clients=_count(enumerators))
    return ngettext(
        "{n} different user names were tried, by {addresses} addresses; {clients} of "
        "them tried many names: someone is looking for the accounts that exist.",
        "{n} different user names were tried, by {addresses} addresses; {clients} of "
        "them tried many names each: someone is looking for the accounts that exist.",
        enumerators,
    ).format(n=_count(names), addresses=_count(addresses), clients=_count(enumerators))


def _campaign_text(finding: Finding, facts: ExcerptFacts) -> str:
    kind = finding.kind
    if kind == "spray":
        targets = _int(finding, "target_count")
        return ngettext(
            "{n} addresses tried the same account ({failures} failed logins): one "
            "coordinated password-spraying campaign. Blocking single addresses will not stop "
            "it; strong passwords and AUTH only where it is needed will.",
            "{n} addresses tried the same {m} accounts ({failures} failed logins): one "
            "coordinated password-spraying campaign. Blocking single addresses will not stop "
            "it; strong passwords and AUTH only where it is needed will.",
            targets,
        ).format(
            n=_count(_int(finding, "member_count")),
            m=_count(targets),
            failures=_count(_int(finding, "failures")),
        )
    if kind == "network":
        if finding.data.get("member_count_capped"):  # more addresses than it remembers
            text = _(
                "At least {n} addresses of the network {network} failed {failures} times "
                "together: block the whole network rather than each address."
            )
        else:
            text = _(
                "{n} addresses of the network {network} failed {failures} times together: "
                "block the whole network rather than each address."
            )
        return text.format(
            n=_count(_int(finding, "member_count")),
            network=escape_text(str(finding.data.get("network", finding.subject))),
            failures=_count(_int(finding, "failures")),
        )
    if kind == "enumeration":
        return _enumeration_text(finding, facts)
    if kind == "stale_password" and _int(finding, "member_count") > 1:
        return _(
            "{network}: failed logins from {n} addresses of this network as an account that "
            "logs in successfully from {where}: most likely a phone or mail program with an "
            "old password whose IPv6 address changes (privacy addresses), not an attack. "
            "Update the password on that device."
        ).format(
            network=escape_text(finding.subject),
            n=_count(_int(finding, "member_count")),
            where=escape_text(str(finding.data.get("logged_in_from", finding.subject))),
        )
    if kind == "stale_password":
        return _(
            "{ip}: failed logins from an address that also logs in successfully as the same "
            "account: most likely a phone or mail program with an old password, not an "
            "attack. Update the password on that device."
        ).format(ip=escape_text(finding.subject))
    return _("Also found: {kind} ({subject}).").format(
        kind=escape_text(kind), subject=escape_text(finding.subject)
    )


def _campaign_blocks(facts: ExcerptFacts) -> list[Block]:
    """The findings across clients, most severe first; of a kind with more than
    :data:`MAX_OF_A_KIND` (a whole log's campaigns and networks), the biggest, then how
    many more there are."""
    findings = facts.other_findings
    if not findings:
        return []
    of_kind: dict[str, list[Finding]] = {}
    for finding in findings:
        of_kind.setdefault(finding.kind, []).append(finding)
    told: set[int] = set()
    for same in of_kind.values():
        if len(same) > MAX_OF_A_KIND:  # the biggest, in their order
            same = sorted(same, key=lambda f: -_int(f, "member_count"))[:MAX_OF_A_KIND]
        told.update(id(f) for f in same)
    shown = [f for f in findings if id(f) in told]
    blocks: list[Block] = [
        Heading(_("Across clients"), 2),
        *(Item("•", _campaign_text(f, facts), 2) for f in shown),
    ]
    more = len(findings) - len(shown)
    if more > 0:
        text = ngettext(
            "…and {n} more finding like these: “mailwarden analyze” lists every one.",
            "…and {n} more findings like these: “mailwarden analyze” lists every one.",
            more,
        ).format(n=_count(more))
        blocks.append(Paragraph(text, 4))
    return blocks


# -- what to do ------------------------------------------------------------------------


AuditCommand = Callable[[str], str]
"""The audit stage's ``hint_for(kind)``: the ``mailwarden audit --check …`` line that
shows the exact change for a finding kind (plain ``mailwarden audit`` for ``""``)."""


def _plain_audit(kind: str) -> str:
    return "mailwarden audit"


def _with_command(step: str | Step, kind: str, audit: AuditCommand) -> Step:
    pieces: Step = [step] if isinstance(step, str) else list(step)
    command = audit(kind)
    if command == audit(""):
        return pieces
    if kind == "bruteforce":
        return [*pieces, _("Settings that slow guessing down:"), Command(command)]
    return [*pieces, _("The exact commands for your server:"), Command(command)]


def _actions(facts: ExcerptFacts, audit: AuditCommand) -> list[str | Step]:
    actions: list[str | Step] = []
    attackers = facts.attackers
    kinds = {f.kind for f in facts.server_findings}
    # The emergency first: real users' passwords are in the log.
    exposures = [f for f in facts.server_findings if f.kind == "credential_exposed"]
    for source in dict.fromkeys(_exposure_source(f) for f in exposures):
        exposure_fix = _EXPOSURE_FIX[source]
        if source == "tls_loglevel" and not any(
            _exposure_source(f) == source and _int(f, "payloads") for f in exposures
        ):
            exposure_fix = _fix_tls_loglevel_unseen  # the level shows, no login came here
        fix = exposure_fix()
        if source == "tls_loglevel":  # tlsproxy's lines: its own setting
            tls = [f for f in exposures if _exposure_source(f) == source]
            fix = _step_for_tls_settings(fix, _tls_settings(tls))
        real = sum(
            _int(f, "users_who_logged_in_count") for f in exposures if _exposure_source(f) == source
        )
        if source == "dovecot" and real:
            fix.append(
                ngettext(
                    "{n} user logged in right after a failed login whose password the log "
                    "shows: a mistyped password is often close to the real one, so that user "
                    "should change their password.",
                    "{n} users logged in right after a failed login whose password the log "
                    "shows: a mistyped password is often close to the real one, so they should "
                    "change their passwords.",
                    real,
                ).format(n=_count(real))
            )
        actions.append(_with_command(fix, "credential_exposed", audit))
    for client in attackers:
        if client.succeeded:
            for user in client.succeeded_as or [None]:
                moment = client.login_time(user)
                doubt = _doubt_of(client, user) if client.unsure else None
                if doubt is not None:  # it kept failing after: the owner's device?
                    text = _(
                        "Ask the user of {user} whether a device of theirs (a phone, a mail "
                        "program) logs in from {ip}: it logged in at {time} and kept failing "
                        "after that, as a device with an old password does. If it is "
                        "theirs: update the password saved on it. If it is not: change the "
                        "password now, end the account's open sessions, check what was sent "
                        "from the account after {time} and look for forwarding or filter "
                        "rules an intruder may have added."
                    )
                elif client.unsure:  # a guess that worked, or the owner: the owner knows
                    text = _(
                        "Ask the user of {user} whether the login from {ip} at {time} was "
                        "theirs. Only if it was not: change the password now, end the "
                        "account's open sessions, check what was sent from the account "
                        "after {time} and look for forwarding or filter rules an intruder "
                        "may have added."
                    )
                elif user and _accepted_only(client, user):
                    text = _(
                        "Change the password of {user} now: the server accepted it from {ip}. "
                        "Its session did not start, but the next try may."
                    )
                elif user:
                    text = _(
                        "Change the password of {user} now and end its open sessions: {ip} "
                        "logged in with it."
                    )
                else:
                    text = _(
                        "Change the password of the account {ip} logged in as now and end its "
                        "open sessions. {guess}"
                    )
                step: Step = [
                    text.format(
                        user=_login_account(client, user),
                        ip=client.ip,
                        time=when(moment or client.first),
                        guess=_unnamed_guess(client),
                    )
                ]
                if not user:
                    step += _unnamed_lookup(client)
                if not client.unsure and not (user and _accepted_only(client, user)):
                    step += _end_sessions(client, user)
                    step.append(
                        _(
                            "Then check what was sent from the account after {time} and "
                            "look for forwarding or filter rules the intruder may have "
                            "added."
                        ).format(time=when(moment or client.first))
                    )
                if client.unsure and doubt is None and not _ban_recommended(client):
                    # analyze: "Ban the address the login came from" (if not theirs)
                    step += [
                        _("If it was not theirs, block {ip} too:").format(ip=client.ip),
                        Command(f"mailwarden ban {client.ip}"),
                    ]
                actions.append(step)
    for client in attackers:
        if not client.login_read_first:
            continue
        users: list[str | None] = [u for u in client.succeeded_as if u]
        for user in users or [None]:
            text = _(
                "Ask the user of {user} whether the login from {ip} at {time} was theirs: "
                "by the time stamps it came after that address's failed logins, though "
                "mailwarden's detector, reading the lines in the order given, counts no "
                "break-in. Only if it was not: change the password now and end the "
                "account's open sessions."
            )
            step = [
                text.format(
                    user=_login_account(client, user),
                    ip=client.ip,
                    time=when(client.login_time(user) or client.first),
                )
            ]
            if not user:
                step += _unnamed_lookup(client)
            actions.append(step)
    for client in _owners(facts)[:MAX_CLIENTS]:
        moment, logins = _owner_login(client)
        misspelt = _misspelt_device(client)
        if _password_in_log(client, facts):
            # step 1 has the users whose passwords the log holds change them: not "only
            # if the login was not theirs"
            text = _(
                "Nothing to do about the failed logins from {ip}: most likely the owner of "
                "{account} mistyping. But the log holds a password of that account (see "
                "the first step): have its user change it in any case, and if the login at "
                "{time} was not theirs, also end the account's open sessions."
            )
        elif misspelt is not None:
            text = _(
                "Fix the user name on the device at {ip} that logs in as {tried}: the "
                "account is {name}. Nothing else to do for {ip}, most likely. To be sure, "
                "ask the user of {account} whether they logged in at {time}; only if they "
                "did not, change the password and end the account's open sessions."
            )
        else:
            text = _(
                "Most likely nothing to do for {ip}. To be sure, ask the user of {account} "
                "whether they logged in at {time}; only if they did not, change the "
                "password and end the account's open sessions."
            )
        actions.append(
            text.format(
                ip=client.ip,
                account=_listing(logins) if logins else "?",
                time=when(moment),
                tried=misspelt[0] if misspelt else "",
                name=misspelt[1] if misspelt else "",
            )
        )
    unsure = [c for c in attackers if not c.succeeded and not c.no_login_for_sure]
    unsure = [c for c in unsure if c.tried_to_log_in]
    if unsure:
        if any(c.someone_else for c in unsure):  # a login, not as an account it guessed
            text = _(
                "Make sure none of the guesses worked: these lines show no successful "
                "login as an account that was guessed, but that is no proof. Check the "
                "whole log:"
            )
        elif any(c.succeeded for c in attackers):  # one got in: the others are in question
            text = _(
                "Make sure none of the other clients got in: these lines show no successful "
                "login by them, but that is no proof. Check the whole log:"
            )
        elif _logins_shown(facts):  # someone's login: whose are absent, said exactly
            text = ngettext(
                "Make sure {ips} did not get in: these lines show no successful login by "
                "it after its failed logins, but that is no proof. Check the whole log:",
                "Make sure {ips} did not get in: these lines show no successful login by "
                "them after their failed logins, but that is no proof. Check the whole "
                "log:",
                len(unsure),
            )
        else:
            text = _(
                "Make sure nobody got in: these lines show no successful login, but that is "
                "no proof. Check the whole log:"
            )
        ips = _listing([c.ip for c in unsure], 5)
        actions.append([text.format(ips=ips), *_log_checks(unsure)])
    targeted: dict[str, str] = {}
    missing: dict[str, str] = {}  # the server said no such account exists
    for client in attackers:
        for name, key in zip(client.accounts, client.account_keys, strict=True):
            if not _could_be_account(name):
                continue
            if key in client.unknown_accounts:
                missing.setdefault(key, name)
            else:
                targeted.setdefault(key, name)
    for key in targeted:
        missing.pop(key, None)
    absent = ""
    if missing:
        absent = " " + ngettext(
            "({accounts} does not exist, the server says: no password to change there.)",
            "({accounts} do not exist, the server says: no passwords to change there.)",
            len(missing),
        ).format(accounts=_listing([quoted(n) for n in sorted(missing.values(), key=_natural)]))
    broken_into = {
        account_key(name) for c in attackers if c.succeeded for name in c.succeeded_as if name
    }
    guessed = any(c.succeeded and not c.unsure for c in attackers)
    if broken_into:  # their passwords are dealt with above: the others it tried remain
        names = sorted(
            (
                n
                for key, n in targeted.items()
                if not any(same_account(key, b) for b in broken_into)
            ),
            key=_natural,
        )
        if names and guessed:
            actions.append(
                _(
                    "Make sure the other targeted accounts ({accounts}) have strong, unique "
                    "passwords too: one password was guessed here, others may be as weak."
                ).format(accounts=_listing([quoted(n) for n in names]))
                + absent
            )
        elif names:
            actions.append(
                _(
                    "Make sure the other targeted accounts ({accounts}) have strong, unique "
                    "passwords too."
                ).format(accounts=_listing([quoted(n) for n in names]))
                + absent
            )
    elif targeted:
        names = sorted(targeted.values(), key=_natural)
        actions.append(
            _("Make sure the targeted accounts ({accounts}) have strong, unique passwords.").format(
                accounts=_listing([quoted(n) for n in names])
            )
            + absent
        )
    actions += _block_actions(facts, audit)
    never = [c for c in attackers if _never_banned(c)]
    unbanned = [
        c
        for c in attackers
        if not _ban_recommended(c) and not _never_banned(c) and not (c.succeeded and c.unsure)
    ]
    if unbanned:
        actions.append(_no_ban_text(unbanned))
    if never:
        # explain runs the detector with the default policy (no allow list): a client
        # never banned is this machine itself, loopback or the server's own address
        actions.append(
            _(
                "mailwarden never bans {ips}: the logins come from this machine itself, "
                "through a program on it, a webmail (Roundcube, SOGo) or a proxy, which "
                "hides the real client's address. Have that program pass the address on "
                "(for Roundcube, an IMAP ID plugin such as dovecot_ident, with Dovecot's "
                "login_trusted_networks = 127.0.0.0/8 ::1 and this server's own addresses): "
                "Dovecot then logs the real address (rip=) and mailwarden can ban it. Until "
                "then, limit failed logins in the webmail itself (Roundcube: "
                "login_rate_limit)."
            ).format(ips=_listing([c.ip for c in never], 5))
        )
    if "auth_on_port_25" in kinds:
        service, name = _port_465_service(facts)
        text = _(
            "Offer AUTH only on the submission ports 587 and 465. First make sure master.cf "
            "has their services, submission (587) and {service}, and move users who send "
            "with AUTH on port 25 today to port 587 or 465: after the change, AUTH on port "
            "25 fails for them. Then set smtpd_sasl_auth_enable = no in main.cf and "
            "“-o smtpd_sasl_auth_enable=yes” only under submission and {name} in master.cf."
        ).format(service=service, name=name)
        actions.append(_with_command(text, "auth_on_port_25", audit))
    if "weak_tls" in kinds:
        weak = frozenset(f.subject for f in facts.server_findings if f.kind == "weak_tls")
        tls_fix = WEAK_TLS_FIXES.get(weak, WEAK_TLS_FIXES[frozenset(_WEAK_TLS_SUBJECTS)])
        text = _("Stop accepting broken TLS: {fix}.").format(fix=_(tls_fix))
        actions.append(_with_command(text, "weak_tls", audit))
    if "soft_bounce" in kinds:
        soft = [f for f in facts.server_findings if f.kind == "soft_bounce"]
        if all(f.data.get("or") for f in soft):
            settings = _(", ").join(f"{code} = 550" for code in or_parameters(soft))
            text = _(
                "Set soft_bounce = no and {settings} (450 is only meant for short tests of a "
                "new setup)."
            ).format(settings=settings)
        else:
            text = _("Set soft_bounce = no (it is only meant for short tests of a new setup).")
        actions.append(_with_command(text, "soft_bounce", audit))
    if _old_postfix(facts):
        actions.append(
            _(
                "Upgrade Postfix to a supported release: it adds smtpd_client_auth_rate_limit "
                "(limit AUTH attempts per client), removes RC4 from the defaults and brings "
                "years of security fixes."
            )
        )
    if kinds & _CONFIGURATION_KINDS:
        dovecot, postfix = _configured_servers(facts)
        if dovecot and postfix:
            text = _(
                "Run this on the server: it reads Postfix's main.cf and master.cf and "
                "Dovecot's configuration (doveconf -n, else dovecot.conf) and prints the "
                "exact change for each point above:"
            )
        elif dovecot:
            text = _(
                "Run this on the server: it reads Dovecot's configuration (doveconf -n, else "
                "dovecot.conf) and prints the exact change for each point above:"
            )
        else:
            text = _(
                "Run this on the server: it reads main.cf and master.cf and prints the exact "
                "change for each point above:"
            )
        actions.append([text, Command(audit(""))])
    return actions


_DOVECOT_SOURCES = frozenset({"dovecot", "dovecot_debug"})
"""Sources of a ``credential_exposed`` finding that are Dovecot's settings; the others
(smtpd_tls_loglevel, smtpd -v) are Postfix's."""


def _configured_servers(facts: ExcerptFacts) -> tuple[bool, bool]:
    """Whose configuration the findings to change are in: (Dovecot's, Postfix's).
    Every configuration finding is Postfix's but an exposure by Dovecot's settings."""
    dovecot = postfix = False
    for finding in facts.server_findings:
        if finding.kind not in _CONFIGURATION_KINDS:
            continue
        if finding.kind == "credential_exposed" and _exposure_source(finding) in _DOVECOT_SOURCES:
            dovecot = True
        else:
            postfix = True
    return dovecot, postfix


_WEAK_TLS_SUBJECTS = ("negotiated", "cipher_list")


def _logged_in_after_pieces_only(client: ClientFacts) -> bool:
    """Whether each login of ``client`` came right after a piece of a cut Dovecot message
    (detect.pieces): none makes its address a device of the account."""
    events = client.success_events
    return bool(events) and all(e.detail is not None and after_piece(e) for e in events)


def _block_actions(facts: ExcerptFacts, audit: AuditCommand) -> list[Step]:
    """Block what the detector recommends banning: the networks it bans as a whole (as
    analyze's “Networks attacking together” says), then the addresses outside them;
    the last step says that blocking does not end the attack."""
    banned = [c for c in facts.attackers if _ban_recommended(c)]
    networks = _banned_networks(facts)
    alone = [c for c in banned if not any(_within(c.ip, n) for n in networks)]
    steps: list[Step] = []
    if networks:
        names = [str(n) for n in networks]
        if len(names) == 1:
            text = _(
                "Block the network {networks} in the firewall (nftables) rather than each of "
                "its addresses, now:"
            )
            then = _("or let “mailwarden run” ban such networks automatically.")
        else:
            text = _(
                "Block the networks {networks} in the firewall (nftables) rather than each "
                "of their addresses, now:"
            )
            then = _(
                "and likewise for the others, or let “mailwarden run” ban such networks "
                "automatically."
            )
        steps.append(
            [text.format(networks=_listing(names, 5)), Command(f"mailwarden ban {names[0]}"), then]
        )
    if alone:
        ips = [c.ip for c in alone]
        text = _("Block {ips} in the firewall (nftables) now:")
        if len(ips) == 1:
            then = _("or let “mailwarden run” ban such addresses automatically.")
        else:  # `ban` takes one address
            then = _(
                "and likewise for the others, or let “mailwarden run” ban such addresses "
                "automatically."
            )
        step: Step = [
            text.format(ips=_listing(ips, 5)),
            Command(f"mailwarden ban {ips[0]}"),
            then,
        ]
        # a client that got in is told in step 1 (change the password): no word here
        # that could make its break-in look doubtful (found by review)
        forged = [c.ip for c in alone if not c.compromises and _logged_in_after_pieces_only(c)]
        if forged:
            step.append(
                ngettext(
                    "{ips} logged in only on a line right after a piece of a cut Dovecot "
                    "message, which the client can write itself: that proves no device of the "
                    "account, so its failed logins count as guesses, not as a device still "
                    "trying a changed password.",
                    "{ips} logged in only on lines right after a piece of a cut Dovecot "
                    "message, which a client can write itself: that proves no device of the "
                    "account, so their failed logins count as guesses, not as a device still "
                    "trying a changed password.",
                    len(forged),
                ).format(ips=_listing(forged, 5))
            )
        steps.append(step)
    if not steps:
        return []
    kinds = {f.kind for f in facts.server_findings}
    changes = bool(kinds - {"auth_unavailable"}) or facts.old_cipher_list is not None
    if alone:
        if changes:
            tail = _(
                "But this is one of many bots: blocking one address does not end the attack; "
                "the changes below do."
            )
        else:
            tail = _(
                "But this is one of many bots: blocking one address does not end the attack; "
                "strong passwords do."
            )
    elif changes:
        tail = _(
            "But the same attack can come from other networks: blocking does not end it; "
            "the changes below do."
        )
    else:
        tail = _(
            "But the same attack can come from other networks: blocking does not end it; "
            "strong passwords do."
        )
    steps[-1] = _with_command([*steps[-1], tail], "bruteforce", audit)
    return steps


def _banned_networks(facts: ExcerptFacts) -> list[IPNetwork]:
    """The networks of guessing addresses that the detector recommends banning as a
    whole (its ``network`` findings: a /24 or /64 that ``mailwarden run`` bans)."""
    networks: list[IPNetwork] = []
    for finding in facts.other_findings:
        if finding.kind != "network" or finding.data.get("recommendation", BAN) != BAN:
            continue
        try:
            network = ip_network(str(finding.data.get("network", finding.subject)), strict=False)
        except ValueError:
            continue
        if network not in networks:
            networks.append(network)
    return networks


def _within(ip: str, network: IPNetwork) -> bool:
    try:
        return ip_address(ip) in network
    except ValueError:
        return False


_CONFIGURATION_KINDS = frozenset(
    {"credential_exposed", "auth_on_port_25", "weak_tls", "soft_bounce"}
)
"""Server findings whose point in the advice is a change to main.cf, master.cf or
dovecot.conf: only after one of them does “run mailwarden audit … the exact change for
each point above” have a point to speak of (not after a typo, a ban or passwords)."""


def _ban_recommended(client: ClientFacts) -> bool:
    """The detector recommends banning it (what analyze's “Do” column says): block
    advice names exactly these clients."""
    return client.attacker is not None and client.attacker.recommendation == BAN


def _this_machine(client: ClientFacts) -> bool:
    """Is the client this machine itself: a loopback address, or one the detector never
    bans (the server's own address; an allow-listed one)?"""
    if _never_banned(client):
        return True
    try:
        return ip_address(client.ip).is_loopback
    except ValueError:
        return False


def _never_banned(client: ClientFacts) -> bool:
    """Judged hostile, but loopback or the server's own address (explain's policy has no
    allow list)."""
    attacker = client.attacker
    return attacker is not None and attacker.recommendation in NEVER_BANNED


def _why_no_ban(clients: list[ClientFacts]) -> list[str]:
    """The clients, grouped by why the detector recommends no ban for them."""
    scanners, probes, unjudged, other = [], [], [], []
    for client in clients:
        attacker = client.attacker
        if attacker is None:
            unjudged.append(client.ip)
        elif attacker.verdict is Verdict.SCANNER:
            scanners.append(client.ip)
        elif attacker.verdict is Verdict.PROBE:
            probes.append(client.ip)
        else:
            other.append(client.ip)
    groups: list[str] = []
    if probes:
        groups.append(
            ngettext(
                "{ips} (a probe: one guess or a few at names bots try or that do not exist)",
                "{ips} (probes: one guess or a few at names bots try or that do not exist)",
                len(probes),
            ).format(ips=_listing(probes, 5))
        )
    if unjudged:
        groups.append(
            ngettext(
                "{ips} (too few failed logins for any of the detector's rules)",
                "{ips} (too few failed logins each for any of the detector's rules)",
                len(unjudged),
            ).format(ips=_listing(unjudged, 5))
        )
    if scanners:
        groups.append(
            ngettext(
                "{ips} (a scanner: it did not try to log in)",
                "{ips} (scanners: they did not try to log in)",
                len(scanners),
            ).format(ips=_listing(scanners, 5))
        )
    if other:
        groups.append(_listing(other, 5))
    return groups


def _no_ban_text(clients: list[ClientFacts]) -> str:
    """What to do about hostile clients the detector recommends no ban for: nothing in
    the firewall yet, and why."""
    return ngettext(
        "No need to block {clients} yet: mailwarden's detector recommends no ban for this "
        "address. “mailwarden run” bans such an address as soon as its guessing is enough "
        "for a ban.",
        "No need to block {clients} yet: mailwarden's detector recommends no ban for these "
        "addresses. “mailwarden run” bans such an address as soon as its guessing is enough "
        "for a ban.",
        len(clients),
    ).format(clients=_("; ").join(_why_no_ban(clients)))


def _old_postfix(facts: ExcerptFacts) -> bool:
    kinds = {f.kind for f in facts.server_findings}
    return "outdated_server" in kinds or facts.old_cipher_list is not None


def _port_465_service(facts: ExcerptFacts) -> tuple[str, str]:
    """The port-465 service of master.cf, introduced and then by name, as analyze's fix
    names it (:func:`~mailwarden.detect.server.port_465_service`): ``submissions``
    since Postfix 3.7, ``smtps`` in the stock master.cf before. The name the log shows,
    else the one of the version the log gives away, else both."""
    services = (s for c in facts.clients for s in c.services)
    name = port_465_service(services, _old_postfix(facts))
    if name == "submissions":
        return _("submissions (465)"), "submissions"
    if name == "smtps":
        return _("smtps (465; so named in the master.cf of Postfix before 3.7)"), "smtps"
    return (
        _("submissions (465; named smtps in the stock master.cf of Postfix before 3.7)"),
        _("submissions (or smtps)"),
    )


def _fix_tls_loglevel() -> Step:
    return [
        _("Lower smtpd_tls_loglevel to 1:"),
        Command("postconf -e smtpd_tls_loglevel=1"),
        Command("postfix reload"),
        _(
            "Then delete or lock away the old logs, their rotated copies and backups: they "
            "contain your users' passwords. Users who logged in while the level was 4 should "
            "change their passwords."
        ),
    ]


def _fix_tls_loglevel_unseen() -> Step:
    return [
        _("Lower smtpd_tls_loglevel to 1:"),
        Command("postconf -e smtpd_tls_loglevel=1"),
        Command("postfix reload"),
        _(
            "These lines hold no login, but while the level was 4 every login over TLS went "
            "into the log: look for “Read … chars: AUTH” lines in the older logs, their "
            "rotated copies and backups, and delete or lock away those that have them. Users "
            "whose logins are in them should change their passwords."
        ),
    ]


def _fix_verbose() -> Step:
    return [
        _(
            "Turn verbose logging off: remove -v from smtpd in master.cf and empty "
            "debug_peer_list, then reload Postfix:"
        ),
        Command("postfix reload"),
        _(
            "Then delete or lock away the old logs: they contain passwords. Users whose "
            "logins are in them should change their passwords."
        ),
    ]


def _fix_dovecot() -> Step:
    return [
        _("Set auth_verbose_passwords = no in Dovecot's configuration, then reload Dovecot:"),
        Command("doveadm reload"),
        _("Then delete or lock away the old logs: they contain passwords."),
    ]


def _fix_dovecot_debug() -> Step:
    return [
        _("Set auth_debug_passwords = no in Dovecot's configuration, then reload Dovecot:"),
        Command("doveadm reload"),
        _(
            "Then delete or lock away the old logs: they contain passwords and password "
            "hashes. Users whose stored password or hash is in them should change their "
            "passwords."
        ),
    ]


_EXPOSURE_FIX: dict[str, Callable[[], Step]] = {
    "tls_loglevel": _fix_tls_loglevel,
    "verbose": _fix_verbose,
    "dovecot": _fix_dovecot,
    "dovecot_debug": _fix_dovecot_debug,
}


def _step_item(number: int, step: str | Step) -> Item:
    """A numbered step of the advice: its sentences run together, each command on a line
    of its own under them."""
    pieces: Step = []
    for piece in [step] if isinstance(step, str) else step:
        if isinstance(piece, str) and pieces and isinstance(pieces[-1], str):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    first = pieces[0] if pieces and isinstance(pieces[0], str) else ""
    more = pieces[1:] if pieces and isinstance(pieces[0], str) else pieces
    return Item(f"{number}.", first, 2, tuple(more))


def verdict(
    facts: ExcerptFacts, show_passwords: bool, audit: AuditCommand | None = None
) -> list[Block]:
    """The verdict blocks for the whole excerpt."""
    blocks: list[Block] = [Heading(_("Verdict"), 1)]
    blocks += _headline(facts)
    shown = _logins_shown(facts)
    for client in facts.attackers[:MAX_CLIENTS]:
        blocks += _client_blocks(client, show_passwords, facts.logged_in, shown)
    blocks += _owner_blocks(facts)
    blocks += _campaign_blocks(facts)
    blocks += _server_blocks(facts)
    actions = _actions(facts, audit or _plain_audit)
    if actions:
        blocks.append(Heading(_("What to do, most important first"), 2))
        blocks += [_step_item(n, step) for n, step in enumerate(actions, 1)]
    return blocks


__all__ = ["AuditCommand", "verdict", "when"]
