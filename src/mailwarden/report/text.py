"""``mailwarden analyze``'s report for a person: what happened, did anyone get in, then tables.

Order: the headline (two lines: did anyone get in; what was read and found), compromised
accounts with what to do, attackers (worst first), spraying campaigns, networks,
enumeration, credentials seen in the log (masked), what the log reveals about the server
(with the ``mailwarden audit`` check for each cause), what is not an attack, and notes.

Every text that a client chose (usernames, passwords) goes into a ``rich.text.Text``,
never into markup, and has its control characters escaped, once, a backslash as ``\\\\``
(:func:`~mailwarden.parsers.sasl.escape_text`): a username such as ``[bold red]root``
or one with terminal escapes is shown as written, not interpreted, and a decoded
newline (``a\\x0ab``) never looks like the text ``\\x0a`` a client typed (``a\\\\x0ab``).
Tables fit 80 columns; colour only on a terminal (rich decides, ``NO_COLOR`` is honoured).

An address or a network is never split across lines (the first part of a cut IPv6
address is often another valid address): tables keep them in an
:class:`~mailwarden.report.layout.AddressTable` column, and running text wraps only at
spaces, which addresses do not contain. Nor is an account name: ``admin@example.com``
folded after ``admin@exam`` would read as another account. A name too long for its cell
is cut with ``…`` (:func:`account_cell`), and shown whole in the running text around the
table where it matters (the compromised accounts); a username the log itself cut off
(Postfix dumps 40 bytes of an AUTH payload) ends in ``…`` too.

The words are the active language's (``analyze --lang``, else the locale): the English
text is the gettext msgid, Chinese is in the catalog. Client text is a value given to
``str.format``, never part of a template. The detector's own sentences (a break-in's
reason, the fixes) are translated where they are shown (:mod:`.phrases`). Chinese
running text may break between two Chinese characters (it has no spaces), so a username
written in Chinese characters may be folded between two of them; a Latin one never is.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.text import Text

from mailwarden.detect import Analysis, Attacker, Compromise, Verdict
from mailwarden.detect.accounts import CUT
from mailwarden.detect.analysis import (
    BAN_VERDICTS,
    COMPROMISE_ADVICE,
    NEVER_BANNED,
    TIME_ZONE,
    from_this_machine,
    in_report_zone,
    report_zone,
)
from mailwarden.detect.server import SOFT_OR_CODE_FIX, either, or_parameters, soft_or_code_fix
from mailwarden.locale import N_, _, active_language, ngettext, pgettext, tidy
from mailwarden.model import Finding
from mailwarden.parsers.sasl import escape_text, escape_unsafe
from mailwarden.report import AUDIT_KINDS, AuditHint, ReadSummary
from mailwarden.report.layout import FOLD_MIN, AddressTable, Bullets, Paragraph
from mailwarden.report.phrases import VERDICT_LABELS, fixed, not_banned, reason, verdict_label
from mailwarden.sources.interface import MAX_LINE

if TYPE_CHECKING:
    from mailwarden.detect import SeenCredential
    from mailwarden.parsers.sasl import Credential

DEFAULT_LIMIT = 20
"""Rows per table unless ``--limit`` says otherwise (0: all)."""
ACCOUNT_WIDTH = 24
"""Cells an account column keeps for its names before it may cut them (with ``…``)."""

_SERVER_TITLES = {
    "credential_exposed": N_("Passwords in the log"),
    "auth_on_port_25": N_("Logins offered on port 25"),
    "weak_tls": N_("Weak TLS"),
    "outdated_server": N_("Outdated Postfix"),
    "soft_bounce": N_("soft_bounce is on"),
    "auth_unavailable": N_("Authentication server unreachable"),
}
_SEVERITIES = {
    "critical": N_("critical"),
    "high": N_("high"),
    "medium": N_("medium"),
    "low": N_("low"),
    "info": N_("info"),
}
_ACTIONS = {
    "ban": N_("ban"),
    "watch": N_("watch"),
    "never ban": N_("never ban"),
    "don't ban": N_("don't ban"),
}
"""The "Do" column's words (:func:`_action`)."""
_HANDLED_KINDS = frozenset(
    {"spray", "network", "wide_network", "enumeration", "stale_password", "misspelt_username"}
) | set(_SERVER_TITLES)
_STYLE = {
    "alarm": "bold white on red",
    "bad": "bold red",
    "warn": "yellow",
    "ok": "bold green",
    "head": "bold",
    "dim": "dim",
}


# -- small helpers ---------------------------------------------------------------------------


def shown(text: object) -> str:
    """Client text (raw) fit for a terminal: control, formatting and invisible characters
    escaped (``adm\u3164in`` cannot pass for ``admin``), a backslash too, never
    interpreted. Once: text already escaped goes through ``escape_unsafe``."""
    return escape_text(str(text))


def counted(text: str, count: int) -> str:
    """``text`` (an ``ngettext`` of a ``{n}`` phrase) with ``count`` as the report writes
    numbers: ``1,234``."""
    return text.format(n=f"{count:,}")


def _gap() -> str:
    """What goes between two sentences: a space, none after Chinese punctuation."""
    return "" if active_language() == "zh_CN" else " "


def when(moment: datetime | None, year: bool = True) -> str:
    """In the report's one offset (:func:`~mailwarden.detect.analysis.report_zone`)."""
    if moment is None:
        return "-"
    return in_report_zone(moment).strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")


def seen(first: datetime | None, last: datetime | None) -> str:
    """``02-23 10:00–10:05`` within a day, ``02-23 10:00 → 02-25 13:05`` across days."""
    first = in_report_zone(first) if first is not None else None
    last = in_report_zone(last) if last is not None else None
    if first is None or last is None:
        return when(first or last, year=False)
    if first.date() == last.date():
        if first.strftime("%H:%M") == last.strftime("%H:%M"):
            return when(first, year=False)
        return f"{when(first, year=False)}–{last:%H:%M}"
    return f"{when(first, year=False)} → {when(last, year=False)}"


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def first_last(first: datetime | None, last: datetime | None) -> str:
    """First seen, and below it last seen when that is another minute."""
    top = when(first or last, year=False)
    if first is None or last is None or when(first) == when(last):
        return top
    return f"{top}\n{when(last, year=False)}"


def account_cell(name: str) -> Text:
    """An account in a table cell: cut with ``…`` when the column is narrower, never
    folded onto a second line (the first part of a folded name is another valid-looking
    account). The column keeps ``overflow="fold"`` so that the layout may narrow it; the
    cell's own overflow wins when it is drawn."""
    return Text(name, no_wrap=True, overflow="ellipsis")


def account_column(title: str, cells: Iterable[str], **options: Any) -> tuple[str, dict[str, Any]]:
    """A table column of :func:`account_cell` cells: at least as wide as its longest
    name up to ``ACCOUNT_WIDTH`` cells (a name is what the reader came for; the address
    beside it goes above its row sooner than the name is cut short)."""
    longest = max((cell_len(cell) for cell in cells), default=0)
    least = max(cell_len(title.split()[0]) if title else 0, min(longest, ACCOUNT_WIDTH))
    return title, {"overflow": "fold", "min_width": least, **options}


_AMBIGUOUS = frozenset(' ,;()<>=[]"“”')


