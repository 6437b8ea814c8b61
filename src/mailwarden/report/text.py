"""``mailwarden analyze``'s report for a person: what happened, did anyone get in, then tables.

Order: the headline (two lines: did anyone get in; what was read and found), compromised
accounts with what to do, attackers (worst first), spraying campaigns, networks,
enumeration, credentials seen in the log (masked), what the log reveals about the server
(with the ``mailwarden audit`` check for each cause), what is not an attack, and notes.

Every text that a client chose (usernames, passwords) goes into a ``rich.text.Text``,
never into markup, and has its control characters escaped: a username such as
``[bold red]root`` or one with terminal escapes is shown as written, not interpreted.
Tables fit 80 columns; colour only on a terminal (rich decides, ``NO_COLOR`` is honoured).

An address or a network is never split across lines (the first part of a cut IPv6
address is often another valid address): tables keep them in an
:class:`~mailwarden.report.layout.AddressTable` column, and running text wraps only at
spaces, which addresses do not contain. Nor is an account name: ``admin@example.com``
folded after ``admin@exam`` would read as another account. A name too long for its cell
is cut with ``…`` (:func:`account_cell`), and shown whole in the running text around the
table where it matters (the compromised accounts); a username the log itself cut off
(Postfix dumps 40 bytes of an AUTH payload) ends in ``…`` too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.text import Text

from mailwarden.detect import Analysis, Attacker, Compromise, Verdict
from mailwarden.detect.accounts import CUT
from mailwarden.detect.analysis import BAN_VERDICTS, from_this_machine
from mailwarden.model import Finding
from mailwarden.parsers.sasl import escape_text
from mailwarden.report import AUDIT_KINDS, AuditHint, ReadSummary
from mailwarden.report.layout import AddressTable, Bullets, Paragraph
from mailwarden.sources.interface import MAX_LINE

if TYPE_CHECKING:
    from mailwarden.detect import SeenCredential
    from mailwarden.parsers.sasl import Credential

DEFAULT_LIMIT = 20
"""Rows per table unless ``--limit`` says otherwise (0: all)."""
ACCOUNT_WIDTH = 24
"""Cells an account column keeps for its names before it may cut them (with ``…``)."""

VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.COMPROMISED: "got in",
    Verdict.BRUTEFORCE: "brute force",
    Verdict.HONEYPOT: "honeypot",
    Verdict.ENUMERATION: "enumeration",
    Verdict.SLOW_BRUTEFORCE: "slow brute force",
    Verdict.SPRAY_MEMBER: "spraying",
    Verdict.NETWORK_MEMBER: "network",
    Verdict.PROBE: "probe",
    Verdict.SCANNER: "scanner",
    Verdict.STALE_PASSWORD: "stale password",
}
_SERVER_TITLES = {
    "credential_exposed": "Passwords in the log",
    "auth_on_port_25": "Logins offered on port 25",
    "weak_tls": "Weak TLS",
    "outdated_server": "Outdated Postfix",
    "soft_bounce": "soft_bounce is on",
    "auth_unavailable": "Authentication server unreachable",
}
_HANDLED_KINDS = frozenset(
    {"spray", "network", "wide_network", "enumeration", "stale_password"}
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
    """Client text fit for a terminal: control, formatting and invisible characters
    escaped (``adm\u3164in`` cannot pass for ``admin``), never interpreted."""
    return escape_text(str(text))


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def when(moment: datetime | None, year: bool = True) -> str:
    if moment is None:
        return "-"
    return moment.strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")


def seen(first: datetime | None, last: datetime | None) -> str:
    """``02-23 10:00–10:05`` within a day, ``02-23 10:00 → 02-25 13:05`` across days."""
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


def account(user: str, width: int = 40) -> str:
    """A username as lists show it: escaped, cut to ``width``, and between “ ” when it
    holds what could pass for a separator or a field (``u0>, rip=198.51.100.9``), so a
    name a client chose never reads as two names or as the log's own text."""
    text = clip(shown(user), width)
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
    if limit and total > limit:
        return Text(
            f"… and {total - limit:,} more {what} (--limit 0 shows all; --format json lists "
            "every one)",
            style=_STYLE["dim"],
        )
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
                account(c.user) if c.user else "an unnamed account" for c in analysis.compromised
            )
        )
        first = analysis.compromised[0]
        where = f" from {first.ip}" if first.ip else ""
        after = plural(first.failures_before, "failed login")
        # Every login one the owners can tell from theirs (by_others: ASK_THE_OWNER).
        unsure = all(c.by_others for c in analysis.compromised)
        who = "Maybe someone got in" if unsure else "Someone got in"
        if len(accounts) == 1 and first.user is None:
            top = f"{who}{where} (the log does not say as whom) after {after}."
        elif len(accounts) == 1:
            top = f"{who}: {accounts[0]} was logged into{where} after {after}."
        else:
            more = len(accounts) - 4
            listed = ", ".join(accounts[:4]) + (f" +{more}" if more > 0 else "")
            top = f"{who}: {len(accounts)} accounts ({listed})."
        if unsure:
            top += " Ask the owner whether it was them."
    elif banned or wide:
        guessed = []
        if banned:
            guessed.append(
                f"{plural(len(banned), 'client')} guessed passwords ({_verdict_counts(banned)})"
            )
        if wide:
            many = sum(int(f.data.get("unjudged_members", 0)) for f in wide)
            guessed.append(
                f"{plural(len(wide), 'network')} ({names([f.subject for f in wide], 2)})"
                f" guessed from {plural(many, 'address', 'addresses')} at once"
            )
        top = f"Nobody got in. {' and '.join(guessed)}: ban them."
        logged = sorted({str(u) for f in wide for u in f.data.get("logged_in_as", ())})
        if logged:  # a login from the network as an account it was guessing
            top = (
                f"Maybe someone got in: a login as {names(logged, 2)} from a network that"
                f" was guessing it; check {'it' if len(logged) == 1 else 'them'}."
                f" {' and '.join(guessed)}: ban them."
            )
    elif attackers or spread:
        watched = []
        if attackers:
            watched.append(f"{plural(len(attackers), 'client')} ({_verdict_counts(attackers)})")
        if spread:
            watched.append(
                f"{plural(len(spread), 'network')} guessing from many addresses, never"
                " banned (allow list)"
            )
        top = f"Nobody got in, and no guessing worth a ban: {' and '.join(watched)} to watch."
    elif _unexplained_failures(analysis):
        top = (
            f"No attack found: {plural(_unexplained_failures(analysis), 'failed login')},"
            " too few from any client to tell guessing from a typo."
        )
    else:
        top = "No attack found: nobody guessed passwords."
    failures = sum(a.failures for a in attackers)
    where_from = plural(summary.files, "file") if summary.files else "the input"
    if summary.inputs in (("journal",), ("-",)):  # no file named
        where_from = "the journal" if summary.inputs == ("journal",) else "standard input"
    read = f"Read {plural(summary.lines, 'line')} from {where_from} in {summary.seconds:.1f} s"
    if not summary.files and not summary.lines and summary.before_since:
        read = "Opened no file"  # every file was last written before --since
    if failures:
        guessing = sum(1 for a in attackers if a.failures)  # scanners fail no login
        clients = plural(len(attackers), "hostile client")
        if guessing < len(attackers):
            clients = f"{guessing:,} of {clients}"
        read += f": {plural(failures, 'failed login')} from {clients}."
    else:
        read += "."
    if spread:
        others = sum(int(f.data.get("unjudged_failures", 0)) for f in spread)
        read += (
            f" {plural(others, 'failed login')} from {'other ' if failures else ''}addresses of"
            f" {names([f.subject for f in spread], 2)}."
        )
    if summary.junk:
        read += (
            f" {plural(summary.junk, 'line')} skipped: binary, or longer than {MAX_LINE >> 10} KiB."
        )
    if summary.duplicates:
        read += (
            f" {plural(summary.duplicates, 'entry', 'entries')} also in another input"
            " (as mail.log and syslog both hold mail lines) counted once."
        )
    if summary.before_since:
        read += (
            f" {plural(len(summary.before_since), 'file')} last written more than a day before"
            " --since not opened."
        )
    if summary.after_until:
        read += (
            f" {plural(len(summary.after_until), 'newer file')} not opened: an older one"
            " ends more than a day past --until."
        )
    return top, read


