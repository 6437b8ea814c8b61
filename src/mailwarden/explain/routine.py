"""Lines that make no event: mail handling, deliveries, Dovecot's mailbox processes,
the server's own housekeeping, and postscreen's DNS blocklist answers.

The parsers give these lines no event on purpose (nothing in them counts for or
against a client, and ``analyze`` must not pay for them), so explain names their kind
here, from the program that wrote the line and the first words of its message: every
entry gets an explanation, as the README promises. A kind is explained in full once;
later lines of the same kind get a short reminder (see :class:`~.entries.Note`).

A line pasted without its syslog header names no program: its kind is then read from
its form where that is unambiguous (:func:`_bare_kind`): a delivery agent's ``QUEUEID:
to=<…>, relay=…, status=…``, Postfix's client failing to log in to a relay, and the
``-v`` chat and TLS dump lines of Postfix's smtp or lmtp client (the parsers give them no
event, as they give the lines that name the program:
:func:`~mailwarden.parsers.postfix.own_client_line`). They are our server's own
deliveries, never a reply to a client.

The one line of them that concerns a client is dnsblog's ``addr 192.0.2.82 listed by
domain zen.spamhaus.org as 127.0.0.4``: postscreen's helper writes the address it was
asked about, so :func:`listed_client` reads it (validated as an address) and the entry
joins that client's lines.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from mailwarden.explain.entries import Note, quoted
from mailwarden.locale import N_, _
from mailwarden.model import Record
from mailwarden.parsers.dovecot import login_text, split_piece
from mailwarden.parsers.postfix import own_client_line
from mailwarden.parsers.sasl import escape_text

_QUEUE = frozenset({"cleanup", "qmgr", "pickup", "bounce", "defer", "trace", "postsuper"})
_DELIVERY = frozenset({"lmtp", "smtp", "local", "virtual", "pipe", "error", "discard", "relay"})
_SERVER = frozenset({"master", "postfix-script", "postlog"})
_MAILBOX = frozenset({"imap", "pop3", "managesieve", "submission"})
_DOVECOT_PROCESS = re.compile(r"([a-z][a-z0-9-]*)[(:]")
_LISTED = re.compile(r"addr (\S+) listed by domain (\S+) as (\S+)")
_OWN_LOGIN_MARKS = (
    "sasl_passwd_lookup",
    "_sasl_password_maps",
    "uncoded ",
    "xsasl_cyrus_client",
    "mail_addr_find",
    "dict_proxy_lookup",
)
"""-v lines of Postfix's own relay login (the password redacted where shown)."""
_PAM_CHECK = re.compile(
    r"(?:(?:auth-worker|auth)\(\d+\): )?pam_unix\(([^()]*):auth\): check pass; user unknown$"
)
"""PAM's note that no account has the name a client gave (``pam_unix(dovecot:auth): check
pass; user unknown``), before its ``authentication failure`` line of the same attempt."""
_PAM_PROGRAMS = frozenset({"auth", "auth-worker", "dovecot-auth", "dovecot"})
_QUEUE_ID = re.compile(r"[0-9A-Za-z]+: ")
_RELAY_LOGIN_FAILED = "SASL authentication failed; "
"""Postfix's client could not log in to a relay (smtpd's own failure reads ``SASL
<mechanism> authentication failed:``)."""
_BARE_RELAY = (
    "origin:bare_relay",
    N_(
        "The line came without its syslog header, so it names no program, but its form "
        "does: smtpd reads commands and writes replies, while this line reads a server's "
        "reply or writes a command. Postfix's smtp or lmtp client wrote it: this server "
        "delivering or relaying mail outward. No reply to a client of ours."
    ),
)


@dataclass(frozen=True)
class _Kind:
    key: str
    text: str
    short: str