def account(user: str, width: int | None = 40) -> str:
    """A username as lists show it: escaped, cut to ``width`` (None: whole), and between
    “ ” when it holds what could pass for a separator or a field (``u0>, rip=198.51.100.9``),
    so a name a client chose never reads as two names or as the log's own text."""
    text = shown(user) if width is None else clip(shown(user), width)
    if not _AMBIGUOUS & set(text):
        return text
    # Quotes inside are escaped: “x”, “admin” must not read as two names.
    return "“" + text.replace("“", "\\u201c").replace("”", "\\u201d") + "”"


def names(users: Sequence[str], room: int = 3, width: int = 40) -> str:
    """The first few names (each cut to ``width``), then how many more."""
    if not users:
        return "-"
    head = ", ".join(account(u, width) for u in users[:room])
    more = len(users) - room
    return f"{head} +{more}" if more > 0 else head


def bullets(items: Sequence[Text], mark: str = "•") -> Bullets:
    """Items with a hanging indent: wrapped lines stay under their text."""
    return Bullets(items, mark)


def _more(total: int, limit: int, what: str) -> Text | None:
    """``what`` (``… and {n} more logins (…)``, translated) when rows were left out."""
    if limit and total > limit:
        return Text(counted(what, total - limit), style=_STYLE["dim"])
    return None


def _rows(items: Sequence[Any], limit: int) -> Sequence[Any]:
    return items[:limit] if limit else items


# -- the headline ------------------------------------------------------------------------------


def headline(analysis: Analysis, summary: ReadSummary) -> tuple[str, str]:
    """(did anyone get in, what was read and found): the first two lines of the report."""
    attackers = hostile(analysis.attackers)
    banned = [a for a in attackers if a.verdict in BAN_VERDICTS and a.recommendation == "ban"]
    # A wide network whose addresses are not all banned already (by the /64 rule, as
    # spray members, …): the headline and the counts add only what it adds.
    spread = [
        f
        for f in analysis.findings
        if f.kind == "wide_network" and int(f.data.get("unjudged_members", 0))
    ]
    wide = [f for f in spread if f.data.get("recommendation") == "ban"]
    if analysis.compromised:
        accounts = list(
            dict.fromkeys(
                # whole: the account to reset (escaped; a table may cut it, not this)
                account(c.user, None) if c.user else _("an unnamed account")
                for c in analysis.compromised
            )
        )
        first = analysis.compromised[0]
        after = counted(
            ngettext("{n} failed login", "{n} failed logins", first.failures_before),
            first.failures_before,
        )
        # Every login one the owners can tell from theirs (by_others: ASK_THE_OWNER).
        # Or a login in doubt (doubt: its address kept failing as the account after it).
        unsure = all(c.by_others or c.doubt is not None for c in analysis.compromised)
        who = _("Maybe someone got in") if unsure else _("Someone got in")
        client = analysis.attacker(first.ip) if first.ip else None
        if first.by_others and first.failures_before and (client is None or not client.failures):
            # the failures were other clients' guessing, none from this address
            after = counted(
                ngettext(
                    "{n} failed login by other clients",
                    "{n} failed logins by other clients",
                    first.failures_before,
                ),
                first.failures_before,
            )
        if len(accounts) == 1 and first.user is None:
            if first.ip:
                top = _("{who} from {ip} (the log does not say as whom) after {after}.")
            else:
                top = _("{who} (the log does not say as whom) after {after}.")
            top = top.format(who=who, ip=first.ip, after=after)
        elif len(accounts) == 1 and not first.session_started and first.ip:
            # Dovecot's "internal failure, K successful auths": no session, but the password
            top = _(
                "{who}: the password of {account} was accepted from {ip} after {after} "
                "(the session did not start)."
            ).format(who=who, account=accounts[0], ip=first.ip, after=after)
        elif len(accounts) == 1:
            if first.ip:
                top = _("{who}: {account} was logged into from {ip} after {after}.")
            else:
                top = _("{who}: {account} was logged into after {after}.")
            top = top.format(who=who, account=accounts[0], ip=first.ip, after=after)
        else:
            more = len(accounts) - 4
            listed = _(", ").join(accounts[:4]) + (f" +{more}" if more > 0 else "")
            top = _("{who}: {n} accounts ({listed}).").format(
                who=who, n=len(accounts), listed=listed
            )
        if unsure:
            top += _gap() + _("Ask the owner whether it was them.")
    elif banned or wide:
        guessed = []
        if banned:
            guessed.append(
                ngettext(
                    "{n} client guessed passwords ({kinds})",
                    "{n} clients guessed passwords ({kinds})",
                    len(banned),
                ).format(n=f"{len(banned):,}", kinds=_verdict_counts(banned))
            )
        if wide:
            many = sum(int(f.data.get("unjudged_members", 0)) for f in wide)
            guessed.append(
                # over minutes or hours: not "at once"
                _("{networks} ({names}) guessed from {addresses}").format(
                    networks=counted(ngettext("{n} network", "{n} networks", len(wide)), len(wide)),
                    names=names([f.subject for f in wide], 2),
                    addresses=counted(ngettext("{n} address", "{n} addresses", many), many),
                )
            )
        joined = _(" and ").join(guessed)
        ban = ngettext("{guessed}: ban it.", "{guessed}: ban them.", len(banned) + len(wide))
        ban = ban.format(guessed=joined)
        top = _("Nobody got in. {ban}").format(ban=ban)
        logged = sorted({str(u) for f in wide for u in f.data.get("logged_in_as", ())})
        if logged:  # a login from the network as an account it was guessing
            top = ngettext(
                "Maybe someone got in: a login as {names} from a network that was guessing "
                "it; check it. {ban}",
                "Maybe someone got in: a login as {names} from a network that was guessing "
                "it; check them. {ban}",
                len(logged),
            ).format(names=names(logged, 2), ban=ban)
    elif attackers or spread:
        watched = []
        if attackers:
            watched.append(
                ngettext("{n} client ({kinds})", "{n} clients ({kinds})", len(attackers)).format(
                    n=f"{len(attackers):,}", kinds=_verdict_counts(attackers)
                )
            )
        if spread:
            watched.append(
                counted(
                    ngettext(
                        "{n} network guessing from many addresses, never banned (allow list)",
                        "{n} networks guessing from many addresses, never banned (allow list)",
                        len(spread),
                    ),
                    len(spread),
                )
            )
        top = _("Nobody got in, and no guessing worth a ban: {watched} to watch.").format(
            watched=_(" and ").join(watched)
        )
    elif _unexplained_failures(analysis):
        failed = _unexplained_failures(analysis)
        top = counted(
            ngettext(
                "No attack found: {n} failed login, too few from any client to tell guessing "
                "from a typo.",
                "No attack found: {n} failed logins, too few from any client to tell guessing "
                "from a typo.",
                failed,
            ),
            failed,
        )
        top += _owners_after_failures(analysis)
    elif (
        not summary.mail_seen
        and not summary.recognised
        and not analysis.findings
        # files left out or read only for the owners' logins by --since/--until: the
        # lines read say nothing of what the file is (its headline says why)
        and not (summary.before_since or summary.looked_back or summary.after_until)
    ):
        # a syslog without mail lines, an empty file, the wrong file: no clean verdict
        top = _nothing_recognised(summary)
    else:
        top = _("No attack found: nobody guessed passwords.")
    return top, _read_line(analysis, summary, attackers, spread)