def _unexplained_failures(analysis: Analysis) -> int:
    """Failed logins counted against clients (a phone's with a stale password are
    counted apart, as ``stale_failures``)."""
    return int(analysis.stats.get("failures_counted", 0))


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
        plural(n, "network member") if v is Verdict.NETWORK_MEMBER else f"{n:,} {VERDICT_LABELS[v]}"
        for v, n in sorted(counts.items(), key=lambda kv: list(Verdict).index(kv[0]))
    ]
    return ", ".join(parts)


# -- sections ---------------------------------------------------------------------------------


def compromised_section(compromises: Sequence[Compromise], limit: int) -> list[RenderableType]:
    if not compromises:
        return []
    accounts = [shown(c.user or "(not named in the log)") for c in _rows(compromises, limit)]
    table = AddressTable(
        1,
        account_column("Account", accounts, style="bold red"),
        ("From", {}),
        ("When", {"no_wrap": True}),
        ("Failures before", {"justify": "right"}),
    )
    for c, account in zip(_rows(compromises, limit), accounts, strict=True):
        table.add_row(
            [c.ip or "-"],
            account_cell(account),
            when(c.time),
            f"{c.failures_before:,}",
        )
    out: list[RenderableType] = [_heading("Compromised accounts"), table]
    more = _more(len(compromises), limit, "logins")
    if more is not None:
        out.append(more)
    reasons = [
        Text.assemble((shown(c.user or "(unnamed)") + ": ", "bold"), shown(c.reason))
        for c in _rows(compromises, limit)
    ]
    out.append(bullets(reasons))
    out.append(Text("\nWhat to do now:", style="bold"))
    # Each login's own steps, once each: a login from a never-banned address advises no ban.
    steps = dict.fromkeys(step for c in _rows(compromises, limit) for step in c.advice)
    out.append(bullets([Text(step) for step in steps], mark="1."))
    return out