_KINDS = {
    kind.key: kind
    for kind in (
        _Kind(
            "routine:queue",
            N_(
                "Postfix handling a message (cleanup, qmgr, pickup, bounce): a message taken "
                "in, queued, removed once delivered, or a bounce sent to its sender. Routine: "
                "nothing about logins or guessing."
            ),
            N_("Routine: mail handling (see above)."),
        ),
        _Kind(
            "routine:delivery",
            N_(
                "Postfix delivering a message and the result (status=sent, deferred or "
                "bounced): to Dovecot over LMTP, to a local mailbox or to another server. "
                "Routine: nothing about logins or guessing."
            ),
            N_("Routine: a delivery (see above)."),
        ),
        _Kind(
            "relay:dump",
            N_(
                "Postfix as a client, talking to another server (a relay, or Dovecot over "
                "LMTP), with smtp_tls_loglevel 4 or verbose logging: the line copies what it "
                "wrote or read, its own login to the relay included (the password is hidden "
                "here, but the log holds it). Nothing about a client's guessing; lower "
                "smtp_tls_loglevel to 1."
            ),
            N_("Postfix as a client again, its session copied into the log (see above)."),
        ),
        _Kind(
            "relay:login",
            N_(
                "Postfix could not log in to another server (a relay) with its own "
                "credentials (smtp_sasl_password_maps): mail to it is deferred until the "
                "password there and here agree. This server's own problem, not a client's "
                "guessing."
            ),
            N_("Postfix's own login to the relay failed again (see above)."),
        ),
        _Kind(
            "routine:lmtp",
            N_(
                "Dovecot's LMTP service taking a message from Postfix and storing it in a "
                "mailbox; “Connect from local” is Postfix on this machine, not a client. "
                "Routine: nothing about logins or guessing."
            ),
            N_("Routine: Dovecot storing a delivered message (see above)."),
        ),
        _Kind(
            "routine:logout",
            N_(
                "A user who had logged in over IMAP or POP3 logs out; Dovecot writes what was "
                "sent and received. Routine: the login itself is the imap-login or pop3-login "
                "line, and this is no login attempt."
            ),
            N_("Routine: another logout (see above)."),
        ),
        _Kind(
            "routine:mailbox",
            N_(
                "Dovecot's IMAP or POP3 process of a user who is logged in (its login is the "
                "imap-login or pop3-login line). Routine: no login attempt."
            ),
            N_("Routine: a logged-in user's IMAP or POP3 process (see above)."),
        ),
        _Kind(
            "pam:user_unknown",
            N_(
                "PAM (its pam_unix module, which Dovecot asks to check passwords) found no "
                "account by the name the client gave. PAM's “authentication failure” line "
                "and Dovecot's lines tell that failed login, with the client's address: "
                "this line is no attempt of its own."
            ),
            N_("PAM again: no account by the name given (see above)."),
        ),
        _Kind(
            "dovecot:piece",
            N_(
                "A piece of a longer Dovecot message: its log process gets a message over "
                "4 KiB in pieces and writes each as a line of its own, so this line starts or "
                "ends inside the client's text (a long IMAP ID, say). mailwarden reads nothing "
                "from such a line: an address, the server's address or an outcome there may "
                "be the client's. The message's last piece is read as a line: it ends in the "
                "server's own elements, so what the client wrote there is about itself. A "
                "login on a line up to 2 seconds after a piece (another connection's line may "
                "come between a piece and its message's last one) still counts as a break-in "
                "after guessing, but never makes its address a device of that account."
            ),
            N_("Another piece of a longer Dovecot message: not read (see above)."),
        ),
        _Kind(
            "dovecot:id",
            N_(
                "imap-login logged the IMAP ID the client sent (imap_id_log): names and "
                "values the client chose. Nothing in it counts: words such as “auth failed” "
                "or “successful auths” there are the client's, not the server's."
            ),
            N_("Another IMAP ID a client sent (see above)."),
        ),
        _Kind(
            "routine:server",
            N_(
                "The mail server itself: its master process starting, stopping or reloading "
                "its configuration. Routine: nothing about a client."
            ),
            N_("Routine: the server's own housekeeping (see above)."),
        ),
    )
}


