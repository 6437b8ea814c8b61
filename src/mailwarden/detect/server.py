"""What the log reveals about the server itself (not about a client).

- AUTH on port 25: logins (failed or not) on Postfix's ``smtp`` service mean AUTH is
  enabled in main.cf for the MX port, where only servers should talk; so do the
  ``250-AUTH`` line of its EHLO reply and a ``334`` prompt for the next AUTH step, when
  verbose chat or a TLS dump shows them.
- Credentials in the log: ``smtpd_tls_loglevel = 4`` (``Read N chars: AUTH PLAIN …``;
  any ``Read``/``Write N chars`` line shows the level, a finding without users when no
  payload came),
  verbose smtpd (``-v``, ``debug_peer_list``: ``< client: AUTH …``) and Dovecot's
  ``auth_verbose_passwords`` write what users type; with how many users' credentials, and
  which of them are real users whose own password is in the log. A password logged for a
  user counts as (plausibly) theirs when the client that sent it logged in as that user:
  in that very session (``235``, ``sasl_username=``), in a later one, or before (the
  detector says so when it logs the password: it knows who logged in from where). An
  attacker's failed guess (its session ended in ``535`` and its address never logged in
  as the user) exposes no real password: it is counted among the payloads and users, not
  among the real users, even when the account's owner logs in from elsewhere.
- Weak TLS: RC4, export, NULL, anonymous or single-DES ciphers, or SSLv2/SSLv3, that were
  actually negotiated, and a cipher list that admits them.
- ``soft_bounce = yes``: 4xx replies where Postfix means 5xx (``435 4.7.8`` for a failed
  login, ``402 4.5.2``, ``450``/``454`` relay denials).
- The authentication server was unreachable (``Connection lost to authentication
  server`` with no guessing around it): an outage, never counted against a client.

:class:`ServerWatch` keeps counters and a few evidence lines, bounded, and turns them
into :class:`~mailwarden.model.Finding` values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from mailwarden.detect.accounts import account_key
from mailwarden.locale import N_, _
from mailwarden.model import Event, EventType, Finding, Severity
from mailwarden.parsers.dovecot import NEXT_DB

MAX_EVIDENCE = 3
MAX_SAMPLE = 20
MAX_USERS = 10_000
MAX_CIPHERS = 1000
MAX_PENDING = 10_000
"""(client, user) pairs whose logged password waits for the client to log in as the user
(the oldest is dropped for a new one when full)."""

ClientKey = str | int
"""A client as the detector's owner table keys it: the address (IPv4), or the /64's
network key (IPv6)."""

_WEAK_CIPHER_RE = re.compile(r"RC4|EXP|NULL|ADH|AECDH|(?:^|-)DES-CBC-(?:SHA|MD5)")
_WEAK_PROTOCOLS = frozenset({"SSLv2", "SSLv3"})
_WEAK_LIST_ITEMS = frozenset(
    {"ALL", "COMPLEMENTOFALL", "EXPORT", "EXP", "LOW", "RC4", "eNULL", "NULL"}
)
_PRE_28_EXPORT_LISTS = frozenset({"ALL:+RC4:@STRENGTH"})
"""Postfix's built-in export-grade cipher list before 2.8 (later ones start aNULL:-aNULL)."""
_AUTH_OFFER_RE = re.compile(r"250[ -]AUTH[ =]", re.IGNORECASE)
"""The EHLO reply line that offers AUTH (``250-AUTH PLAIN LOGIN``, ``250-AUTH=PLAIN``)."""
# Replies that exist only because soft_bounce = yes rewrote Postfix's 5xx: 535 5.7.8 and
# the 50x syntax replies have no 4xx twin of their own. Not 454 4.7.1 "Relay access
# denied": defer_unauth_destination, in Postfix's default smtpd_relay_restrictions since
# 2.10, answers exactly that with soft_bounce off; nor 452 4.5.3 (too many recipients) or
# 450 4.7.1 (unknown client or HELO name), which Postfix sends as they are.
SOFTENED_REPLIES = frozenset(
    {
        ("435", "4.7.8"),
        ("400", "4.5.2"),
        ("402", "4.5.2"),
        ("401", "4.5.4"),
        ("401", "4.7.0"),
        ("403", "4.5.1"),
        ("404", "4.5.4"),
    }
)
# A recipient refused as unknown is 550 (unknown_*_reject_code) unless soft_bounce, or
# unless that code was set to 450 (as Postfix's documentation suggests while testing):
# the finding then names soft_bounce and every code that can have given the replies seen
# (``data["or"]``, a list): the one of each table the replies name, or all four when
# show_user_unknown_table_name = no left the table out. Only Postfix's own text: a
# "User unknown" inside a remote server's reply (reject_unverified_recipient's
# "undeliverable address: ... said: 550 ... User unknown in ... table") is no table here.
_SOFT_REJECT_RE = re.compile(
    r"address rejected: User unknown"
    r"(?: in (local recipient|virtual alias|virtual mailbox|relay recipient) table)?$"
)
_REJECT_CODES = {
    "local recipient": "unknown_local_recipient_reject_code",
    "virtual alias": "unknown_virtual_alias_reject_code",
    "virtual mailbox": "unknown_virtual_mailbox_reject_code",
    "relay recipient": "unknown_relay_recipient_reject_code",
}
SOFT_OR_CODE_FIX = N_(
    "postconf soft_bounce {parameters} shows which one: postconf -e soft_bounce=no "
    "{settings}; postfix reload (bots are told to retry and real rejects are deferred)"
)
"""The fix when only 450 "User unknown" replies were seen (:func:`soft_or_code_fix`)."""