def attackers_section(attackers: Sequence[Attacker], limit: int) -> list[RenderableType]:
    if not attackers:
        return []
    table = AddressTable(
        0,
        ("Client", {}),
        ("Verdict", {"max_width": 11}),
        ("Tries", {"justify": "right", "no_wrap": True}),
        ("Accounts tried", {"min_width": 12, "max_width": 28}),
        ("First, last", {"no_wrap": True, "min_width": 11}),
        ("Do", {"no_wrap": True, "min_width": 5}),
    )
    for a in _rows(attackers, limit):
        client = [Text(a.ip)]
        if a.network:
            client.append(Text(a.network, style=_STYLE["dim"]))
        style = _STYLE["bad"] if a.verdict is Verdict.COMPROMISED else ""
        users = a.users
        tried = clip(shown(users[0]), 24) if users else "-"
        if len(users) > 1:  # a line of its own: a narrow column cuts the name, not this
            if a.users_complete:
                tried += f"\n+{len(users) - 1:,} more"
            else:  # names beyond those kept: at least one more than the list shows
                tried += f"\n+{len(users):,} or more"
        action = _action(a.recommendation)
        table.add_row(
            client,
            Text(VERDICT_LABELS[a.verdict], style=style),
            f"{a.failures:,}",
            Text(tried, no_wrap=True, overflow="ellipsis"),
            first_last(a.first_seen, a.last_seen),
            Text(action, style=_STYLE["warn"] if action == "ban" else ""),
        )
    out: list[RenderableType] = [_heading(f"Attackers ({len(attackers):,}, worst first)"), table]
    more = _more(len(attackers), limit, "attackers")
    if more is not None:
        out.append(more)
    return out


def _action(recommendation: str) -> str:
    if recommendation.startswith("none"):
        return "never ban" if "allow" in recommendation else "don't ban"
    return recommendation