def _nothing_recognised(summary: ReadSummary) -> str:
    """The headline when no input held a mail server's entry: is it the right input?
    Or, when not a line was read and an input could not be read, why."""
    if summary.unreadable and not summary.lines:
        if len(summary.unreadable) == 1:
            return _("Nothing analysed: {problem}.").format(
                problem=shown(summary.unreadable[0]).rstrip(".")
            )
        count = len(summary.unreadable)
        return counted(
            ngettext(
                "Nothing analysed: {n} input could not be read (see Notes).",
                "Nothing analysed: {n} inputs could not be read (see Notes).",
                count,
            ),
            count,
        )
    if summary.inputs == ("journal",):
        if not summary.lines:
            return _(
                "The journal gave no entry: is Postfix logging to it (journalctl -u "
                "'postfix*'), may this user read it, and does --journal-match (if given) "
                "select its entries?"
            )
        return counted(
            ngettext(
                "Nothing recognised as a mail server's entry in the {n} journal entry read: "
                "is Postfix logging to the journal (journalctl -u 'postfix*'), and does "
                "--journal-match (if given) select its entries?",
                "Nothing recognised as a mail server's entry in the {n} journal entries "
                "read: is Postfix logging to the journal (journalctl -u 'postfix*'), and "
                "does --journal-match (if given) select its entries?",
                summary.lines,
            ),
            summary.lines,
        )
    if not summary.lines:  # "in 0 lines" said it less plainly
        if summary.inputs == ("-",):
            return _(
                "Nothing to analyse: standard input is empty. Is this the right file? "
                "(journald-only servers: --journal)"
            )
        if summary.files <= 1:
            return _(
                "Nothing to analyse: the file is empty. Is this the right file? "
                "(journald-only servers: --journal)"
            )
        return counted(
            ngettext(
                "Nothing to analyse: the {n} file is empty. Are these the right files? "
                "(journald-only servers: --journal)",
                "Nothing to analyse: the {n} files are empty. Are these the right files? "
                "(journald-only servers: --journal)",
                summary.files,
            ),
            summary.files,
        )
    return counted(
        ngettext(
            "Nothing recognised as a mail server's log entry in {n} line: is this the "
            "right file? (journald-only servers: --journal)",
            "Nothing recognised as a mail server's log entry in {n} lines: is this the "
            "right file? (journald-only servers: --journal)",
            summary.lines,
        ),
        summary.lines,
    )


def _read_line(
    analysis: Analysis, summary: ReadSummary, attackers: Sequence[Attacker], spread: list[Finding]
) -> str:
    """The headline's second line: what was read, and how many failed logins from whom."""
    if summary.files:
        where_from = counted(ngettext("{n} file", "{n} files", summary.files), summary.files)
    else:
        where_from = _("the input")
    if summary.inputs in (("journal",), ("-",)):  # no file named
        where_from = _("the journal") if summary.inputs == ("journal",) else _("standard input")
    read = ngettext(
        "Read {n} line from {source} in {seconds} s",
        "Read {n} lines from {source} in {seconds} s",
        summary.lines,
    ).format(n=f"{summary.lines:,}", source=where_from, seconds=f"{summary.seconds:.1f}")
    if not summary.files and not summary.lines and summary.before_since and not summary.looked_back:
        read = _("Opened no file")  # every file was last written before --since
    read += _failed_logins(analysis, attackers, spread)
    if summary.damaged:  # the notes say where, at the bottom: the top says it too
        read += _gap() + counted(
            ngettext(
                "{n} archive damaged: read up to the damage (see Notes).",
                "{n} archives damaged: each read up to its damage (see Notes).",
                summary.damaged,
            ),
            summary.damaged,
        )
    if summary.unreadable and summary.lines:  # else the headline says it
        count = len(summary.unreadable)
        read += _gap() + counted(
            ngettext(
                "{n} input could not be read (see Notes).",
                "{n} inputs could not be read (see Notes).",
                count,
            ),
            count,
        )
    if summary.junk:
        read += _gap() + ngettext(
            "{n} line skipped: binary, or longer than {kib} KiB.",
            "{n} lines skipped: binary, or longer than {kib} KiB.",
            summary.junk,
        ).format(n=f"{summary.junk:,}", kib=MAX_LINE >> 10)
    if summary.duplicates:
        read += _gap() + counted(
            ngettext(
                "{n} entry also in another input (as mail.log and syslog both hold mail lines)"
                " counted once.",
                "{n} entries also in another input (as mail.log and syslog both hold mail lines)"
                " counted once.",
                summary.duplicates,
            ),
            summary.duplicates,
        )
    if summary.before_since:
        count = len(summary.before_since)
        read += _gap() + counted(
            ngettext(
                "{n} file last written more than a day before --since not opened.",
                "{n} files last written more than a day before --since not opened.",
                count,
            ),
            count,
        )
    if summary.looked_back:
        count = len(summary.looked_back)
        read += _gap() + counted(
            ngettext(
                "{n} file written before --since read only for the owners' logins.",
                "{n} files written before --since read only for the owners' logins.",
                count,
            ),
            count,
        )
    if summary.after_until:
        count = len(summary.after_until)
        read += _gap() + counted(
            ngettext(
                "{n} newer file not opened: an older one ends more than a day past --until.",
                "{n} newer files not opened: an older one ends more than a day past --until.",
                count,
            ),
            count,
        )
    return tidy(read)  # no client text in it: Chinese spacing is safe


def _failed_logins(analysis: Analysis, attackers: Sequence[Attacker], spread: list[Finding]) -> str:
    """The read line's count of failed logins: every one counted as a guess (the JSON's
    ``failures_counted``), and where they came from when not all from the hostile
    clients listed below: other addresses of a wide network, owners' typos (forgiven
    when the owner logged in), clients with too few failures to judge. Then the
    failures with an account the client had logged in as (``stale_failures``), which
    are no guesses."""
    failures = sum(a.failures for a in attackers)
    # Failures of the addresses not among the attackers (theirs are counted above).
    others = sum(
        int(f.data.get("unlisted_failures", f.data.get("unjudged_failures", 0))) for f in spread
    )
    stats = analysis.stats
    forgiven = int(stats.get("failures_forgiven", 0))
    total = max(int(stats.get("failures_counted", 0)), failures + others + forgiven)
    rest = total - failures - others - forgiven
    parts: list[tuple[str, int]] = []
    if failures:
        guessing = sum(1 for a in attackers if a.failures)  # scanners fail no login
        clients = counted(
            ngettext("{n} hostile client", "{n} hostile clients", len(attackers)), len(attackers)
        )
        if guessing < len(attackers):
            clients = _("{n} of {clients}").format(n=f"{guessing:,}", clients=clients)
        parts.append((_("{failures} from {clients}").replace("{clients}", clients), failures))
    if others:
        networks = names([f.subject for f in spread], 2)
        if failures:
            text = _("{failures} from other addresses of {networks}")
        else:
            text = _("{failures} from addresses of {networks}")
        parts.append((text.replace("{networks}", networks), others))
    if forgiven:
        text = ngettext(
            "{failures} was an owner's typo, forgiven when they logged in from there",
            "{failures} were owners' typos, forgiven when they logged in from there",
            forgiven,
        )
        parts.append((text, forgiven))
    if rest:
        text = _("{failures} from clients with too few each to tell guessing from a typo")
        parts.append((text, rest))
    if len(parts) == 1:
        text, n = parts[0]
        line = _(": {part}.").format(
            part=text.format(
                failures=counted(ngettext("{n} failed login", "{n} failed logins", n), n)
            )
        )
    elif parts:
        line = _(": {failures} ({parts}).").format(
            failures=counted(ngettext("{n} failed login", "{n} failed logins", total), total),
            parts=_("; ").join(text.format(failures=f"{n:,}") for text, n in parts),
        )
    else:
        line = _(".")
    stale = int(stats.get("stale_failures", 0))
    if stale:
        line += _gap() + counted(
            ngettext(
                "{n} more failed login with an account the client had logged in as (an old "
                "password or a typo) is not counted as a guess.",
                "{n} more failed logins with an account the client had logged in as (old "
                "passwords or typos) are not counted as guesses.",
                stale,
            ),
            stale,
        )
    return line