def soft_or_code_fix(parameters: Sequence[str], template: str = SOFT_OR_CODE_FIX) -> str:
    """The fix of 450 "User unknown" replies that ``parameters`` (reject codes) may have
    given: show them and soft_bounce, set them to 550. ``template``: the translated
    :data:`SOFT_OR_CODE_FIX`, for a report."""
    return template.format(
        parameters=" ".join(parameters), settings=" ".join(f"{p}=550" for p in parameters)
    )


def either(names: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``: alternatives, in the active language (for the
    reports; the findings themselves are English)."""
    if len(names) < 2:
        return "".join(names)
    return _("{some} or {last}").format(some=_(", ").join(names[:-1]), last=names[-1])


def or_parameters(findings: Iterable[Finding]) -> list[str]:
    """The reject codes that soft_bounce findings name beside it (``data["or"]``), each
    once, in Postfix's order of the tables."""
    named: set[str] = set()
    for finding in findings:
        value = finding.data.get("or") or ()
        named.update([value] if isinstance(value, str) else value)
    return [code for code in _REJECT_CODES.values() if code in named] + sorted(
        named - set(_REJECT_CODES.values())
    )


CREDENTIAL_SOURCES = {
    "tls_loglevel": N_(
        "smtpd_tls_loglevel 4 (ssl-developer) writes the first 40 bytes of every "
        "line a client sends, AUTH payloads included"
    ),
    "verbose": N_(
        "verbose smtpd logging (-v in master.cf or debug_peer_list) writes every "
        "AUTH line a client sends"
    ),
    "tlsproxy_loglevel": N_(
        "tlsproxy_tls_loglevel 4 writes the first 40 bytes of every line a client sends "
        "through tlsproxy (postscreen's TLS), AUTH payloads included"
    ),
    "tls_both_loglevels": N_(
        "smtpd_tls_loglevel and tlsproxy_tls_loglevel 4 write the first 40 bytes of "
        "every line a client sends, AUTH payloads included"
    ),
    "dovecot": N_("Dovecot's auth_verbose_passwords writes the passwords users type"),
    "dovecot_debug": N_(
        "Dovecot's auth_debug_passwords writes the passwords users type and "
        "the stored ones (or their hashes) they are compared with"
    ),
}
"""English in the findings (marked ``N_``: the text report translates them); so are
the fixes and notes below."""
CREDENTIAL_FIXES = {
    "tls_loglevel": N_(
        "set smtpd_tls_loglevel = 1 (postconf -e smtpd_tls_loglevel=1; postfix reload)"
    ),
    "tlsproxy_loglevel": N_(
        "set tlsproxy_tls_loglevel = 1 (postconf -e tlsproxy_tls_loglevel=1; postfix reload)"
    ),
    "tls_both_loglevels": N_(
        "set smtpd_tls_loglevel = 1 and tlsproxy_tls_loglevel = 1 (postconf -e "
        "smtpd_tls_loglevel=1 tlsproxy_tls_loglevel=1; postfix reload)"
    ),
    "verbose": N_("remove -v from smtpd in master.cf and empty debug_peer_list; postfix reload"),
    "dovecot": N_("set auth_verbose_passwords = no in Dovecot's configuration; doveadm reload"),
    "dovecot_debug": N_("set auth_debug_passwords = no in Dovecot's configuration; doveadm reload"),
}


AUTH_25_FIXES = {
    "submissions": N_(
        "set smtpd_sasl_auth_enable = no in main.cf and enable it "
        "only on submission (587) and submissions (465) in master.cf "
        "(-o smtpd_sasl_auth_enable=yes); if 587 logs as postfix/smtpd, "
        "give it -o syslog_name=postfix/submission"
    ),
    "smtps": N_(
        "set smtpd_sasl_auth_enable = no in main.cf and enable it "
        "only on submission (587) and smtps (465) in master.cf "
        "(-o smtpd_sasl_auth_enable=yes); if 587 logs as postfix/smtpd, "
        "give it -o syslog_name=postfix/submission"
    ),
    "": N_(
        "set smtpd_sasl_auth_enable = no in main.cf and enable it "
        "only on submission (587) and submissions (465; smtps before Postfix 3.7) in "
        "master.cf (-o smtpd_sasl_auth_enable=yes); if 587 logs as postfix/smtpd, "
        "give it -o syslog_name=postfix/submission"
    ),
}
"""The fix of AUTH on port 25, by the name of the port-465 service
(:func:`port_465_service`; ``""``: either)."""
WEAK_TLS_FIXES = {
    frozenset({"negotiated"}): N_(
        "smtpd_tls_exclude_ciphers = RC4, aNULL, eNULL, EXPORT, LOW, MD5, DES, 3DES and "
        "smtpd_tls_protocols = !SSLv2, !SSLv3"
    ),
    frozenset({"cipher_list"}): N_(
        "smtpd_tls_ciphers = medium (or high on submission) and "
        "smtpd_tls_exclude_ciphers = RC4, aNULL, eNULL, EXPORT, LOW, MD5, DES, 3DES"
    ),
    frozenset({"negotiated", "cipher_list"}): N_(
        "smtpd_tls_ciphers = medium (or high on submission), "
        "smtpd_tls_exclude_ciphers = RC4, aNULL, eNULL, EXPORT, LOW, MD5, DES, 3DES and "
        "smtpd_tls_protocols = !SSLv2, !SSLv3"
    ),
}
"""The fix of weak TLS by the subjects of the ``weak_tls`` findings: what sessions used
(``negotiated``), what the server offers (``cipher_list``), both (``explain`` gives one
step for the two findings that ``analyze`` lists)."""


def port_465_service(services: Iterable[str], old_postfix: bool) -> str:
    """The master.cf name of the port-465 service: ``submissions`` in the stock
    master.cf since Postfix 3.7 (3.7-20210612), ``smtps`` before. The name the log shows
    (``postfix/submissions/smtpd``, ``postfix/smtps/smtpd``), else ``smtps`` for a
    Postfix the log shows to be old (older than 2.8), else ``""``: either."""
    seen = set(services)
    if "submissions" in seen:
        return "submissions"
    if "smtps" in seen or old_postfix:
        return "smtps"
    return ""


def credential_source(event: Event) -> str:
    """Which setting made the log show this AUTH payload."""
    detail = event.detail
    if detail is not None and detail.get("password_logged") == "debug":
        return "dovecot_debug"
    message = event.record.message
    if message.startswith("Read ") or (
        event.detail is not None and "declared_length" in event.detail
    ):
        return "tls_loglevel"
    if event.type is EventType.AUTH_FAILURE or (detail is not None and NEXT_DB in detail):
        return "dovecot"  # auth_verbose_passwords: a passdb's refusal, final or passed on
    return "verbose"


def weak_cipher_list(cipher_list: str) -> bool:
    """True when an OpenSSL cipher list admits export, low, NULL or RC4 suites on its
    own (``ALL:+RC4:@STRENGTH``, Postfix 2.x's export grade); ``+X`` only reorders and
    ``-X``/``!X`` remove, so ``aNULL:-aNULL:HIGH`` is fine."""
    items = [item.strip() for item in cipher_list.replace(",", ":").replace(" ", ":").split(":")]
    return any(item in _WEAK_LIST_ITEMS for item in items)


SMTPD_LOGLEVEL = "smtpd_tls_loglevel"
TLSPROXY_LOGLEVEL = "tlsproxy_tls_loglevel"


def _dump_setting(event: Event) -> str:
    """The setting a ``Read``/``Write N chars`` line shows: tlsproxy's own
    ``tlsproxy_tls_loglevel`` for ``postfix/tlsproxy``, else ``smtpd_tls_loglevel``."""
    program = event.record.program or ""
    return TLSPROXY_LOGLEVEL if program.rsplit("/", 1)[-1] == "tlsproxy" else SMTPD_LOGLEVEL


class _Tally:
    """A count, a bounded sample of subjects (``more``: others were left out), and the
    first few evidence events."""

    __slots__ = ("count", "evidence", "more", "sample")

    def __init__(self) -> None:
        self.count = 0
        self.sample: dict[str, int] = {}
        self.more = False
        self.evidence: list[Event] = []

    def add(self, event: Event, subject: str | None = None) -> None:
        self.count += 1
        if subject is not None:
            if subject in self.sample or len(self.sample) < MAX_SAMPLE:
                self.sample[subject] = self.sample.get(subject, 0) + 1
            else:
                self.more = True
        if len(self.evidence) < MAX_EVIDENCE:
            self.evidence.append(event)


class ServerWatch:
    """Counters for the server-side findings; feed it the events of the kinds above."""

    def __init__(self) -> None:
        self.auth_on_25 = _Tally()
        self.auth_offered_25 = _Tally()
        """EHLO replies of the smtp service that offer AUTH (verbose chat, TLS dumps)."""
        self.auth_prompted_25 = _Tally()
        """``334`` replies of the smtp service (verbose chat, TLS dumps): it took an AUTH
        command and asked for its next step, so AUTH is on there (a server without it
        answers ``503 5.5.1 Error: authentication not enabled``)."""
        self.tls_dump = _Tally()
        """smtpd's ``Read N chars`` / ``Write N chars`` lines: smtpd_tls_loglevel 4 is on,
        so every line a client sends inside TLS is logged, AUTH lines included, whether
        or not these lines hold one."""
        self.weak_tls = _Tally()
        self.weak_list = _Tally()
        self.soft_bounce = _Tally()
        self.soft_unknown = 0  # of them: 450 for an unknown recipient (soft_bounce or 450)
        self.soft_codes: set[str] = set()  # the reject code parameters that can give those
        self.outage = _Tally()
        self.outdated = _Tally()
        self.credentials: dict[str, _Tally] = {}
        self.exposed_users: dict[str, dict[str, bool]] = {}
        """source -> user -> whether a password (or part of one) was in the log."""
        self.real_users: dict[str, set[str]] = {}
        """source -> users a password of whose in the log was (plausibly) their own: the
        client that sent it logged in as them (real users, not guesses)."""
        self.pending: dict[tuple[ClientKey, str], list[tuple[str, str]]] = {}
        """(client, account key) -> [(source, user)]: passwords the client sent for the
        user, to count as real if the client logs in as the user."""
        self._weak_ciphers: dict[str, bool] = {}

    # -- observations ------------------------------------------------------------------

    def auth_on_service(self, event: Event) -> None:
        if event.service == "smtp":
            self.auth_on_25.add(event, event.ip)

    def tls_established(self, event: Event) -> None:
        detail = event.detail
        if detail is None:
            cipher = protocol = ""
        else:
            cipher = detail.get("cipher", "")
            protocol = detail.get("protocol", "")
        weak = self._weak_ciphers.get(cipher)
        if weak is None:  # a handful of ciphers in a log: test each once
            weak = _WEAK_CIPHER_RE.search(cipher) is not None
            if len(self._weak_ciphers) < MAX_CIPHERS:
                self._weak_ciphers[cipher] = weak
        if weak or protocol in _WEAK_PROTOCOLS:
            self.weak_tls.add(event, f"{protocol} {cipher}".strip())

    def tls_setup(self, event: Event) -> None:
        cipher_list = (event.detail or {}).get("cipher_list")
        if cipher_list and weak_cipher_list(cipher_list):
            self.weak_list.add(event, cipher_list)
            if cipher_list.strip() in _PRE_28_EXPORT_LISTS:
                self.outdated.add(event, cipher_list.strip())

    def reply(self, event: Event) -> None:
        """A server reply (verbose chat, TLS dump) or a reject line: soft_bounce shows as
        a 4xx where Postfix's code is 5xx; ``250-AUTH`` on the smtp service offers AUTH
        on port 25."""
        detail = event.detail
        code = detail.get("code", "") if detail is not None else ""
        if event.service == "smtp" and event.type is EventType.SERVER_REPLY:
            text = event.reason
            if text is not None and _AUTH_OFFER_RE.match(text) is not None:
                self.auth_offered_25.add(event)
            elif code == "334":
                self.auth_prompted_25.add(event)
        if not code.startswith("4"):
            return  # both tests want a 4xx
        enhanced = detail.get("enhanced", "") if detail is not None else ""
        text = f"{code} {enhanced}".strip()
        if event.type is EventType.REJECT:
            unknown = _SOFT_REJECT_RE.search(event.reason or "")
            if unknown is not None:
                self.soft_bounce.add(event, text)
                self.soft_unknown += 1
                table = unknown.group(1)
                if table is None:  # show_user_unknown_table_name = no: any of them
                    self.soft_codes.update(_REJECT_CODES.values())
                else:
                    self.soft_codes.add(_REJECT_CODES[table])
        elif (code, enhanced) in SOFTENED_REPLIES:
            self.soft_bounce.add(event, text)

    def dumped(self, event: Event) -> None:
        """A client line or a reply: one of smtpd's TLS dump (``Read N chars``, ``Write
        N chars``; smtpd_tls_loglevel 4) counts."""
        detail = event.detail
        if detail is not None and "declared_length" in detail:
            self.tls_dump.add(event, _dump_setting(event))

    def _tls_settings(self) -> tuple[list[str], str]:
        """The settings the TLS dump's lines show (``smtpd_tls_loglevel`` for smtpd's,
        ``tlsproxy_tls_loglevel`` for tlsproxy's), and the key of their cause and fix
        (`CREDENTIAL_SOURCES`, `CREDENTIAL_FIXES`)."""
        settings = sorted(self.tls_dump.sample)
        if settings == [TLSPROXY_LOGLEVEL]:
            return settings, "tlsproxy_loglevel"
        if TLSPROXY_LOGLEVEL in settings:
            return settings, "tls_both_loglevels"
        return settings, "tls_loglevel"

    def auth_unavailable(self, event: Event) -> None:
        self.outage.add(event, event.reason)

    def credential(self, event: Event, user: str | None, has_password: bool) -> str:
        """An AUTH payload (or Dovecot's ``given password``) in the log, for ``user``.
        Returns the source (the setting that made the log show it): the detector then
        says whether the password was the user's own (:meth:`real`) or may turn out to
        be (:meth:`awaiting_login`)."""
        source = credential_source(event)
        tally = self.credentials.get(source)
        if tally is None:
            tally = self.credentials[source] = _Tally()
        tally.add(event)
        users = self.exposed_users.setdefault(source, {})
        key = user if user is not None else "(unknown)"
        if key in users or len(users) < MAX_USERS:
            users[key] = users.get(key, False) or has_password
        return source

    def awaiting_login(self, client: ClientKey, user: str, source: str) -> None:
        """``client`` sent a password for ``user``: it was the real one if the client
        logs in as ``user`` (in the same session or later, :meth:`login`)."""
        real = self.real_users.get(source)
        if real is not None and user in real:
            return
        pair = (client, account_key(user))
        waiting = self.pending.get(pair)
        if waiting is None:
            if len(self.pending) >= MAX_PENDING:
                # Full (a flood of guesses sent in the clear): the oldest goes, so a real
                # user's login moments after their password still counts.
                del self.pending[next(iter(self.pending))]
            waiting = self.pending[pair] = []
        if (source, user) not in waiting:
            waiting.append((source, user))

    def login(self, user: str, client: ClientKey) -> None:
        """``client`` logged in as ``user``: the passwords it sent for ``user`` were real."""
        waiting = self.pending.pop((client, account_key(user)), None)
        if waiting:
            for source, name in waiting:
                self.real(source, name)

    def real(self, source: str, user: str) -> None:
        """A password of ``user`` shown by ``source`` was (plausibly) their own."""
        real = self.real_users.setdefault(source, set())
        if len(real) < MAX_USERS:
            real.add(user)

    # -- findings ----------------------------------------------------------------------

    def findings(self, services: Iterable[str] = ()) -> list[Finding]:
        """The findings; ``services``: the services clients used (read only for AUTH on
        port 25, whose fix names the port-465 service)."""
        found: list[Finding] = []
        settings, texts = self._tls_settings()
        sources = list(self.credentials.items())
        if self.tls_dump.count and not self.credentials.keys() & {"tls_loglevel", "verbose"}:
            # The level is on, but no AUTH payload came in these lines: no user counts, and
            # the dump's lines are the evidence. (At smtpd -v too, the dump's copies of the
            # chat's lines are counted there.)
            sources.append(("tls_loglevel", self.tls_dump))
        for source, tally in sources:
            users = self.exposed_users.get(source, {})
            said = texts if source == "tls_loglevel" else source
            with_password = sorted(u for u, pw in users.items() if pw)
            real = sorted(self.real_users.get(source, ()))
            found.append(
                Finding(
                    kind="credential_exposed",
                    severity=Severity.CRITICAL if real else Severity.HIGH,
                    subject=source,
                    evidence=tuple(tally.evidence),
                    data={
                        "source": source,
                        "cause": CREDENTIAL_SOURCES[said],
                        "fix": CREDENTIAL_FIXES[said],
                        "payloads": 0 if tally is self.tls_dump else tally.count,
                        "users": len(users),
                        "users_with_password": len(with_password),
                        "users_who_logged_in": real[:MAX_SAMPLE],
                        "users_who_logged_in_count": len(real),
                        **(
                            {"dump_lines": self.tls_dump.count, "settings": settings}
                            if source == "tls_loglevel"
                            else {}
                        ),
                    },
                )
            )
        auth_25 = self.auth_on_25, self.auth_offered_25, self.auth_prompted_25
        if any(tally.count for tally in auth_25):
            found.append(
                Finding(
                    kind="auth_on_port_25",
                    # as `mailwarden audit` rates postfix.auth_on_port_25: one problem,
                    # one severity (README: "Severity")
                    severity=Severity.HIGH,
                    subject="smtp",
                    evidence=tuple(next((t.evidence for t in auth_25 if t.evidence), [])),
                    data={
                        "attempts": self.auth_on_25.count,
                        "offered": self.auth_offered_25.count,
                        "prompts": self.auth_prompted_25.count,
                        "clients": sorted(self.auth_on_25.sample),
                        "more_clients": self.auth_on_25.more,
                        "fix": AUTH_25_FIXES[port_465_service(services, bool(self.outdated.count))],
                    },
                )
            )
        if self.weak_tls.count:
            found.append(
                Finding(
                    kind="weak_tls",
                    severity=Severity.HIGH,
                    subject="negotiated",
                    evidence=tuple(self.weak_tls.evidence),
                    data={
                        "sessions": self.weak_tls.count,
                        "ciphers": dict(self.weak_tls.sample),
                        "fix": WEAK_TLS_FIXES[frozenset({"negotiated"})],
                    },
                )
            )
        if self.weak_list.count:
            found.append(
                Finding(
                    kind="weak_tls",
                    severity=Severity.MEDIUM,
                    subject="cipher_list",
                    evidence=tuple(self.weak_list.evidence),
                    data={
                        "sessions": self.weak_list.count,
                        "cipher_lists": dict(self.weak_list.sample),
                        "fix": WEAK_TLS_FIXES[frozenset({"cipher_list"})],
                    },
                )
            )
        if self.outdated.count:
            found.append(
                Finding(
                    kind="outdated_server",
                    severity=Severity.HIGH,
                    subject="Postfix older than 2.8",
                    evidence=tuple(self.outdated.evidence),
                    data={
                        "cipher_list": next(iter(self.outdated.sample), ""),
                        "note": N_(
                            "the TLS cipher list is the built-in default of Postfix before "
                            "2.8: years of security fixes (and smtpd_client_auth_rate_limit, "
                            "tls_preempt_cipherlist, RC4 exclusion) are missing"
                        ),
                        "fix": N_("upgrade Postfix (and OpenSSL) to a supported release"),
                    },
                )
            )
        if self.soft_bounce.count:
            data: dict[str, Any] = {
                "replies": self.soft_bounce.count,
                "codes": dict(self.soft_bounce.sample),
                "fix": N_(
                    "postconf -e soft_bounce=no; postfix reload (bots are told "
                    "to retry and real rejects are deferred)"
                ),
            }
            if self.soft_unknown == self.soft_bounce.count:  # only 450 "User unknown"
                codes = [c for c in _REJECT_CODES.values() if c in self.soft_codes]
                data["or"] = codes
                data["fix"] = soft_or_code_fix(codes)
            found.append(
                Finding(
                    kind="soft_bounce",
                    severity=Severity.MEDIUM,
                    subject="soft_bounce",
                    evidence=tuple(self.soft_bounce.evidence),
                    data=data,
                )
            )
        if self.outage.count:
            found.append(
                Finding(
                    kind="auth_unavailable",
                    severity=Severity.LOW,
                    subject="authentication server",
                    evidence=tuple(self.outage.evidence),
                    data={
                        "failures": self.outage.count,
                        "reasons": dict(self.outage.sample),
                        "note": "the authentication server did not answer; these are not "
                        "counted as guesses",
                    },
                )
            )
        return found