def _bare_kind(message: str) -> str | None:
    """The kind of a line without a program, when its form shows which wrote it: the
    chat and dump lines of Postfix's own client, a delivery agent's result line, the
    client's failed login to a relay. Other bare lines (the parsers read them as
    smtpd's) are not routine here."""
    if own_client_line(message):
        return "relay:dump"
    queue = _QUEUE_ID.match(message)
    if queue is None:
        return None
    rest = message[queue.end() :]
    if rest.startswith(_RELAY_LOGIN_FAILED):
        return "relay:login"
    if rest.startswith("to=<") and ", relay=" in rest and ", status=" in rest:
        return "relay:login" if _RELAY_LOGIN_FAILED in rest else "routine:delivery"
    return None


def _pam_kind(record: Record) -> str | None:
    """PAM's ``check pass; user unknown`` for Dovecot: its PAM service (``dovecot``), or
    written by Dovecot's auth process (as the parser takes PAM's failure lines)."""
    match = _PAM_CHECK.match(record.message)
    if match is None:
        return None
    program = (record.program or "").split("[", 1)[0]
    if match.group(1).startswith("dovecot") or program in _PAM_PROGRAMS:
        return "pam:user_unknown"
    return None


def _kind(record: Record) -> str | None:
    login = login_text(record.program, record.message)
    if login is not None:
        text = record.message[login[1] :]
        if split_piece(text):
            return "dovecot:piece"
        return "dovecot:id" if text.startswith("ID sent: ") else None
    if "pam_unix(" in record.message:
        return _pam_kind(record)
    if record.program is None:
        return _bare_kind(record.message)
    program = record.program
    service = program.rsplit("/", 1)[-1]
    if program.startswith("postfix"):
        if service in _QUEUE:
            return "routine:queue"
        if service in _DELIVERY:
            message = record.message
            if (
                " chars: " in message
                or message.startswith(("> ", "< "))
                or any(mark in message for mark in _OWN_LOGIN_MARKS)
            ):
                return "relay:dump"
            if _RELAY_LOGIN_FAILED in message:
                return "relay:login"
            return "routine:delivery"
        if service in _SERVER:
            return "routine:server"
        return None
    if program.startswith("dovecot"):
        match = _DOVECOT_PROCESS.match(record.message)
        process = match.group(1) if match else service
        if process == "lmtp":
            return "routine:lmtp"
        if process in _MAILBOX:
            logout = "Disconnected: Logged out" in record.message
            return "routine:logout" if logout else "routine:mailbox"
        if process == "master":
            return "routine:server"
    return None


_MAIL_PROGRAMS = frozenset(
    {"postfix", "dovecot", "auth", "auth-worker", "dovecot-auth", "imap", "pop3", "lmtp"}
)
"""Programs without a ``/`` that are Postfix's or Dovecot's (Postfix's own are
``syslog_name/service``, whatever the syslog name: ``postfix/smtpd``, ``mx/smtpd``)."""
_NOT_MAIL = {"sshd": "SSH", "sshd-session": "SSH", "sudo": "sudo", "CRON": "cron"}
"""Programs that have nothing to do with mail, with what they are."""


def foreign_program(record: Record) -> str | None:
    """The program of a line that neither Postfix nor Dovecot wrote (``sshd``), which
    mailwarden does not analyse, escaped for display; None for a mail program's line and
    for a line without a program."""
    program = record.program
    if program is None or "/" in program:
        return None
    name = program.split("[", 1)[0].split("(", 1)[0]
    if name in _MAIL_PROGRAMS or name.startswith(("dovecot", "auth")) or name.endswith("-login"):
        return None
    return escape_text(program)