def _owners_after_failures(analysis: Analysis) -> str:
    """The headline's word on owners' logins after failed logins from their address
    (:attr:`Analysis.owner_logins`): the failures most likely their typos."""
    logins = analysis.owner_logins
    if not logins:
        return ""
    ip, user, failures = logins[0]
    text = ngettext(
        "{ip} failed once and then logged in as {account}: most likely the account's owner "
        "mistyping.",
        "{ip} failed {n} times and then logged in as {account}: most likely the account's "
        "owner mistyping.",
        failures,
    ).format(ip=ip, n=f"{failures:,}", account=account(user, None))
    if len(logins) > 1:
        text += _gap() + counted(
            ngettext(
                "So did {n} other address.",
                "So did {n} other addresses.",
                len(logins) - 1,
            ),
            len(logins) - 1,
        )
    return _gap() + text


def _unexplained_failures(analysis: Analysis) -> int:
    """Failed logins counted against clients (a phone's with a stale password are
    counted apart, as ``stale_failures``), but for the owners' typos forgiven when
    they logged in."""
    stats = analysis.stats
    return int(stats.get("failures_counted", 0)) - int(stats.get("failures_forgiven", 0))


def hostile(attackers: Sequence[Attacker]) -> list[Attacker]:
    """The clients the text report calls hostile: all the detector judged, but a device
    with a stale password (the owner's phone), which "Not attacks" lists instead. The
    JSON ``attackers`` keeps it, with its ``none (stale password …)`` recommendation."""
    return [a for a in attackers if a.verdict is not Verdict.STALE_PASSWORD]


def _verdict_counts(attackers: Iterable[Attacker]) -> str:
    counts: dict[Verdict, int] = {}
    for attacker in attackers:
        counts[attacker.verdict] = counts.get(attacker.verdict, 0) + 1
    parts = [
        counted(ngettext("{n} network member", "{n} network members", n), n)
        if v is Verdict.NETWORK_MEMBER
        else _("{n} {verdict}").format(n=f"{n:,}", verdict=verdict_label(v))
        for v, n in sorted(counts.items(), key=lambda kv: list(Verdict).index(kv[0]))
    ]
    return _(", ").join(parts)


# -- sections ---------------------------------------------------------------------------------


def _no_session() -> str:
    return _(
        "The password was accepted, but the login failed after it (Dovecot: “internal "
        "failure, … successful auths”), so no session started: whoever sent it knows the "
        "password."
    )


def _doubt(c: Compromise) -> str:
    """Why the login is in doubt (:attr:`Compromise.doubt`), or nothing."""
    if c.doubt is None:
        return ""
    minutes = 0
    if c.time is not None and c.last_failure_after is not None:
        minutes = max(1, round((c.last_failure_after - c.time).total_seconds() / 60))
    tries = ngettext("{n} more failed login", "{n} more failed logins", c.failures_after).format(
        n=f"{c.failures_after:,}"
    )
    span = ngettext("{n} minute", "{n} minutes", minutes).format(n=f"{minutes:,}")
    return _(". ") + _(
        "Maybe not a break-in: this address kept failing as the account after the login "
        "({tries} over {span}), as the owner's phone with an old password does"
    ).format(tries=tries, span=span)


def compromised_section(compromises: Sequence[Compromise], limit: int) -> list[RenderableType]:
    if not compromises:
        return []
    accounts = [shown(c.user or _("(not named in the log)")) for c in _rows(compromises, limit)]
    ipv6 = any(":" in (c.ip or "") for c in _rows(compromises, limit))
    narrow = {"max_width": 8} if ipv6 else {}
    table = AddressTable(
        1,
        # The address stays on its account's row (a line above it would read as the
        # previous row's): the account may be cut here, the bullets below and the
        # headline name it whole. Too narrow even so, it goes under its row (AddressTable).
        account_column(
            pgettext("column", "Account"), accounts, style="bold red", min_width=FOLD_MIN
        ),
        (pgettext("column", "From"), {}),
        # may wrap at its space (date over time) when an IPv6 address needs the room
        (pgettext("column", "When"), {"min_width": 10} if ipv6 else {"no_wrap": True}),
        (pgettext("column", "Failures before"), {"justify": "right", **narrow}),
    )
    for c, account in zip(_rows(compromises, limit), accounts, strict=True):
        table.add_row(
            [c.ip or "-"],
            account_cell(account),
            when(c.time),
            f"{c.failures_before:,}",
        )
    out: list[RenderableType] = [_heading(_("Compromised accounts")), table]
    more = _more(
        len(compromises),
        limit,
        _("… and {n} more logins (--limit 0 shows all; --format json lists every one)"),
    )
    if more is not None:
        out.append(more)
    reasons = [
        Text.assemble(
            (shown(c.user or _("(unnamed)")) + _(": "), "bold"),
            shown(reason(c.reason)),
            "" if c.session_started else _(". ") + _no_session(),
            _doubt(c),
        )
        for c in _rows(compromises, limit)
    ]
    out.append(bullets(reasons))
    out.append(Text("\n" + _("What to do now:"), style="bold"))
    # Each login's own steps, once each: a login from a never-banned address advises no ban.
    steps = dict.fromkeys(step for c in _rows(compromises, limit) for step in c.advice)
    out.append(
        bullets(
            [Text(_advice(step) + _end_sessions(step, compromises, limit)) for step in steps],
            mark="1.",
        )
    )
    return out


_SHELL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@_+-:")
"""What an account name or address may hold to go into a command as it is; a name from
the log with anything else (a client chose it) gets no command."""