def campaigns_section(findings: Sequence[Finding], limit: int) -> list[RenderableType]:
    sprays = [f for f in findings if f.kind == "spray"]
    if not sprays:
        return []
    table = AddressTable(
        2,
        ("Campaign", {"no_wrap": True}),
        ("Clients", {"justify": "right"}),
        ("Such as", {}),
        ("Accounts targeted", {"overflow": "fold"}),
        ("Failures", {"justify": "right"}),
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
            extra=f"+{more} more" if more > 0 else None,
        )
    return [_heading("Password spraying campaigns"), table]


def _targets(data: dict[str, Any]) -> str:
    """A campaign's shared targets; first how many names its members tried in all when
    that makes it an enumeration too (first: the cell may be cut at its end)."""
    targets = [str(t) for t in data.get("targets", ())]
    if not data.get("enumeration"):
        return names(targets, 3)
    more = "" if data.get("usernames_complete", True) else " or more"
    return f"{int(data.get('usernames', 0)):,}{more} usernames in all: {names(targets, 2)}"


def networks_section(findings: Sequence[Finding], limit: int) -> list[RenderableType]:
    # The wide ones first: one such row stands for many of the others.
    networks = [f for f in findings if f.kind == "wide_network"]
    networks += [f for f in findings if f.kind == "network"]
    if not networks:
        return []
    table = AddressTable(
        0,
        ("Network", {}),
        ("Addresses", {"justify": "right"}),
        ("Failures", {"justify": "right"}),
        ("Seen", {"overflow": "fold"}),
        ("Do", {}),
    )
    for f in _rows(networks, limit):
        data = f.data
        first, last = _parse_time(data.get("first_seen")), _parse_time(data.get("last_seen"))
        where = [f.subject]
        if f.kind == "wide_network":  # its /64s, one guess or two from each address
            where.append(f"{int(data.get('networks', 0)):,} {data.get('networks_of', '')}s in it")
            logged = [str(u) for u in data.get("logged_in_as", ())]
            if logged:
                where.append(f"logged in as {names(logged, 1)}")
        table.add_row(
            where,
            f"{data.get('member_count', 0):,}",
            f"{data.get('failures', 0):,}",
            seen(first, last),
            _action(str(data.get("recommendation", "ban"))),
        )
    out: list[RenderableType] = [_heading("Networks attacking together"), table]
    more = _more(len(networks), limit, "networks")
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


def enumeration_section(findings: Sequence[Finding]) -> list[RenderableType]:
    found = [f for f in findings if f.kind == "enumeration"]
    if not found:
        return []
    data = found[0].data
    text = Text()
    text.append(f"{plural(int(data.get('usernames_tried', 0)), 'username')} tried")
    enumerators = int(data.get("client_count", 0))
    if enumerators:
        text.append(f", {plural(enumerators, 'client')} trying many each")
    campaigns = [str(n) for n in data.get("campaigns", ())]
    if campaigns:
        word = "campaign" if len(campaigns) == 1 else "campaigns"
        joined = " and" if enumerators else ","
        text.append(f"{joined} spraying {word} {', '.join(campaigns)} trying many together")
    text.append(".")
    most = [
        f"{account(str(item['user']))} ({item['failures']:,})"
        for item in data.get("most_tried", ())[:8]
        if isinstance(item, dict)
    ]
    if most:
        text.append("\nMost tried: " + ", ".join(most))
    if "existing_count" in data:
        existing = int(data["existing_count"])
        where = data.get("accounts_file", "the accounts list")
        if existing == 0:
            text.append(f"\nNone of them is a real account ({where}).")
        else:
            what = plural(existing, "of them is a real account", "of them are real accounts")
            text.append(f"\n{what} ({where}): ")
            text.append(names(list(data.get("existing", ())), 6), style=_STYLE["bad"])
    else:
        text.append(
            "\nGive --users FILE (or a Dovecot passwd-file) to see which of them exist.",
            style=_STYLE["dim"],
        )
    return [_heading("Usernames tried"), Paragraph(text)]