def _foreign_note(program: str) -> Note:
    what = _NOT_MAIL.get(program)
    if what is None:  # opendkim, amavis, spamd: about mail, but not what mailwarden reads
        return Note(
            "foreign:" + program,
            _(
                "A line of {program}, which is neither Postfix nor Dovecot: mailwarden does "
                "not analyse it."
            ).format(program=program),
            _("Another line of {program}, not analysed (see above).").format(program=program),
        )
    name = _("{program} ({what})").format(program=program, what=what)
    return Note(
        "foreign:" + program,
        _(
            "A line of {program}, not a mail log line: mailwarden analyses only the lines "
            "of Postfix and Dovecot, not this one."
        ).format(program=name),
        _("Another line of {program}, not analysed (see above).").format(program=name),
    )


def _listing(record: Record) -> tuple[str, str, str] | None:
    """(client, blocklist, answer) of a dnsblog line (``addr X listed by domain …``)."""
    if not (record.program or "").endswith("dnsblog"):
        return None
    match = _LISTED.match(record.message)
    if match is None:
        return None
    try:
        ip = str(ipaddress.ip_address(match.group(1)))
    except ValueError:
        return None
    return ip, match.group(2), match.group(3)


def listed_client(record: Record) -> str | None:
    """The client a dnsblog line names, or None."""
    listing = _listing(record)
    return listing[0] if listing is not None else None


def debug_client(record: Record) -> str | None:
    """The client of a Dovecot ``auth_debug`` line about its login
    (:func:`_auth_debug_login`), or None."""
    login = _auth_debug_login(record)
    return login[1] if login is not None else None


_JOURNAL_NOTES = {
    "span": N_(
        "journalctl wrote this line itself, above the entries it prints: the time span "
        "the journal holds, not that of the lines below. No log entry (no program logged "
        "it), and not counted as one."
    ),
    "boot": N_(
        "journalctl wrote this line itself, where a new boot of the machine begins: the "
        "entries after it were written after the machine started again. No log entry (no "
        "program logged it), and not counted as one."
    ),
    "none": N_(
        "journalctl wrote this line itself: no journal entry matched what it was asked "
        "for (the unit, the time span, the boot), so it printed none. No log entry, and "
        "not counted as one."
    ),
}


def journal_note(kind: str) -> Note:
    """What journalctl's own line of ``kind`` (:func:`mailwarden.framing.journal_marker`)
    is."""
    return Note("journal:" + kind, _(_JOURNAL_NOTES[kind]))


_SENT_BY = {
    "client": N_(
        "Postfix handling message {id}, which this session handed over (the “client=” "
        "line above): taken in, queued, delivered or bounced. Nothing about logins or "
        "guessing."
    ),
    "account": N_(
        "Postfix handling message {id}, which the client of this session sent after "
        "logging in (the “client=” line above): mail sent through that account."
    ),
    "maybe_intruder": N_(
        "Postfix handling message {id}, which the client of this session sent after "
        "logging in (the “client=” line above): mail sent through that account. If the "
        "login was not the owner's, it is the intruder's mail: the verdict below says how "
        "to look at it and delete it."
    ),
    "intruder": N_(
        "Postfix handling message {id}, which the client of this session sent after "
        "logging in with a guessed password (the “client=” line above): the intruder's "
        "mail, sent through that account. The verdict below says how to look at it and "
        "delete it."
    ),
}


def queued_note(queue_id: str, sent_by: str) -> Note:
    """A line of Postfix about message ``queue_id`` (Postfix's own ID, letters and digits
    only), which the session it is told with handed over. ``sent_by``: ``client`` (no
    login in that session), ``account`` (a login, not after guessing), ``intruder`` (a
    login the verdict calls a guess that worked), ``maybe_intruder`` (one only the owner
    can tell from a guess)."""
    return Note(
        "queued:" + queue_id,
        _(_SENT_BY[sent_by]).format(id=queue_id),
        _("Postfix handling message {id} again (see above).").format(id=queue_id),
    )