def _end_sessions(step: str, compromises: Sequence[Compromise], limit: int) -> str:
    """Under the step that ends the intruder's sessions, the exact commands, a line
    each: ``doveadm kick`` for each account, ``ss -K dst`` for each address, then
    ``ss -tn dst`` for each (the step restarts Postfix only if it lists any). Only for
    the confirmed ones (their advice starts with this step): a login to ask the owner
    about first (``ASK_THE_OWNER``) may be the owner's, whom the commands would cut off."""
    if step != COMPROMISE_ADVICE[0]:
        return ""
    confirmed = [c for c in _rows(compromises, limit) if c.advice[:1] == (step,)]
    commands: list[str] = []
    for c in confirmed:
        if c.user and set(c.user) <= _SHELL_SAFE and not c.user.startswith("-"):
            commands.append(f"doveadm kick {c.user}")
    addresses = [
        # ss takes an IPv6 address in brackets, quoted: not a shell pattern
        f"'[{c.ip}]'" if ":" in c.ip else c.ip
        for c in confirmed
        if c.ip and set(c.ip) <= _SHELL_SAFE and not c.ip.startswith("-")
    ]
    commands += [f"ss -K dst {ip}" for ip in addresses]
    commands += [f"ss -tn dst {ip}" for ip in addresses]  # whether ss -K ended them
    return "".join(f"\n  {command}" for command in dict.fromkeys(commands))


def _advice(step: str) -> str:
    """One of a break-in's steps (``COMPROMISE_ADVICE``, ``ASK_THE_OWNER``, the step for a
    never-banned address) in the active language."""
    translated = fixed(step)
    return reason(step) if translated == step else translated


def attackers_section(attackers: Sequence[Attacker], limit: int) -> list[RenderableType]:
    if not attackers:
        return []
    labels = [verdict_label(a.verdict, a.unsure) for a in _rows(attackers, limit)]
    # A label wraps at its spaces; a word (a Chinese label is one) is never cut.
    widest = max((cell_len(word) for label in labels for word in label.split()), default=0)
    table = AddressTable(
        0,
        (pgettext("column", "Client"), {}),
        (pgettext("column", "Verdict"), {"max_width": max(12, widest)}),
        (pgettext("column", "Tries"), {"justify": "right", "no_wrap": True}),
        (pgettext("column", "Accounts tried"), {"min_width": 12, "max_width": 28}),
        (pgettext("column", "First, last"), {"no_wrap": True, "min_width": 11}),
        (pgettext("column", "Do"), {"no_wrap": True, "min_width": 5}),
    )
    for a, label in zip(_rows(attackers, limit), labels, strict=True):
        client = [Text(a.ip)]
        if a.network:
            client.append(Text(a.network, style=_STYLE["dim"]))
        if a.verdict is Verdict.COMPROMISED:
            style = _STYLE["warn"] if a.unsure else _STYLE["bad"]
        else:
            style = ""
        users = a.users
        tried = clip(shown(users[0]), 24) if users else "-"
        if len(users) > 1:  # a line of its own: a narrow column cuts the name, not this
            if a.users_complete:
                tried += "\n" + _("+{n} more").format(n=f"{len(users) - 1:,}")
            else:  # names beyond those kept: at least one more than the list shows
                tried += "\n" + _("+{n} or more").format(n=f"{len(users):,}")
        if users and a.unnamed_failures:
            # Tries the log names no account for: an account's count has only its own.
            tried += "\n" + counted(
                ngettext("{n} try unnamed", "{n} tries unnamed", a.unnamed_failures),
                a.unnamed_failures,
            )
        action = _action(a.recommendation)
        table.add_row(
            client,
            Text(label, style=style),
            f"{a.failures:,}",
            Text(tried, no_wrap=True, overflow="ellipsis"),
            first_last(a.first_seen, a.last_seen),
            Text(_action_label(action), style=_STYLE["warn"] if action == "ban" else ""),
        )
    heading = _("Attackers ({n}, worst first)").format(n=f"{len(attackers):,}")
    out: list[RenderableType] = [_heading(heading), table]
    more = _more(
        len(attackers),
        limit,
        _("… and {n} more attackers (--limit 0 shows all; --format json lists every one)"),
    )
    if more is not None:
        out.append(more)
    return out


def _action(recommendation: str) -> str:
    if recommendation.startswith("none"):
        return "never ban" if recommendation in NEVER_BANNED else "don't ban"
    return recommendation


def _action_label(action: str) -> str:
    """An :func:`_action` in the active language."""
    return _(_ACTIONS[action]) if action in _ACTIONS else action


def campaigns_section(findings: Sequence[Finding], limit: int) -> list[RenderableType]:
    sprays = [f for f in findings if f.kind == "spray"]
    if not sprays:
        return []
    table = AddressTable(
        2,
        (pgettext("column", "Campaign"), {"no_wrap": True}),
        (pgettext("column", "Clients"), {"justify": "right"}),
        (pgettext("column", "Such as"), {}),
        (pgettext("column", "Accounts targeted"), {"overflow": "fold"}),
        (pgettext("column", "Failures"), {"justify": "right"}),
    )
    for f in _rows(sprays, limit):
        data = f.data
        members = [str(m) for m in data.get("members", ())]
        more = len(members) - 2
        table.add_row(
            members[:2] or ["-"],
            str(data.get("campaign", f.subject)),
            f"{data.get('member_count', 0):,}",
            Text(_targets(data), overflow="ellipsis"),
            f"{data.get('failures', 0):,}",
            extra=_("+{n} more").format(n=more) if more > 0 else None,
        )
    return [_heading(_("Password spraying campaigns")), table]


def _targets(data: dict[str, Any]) -> str:
    """A campaign's shared targets; first how many names its members tried in all when
    that makes it an enumeration too (first: the cell may be cut at its end)."""
    targets = [str(t) for t in data.get("targets", ())]
    # the JSON lists the first 50 targets: "+N" counts every one left out
    count = max(len(targets), int(data.get("target_count", 0)))
    if not data.get("enumeration"):
        return _some(targets, 3, count)
    total = max(count, int(data.get("usernames", 0)))
    if data.get("usernames_complete", True):
        text = _("{n} usernames in all: {names}")
    else:
        text = _("{n} or more usernames in all: {names}")
    return text.format(n=f"{total:,}", names=_some(targets, 2, total))


def _some(shown: Sequence[str], room: int, total: int) -> str:
    """The first ``room`` of ``shown``, then how many of ``total`` names are left out."""
    head = names(shown[:room], room)
    more = total - min(room, len(shown))
    return f"{head} +{more:,}" if shown and more > 0 else head