def credentials_section(
    credentials: Sequence[SeenCredential], limit: int, show_passwords: bool
) -> list[RenderableType]:
    if not credentials:
        return []
    users = [_credential_user(seen.credential) for seen in _rows(credentials, limit)]
    table = AddressTable(
        0,
        ("Client", {}),
        ("Mechanism", {}),
        account_column("User", users),
        ("Password" if show_passwords else "Password (masked)", {"overflow": "fold"}),
        ("Line", {"overflow": "fold"}),
    )
    for seen_cred, user in zip(_rows(credentials, limit), users, strict=True):
        cred = seen_cred.credential
        password = cred.shown_password(show_passwords) if cred.password is not None else "-"
        table.add_row(
            [seen_cred.ip or "-"],
            cred.mechanism,
            account_cell(user),
            Text(shown(password)),
            f"{seen_cred.line}",
        )
    title = "Credentials seen in the log"
    out: list[RenderableType] = [_heading(f"{title} ({len(credentials):,})"), table]
    more = _more(len(credentials), limit, "credentials")
    if more is not None:
        out.append(more)
    if not show_passwords:
        out.append(Text("Passwords are masked; --show-passwords shows them.", style=_STYLE["dim"]))
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
        title = _SERVER_TITLES[f.kind]
        if f.kind == "weak_tls":  # two findings: what sessions used, what is offered
            title += " offered" if f.subject == "cipher_list" else " used"
        text.append(title, style=_STYLE["bad"] if serious else "bold")
        text.append(f" ({f.severity}): {_server_detail(f)}")
        fix = f.data.get("fix")
        if fix:
            text.append(f"\nFix: {fix}")
        if hint is not None and f.kind in AUDIT_KINDS:
            text.append("\nCheck the configuration: ")
            text.append(hint(f.kind), style="bold")
        items.append(text)
    return [_heading("What the log reveals about the server"), bullets(items)]


def _server_detail(f: Finding) -> str:
    data = f.data
    if f.kind == "credential_exposed":
        users = int(data.get("users", 0))
        with_password = int(data.get("users_with_password", 0))
        real = int(data.get("users_who_logged_in_count", 0))
        detail = (
            f"{data.get('cause', '')}; {plural(int(data.get('payloads', 0)), 'AUTH payload')} "
            f"with the credentials of {plural(users, 'user')} ({with_password:,} with a password)"
        )
        if real:
            # users_who_logged_in: the client that sent the password logged in with it
            detail += (
                f", {plural(real, 'real user')} among them (they logged in with the password "
                "the log shows): change their passwords"
            )
        return detail
    if f.kind == "auth_on_port_25":
        clients = plural(len(data.get("clients", ())), "client")
        if data.get("more_clients"):  # "clients" is a sample
            clients = f"more than {clients}"
        if not data.get("attempts"):
            replies = plural(int(data.get("offered", 0)), "EHLO reply", "EHLO replies")
            return (
                f"AUTH offered on the MX port (smtp, 25) in {replies}, "
                "where only mail servers should talk"
            )
        return (
            f"{plural(int(data.get('attempts', 0)), 'login')} on the MX port (smtp, 25), "
            f"where only mail servers should talk, from {clients}"
        )
    if f.kind == "weak_tls":
        if f.subject == "cipher_list":
            return "the server offers a cipher list that admits export, low or RC4 ciphers"
        ciphers = ", ".join(str(c) for c in data.get("ciphers", {}))
        return f"{plural(int(data.get('sessions', 0)), 'session')} used weak TLS: {ciphers}"
    if f.kind == "outdated_server":
        return str(data.get("note", ""))
    if f.kind == "soft_bounce":
        codes = ", ".join(str(c) for c in data.get("codes", {}))
        count = int(data.get("replies", 0))
        return (
            f"{plural(count, 'reply', 'replies')} {'says' if count == 1 else 'say'} 4xx "
            f"where Postfix means 5xx ({codes}): bots are told to come back"
        )
    return f.subject


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n:,} times"