_AUTH_DEBUG = re.compile(r"(?:dovecot: )?(auth|auth-worker)\(")


def _auth_debug_login(record: Record) -> tuple[str | None, str | None] | None:
    """(account, client address) of Dovecot's ``auth_debug`` line about one login, which
    gives no event (it counts neither way): ``auth(kate@example.com,192.0.2.70,sasl:plain)
    <s6>: Debug: passwd-file: Performing passdb lookup`` (2.4), ``auth(user,ip,<session>):
    Debug: …`` (2.3); None for any other line. They are read as the parser reads them
    (split from the right, the address validated); a line whose end cannot be told from
    the user's text gives (None, None)."""
    program = (record.program or "dovecot").split("[", 1)[0]
    if not (program.startswith("dovecot") or program in _PAM_PROGRAMS):
        return None
    message = record.message
    match = _AUTH_DEBUG.match(message)
    if match is None:
        return None
    open_at = match.end()
    ends = message.count(")<", open_at) + message.count("): ", open_at)
    close = message.find(")<", open_at)
    if close < 0:
        close = message.find("): ", open_at)
    if close < 0 or ": Debug: " not in message[close:]:
        return None
    if ends != 1:
        return None, None
    parts = message[open_at:close].split(",")
    while len(parts) > 1 and (parts[-1].startswith(("sasl:", "<")) or parts[-1] in ("master", "")):
        parts.pop()
    if len(parts) < 2:
        return None, None
    try:
        ip = str(ipaddress.ip_address(parts[-1]))
    except ValueError:
        return None, None
    return ",".join(parts[:-1]) or None, ip


def _auth_debug(record: Record) -> Note | None:
    """What :func:`_auth_debug_login`'s line is."""
    login = _auth_debug_login(record)
    if login is None:
        return None
    user, ip = login
    if user and ip:
        return Note(
            "auth_debug:client",
            _(
                "A debug line of Dovecot's authentication process (auth_debug = yes) about "
                "the login of {user} from {ip}: one step of checking it. It says nothing "
                "of the result; that is on the login's other lines."
            ).format(user=quoted(escape_text(user)), ip=ip),
            _("Another debug line of Dovecot's authentication process about a login."),
        )
    return Note(
        "auth_debug",
        _(
            "A debug line of Dovecot's authentication process (auth_debug = yes) about a "
            "client's login: one step of checking it. It says nothing of the result; that "
            "is on the login's other lines."
        ),
        _("Another debug line of Dovecot's authentication process about a login."),
    )


def routine_note(record: Record) -> Note | None:
    """What a line without an event is, or None when explain does not know its kind."""
    debug = _auth_debug(record)
    if debug is not None:
        return debug
    listing = _listing(record)
    if listing is not None:
        ip, domain, answer = listing[0], escape_text(listing[1]), escape_text(listing[2])
        return Note(
            "dnsblog",
            _(
                "The DNS blocklist {domain} lists the client {ip} (answer {answer}): a known "
                "source of spam or abuse. postscreen adds up such listings into the client's "
                "DNSBL score (its “DNSBL rank” line)."
            ).format(domain=domain, ip=ip, answer=answer),
            _("The DNS blocklist {domain} lists the client {ip} too (see above).").format(
                domain=domain, ip=ip
            ),
        )
    key = _kind(record)
    if key is None:
        program = foreign_program(record)
        return None if program is None else _foreign_note(program)
    kind = _KINDS[key]
    bare = record.program is None and key == "relay:dump"
    context = (_BARE_RELAY[0], _(_BARE_RELAY[1])) if bare else None
    return Note(kind.key, _(kind.text), _(kind.short), context=context)


__all__ = [
    "debug_client",
    "foreign_program",
    "journal_note",
    "listed_client",
    "queued_note",
    "routine_note",
]