def networks_section(findings: Sequence[Finding], limit: int) -> list[RenderableType]:
    # The wide ones first: one such row stands for many of the others.
    networks = [f for f in findings if f.kind == "wide_network"]
    networks += [f for f in findings if f.kind == "network"]
    if not networks:
        return []
    table = AddressTable(
        0,
        (pgettext("column", "Network"), {}),
        (pgettext("column", "Addresses"), {"justify": "right"}),
        (pgettext("column", "Failures"), {"justify": "right"}),
        (pgettext("column", "Seen"), {"overflow": "fold"}),
        (pgettext("column", "Do"), {}),
    )
    for f in _rows(networks, limit):
        data = f.data
        first, last = _parse_time(data.get("first_seen")), _parse_time(data.get("last_seen"))
        where = [f.subject]
        if f.kind == "wide_network":  # its /64s, one guess or two from each address
            where.append(
                _("{n} {prefix}s in it").format(
                    n=f"{int(data.get('networks', 0)):,}", prefix=data.get("networks_of", "")
                )
            )
            logged = [str(u) for u in data.get("logged_in_as", ())]
            if logged:
                where.append(_("logged in as {names}").format(names=names(logged, 1)))
        members = f"{int(data.get('member_count', 0)):,}"
        if data.get("member_count_capped"):  # it had more addresses than it remembers
            members = _("{n} or more").format(n=members)
        table.add_row(
            where,
            members,
            f"{data.get('failures', 0):,}",
            seen(first, last),
            _action_label(_action(str(data.get("recommendation", "ban")))),
        )
    out: list[RenderableType] = [_heading(_("Networks attacking together")), table]
    more = _more(
        len(networks),
        limit,
        _("… and {n} more networks (--limit 0 shows all; --format json lists every one)"),
    )
    if more is not None:
        out.append(more)
    return out


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def enumeration_section(
    findings: Sequence[Finding], attackers: Sequence[Attacker] = ()
) -> list[RenderableType]:
    found = [f for f in findings if f.kind == "enumeration"]
    if not found:
        return []
    data = found[0].data
    text = Text()
    tried = int(data.get("usernames_tried", 0))
    text.append(counted(ngettext("{n} username tried", "{n} usernames tried", tried), tried))
    enumerators = int(data.get("client_count", 0))
    if enumerators:
        text.append(
            counted(
                ngettext(
                    ", {n} client trying many each", ", {n} clients trying many each", enumerators
                ),
                enumerators,
            )
        )
    campaigns = [str(n) for n in data.get("campaigns", ())]
    if campaigns:
        if enumerators:
            spraying = ngettext(
                " and spraying campaign {campaigns} trying many together",
                " and spraying campaigns {campaigns} trying many together",
                len(campaigns),
            )
        else:
            spraying = ngettext(
                ", spraying campaign {campaigns} trying many together",
                ", spraying campaigns {campaigns} trying many together",
                len(campaigns),
            )
        text.append(spraying.format(campaigns=_(", ").join(campaigns)))
    text.append(_("."))
    most = [
        f"{account(str(item['user']))} ({item['failures']:,})"
        for item in data.get("most_tried", ())[:8]
        if isinstance(item, dict)
    ]
    if most:
        text.append("\n" + _("Most tried: {names}").format(names=_(", ").join(most)))
        unnamed = sum(a.unnamed_failures or 0 for a in attackers)
        if unnamed:  # in the attackers' tries, but on no account here
            text.append(
                "\n"
                + counted(
                    ngettext(
                        "Each account's count is of its tries from every client; {n} more "
                        "try named no account.",
                        "Each account's count is of its tries from every client; {n} more "
                        "tries named no account.",
                        unnamed,
                    ),
                    unnamed,
                )
            )
    if "existing_count" in data:
        existing = int(data["existing_count"])
        where = data["accounts_file"] if "accounts_file" in data else _("the accounts list")
        if existing == 0:
            text.append("\n" + _("None of them is a real account ({where}).").format(where=where))
        else:
            what = ngettext(
                "{n} of them is a real account ({where}): ",
                "{n} of them are real accounts ({where}): ",
                existing,
            )
            text.append("\n" + what.format(n=f"{existing:,}", where=where))
            text.append(names(list(data.get("existing", ())), 6), style=_STYLE["bad"])
    else:
        text.append(
            "\n" + _("Give --users FILE (or a Dovecot passwd-file) to see which of them exist."),
            style=_STYLE["dim"],
        )
    return [_heading(_("Usernames tried")), Paragraph(text)]


def credentials_section(
    credentials: Sequence[SeenCredential],
    limit: int,
    show_passwords: bool,
    several: bool = False,
) -> list[RenderableType]:
    """``several``: more than one input was read, so a line number says which file's
    (``mail.log.1:584``; the file's name alone, unless two inputs share it)."""
    if not credentials:
        return []
    where = [str(seen.line) for seen in _rows(credentials, limit)]
    line_title = pgettext("column", "Line")
    if several:
        sources = {seen.source for seen in credentials}
        short = {source: os.path.basename(source) or source for source in sources}
        if len(set(short.values())) < len(short):  # two directories' mail.log
            short = {source: source for source in sources}
        where = [f"{shown(short[seen.source])}:{seen.line}" for seen in _rows(credentials, limit)]
        line_title = pgettext("column", "File:line")
    users = [_credential_user(seen.credential) for seen in _rows(credentials, limit)]
    password = pgettext("column", "Password") if show_passwords else _("Password (masked)")
    table = AddressTable(
        0,
        (pgettext("column", "Client"), {}),
        (pgettext("column", "Mechanism"), {}),
        account_column(pgettext("column", "User"), users),
        (password, {"overflow": "fold"}),
        (line_title, {"overflow": "fold"}),
    )
    for seen_cred, user, line in zip(_rows(credentials, limit), users, where, strict=True):
        cred = seen_cred.credential
        password = cred.shown_password(show_passwords) if cred.password is not None else "-"
        table.add_row(
            [seen_cred.ip or "-"],
            cred.mechanism,
            account_cell(user),
            Text(escape_unsafe(password)),  # escaped by shown_password, once
            line,
        )
    title = _("Credentials seen in the log ({n})").format(n=f"{len(credentials):,}")
    out: list[RenderableType] = [_heading(title), table]
    more = _more(
        len(credentials),
        limit,
        _("… and {n} more credentials (--limit 0 shows all; --format json lists every one)"),
    )
    if more is not None:
        out.append(more)
    if not show_passwords:
        out.append(
            Text(_("Passwords are masked; --show-passwords shows them."), style=_STYLE["dim"])
        )
    return out


def _credential_user(credential: Credential) -> str:
    if credential.user is None:
        return "-"
    if not credential.user_complete:
        # The log cut the payload inside the name: its start is not an account.
        return shown(credential.user) + CUT
    return shown(credential.user)


def server_section(findings: Sequence[Finding], hint: AuditHint | None) -> list[RenderableType]:
    found = [f for f in findings if f.kind in _SERVER_TITLES and f.kind != "auth_unavailable"]
    if not found:
        return []
    items: list[Text] = []
    for f in found:
        text = Text()
        serious = f.severity in ("critical", "high")
        title = _(_SERVER_TITLES[f.kind])
        if f.kind == "soft_bounce" and f.data.get("or"):
            title = _("Unknown recipients refused for now only")
        if f.kind == "credential_exposed" and not f.data.get("payloads"):
            title = _("Logins written into the log")  # the level is on; none came yet
        if f.kind == "weak_tls":  # two findings: what sessions used, what is offered
            title = _("Weak TLS offered") if f.subject == "cipher_list" else _("Weak TLS used")
        text.append(title, style=_STYLE["bad"] if serious else "bold")
        severity = _(_SEVERITIES[f.severity]) if f.severity in _SEVERITIES else f.severity
        text.append(
            _(" ({severity}): {detail}").format(severity=severity, detail=_server_detail(f))
        )
        fix = f.data.get("fix")
        if f.kind == "soft_bounce" and f.data.get("or"):  # the fix names the codes
            fix = soft_or_code_fix(or_parameters([f]), _(SOFT_OR_CODE_FIX))
        elif fix:
            fix = fixed(str(fix))
        if fix:
            text.append("\n" + _("Fix: {fix}").format(fix=fix))
        if hint is not None and f.kind in AUDIT_KINDS:
            text.append("\n" + _("Check the configuration: "))
            text.append(hint(f.kind), style="bold")
        items.append(text)
    return [_heading(_("What the log reveals about the server")), bullets(items)]