_HIDDEN_GUESSER = (
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
    outage = [f for f in analysis.findings if f.kind == "auth_unavailable"]
    allowed = [a for a in analysis.attackers if a.recommendation.startswith("none (allow")]
    if not (stale or outage or allowed):
        return []
    items: list[Text] = []
    for f in _rows(stale, limit):
        users = names(list(f.data.get("users", ())), 2)
        failed = _times(int(f.data.get("failures", 0)))
        # An IPv6 network whose changing addresses (a phone's privacy addresses) fail
        # together names where the account logs in from: itself, or its wider network.
        members = int(f.data.get("member_count", 1))
        subject = f"{f.subject} ({members:,} addresses)" if members > 1 else f.subject
        where = f.data.get("logged_in_from")
        if where is None:
            whose = "an account it had logged in as"
        elif where == f.subject:
            whose = "an account logged in as from that network"
        else:
            whose = f"an account logged in as from {where}"
        device = "a phone or mail client with an old password"
        if members > 1:
            device += " whose address changes (IPv6 privacy addresses)"
        if f.data.get("unnamed"):  # the log named no account: the address's one owner
            what = (
                f"{subject} failed to log in {failed} (the log names no account; "
                f"{users} logs in from there)"
            )
        else:
            what = f"{subject} failed to log in as {users} {failed}, {whose}"
        items.append(Text(f"{what}: {device}. Update the password on that device."))
    for f in outage:
        items.append(
            Text(
                "The authentication server was unreachable for "
                f"{plural(int(f.data.get('failures', 0)), 'login')}, with no guessing around "
                "it: an outage on the server's side, not counted against any client."
            )
        )
    hidden = False
    for a in _rows(allowed, limit):
        why = a.reasons[-1].removeprefix("not banned: ") if a.reasons else "allow-listed"
        if a.failures and from_this_machine(a):
            hidden = True
        items.append(
            Text(
                f"{a.ip} ({VERDICT_LABELS[a.verdict]}, {plural(a.failures, 'failure')}) "
                f"is never banned: {why}."
            )
        )
    if hidden:
        items.append(Text(_HIDDEN_GUESSER))
    # An allow-listed client may well have attacked (its verdict says so): never banned,
    # but not "not an attack".
    heading = "Not attacks, and clients never banned" if allowed else "Not attacks"
    out: list[RenderableType] = [_heading(f"{heading} (never recommended for a ban)")]
    out.append(bullets(items))
    more = _more(len(stale), limit, "devices")
    if more is not None:
        out.append(more)
    return out


def notes_section(analysis: Analysis, summary: ReadSummary) -> list[RenderableType]:
    lines = [*analysis.notes, *(f"could not read everything: {p}" for p in summary.problems)]
    if not lines:
        return []
    return [_heading("Notes"), bullets([Text(shown(line), style=_STYLE["warn"]) for line in lines])]


def _heading(title: str) -> Text:
    return Text(f"\n{title}", style=_STYLE["head"])


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
    top, read = headline(analysis, summary)
    style = (
        _STYLE["alarm"]
        if analysis.compromised
        else (_STYLE["bad"] if analysis.attackers else _STYLE["ok"])
    )
    parts: list[RenderableType] = [Paragraph(Text(top, style=style)), Text(read)]
    # An input out of time order can make every verdict below wrong: said at the top.
    parts += [
        Text(shown(line), style=_STYLE["warn"]) for line in summary.disorder + summary.cautions
    ]
    parts += compromised_section(analysis.compromised, limit)
    parts += attackers_section(hostile(analysis.attackers), limit)
    parts += campaigns_section(analysis.findings, limit)
    parts += networks_section(analysis.findings, limit)
    parts += enumeration_section(analysis.findings)
    parts += credentials_section(analysis.credentials, limit, show_passwords)
    parts += server_section(analysis.findings, hint)
    parts += _other_findings(analysis.findings)
    parts += not_attacks_section(analysis, limit)
    if hint is not None and any(a.verdict in BAN_VERDICTS for a in analysis.attackers):
        parts.append(
            Text.assemble(
                "\nTo make guessing slower and bans stick: ",
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
    out: list[RenderableType] = [_heading("Other findings")]
    for f in other:
        out.append(Bullets([Text(f"{f.kind} ({f.severity}): {shown(f.subject)}")]))
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