def _server_detail(f: Finding) -> str:
    data = f.data
    if f.kind == "credential_exposed":
        users = int(data.get("users", 0))
        with_password = int(data.get("users_with_password", 0))
        real = int(data.get("users_who_logged_in_count", 0))
        payloads = int(data.get("payloads", 0))
        dumped = int(data.get("dump_lines", 0))
        if not payloads and dumped:
            return ngettext(
                "{cause}; no AUTH payload in this log, but {n} “Read/Write N chars” line "
                "shows the level is on: any login over TLS is written into the log",
                "{cause}; no AUTH payload in this log, but {n} “Read/Write N chars” lines "
                "show the level is on: any login over TLS is written into the log",
                dumped,
            ).format(cause=fixed(str(data.get("cause", ""))), n=f"{dumped:,}")
        detail = _("{cause}; {payloads} with the credentials of {users} ({n} with a password)")
        detail = detail.format(
            cause=fixed(str(data.get("cause", ""))),
            payloads=counted(ngettext("{n} AUTH payload", "{n} AUTH payloads", payloads), payloads),
            users=counted(ngettext("{n} user", "{n} users", users), users),
            n=f"{with_password:,}",
        )
        if real and data.get("source") == "dovecot":
            # auth_verbose_passwords logs only a mismatched password: not the one the
            # user then logged in with, but often close to it
            detail += counted(
                ngettext(
                    ", {n} real user among them (they logged in right after the failed "
                    "login whose password the log shows, often close to the real one): "
                    "change their passwords",
                    ", {n} real users among them (they logged in right after the failed "
                    "login whose password the log shows, often close to the real one): "
                    "change their passwords",
                    real,
                ),
                real,
            )
        elif real:
            # users_who_logged_in: the client that sent the password logged in with it
            detail += counted(
                ngettext(
                    ", {n} real user among them (they logged in with the password the log "
                    "shows): change their passwords",
                    ", {n} real users among them (they logged in with the password the log "
                    "shows): change their passwords",
                    real,
                ),
                real,
            )
        return detail
    if f.kind == "auth_on_port_25":
        sample = len(data.get("clients", ()))
        clients = counted(ngettext("{n} client", "{n} clients", sample), sample)
        if data.get("more_clients"):  # "clients" is a sample
            clients = _("more than {clients}").format(clients=clients)
        if not data.get("attempts") and not data.get("offered"):
            prompts = int(data.get("prompts", 0))
            return ngettext(
                "AUTH taken on the MX port (smtp, 25), where only mail servers should talk: "
                "{n} reply asked a client for its login data (334)",
                "AUTH taken on the MX port (smtp, 25), where only mail servers should talk: "
                "{n} replies asked clients for their login data (334)",
                prompts,
            ).format(n=f"{prompts:,}")
        if not data.get("attempts"):
            offered = int(data.get("offered", 0))
            replies = counted(ngettext("{n} EHLO reply", "{n} EHLO replies", offered), offered)
            return _(
                "AUTH offered on the MX port (smtp, 25) in {replies}, where only mail servers "
                "should talk"
            ).format(replies=replies)
        # Every AUTH on the smtp service, failed or not (the server's failure lines and
        # its logins): attempts, not logins.
        attempts = int(data.get("attempts", 0))
        return _(
            "{logins} on the MX port (smtp, 25), where only mail servers should talk, from "
            "{clients}"
        ).format(
            logins=counted(
                ngettext(
                    "{n} login attempt (failed or not)",
                    "{n} login attempts (failed or not)",
                    attempts,
                ),
                attempts,
            ),
            clients=clients,
        )
    if f.kind == "weak_tls":
        if f.subject == "cipher_list":
            return _("the server offers a cipher list that admits export, low or RC4 ciphers")
        ciphers = ", ".join(str(c) for c in data.get("ciphers", {}))
        sessions = int(data.get("sessions", 0))
        return _("{sessions} used weak TLS: {ciphers}").format(
            sessions=counted(ngettext("{n} session", "{n} sessions", sessions), sessions),
            ciphers=ciphers,
        )
    if f.kind == "outdated_server":
        return fixed(str(data.get("note", "")))
    if f.kind == "soft_bounce":
        codes = ", ".join(str(c) for c in data.get("codes", {}))
        count = int(data.get("replies", 0))
        if data.get("or"):  # 450 for unknown recipients: soft_bounce, or those codes
            return ngettext(
                "{n} reply says 4xx where Postfix means 5xx ({codes}): soft_bounce, or "
                "{parameters} set to 450; bots are told to come back",
                "{n} replies say 4xx where Postfix means 5xx ({codes}): soft_bounce, or "
                "{parameters} set to 450; bots are told to come back",
                count,
            ).format(n=f"{count:,}", codes=codes, parameters=either(or_parameters([f])))
        return ngettext(
            "{n} reply says 4xx where Postfix means 5xx ({codes}): bots are told to come back",
            "{n} replies say 4xx where Postfix means 5xx ({codes}): bots are told to come back",
            count,
        ).format(n=f"{count:,}", codes=codes)
    return f.subject


def _times(n: int) -> str:
    return counted(ngettext("once", "{n} times", n), n)


_HIDDEN_GUESSER = N_(
    "Failed logins from this machine itself come through a program on it: a webmail "
    "(Roundcube, SOGo) or a proxy, which hides the real client's address from Dovecot "
    "and Postfix, so the guesser cannot be banned here. Have that program pass the "
    "address on (for Roundcube, an IMAP ID plugin such as dovecot_ident, with Dovecot's "
    "login_trusted_networks = 127.0.0.0/8 ::1 and this server's own addresses): Dovecot "
    "then logs the real address (rip=) and mailwarden can ban it. Until then, limit "
    "failed logins in the webmail itself (Roundcube: login_rate_limit)."
)


def not_attacks_section(analysis: Analysis, limit: int) -> list[RenderableType]:
    stale = [f for f in analysis.findings if f.kind == "stale_password"]
    misspelt = [f for f in analysis.findings if f.kind == "misspelt_username"]
    outage = [f for f in analysis.findings if f.kind == "auth_unavailable"]
    allowed = [a for a in analysis.attackers if a.recommendation in NEVER_BANNED]
    if not (stale or misspelt or outage or allowed):
        return []
    items: list[Text] = []
    for f in _rows(stale, limit):
        users = names(list(f.data.get("users", ())), 2)
        failed = _times(int(f.data.get("failures", 0)))
        # An IPv6 network whose changing addresses (a phone's privacy addresses) fail
        # together names where the account logs in from: itself, or its wider network.
        members = int(f.data.get("member_count", 1))
        subject = f.subject
        if members > 1:
            subject = _("{subject} ({n} addresses)").format(subject=f.subject, n=f"{members:,}")
        where = f.data.get("logged_in_from")
        if where is None:
            whose = _("an account it had logged in as")
        elif where == f.subject:
            whose = _("an account logged in as from that network")
        else:
            whose = _("an account logged in as from {where}").format(where=where)
        if members > 1:
            device = _(
                "a phone or mail client with an old password whose address changes (IPv6 "
                "privacy addresses)"
            )
        else:
            device = _("a phone or mail client with an old password")
        if f.data.get("unnamed"):  # the log named no account: the address's one owner
            what = _(
                "{subject} failed to log in {failed} (the log names no account; {users} logs "
                "in from there)"
            ).format(subject=subject, failed=failed, users=users)
        else:
            what = _("{subject} failed to log in as {users} {failed}, {whose}").format(
                subject=subject, users=users, failed=failed, whose=whose
            )
        items.append(
            Text(
                _("{what}: {device}. Update the password on that device.").format(
                    what=what, device=device
                )
            )
        )
    for f in _rows(misspelt, limit):
        # Every failure on one misspelling of the account that then logged in from there:
        # the owner's device retrying with the wrong user name until it was fixed.
        tried = names(list(f.data.get("users", ())), 1)
        login = account(str(f.data.get("account", "")), 40)
        items.append(
            Text(
                _(
                    "{subject} failed to log in as {tried} {failed}, a misspelling of {account}, "
                    "which then logged in from there: a phone or mail client set up with a "
                    "misspelt user name. Fix the user name on that device."
                ).format(
                    subject=f.subject,
                    tried=tried,
                    failed=_times(int(f.data.get("failures", 0))),
                    account=login,
                )
            )
        )
    for f in outage:
        count = int(f.data.get("failures", 0))
        items.append(
            Text(
                _(
                    "The authentication server was unreachable for {logins}, with no guessing "
                    "around it: an outage on the server's side, not counted against any client."
                ).format(logins=counted(ngettext("{n} login", "{n} logins", count), count))
            )
        )
    hidden = False
    for a in _rows(allowed, limit):
        why = a.reasons[-1].removeprefix("not banned: ") if a.reasons else "allow-listed"
        if a.failures and from_this_machine(a):
            hidden = True
        items.append(
            Text(
                _("{ip} ({verdict}, {failures}) is never banned: {why}.").format(
                    ip=a.ip,
                    verdict=verdict_label(a.verdict),
                    failures=counted(
                        ngettext("{n} failure", "{n} failures", a.failures), a.failures
                    ),
                    why=not_banned(why),
                )
            )
        )
    if hidden:
        items.append(Text(_(_HIDDEN_GUESSER)))
    # An allow-listed client may well have attacked (its verdict says so): never banned,
    # but not "not an attack".
    if allowed:
        heading = _("Not attacks, and clients never banned (never recommended for a ban)")
    else:
        heading = _("Not attacks (never recommended for a ban)")
    out: list[RenderableType] = [_heading(heading)]
    out.append(bullets(items))
    more = _more(
        max(len(stale), len(misspelt)),
        limit,
        _("… and {n} more devices (--limit 0 shows all; --format json lists every one)"),
    )
    if more is not None:
        out.append(more)
    return out


def notes_section(analysis: Analysis, summary: ReadSummary) -> list[RenderableType]:
    lines = [
        *(reason(note) for note in analysis.notes),
        *(_("could not read everything: {problem}").format(problem=p) for p in summary.problems),
    ]
    if TIME_ZONE.get() is not None:
        lines.append(
            _(
                "Times are in UTC: the log's entries have different UTC offsets (a summer "
                "time change, or logs of servers in other zones)."
            )
        )
    if not lines:
        return []
    notes = [Text(shown(line), style=_STYLE["warn"]) for line in lines]
    return [_heading(_("Notes")), bullets(notes)]


def _heading(title: str) -> Paragraph:
    """A section's title, after a blank line: wrapped like the paragraphs (Chinese by
    display width, never between a number and its counter: "13 个")."""
    return Paragraph(Text(f"\n{title}", style=_STYLE["head"]))


# -- the whole report -------------------------------------------------------------------------


def report(
    analysis: Analysis,
    summary: ReadSummary,
    *,
    limit: int = DEFAULT_LIMIT,
    show_passwords: bool = False,
    hint: AuditHint | None = None,
) -> Group:
    """Everything, in reading order, as one rich renderable."""
    token = TIME_ZONE.set(report_zone(analysis))
    try:
        return _report(analysis, summary, limit, show_passwords, hint)
    finally:
        TIME_ZONE.reset(token)


def _report(
    analysis: Analysis,
    summary: ReadSummary,
    limit: int,
    show_passwords: bool,
    hint: AuditHint | None,
) -> Group:
    top, read = headline(analysis, summary)
    style = (
        _STYLE["alarm"]
        if analysis.compromised
        else (_STYLE["bad"] if analysis.attackers else _STYLE["ok"])
    )
    # Paragraphs: Chinese wraps between its characters, not only at spaces
    parts: list[RenderableType] = [Paragraph(Text(top, style=style)), Paragraph(Text(read))]
    # An input out of time order can make every verdict below wrong: said at the top.
    parts += [
        Paragraph(Text(shown(line), style=_STYLE["warn"]))
        for line in summary.disorder + summary.cautions
    ]
    parts += compromised_section(analysis.compromised, limit)
    parts += attackers_section(hostile(analysis.attackers), limit)
    parts += campaigns_section(analysis.findings, limit)
    parts += networks_section(analysis.findings, limit)
    parts += enumeration_section(analysis.findings, hostile(analysis.attackers))
    several = len(summary.inputs) > 1 or summary.files > 1
    parts += credentials_section(analysis.credentials, limit, show_passwords, several)
    parts += server_section(analysis.findings, hint)
    parts += _other_findings(analysis.findings)
    parts += not_attacks_section(analysis, limit)
    if hint is not None and any(a.verdict in BAN_VERDICTS for a in analysis.attackers):
        parts.append(
            Text.assemble(
                "\n" + _("To make guessing slower and bans stick: "),
                (hint("bruteforce"), "bold"),
            )
        )
    parts += notes_section(analysis, summary)
    return Group(*parts)


def _other_findings(findings: Sequence[Finding]) -> list[RenderableType]:
    """Findings of kinds this report has no section for yet (the detector grows)."""
    other = [f for f in findings if f.kind not in _HANDLED_KINDS]
    if not other:
        return []
    out: list[RenderableType] = [_heading(_("Other findings"))]
    for f in other:
        severity = _(_SEVERITIES[f.severity]) if f.severity in _SEVERITIES else f.severity
        out.append(Bullets([Text(f"{f.kind} ({severity}): {shown(f.subject)}")]))
    return out


def write_text(
    analysis: Analysis,
    summary: ReadSummary,
    console: Console,
    *,
    limit: int = DEFAULT_LIMIT,
    show_passwords: bool = False,
    hint: AuditHint | None = None,
) -> None:
    """Print the report. Off a terminal, lines lose the padding rich adds at their end.
    Nothing is cropped: an address wider than the whole width stays whole."""
    document = report(analysis, summary, limit=limit, show_passwords=show_passwords, hint=hint)
    if console.is_terminal:
        console.print(document, crop=False)
        return
    with console.capture() as capture:
        console.print(document, crop=False)
    console.file.write("\n".join(line.rstrip() for line in capture.get().split("\n")))


__all__ = ["DEFAULT_LIMIT", "VERDICT_LABELS", "headline", "report", "shown", "write_text"]
