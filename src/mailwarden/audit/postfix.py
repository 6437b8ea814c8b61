"""Postfix checks: what invites password guessing, leaks passwords, or weakens TLS.

Severities (any high finding makes `mailwarden audit` exit with status 3):

high
    postfix.auth_on_port_25           AUTH offered on the MX port (main.cf, `smtp/inet`,
                                      or `smtpd/pass` behind postscreen); also in the
                                      topic cleartext_auth when TLS is optional there,
                                      `smtpd_tls_auth_only` is off and
                                      `smtpd_sasl_security_options` lacks `noplaintext`
                                      (its fix, AUTH off port 25, ends that too)
    postfix.cleartext_auth            AUTH on another public service where TLS is
                                      optional, `smtpd_tls_auth_only` is off and
                                      `smtpd_sasl_security_options` (the mechanisms
                                      offered before STARTTLS) lacks `noplaintext`
    postfix.tls_loglevel_credentials  `smtpd_tls_loglevel` 4 or more on a service that
                                      offers AUTH (4 logs the first 40 bytes of every
                                      line after STARTTLS, AUTH PLAIN included); low
                                      where no AUTH is offered (no password yet)
    postfix.client_tls_loglevel_credentials  `smtp_tls_loglevel` or `lmtp_tls_loglevel`
                                      4 with the client's SASL on: the session after
                                      STARTTLS is dumped, its AUTH to the relay included
    postfix.debug_peer_list           not empty: matching sessions are logged in full
    postfix.smtpd_verbose             `smtpd -v` in master.cf: every session in full
    postfix.tls_old_protocols         SSLv2 or SSLv3 allowed on a service with TLS
                                      that offers AUTH (medium without AUTH), unless
                                      the OpenSSL has none (1.1.0 and later, which
                                      Postfix 3.6 and later require)
high or medium
    postfix.no_certificate            TLS on (`may`, `encrypt`, wrapper mode) but no
                                      certificate in any of smtpd_tls_chain_files,
                                      _cert_file, _eccert_file, _dcert_file (main.cf or
                                      the service's `-o`; a parameter this version does
                                      not have does not count): smtpd runs without TLS.
                                      High where AUTH is offered off port 25 (nobody
                                      can log in, or only in cleartext); medium with TLS
                                      required and no AUTH, or AUTH on port 25; not
                                      reported for optional TLS without AUTH. No edit to
                                      paste (the path is the administrator's): the note
                                      names the parameter of this version
    postfix.eol_version               older than the oldest line upstream still patches:
                                      high before 2.8, which no distribution patches
                                      any more either (what `mailwarden analyze` reports
                                      as an outdated server, high there too); medium
                                      from 2.8 on (distributions may backport fixes)
high, medium or low
    postfix.weak_ciphers              RC4, export, single-DES or NULL suites: high on an
                                      AUTH service when the cipher string asks for them
                                      (by name, or `ALL`); medium on a service without
                                      AUTH (then only when asked for), or on an AUTH
                                      service when the library is an OpenSSL before
                                      1.1.0 and RC4 comes through a grade (`MEDIUM`);
                                      low when RC4 comes only through a grade and the
                                      library is unknown (a copied configuration without
                                      --openssl-version). OpenSSL 1.1.0 and later have
                                      no RC4, export or single-DES suites: never
                                      reported for them (tls.on_library)
medium
    postfix.submission_missing        AUTH offered, but remote clients can reach neither
                                      587 nor 465 (a loopback-only listener, such as
                                      Debian's `127.0.0.1:submission` for a webmail,
                                      does not count; the fix then adds the service on
                                      the port that listener leaves free)
    postfix.submissions_no_wrappermode  465 without `smtpd_tls_wrappermode=yes`
    postfix.submission_old_tls        TLSv1 or TLSv1.1 allowed on 587/465 for logins:
                                      TLS required, or optional with
                                      `smtpd_tls_auth_only = yes` or `noplaintext`
                                      (logins only over TLS, in the versions
                                      smtpd_tls_protocols allows)
    postfix.anonymous_ciphers         anonymous suites on an AUTH service that is not
                                      loopback-only (a client on this machine has no
                                      man in the middle). Postfix's own
                                      default, and only a client that offers them is
                                      exposed, hence medium rather than high
    postfix.no_auth_rate_limit        AUTH offered, `smtpd_client_auth_rate_limit = 0`
                                      (or `00`), or a limit that
                                      `smtpd_client_event_limit_exceptions` lifts for
                                      every client (`static:all`, or both `0.0.0.0/0`
                                      and `[::]/0`) or for a whole address family (one
                                      of those two: the text names the family)
    postfix.refused_boolean           a yes/no parameter in main.cf that is neither
                                      (`smtpd_tls_auth_only = true`): every program that
                                      reads it stops at start; read as no, and the fix
                                      writes no in main.cf. The same in a service's `-o`
                                      (`-o smtpd_tls_auth_only=1`: that service stops),
                                      fixed with `postconf -P` writing no there, or
                                      the yes of another finding's fix that writes that
                                      `-o` (still medium: the service does not run)
    postfix.port25_tls_required       TLS required (`encrypt`, implicit TLS) on a
                                      public port 25: a publicly-referenced server must
                                      not require TLS (RFC 3207 section 4), so mail from
                                      servers without TLS bounces; the fix makes it
                                      optional (`may`) there
    postfix.anvil_missing             an AUTH rate limit, but no `anvil/unix` in
                                      master.cf, or one that master_service_disable
                                      switches off (`#disabled`: the fix takes it out
                                      of that list): anvil(8) keeps the count, so
                                      nothing enforces the limit
    postfix.invalid_number            a number no Postfix can read where the audit
                                      needs one: more digits than any setting holds
                                      (what Postfix does with it cannot be told), or an
                                      AUTH rate limit that is no number (`abc`, `-1`:
                                      smtpd stops with a fatal error)
    postfix.anonymous_sasl            `noanonymous` missing on an AUTH service: it only
                                      matters if the SASL backend offers ANONYMOUS
    postfix.soft_bounce               every reject, 535 included, becomes "try later":
                                      no password leaks and guessing is no faster, but
                                      rejected mail piles up in queues (medium, as in
                                      `mailwarden analyze`); so are unknown recipients
                                      when one of the four `unknown_*_reject_code` of
                                      recipients (local, virtual alias, virtual
                                      mailbox, relay; 550 by default) is a 4xx: the
                                      log (`450 4.1.1 ... User unknown in ... table`)
                                      cannot tell the two apart, and analyze points to
                                      this check for both
low
    postfix.submission_tls_not_required  587 without `encrypt`; AUTH already TLS-only
                                      (or no plaintext mechanism before TLS)
    postfix.submission_tls_auth_only  587 with `encrypt` but no `smtpd_tls_auth_only`
    postfix.submission_auth_disabled  587/465 without `smtpd_sasl_auth_enable=yes`
    postfix.submission_no_login       587/465 offering AUTH with `noplaintext` wherever a
                                      client can log in: after STARTTLS (the default
                                      `smtpd_sasl_tls_security_options` is
                                      `$smtpd_sasl_security_options`), or in every
                                      session where there is no TLS; with Dovecot's
                                      default `plain` nobody can log in. With Cyrus SASL
                                      (`smtpd_sasl_type`'s default) its mech_list, which
                                      the audit does not read, decides: the text says
                                      so, and names no Dovecot. Topic cleartext_auth
    postfix.tls_loglevel_verbose      `smtpd_tls_loglevel` 2 (handshake steps) or 3
                                      (handshake packets: no AUTH in them)
    postfix.broken_sasl_auth_clients  the legacy `AUTH=` line for 1990s clients

Loopback-only listeners are not reported for AUTH exposure. Findings that the same
main.cf setting causes on several services are merged into one that names them all.

Each fix works on its own and in any order with the others (tests/audit/
test_fixes_apply.py applies them with the real postconf):
- it is completed with what the service needs once it is applied (requiring TLS brings
  the mandatory protocols and ciphers into play, turning AUTH on the AUTH checks);
- a `postconf -M` rewrite (dropping `-v`) carries the `-o` options as every fix of the
  report leaves them, so that it undoes none of them;
- what a fix brings up that no setting of this version can change is reported with it
  (TLSv1 on the new submission service of a Postfix that cannot name TLSv1.1; no AUTH
  rate limit before 3.1 once AUTH is turned on), so that applying it shows nothing new.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from mailwarden.audit import postfix_fixes as fixes
from mailwarden.audit.interface import (
    AuditFinding,
    Change,
    Evidence,
    MainSet,
    ServiceEntry,
    ServiceSet,
    Severity,
    change_target,
    ordered_changes,
    register,
)
from mailwarden.audit.numbers import config_int, shown
from mailwarden.audit.postfix_config import PostfixConfig, Service, format_version
from mailwarden.audit.postfix_defaults import (
    BOOLEANS,
    OLDEST_SUPPORTED,
    end_of_life,
    has_parameter,
    knows_tls11_names,
    refused_in_services,
)
from mailwarden.audit.postfix_fixes import Missing, Planner
from mailwarden.audit.postfix_services import (
    ENCRYPT,
    NONE,
    PORT25,
    SUBMISSION,
    SUBMISSIONS,
    WRAPPER,
    has_certificate,
    is_smtpd,
    mandatory_tls,
    no_plaintext_after_tls,
    no_plaintext_anywhere,
    no_plaintext_before_tls,
    offers_auth,
    public,
    role,
    smtpd_services,
    tls_loglevel,
    tls_mode,
    verbose_args,
)
from mailwarden.audit.tls import (
    ANULL,
    SURE,
    WEAK,
    Library,
    allowed_classes,
    allowed_protocols,
    on_library,
    without_ssl,
)
from mailwarden.audit.tls import with_exclusions as cipher_string

AUTH_ON_PORT_25 = register(
    "postfix.auth_on_port_25", "auth_on_port_25", "bruteforce", "spray", "cleartext_auth"
)
SUBMISSION_MISSING = register("postfix.submission_missing", "auth_on_port_25")
CLEARTEXT_AUTH = register("postfix.cleartext_auth", "cleartext_auth", "weak_tls")
TLS_NOT_REQUIRED = register("postfix.submission_tls_not_required", "cleartext_auth")
TLS_AUTH_ONLY = register("postfix.submission_tls_auth_only", "cleartext_auth")
NO_WRAPPERMODE = register("postfix.submissions_no_wrappermode", "weak_tls")
AUTH_DISABLED = register("postfix.submission_auth_disabled", "auth_on_port_25")
NO_LOGIN = register("postfix.submission_no_login", "cleartext_auth")
LOGLEVEL_CREDENTIALS = register("postfix.tls_loglevel_credentials", "credential_exposed")
LOGLEVEL_VERBOSE = register("postfix.tls_loglevel_verbose", "credential_exposed")
CLIENT_LOGLEVEL = register("postfix.client_tls_loglevel_credentials", "credential_exposed")
DEBUG_PEER_LIST = register("postfix.debug_peer_list", "credential_exposed")
SMTPD_VERBOSE = register("postfix.smtpd_verbose", "credential_exposed")
OLD_PROTOCOLS = register("postfix.tls_old_protocols", "weak_tls")
SUBMISSION_OLD_TLS = register("postfix.submission_old_tls", "weak_tls")
WEAK_CIPHERS = register("postfix.weak_ciphers", "weak_tls")
ANONYMOUS_CIPHERS = register("postfix.anonymous_ciphers", "weak_tls")
NO_RATE_LIMIT = register("postfix.no_auth_rate_limit", "bruteforce", "spray")
NO_ANVIL = register("postfix.anvil_missing", "bruteforce", "spray")
ANONYMOUS_SASL = register("postfix.anonymous_sasl", "auth_on_port_25")
SOFT_BOUNCE = register("postfix.soft_bounce", "soft_bounce", "bruteforce")
BROKEN_SASL = register("postfix.broken_sasl_auth_clients", "auth_on_port_25")
EOL_VERSION = register("postfix.eol_version")
REFUSED_BOOLEAN = register("postfix.refused_boolean")
INVALID_NUMBER = register("postfix.invalid_number", "credential_exposed", "bruteforce", "spray")
NO_CERTIFICATE = register("postfix.no_certificate", "weak_tls", "cleartext_auth")
PORT25_TLS_REQUIRED = register("postfix.port25_tls_required")

UNPATCHED_BEFORE = (2, 8)
"""Postfix older than this gets no security fixes from anyone: the distributions that
shipped such a release stopped patching it long ago. `mailwarden analyze` reports such a
server (its built-in cipher list gives it away) as outdated, high; so does this audit."""

ANVIL_EVIDENCE = "anvil service"  # evidence that master.cf lacks the entry named as value

ServiceCheck = Callable[[PostfixConfig, Service], Iterable[AuditFinding]]
GlobalCheck = Callable[[PostfixConfig, Planner], Iterable[AuditFinding]]
_SERVICE_CHECKS: list[ServiceCheck] = []
_GLOBAL_CHECKS: list[GlobalCheck] = []

_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1}


def service_check(check: ServiceCheck) -> ServiceCheck:
    _SERVICE_CHECKS.append(check)
    return check


def global_check(check: GlobalCheck) -> GlobalCheck:
    _GLOBAL_CHECKS.append(check)
    return check


def check_postfix(
    config: PostfixConfig, keep: Callable[[AuditFinding], bool] | None = None
) -> list[AuditFinding]:
    """Every Postfix finding for `config` that `keep` selects (`--check`; None: all),
    merged across services.

    The findings that `keep` leaves out are not in the report: a `postconf -M` rewrite
    carries none of their edits, and a submission fix keeps the main.cf edits they ask
    for. They still exist in the configuration, so a fix that leaves them as they are
    does not bring them up, and no fix is completed with theirs."""
    planner = Planner(config, service_findings)
    found: list[AuditFinding] = []
    for check in _GLOBAL_CHECKS:
        found.extend(check(config, planner))
    for service in smtpd_services(config):
        found.extend(service_findings(config, service))
    unfixable: list[AuditFinding] = []
    complete = _completer(config, found, unfixable)
    if keep is not None:
        found = [f for f in found if keep(f)]
    own = {c for f in found if f.id not in _BUNDLES for c in f.fix}
    found = _without_overruled([complete(f) for f in found])
    found = [complete(f) for f in _with_folded_rewrites(config, found)]
    found += _planned(planner, found)
    found += _not_reported(unfixable, found)
    found = _one_disable_list(config, _without_borrowed(merge(found), own))
    return _with_certificate_note(config, found)


def _one_disable_list(config: PostfixConfig, findings: list[AuditFinding]) -> list[AuditFinding]:
    """Fixes that each take a service out of master_service_disable (a switched-off
    submission, a switched-off anvil) write the whole list: where they differ, each
    writes the list without all of those services, so that the fixes agree and
    pasting them in any order switches on what every one of them switches on. The
    services are those of master.cf with the entries the fixes add (a new submission,
    a new anvil that the list names too)."""
    written = {
        c
        for f in findings
        for c in f.fix
        if isinstance(c, MainSet) and c.parameter == fixes.DISABLE
    }
    if len(written) < 2:
        return findings
    entries = [c for f in findings for c in f.fix if isinstance(c, ServiceEntry)]
    planned = config.apply(list(dict.fromkeys(entries)))
    enabled = [
        s
        for s in planned.services
        if planned.disabled(s) and any(not planned.apply([c]).disabled(s) for c in written)
    ]
    one = fixes.enabling(planned, enabled)
    return [
        replace(finding, fix=tuple(one if c in written else c for c in finding.fix))
        for finding in findings
    ]


def _without_overruled(findings: list[AuditFinding]) -> list[AuditFinding]:
    """A refused `-o` boolean's finding (`postfix.refused_boolean` on a service, whose
    fix writes `no` there) takes the fix of another finding of the report that writes
    that `-o` itself (`-o smtpd_tls_auth_only=yes` against cleartext AUTH, `-o
    smtpd_sasl_auth_enable=yes` on a submission service without AUTH): two fixes
    writing one `-o` must agree, and that value ends both. It stays medium (variant
    `service_overruled`): the service does not run, whatever the other finding's
    severity."""
    written = {
        change_target(c): (f, c)
        for f in findings
        if f.id != REFUSED_BOOLEAN.id
        for c in f.fix
        if isinstance(c, ServiceSet)
    }
    kept = []
    for finding in findings:
        if finding.id == REFUSED_BOOLEAN.id and finding.subject is not None:
            targets = (change_target(c) for c in finding.fix)
            other = next((written[t] for t in targets if t in written), None)
            if other is not None:
                by, change = other
                details = {
                    **finding.details,
                    "variant": "service_overruled",
                    "value": change.value,
                    "by": by.id,
                }
                finding = replace(finding, fix=(change,), details=details)
        kept.append(finding)
    return kept


def _not_reported(
    unfixable: list[AuditFinding], findings: list[AuditFinding]
) -> list[AuditFinding]:
    """What a fix brings up that no setting of this Postfix can change (no AUTH rate
    limit before 3.1 once AUTH is turned on; no certificate once TLS is turned on):
    reported now, once per check and service, unless the report names the problem
    already: anywhere for what this version lacks, on that service for a missing
    certificate (each service can name its own with `-o`)."""

    def problem(finding: AuditFinding) -> tuple[str, str | None]:
        return (finding.id, finding.subject if finding.id == NO_CERTIFICATE.id else None)

    reported = {problem(f) for f in findings}
    first: dict[tuple[str, str | None], AuditFinding] = {}
    for finding in unfixable:
        if problem(finding) not in reported:
            first.setdefault((finding.id, finding.subject), finding)
    return list(first.values())


def _planned(planner: Planner, findings: list[AuditFinding]) -> list[AuditFinding]:
    """What the submission service that a fix adds will have that no setting of this
    Postfix can change, unless the report already names the problem elsewhere."""
    reported = {f.id for f in findings}
    adders = [f.id for f in findings if f.id in (AUTH_ON_PORT_25.id, SUBMISSION_MISSING.id)]
    if not adders:
        return []
    return [
        replace(f, details={**f.details, "added_by": adders[0]})
        for f in planner.unfixable()
        if f.id not in reported
    ]


def _completer(
    config: PostfixConfig, findings: list[AuditFinding], unfixable: list[AuditFinding]
) -> Callable[[AuditFinding], AuditFinding]:
    """Complete a fix with what the service needs once the fix is applied.

    A fix can change which settings a service uses: requiring TLS makes smtpd read the
    mandatory protocol and cipher settings instead of the opportunistic ones, and turning
    AUTH on brings the AUTH checks into play. Every service a fix touches is checked again
    as the fix leaves it; a finding there that was not reported (same check and service,
    with the same evidence or a fix that the reported one holds) adds its own fix to this
    one; one that has no fix in this version
    goes to `unfixable`, to be reported. Applying one finding's fix therefore never
    brings up a finding that the report did not show."""
    recheck = _Rechecker(config, findings)

    def complete(finding: AuditFinding) -> AuditFinding:
        fix = finding.fix
        for _ in range(fixes.ROUNDS if fix else 0):
            new = recheck(fix)
            details = {"after_fix": finding.id}
            unfixable.extend(replace(f, details={**f.details, **details}) for f in new if not f.fix)
            present = set(fix)
            added = [change for found in new for change in found.fix if change not in present]
            if not added:
                break
            fix = ordered_changes([*fix, *added])
        if fix == finding.fix:
            return finding
        return replace(finding, fix=fix, details={**finding.details, "completed": "yes"})

    return complete


def _with_folded_rewrites(
    config: PostfixConfig, findings: list[AuditFinding]
) -> list[AuditFinding]:
    """`postconf -M` rewrites a whole master.cf entry (there is no other way to drop a
    `-v`), `-o` options included: written with the options of today, it would undo the
    `-o` edits of the other findings applied before it. The rewrite therefore carries
    the options as every fix of the report leaves them, and pasting the fixes in any
    order gives one result."""
    edits: dict[str, list[ServiceSet]] = {}  # by service: each rewrite reads its own
    for change in (c for f in findings for c in f.fix):
        if isinstance(change, ServiceSet):
            edits.setdefault(change.service, []).append(change)
    folded = []
    for finding in findings:
        rewrites = {
            c.service
            for c in finding.fix
            if isinstance(c, ServiceEntry) and config.service(c.service) is not None
        }
        if rewrites:
            fix = ordered_changes(
                _with_edits(c, edits.get(c.service, [])) if isinstance(c, ServiceEntry) else c
                for c in finding.fix
                if not (isinstance(c, ServiceSet) and c.service in rewrites)
            )
            if not _same_result(config, fix, finding.fix):
                details = {**finding.details, "folded": "yes"}
                finding = replace(finding, fix=fix, details=details)
        folded.append(finding)
    return folded


def _with_edits(entry: ServiceEntry, edits: list[ServiceSet]) -> ServiceEntry:
    options = dict(entry.options)
    for edit in edits:
        options[edit.parameter] = edit.value
    return replace(entry, options=tuple(options.items()))


def _same_result(config: PostfixConfig, one: Iterable[Change], other: Iterable[Change]) -> bool:
    """Both lists of changes leave the configuration alike. Only main.cf and the
    entries that either list touches are compared: the others are the same entries."""
    one, other = tuple(one), tuple(other)
    first, second = config.apply(one), config.apply(other)
    touched = {c.service for c in (*one, *other) if isinstance(c, ServiceSet | ServiceEntry)}
    return first.explicit == second.explicit and all(
        first.service(key) == second.service(key) for key in touched
    )


class _Rechecker:
    """The findings that a fix brings up on the services it changes (every smtpd
    service when it edits main.cf) and that the report does not show yet.

    A service's findings depend on main.cf, on its own master.cf entry and on entries
    that are no smtpd service (anvil, postscreen), never on another smtpd service's
    entry. The services that a fix leaves alone are therefore checked once per
    remaining part of the fix (its main.cf edits and its edits of other entries), not
    once per finding: most findings are per service and share their main.cf edits,
    and re-checking every service for each of them made the audit grow with the square
    of the number of smtpd services (2,000 services: far beyond an hour)."""

    def __init__(self, config: PostfixConfig, findings: list[AuditFinding]) -> None:
        self.config = config
        self.known = {(f.id, f.subject, f.evidence) for f in findings}
        self.known_fixes: dict[tuple[str, str | None], list[frozenset[Change]]] = {}
        for f in findings:
            self.known_fixes.setdefault((f.id, f.subject), []).append(frozenset(f.fix))
        self._shared: dict[tuple[Change, ...], list[tuple[int, str, AuditFinding]]] = {}
        self._done: dict[tuple[Change, ...], list[AuditFinding]] = {}

    def __call__(self, fix: tuple[Change, ...]) -> list[AuditFinding]:
        """The new findings, in the order of the services in master.cf (the same fix is
        checked once: findings share fixes, and each fix is completed twice)."""
        cached = self._done.get(fix)
        if cached is None:
            cached = self._done[fix] = self._recheck(fix)
        return cached

    def _recheck(self, fix: tuple[Change, ...]) -> list[AuditFinding]:
        after = self.config.apply(fix)
        own: dict[str, Service] = {}
        for change in fix:
            if isinstance(change, ServiceSet | ServiceEntry):
                service = after.service(change.service)
                if service is not None and is_smtpd(service):
                    own[service.key] = service
        found = [
            (after.positions[key], found)
            for key, service in own.items()
            for found in self._new(after, service)
        ]
        if any(isinstance(change, MainSet) for change in fix):
            shared = tuple(
                c
                for c in fix
                if not (isinstance(c, ServiceSet | ServiceEntry) and c.service in own)
            )
            found += [(n, f) for n, key, f in self._everywhere(shared) if key not in own]
        found.sort(key=lambda item: item[0])  # stable: a service's findings keep their order
        return [finding for _, finding in found]

    def _everywhere(self, shared: tuple[Change, ...]) -> list[tuple[int, str, AuditFinding]]:
        """(position, service, finding) of every smtpd service after `shared`."""
        cached = self._shared.get(shared)
        if cached is None:
            after = self.config.apply(shared)
            cached = [
                (after.positions[service.key], service.key, found)
                for service in smtpd_services(after)
                for found in self._new(after, service)
            ]
            self._shared[shared] = cached
        return cached

    def _new(self, after: PostfixConfig, service: Service) -> list[AuditFinding]:
        return [
            found
            for found in service_findings(after, service)
            if (found.id, found.subject, found.evidence) not in self.known
            and not self._fixed_by_the_report(found)
        ]

    def _fixed_by_the_report(self, found: AuditFinding) -> bool:
        """The report names this check on this service already, with a fix that holds
        all of `found`'s: nothing new for the administrator. (A main.cf edit that every
        listener inherits, applied alone, leaves the listeners that override the rest
        of that fix with what their own findings already say: taking their edits into
        every fix made each listener's fix name all the others, the report growing with
        the square of their number.)"""
        fix = frozenset(found.fix)
        return any(fix <= known for known in self.known_fixes.get((found.id, found.subject), ()))


_BUNDLES = (AUTH_ON_PORT_25.id, SUBMISSION_MISSING.id)


def _without_borrowed(findings: list[AuditFinding], own: set[Change]) -> list[AuditFinding]:
    """A new submission service is checked like the others, and the main.cf edits that
    check asks for join the submission fix; drop those that another finding asks for
    as its own (`own`: not as the completion of its fix), so that each edit is shown
    under the problem it solves. An edit that only completes another fix stays: the
    problem it prevents on the new service is reported nowhere else."""
    cleaned = []
    for finding in findings:
        if finding.id in _BUNDLES:
            kept = tuple(c for c in finding.fix if not (isinstance(c, MainSet) and c in own))
            finding = replace(finding, fix=kept)
        cleaned.append(finding)
    return cleaned


_TLS_ON = (
    ("smtpd_tls_security_level", "encrypt"),
    ("smtpd_tls_security_level", "may"),
    ("smtpd_tls_wrappermode", "yes"),
)


def _with_certificate_note(
    config: PostfixConfig, findings: list[AuditFinding]
) -> list[AuditFinding]:
    """A fix that turns TLS on or makes it mandatory needs a certificate; when the
    service it turns TLS on for has none (main.cf or its own `-o`, in any of the
    certificate parameters), the finding says so (the path is the administrator's to
    choose)."""
    noted = []
    for finding in findings:
        services = {
            c.service
            for c in finding.fix
            if isinstance(c, ServiceSet) and (c.parameter, c.value) in _TLS_ON
        }
        if services:
            after = config.apply(finding.fix)
            if not all(has_certificate(after, after.service(key)) for key in services):
                finding = replace(finding, details={**finding.details, "certificate": "missing"})
        noted.append(finding)
    return noted


def service_findings(config: PostfixConfig, service: Service) -> list[AuditFinding]:
    found: list[AuditFinding] = []
    for check in _SERVICE_CHECKS:
        found.extend(check(config, service))
    return found


def merge(findings: Iterable[AuditFinding]) -> list[AuditFinding]:
    """One finding per (id, evidence, fix, details); the services are listed together."""
    groups: dict[tuple[object, ...], list[AuditFinding]] = {}
    for finding in findings:
        key = (finding.id, finding.evidence, finding.fix, tuple(sorted(finding.details.items())))
        groups.setdefault(key, []).append(finding)
    merged = []
    for group in groups.values():
        subjects = list(dict.fromkeys(f.subject for f in group if f.subject))
        first = max(group, key=lambda f: _RANK.get(f.severity, 0))
        details = dict(first.details)
        if subjects:
            details["services"] = ", ".join(subjects)
        merged.append(replace(first, subject=", ".join(subjects) or None, details=details))
    return merged


Fix = Change | Missing | None


def _finding(
    check_id: str,
    severity: Severity,
    evidence: Iterable[Evidence],
    fix: Iterable[Fix] = (),
    service: Service | None = None,
    *,
    more: Mapping[str, str] | None = None,
    **details: str,
) -> AuditFinding:
    """A finding whose fix holds the edits of `fix`. When this Postfix can make none of
    them because it lacks the parameters (`Missing`), the details name the oldest of
    them (without it, the newer ones cannot help) and the version that brought it, for
    the text that says what to do instead."""
    details.update(more or {})
    fix = list(fix)
    changes = tuple(dict.fromkeys(c for c in fix if c is not None and not isinstance(c, Missing)))
    missing = [c for c in fix if isinstance(c, Missing)]
    if missing and not changes:
        oldest = min(missing, key=lambda m: m.since)
        details.update(missing=oldest.parameter, since=format_version(oldest.since) or "")
    return AuditFinding(
        id=check_id,
        severity=severity,
        evidence=tuple(dict.fromkeys(evidence)),
        fix=changes,
        details=details,
        subject=service.key if service is not None else None,
    )


# --- AUTH exposure ------------------------------------------------------------------


@global_check
def auth_on_port_25(config: PostfixConfig, planner: Planner) -> Iterable[AuditFinding]:
    exposed = [
        s
        for s in smtpd_services(config)
        if role(config, s) == PORT25 and public(config, s) and offers_auth(config, s)
    ]
    if not exposed:
        return []
    evidence = [config.evidence("smtpd_sasl_auth_enable", s) for s in exposed]
    if not planner.has_submission():
        evidence.append(_services_evidence(config))
    services = ", ".join(s.key for s in exposed)
    cleartext = [s for s in exposed if _auth_before_tls(config, s)]
    evidence += [e for s in cleartext for e in _cleartext_evidence(config, s)]
    fix = planner.auth_off_port25()
    more = {"fixed_in": _auth_turned_off_in(fix)}
    finding = _finding(
        AUTH_ON_PORT_25.id,
        Severity.HIGH,
        evidence,
        fix,
        services=services,
        more={**more, "variant": "cleartext"} if cleartext else more,
    )
    # Where AUTH waits for TLS, this is no cleartext problem: `--check cleartext_auth`
    # (the hint for passwords seen in cleartext) leaves it out.
    topics = None if cleartext else AUTH_ON_PORT_25.topics - {"cleartext_auth"}
    return [replace(finding, subject=services, topics=topics)]


def _auth_turned_off_in(fix: Iterable[Change]) -> str:
    """Where the fix turns AUTH off, for the text: main.cf (`postconf -e`), master.cf
    (`postconf -P` on a service that sets it with `-o`), or both."""
    files = []
    for change in fix:
        if isinstance(change, MainSet) and change.parameter == "smtpd_sasl_auth_enable":
            files.append("main.cf")
        elif isinstance(change, ServiceSet) and change.parameter == "smtpd_sasl_auth_enable":
            files += ["master.cf"] if change.value == "no" else []
    return ", ".join(dict.fromkeys(files))


def _auth_before_tls(config: PostfixConfig, service: Service) -> bool:
    """A password can be sent before TLS: TLS optional, `smtpd_tls_auth_only` off, and
    `smtpd_sasl_security_options` (what smtpd offers before TLS) without `noplaintext`.
    With `noplaintext` only mechanisms that send no password in cleartext are offered
    before STARTTLS (none at all with Dovecot's default `auth_mechanisms = plain`)."""
    if mandatory_tls(config, service) or config.flag("smtpd_tls_auth_only", service):
        return False
    return not no_plaintext_before_tls(config, service)


def _cleartext_evidence(config: PostfixConfig, service: Service) -> list[Evidence]:
    return [
        _tls_level_evidence(config, service),
        config.evidence("smtpd_tls_auth_only", service),
    ]


@global_check
def submission_missing(config: PostfixConfig, planner: Planner) -> Iterable[AuditFinding]:
    auth_anywhere = any(
        public(config, s) and offers_auth(config, s) for s in smtpd_services(config)
    )
    if not auth_anywhere or planner.has_submission():
        return []
    evidence = [_services_evidence(config)]
    disabled = planner.disabled_submission()
    if disabled is not None:
        evidence.append(config.evidence("master_service_disable"))
        more = {"variant": "disabled", "disabled": disabled.key}
    else:
        more = _loopback_details(planner)
    return [
        _finding(
            SUBMISSION_MISSING.id,
            Severity.MEDIUM,
            evidence,
            planner.ensure_submission(),
            more=more,
        )
    ]


def _loopback_details(planner: Planner) -> dict[str, str]:
    """What the finding says when a loopback-only listener holds 587 or 465 (Debian's
    `127.0.0.1:submission` for a webmail): which one, and the port the fix takes
    instead, or that both are held and the fix cannot add a service."""
    loopback = planner.loopback_submission()
    if not loopback:
        return {}
    name = planner.new_submission_name()
    port = planner.new_submission_port()
    details = {"loopback": ", ".join(s.key for s in loopback)}
    if name is None or port is None:
        return {**details, "variant": "loopback_both"}
    return {**details, "new": f"{name}/inet", "port": str(port), "variant": f"loopback_{port}"}


def _services_evidence(config: PostfixConfig) -> Evidence:
    """The smtpd services of master.cf, at the line of the first one (None: none)."""
    services = list(smtpd_services(config))
    listeners = [s.key for s in services]
    line = services[0].line if services else None
    return Evidence("smtpd services", ", ".join(listeners) or "-", file=config.master_cf, line=line)


@service_check
def cleartext_auth(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    kind = role(config, service)
    if kind == PORT25 or not public(config, service) or not offers_auth(config, service):
        return []
    if not _auth_before_tls(config, service):
        return []
    if kind in (SUBMISSION, SUBMISSIONS):
        fix = _required_tls(config, service, kind)
    else:
        # AUTH after STARTTLS only; a service without TLS needs TLS offered first, or
        # AUTH would vanish from it.
        fix = [fixes.setting(config, service, "smtpd_tls_auth_only", "yes")]
        if tls_mode(config, service) == NONE:
            fix.insert(0, fixes.setting(config, service, "smtpd_tls_security_level", "may"))
    evidence = [
        config.evidence("smtpd_sasl_auth_enable", service),
        *_cleartext_evidence(config, service),
    ]
    return [_finding(CLEARTEXT_AUTH.id, Severity.HIGH, evidence, fix, service)]


def _tls_level_evidence(config: PostfixConfig, service: Service) -> Evidence:
    for legacy in ("smtpd_enforce_tls", "smtpd_use_tls"):
        if not config.value("smtpd_tls_security_level", service) and config.flag(legacy, service):
            return config.evidence(legacy, service)
    return config.evidence("smtpd_tls_security_level", service)


@service_check
def port25_tls_required(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    """TLS required on the public MX port: RFC 3207 section 4 says a publicly-referenced
    SMTP server must not require TLS, since most servers that deliver mail never use
    it; their mail is refused. The fix makes TLS optional there (`may`), as the stock
    main.cf has it; where AUTH is offered there, it also sets `smtpd_tls_auth_only =
    yes` on the service, so that no password goes in cleartext once TLS is optional
    (that AUTH belongs elsewhere is the business of postfix.auth_on_port_25)."""
    if role(config, service) != PORT25 or not public(config, service):
        return []
    mode = tls_mode(config, service)
    if mode not in (ENCRYPT, WRAPPER):
        return []
    evidence = [_tls_level_evidence(config, service)]
    fix: list[Fix] = []
    if mode == WRAPPER:
        evidence = [config.evidence("smtpd_tls_wrappermode", service)]
        fix.append(fixes.set_for(service, "smtpd_tls_wrappermode", "no"))
    level = config.value("smtpd_tls_security_level", service).lower()
    if not has_parameter(config.version, "smtpd_tls_security_level"):
        level = ""
    if not level and config.flag("smtpd_enforce_tls", service):  # Postfix 2.2's encrypt
        fix.append(fixes.set_for(service, "smtpd_enforce_tls", "no"))
    if level != "may":
        fix.append(fixes.setting(config, service, "smtpd_tls_security_level", "may"))
    auth = offers_auth(config, service) and not config.flag("smtpd_tls_auth_only", service)
    if auth:  # required TLS protected AUTH; with TLS optional, AUTH must wait for it
        fix.append(fixes.setting(config, service, "smtpd_tls_auth_only", "yes"))
    name = "_".join(n for n, on in (("wrapper", mode == WRAPPER), ("auth", auth)) if on)
    variant = {"variant": name} if name else {}
    return [_finding(PORT25_TLS_REQUIRED.id, Severity.MEDIUM, evidence, fix, service, more=variant)]


@service_check
def submission_settings(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    kind = role(config, service)
    if kind not in (SUBMISSION, SUBMISSIONS) or not public(config, service):
        return []
    found = []
    mode = tls_mode(config, service)
    auth = offers_auth(config, service)
    auth_only = config.flag("smtpd_tls_auth_only", service)
    optional = kind == SUBMISSION and mode not in (ENCRYPT, WRAPPER)
    no_login = auth and no_plaintext_anywhere(config, service)
    if no_login:
        found.append(_no_login(config, service, kind))
    # Without TLS, `noplaintext` is no protection but no login at all: NO_LOGIN says so.
    silent = not auth or not _auth_before_tls(config, service)
    if optional and silent and not (no_login and mode == NONE):
        # AUTH waits for TLS, or only mechanisms without a cleartext password come
        # before it (`noplaintext`): the cleartext_auth finding is not made.
        no_plaintext = auth and not auth_only
        evidence = [_tls_level_evidence(config, service)]
        if no_plaintext:
            evidence.append(config.evidence("smtpd_sasl_security_options", service))
        found.append(
            _finding(
                TLS_NOT_REQUIRED.id,
                Severity.LOW,
                evidence,
                [fixes.setting(config, service, "smtpd_tls_security_level", "encrypt")],
                service,
                more={"variant": "noplaintext"} if no_plaintext else {},
            )
        )
    if kind == SUBMISSION and mode == ENCRYPT and auth and not auth_only:
        found.append(
            _finding(
                TLS_AUTH_ONLY.id,
                Severity.LOW,
                [config.evidence("smtpd_tls_auth_only", service)],
                [fixes.setting(config, service, "smtpd_tls_auth_only", "yes")],
                service,
            )
        )
    if kind == SUBMISSIONS and mode != WRAPPER:
        found.append(
            _finding(
                NO_WRAPPERMODE.id,
                Severity.MEDIUM,
                [config.evidence("smtpd_tls_wrappermode", service)],
                [fixes.setting(config, service, "smtpd_tls_wrappermode", "yes")],
                service,
            )
        )
    if not config.flag("smtpd_sasl_auth_enable", service):
        # AUTH comes with the TLS that protects it (with smtpd_tls_auth_only and no TLS,
        # it would not even be offered).
        tls = _required_tls(config, service, kind) if mode not in (ENCRYPT, WRAPPER) else []
        found.append(
            _finding(
                AUTH_DISABLED.id,
                Severity.LOW,
                [config.evidence("smtpd_sasl_auth_enable", service)],
                [fixes.setting(config, service, "smtpd_sasl_auth_enable", "yes"), *tls],
                service,
            )
        )
    return found


def _no_login(config: PostfixConfig, service: Service, kind: str) -> AuditFinding:
    """No mechanism that sends the password in cleartext is offered in any session of
    this submission service (`no_plaintext_anywhere`): with Dovecot's default
    `auth_mechanisms = plain` nobody can log in. With another `smtpd_sasl_type` (Cyrus,
    the default) what remains depends on that library's mechanism list, unknown here:
    the `_other_sasl` variants say so, same severity (PLAIN and LOGIN, what most
    clients use, are refused whatever the library offers). Without TLS (`variant` no_tls) the fix
    requires TLS (on 465 the wrappermode finding does), and, where `noplaintext` holds
    after STARTTLS too (`smtpd_sasl_tls_security_options` is `$smtpd_sasl_security_options`
    unless set), sets that list without `noplaintext`."""
    mode = tls_mode(config, service)
    fix: list[Fix] = []
    if mode == NONE and kind == SUBMISSION:
        fix += _required_tls(config, service, kind)
    evidence = [config.evidence("smtpd_sasl_security_options", service)]
    if mode == NONE:
        evidence.insert(0, _tls_level_evidence(config, service))
    if no_plaintext_after_tls(config, service):
        evidence.append(config.evidence("smtpd_sasl_tls_security_options", service))
        fix.append(fixes.plaintext_after_tls(config, service))
    variant = "no_tls" if mode == NONE else "after_tls"
    sasl_type = config.value("smtpd_sasl_type", service)
    if sasl_type.lower() != "dovecot":
        # Cyrus SASL (Postfix's default type) or another plugin: the mechanisms come
        # from its own configuration (Cyrus: mech_list in smtpd.conf), which the audit
        # does not read. PLAIN and LOGIN are refused all the same; the text says that,
        # and what to look at, without claiming what Dovecot would offer.
        variant += "_other_sasl"
        evidence.append(config.evidence("smtpd_sasl_type", service))
    more = {"variant": variant, "sasl_type": sasl_type or "cyrus"}
    return _finding(NO_LOGIN.id, Severity.LOW, evidence, fix, service, more=more)


@service_check
def no_certificate(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    """TLS is on, but none of smtpd's certificate parameters names a file (main.cf or
    the service's `-o`): smtpd logs "No server certs available. TLS won't be enabled"
    and runs without TLS. Where TLS is required (`encrypt`, wrapper mode) no client
    gets through; where it is optional, STARTTLS is never offered, so AUTH is offered
    in cleartext only, or not at all with `smtpd_tls_auth_only` (or `noplaintext`).

    High where users log in (AUTH off port 25): they cannot, or only in cleartext.
    Medium where TLS is required without AUTH (no mail gets in there), and on port 25
    with AUTH (auth_on_port_25 already says that AUTH does not belong there). Optional
    TLS without AUTH is not reported: smtpd then just offers no STARTTLS.

    There is no edit to paste: the path is the administrator's. The finding says what to
    set, by the parameters of this version (`smtpd_tls_chain_files` from 3.4)."""
    mode = tls_mode(config, service)
    if mode == NONE or not public(config, service) or has_certificate(config, service):
        return []
    auth = offers_auth(config, service)
    required = mode in (ENCRYPT, WRAPPER)
    if not auth and not required:
        return []
    if required:
        variant = "required"
    elif config.flag("smtpd_tls_auth_only", service) or no_plaintext_before_tls(config, service):
        variant = "auth_waits"
    else:
        variant = "cleartext"
    severity = Severity.HIGH if auth and role(config, service) != PORT25 else Severity.MEDIUM
    names = [n for n in ("smtpd_tls_cert_file", "smtpd_tls_chain_files") if _knows(config, n)]
    level = (
        config.evidence("smtpd_tls_wrappermode", service)
        if mode == WRAPPER
        else _tls_level_evidence(config, service)
    )
    evidence = [*(config.evidence(n, service) for n in names), level]
    if auth:
        evidence.append(config.evidence("smtpd_sasl_auth_enable", service))
    chain = _knows(config, "smtpd_tls_chain_files")
    more = {
        "variant": variant,
        "no_fix": "chain" if chain else "pair",
        "postconf": _postconf_command(config),
    }
    return [_finding(NO_CERTIFICATE.id, severity, evidence, (), service, more=more)]


def _knows(config: PostfixConfig, parameter: str) -> bool:
    return has_parameter(config.version, parameter)


def _postconf_command(config: PostfixConfig) -> str:
    """`postconf`, with `-c DIR` (absolute) unless the directory is the default one, as
    the printed fixes name it."""
    if config.default_directory:
        return "postconf"
    return f"postconf -c {shlex.quote(os.path.abspath(config.directory))}"


def _required_tls(config: PostfixConfig, service: Service, kind: str) -> list[Fix]:
    """The settings that make TLS mandatory on a submission service, AUTH after it."""
    if kind == SUBMISSIONS:
        return [fixes.setting(config, service, "smtpd_tls_wrappermode", "yes")]
    return [
        fixes.setting(config, service, "smtpd_tls_security_level", "encrypt"),
        fixes.setting(config, service, "smtpd_tls_auth_only", "yes"),
    ]


# --- credentials in the log ---------------------------------------------------------


SESSION_DUMP_LEVEL = 4  # postconf(5): "dump of complete transmission after STARTTLS"


@service_check
def tls_loglevel_check(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    if tls_mode(config, service) == NONE:
        return []
    value = config.value("smtpd_tls_loglevel", service)
    level = tls_loglevel(value)
    if level is None:
        finding = _invalid_number(config, service, "smtpd_tls_loglevel", value, "1")
        return [replace(finding, topics=LOGLEVEL_CREDENTIALS.topics)]
    if level < 2:
        return []
    evidence = [config.evidence("smtpd_tls_loglevel", service)]
    fix = [fixes.setting(config, service, "smtpd_tls_loglevel", "1")]
    if level >= SESSION_DUMP_LEVEL:
        # The session after STARTTLS: AUTH included where it is offered. Elsewhere no
        # password is there yet (low; the same check, so that the AUTH fix alone, which
        # leaves port 25 at this level, brings up nothing the report did not name).
        auth = offers_auth(config, service)
        severity, more = (Severity.HIGH, {}) if auth else (Severity.LOW, {"variant": "no_auth"})
        check = LOGLEVEL_CREDENTIALS
    else:  # 2: handshake steps; 3: handshake packets (no AUTH in them)
        severity, more = Severity.LOW, ({"variant": "handshake_dump"} if level == 3 else {})
        check = LOGLEVEL_VERBOSE
    return [_finding(check.id, severity, evidence, fix, service, level=str(level), more=more)]


def _invalid_number(
    config: PostfixConfig,
    service: Service,
    parameter: str,
    value: str,
    fixed: str,
    variant: str | None = None,
) -> AuditFinding:
    """`parameter` is a number to the check, but no Postfix reads `value` as one: too
    many digits, or (variant) no number at all."""
    return _finding(
        INVALID_NUMBER.id,
        Severity.MEDIUM,
        [config.evidence(parameter, service)],
        [fixes.setting(config, service, parameter, fixed)],
        service,
        parameter=parameter,
        value=shown(value),
        fixed=fixed,
        more={"variant": variant} if variant else {},
    )


@global_check
def client_tls_loglevel(config: PostfixConfig, planner: Planner) -> Iterable[AuditFinding]:
    """The SMTP/LMTP client at TLS log level 4 dumps the whole session after STARTTLS,
    its own AUTH to the relay host included: the relay password lands in the log."""
    found = []
    for service in config.services:
        client = service.command
        if service.type != "unix" or client not in ("smtp", "lmtp"):
            continue
        parameter = f"{client}_tls_loglevel"
        if not has_parameter(config.version, parameter):
            continue  # no TLS in this client yet (the LMTP client got it in 2.3)
        level = tls_loglevel(config.value(parameter, service))
        if level is None or level < SESSION_DUMP_LEVEL:
            continue
        if not config.flag(f"{client}_sasl_auth_enable", service):
            continue
        evidence = [
            config.evidence(parameter, service),
            config.evidence(f"{client}_sasl_auth_enable", service),
        ]
        fix = [fixes.setting(config, service, parameter, "1")]
        found.append(
            _finding(
                CLIENT_LOGLEVEL.id,
                Severity.HIGH,
                evidence,
                fix,
                service,
                parameter=parameter,
                level=str(level),
                maps=f"{client}_sasl_password_maps",
            )
        )
    return found


@service_check
def debug_peer_list(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    if not config.value("debug_peer_list", service):
        return []
    evidence = [config.evidence("debug_peer_list", service)]
    fix = [fixes.setting(config, service, "debug_peer_list", "")]
    return [_finding(DEBUG_PEER_LIST.id, Severity.HIGH, evidence, fix, service)]


@service_check
def smtpd_verbose(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    flags = verbose_args(service)
    if not flags:
        return []
    command = " ".join([service.command, *service.args])
    evidence = Evidence("command", command, service.key, config.master_cf, service.line)
    rewrite = ServiceEntry(
        service.key,
        service.fields(),
        tuple(a for a in service.args if a not in flags),
        tuple(service.overrides.items()),
    )
    return [_finding(SMTPD_VERBOSE.id, Severity.HIGH, [evidence], [rewrite], service)]


# --- TLS ----------------------------------------------------------------------------


@service_check
def tls_protocols(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    if tls_mode(config, service) == NONE:
        return []
    mandatory = mandatory_tls(config, service)
    parameter = "smtpd_tls_mandatory_protocols" if mandatory else "smtpd_tls_protocols"
    allowed = allowed_protocols(config.value(parameter, service))
    evidence = [config.evidence(parameter, service)]
    fix = [fixes.protocols(config, service, parameter)]
    missing = isinstance(fix[0], Missing)
    # Mandatory TLS on 587/465 refuses TLSv1 and TLSv1.1 too.
    strict = fixes.strict_protocols(config, service, parameter)
    found = []
    ssl = [p for p in without_ssl(allowed, _library(config)) if p.startswith("SSL")]
    if ssl:
        # graded as weak ciphers are: a password to lose only where AUTH is offered
        severity = Severity.HIGH if offers_auth(config, service) else Severity.MEDIUM
        found.append(
            _finding(OLD_PROTOCOLS.id, severity, evidence, fix, service, protocols=", ".join(ssl))
        )
    old_tls = [p for p in allowed if p in ("TLSv1", "TLSv1.1")]
    if old_tls and strict:
        found.append(
            _finding(
                SUBMISSION_OLD_TLS.id,
                Severity.MEDIUM,
                evidence,
                # Refusing them takes a Postfix that knows their names (else no fix),
                # and one that has the parameter (Missing: the text says so).
                fix if knows_tls11_names(config.version) or missing else [],
                service,
                protocols=", ".join(old_tls),
            )
        )
    return found


NEEDS_OPENSSL_111 = (3, 6)
"""Postfix 3.6 and later build only with OpenSSL 1.1.1 or later (RELEASE_NOTES-3.6)."""


def _tls_to_be_required(config: PostfixConfig, service: Service) -> list[Fix]:
    """The settings by which the report makes TLS mandatory on a submission service
    that has it optional (`cleartext_auth`, `submission_tls_not_required`,
    `submissions_no_wrappermode`); empty where it does not, or cannot."""
    kind = role(config, service)
    if kind not in (SUBMISSION, SUBMISSIONS) or not public(config, service):
        return []
    if mandatory_tls(config, service) or tls_mode(config, service) == NONE:
        return []
    required = _required_tls(config, service, kind)
    return required if any(c is not None and not isinstance(c, Missing) for c in required) else []


def _library(config: PostfixConfig) -> Library:
    """The OpenSSL Postfix uses (--openssl-version, this machine's), else at least
    1.1.1 for a Postfix 3.6 or later, which needs it."""
    library = config.library
    if library.known or config.version is None or config.version < NEEDS_OPENSSL_111:
        return library
    return Library((1, 1, 1), "1.1.1", "postfix")


@service_check
def ciphers(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    if tls_mode(config, service) == NONE:
        return []
    mandatory = mandatory_tls(config, service)
    grade_parameter = "smtpd_tls_mandatory_ciphers" if mandatory else "smtpd_tls_ciphers"
    grade = config.value(grade_parameter, service).lower()
    list_parameter = f"tls_{grade}_cipherlist"
    evidence = [config.evidence(grade_parameter, service), config.evidence(list_parameter, service)]
    text = config.value(list_parameter, service)
    exclusion_parameters = ["smtpd_tls_exclude_ciphers"]
    if mandatory:
        exclusion_parameters.append("smtpd_tls_mandatory_exclude_ciphers")
    for parameter in exclusion_parameters:
        exclusions = config.value(parameter, service)
        if exclusions:
            text = cipher_string(text, exclusions)
            evidence.append(config.evidence(parameter, service))
    library = _library(config)
    classes = on_library(allowed_classes(text), library)
    auth = offers_auth(config, service)
    required = [] if mandatory else _tls_to_be_required(config, service)
    if required and not isinstance(fixes.exclude_ciphers(config, service, True), Missing):
        # The report makes TLS mandatory here (587 with `encrypt`, 465 with implicit
        # TLS): the suites go where mandatory TLS reads them, and port 25 keeps its own.
        fix = [
            *required,
            fixes.cipher_grade(config, service, "smtpd_tls_mandatory_ciphers"),
            fixes.exclude_ciphers(config, service, True),
        ]
    else:
        fix = [
            fixes.cipher_grade(config, service, grade_parameter),
            fixes.exclude_ciphers(config, service, mandatory),
        ]
    found = []
    weak = {name: how for name, how in classes.items() if name in WEAK}
    sure = any(how == SURE for how in weak.values())
    if weak and (auth or sure):
        names = ", ".join(name for name in WEAK if name in weak)
        if sure:
            severity, more = (Severity.HIGH if auth else Severity.MEDIUM), {}
        elif library.known:  # an OpenSSL before 1.1.0: RC4 is in the grade
            severity, more = Severity.MEDIUM, {"variant": "library", "openssl": library.label()}
        else:  # RC4 only if the unknown library is older than 1.1.0
            severity, more = Severity.LOW, {"variant": "library_unknown"}
        found.append(
            _finding(WEAK_CIPHERS.id, severity, evidence, fix, service, classes=names, more=more)
        )
    if auth and ANULL in classes and public(config, service):  # loopback: no path to hijack
        found.append(_finding(ANONYMOUS_CIPHERS.id, Severity.MEDIUM, evidence, fix, service))
    return found


# --- AUTH policy --------------------------------------------------------------------


RATE_LIMIT = "smtpd_client_auth_rate_limit"
EXCEPTIONS = "smtpd_client_event_limit_exceptions"


@service_check
def auth_rate_limit(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    if not public(config, service) or not offers_auth(config, service):
        return []
    exists = has_parameter(config.version, RATE_LIMIT)
    value = config.value(RATE_LIMIT, service)
    limit = config_int(value) if value and exists else 0
    if limit is None:
        # smtpd stops with a fatal error on "abc" or "-1": no mail at all.
        variant = None if re.fullmatch(r"[0-9]+", value) else "not_a_number"
        finding = _invalid_number(
            config, service, RATE_LIMIT, value, fixes.AUTH_RATE_LIMIT, variant
        )
        return [replace(finding, topics=NO_RATE_LIMIT.topics)]
    if limit:
        exempt = _exempt_from_rate_limit(config, service, limit)
        return exempt or _rate_per_minute(config, service, limit)
    fix = [fixes.setting(config, service, RATE_LIMIT, fixes.AUTH_RATE_LIMIT)] if exists else []
    evidence = [config.evidence(RATE_LIMIT, service)]
    limit_text = fixes.AUTH_RATE_LIMIT
    return [_finding(NO_RATE_LIMIT.id, Severity.MEDIUM, evidence, fix, service, limit=limit_text)]


def _exempt_from_rate_limit(
    config: PostfixConfig, service: Service, limit: int
) -> list[AuditFinding]:
    """A limit that `smtpd_client_event_limit_exceptions` lifts for every client (a
    /0 network, a `static:` table) limits nobody: no limit, as with 0. The fix keeps the
    other exceptions (the administrator's own networks) as written: `$mynetworks`
    stays `$mynetworks`, unless what it expands to lifts the limit for everyone; then
    its other items are written out in its place."""
    items = [i for i in re.split(r"[\s,]+", config.value(EXCEPTIONS, service)) if i]
    everyone = _exempting_everyone(items)
    if not everyone:
        return []
    removed = set(everyone)
    kept_items: list[str] = []
    for written in fixes.list_items(config.raw(EXCEPTIONS, service) or ""):
        expanded = [i for i in re.split(r"[\s,]+", config.expand(written, service)) if i]
        if any(i in removed for i in expanded):
            kept_items += [i for i in expanded if i not in removed]
        else:
            kept_items.append(written)
    kept = ",".join(dict.fromkeys(kept_items))
    evidence = [config.evidence(RATE_LIMIT, service), config.evidence(EXCEPTIONS, service)]
    fix = [fixes.setting(config, service, EXCEPTIONS, kept)]
    families = {_family(i) for i in everyone}
    variant = f"exempt_ipv{families.pop()}" if families in ({4}, {6}) else "exempt"
    details = {"limit": str(limit), "exempt": ", ".join(everyone), "variant": variant}
    return [_finding(NO_RATE_LIMIT.id, Severity.MEDIUM, evidence, fix, service, more=details)]


TIME_UNIT = "anvil_rate_time_unit"
MOST_PER_MINUTE = 60
"""AUTH commands per client and minute above which a limit slows no guessing down (one
a second), whatever anvil_rate_time_unit is: the limit counts per that unit, so it is
judged as `limit * 60 / unit` a minute (60 with the default 60s; 600 per 1s; 3600 per
1h)."""
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seconds(value: str) -> int | None:
    """A Postfix time ('60s', '1m', '10': seconds by default) in seconds; None when
    Postfix cannot read it (its own finding would be a fatal error, not this one)."""
    match = re.fullmatch(r"\s*([0-9]+)([smhdw]?)\s*", value.lower())
    number = config_int(match.group(1)) if match else None
    if match is None or number is None:
        return None
    return number * _SECONDS[match.group(2) or "s"]


def _rate_per_minute(config: PostfixConfig, service: Service, limit: int) -> list[AuditFinding]:
    """smtpd_client_auth_rate_limit counts per anvil_rate_time_unit: more than
    MOST_PER_MINUTE a minute (`limit * 60 / unit`) is reported for any unit (with `1s` a
    limit of 10 lets a client try 600 passwords a minute; with `1h`, 36000 does, and a
    client can try a whole window's worth in a burst). The fix lowers the limit to what
    the unit allows closest to the recommended one a minute (at least 1): changing the
    unit would change every other anvil limit too."""
    anvil = config.service(fixes.ANVIL)
    unit = _seconds(config.value(TIME_UNIT, anvil))
    if unit is None or unit == 0 or limit * 60 <= MOST_PER_MINUTE * unit:
        return []
    wanted = max(1, int(fixes.AUTH_RATE_LIMIT) * unit // 60)
    evidence = [config.evidence(RATE_LIMIT, service), config.evidence(TIME_UNIT, anvil)]
    fix = [fixes.setting(config, service, RATE_LIMIT, str(wanted))]
    variant = "time_unit" if unit < 60 else "per_minute" if unit == 60 else "time_unit_long"
    details = {
        "limit": str(limit),
        "unit": config.value(TIME_UNIT, anvil),
        "per_minute": str(-(-limit * 60 // unit)),  # rounded up: it is more than 60
        "wanted": str(wanted),
        "variant": variant,
    }
    return [_finding(NO_RATE_LIMIT.id, Severity.MEDIUM, evidence, fix, service, more=details)]


BROAD_PREFIX = 8
"""An exception network shorter than /8 (IPv4 or IPv6) is no administrator's own
network: where the exceptions together cover a whole family, these go first."""

_WHOLE = {4: ipaddress.ip_network("0.0.0.0/0"), 6: ipaddress.ip_network("::/0")}


def _exempting_everyone(items: list[str]) -> list[str]:
    """The exceptions that lift the limit for every client: a `static:` table (it
    matches any client; other tables cannot be read from here), and for a family whose
    every address the networks together cover (0.0.0.0/0, [::]/0, or 0.0.0.0/1 with
    128.0.0.0/1), its networks shorter than /8; all of that family's networks if the
    rest still cover it."""
    found = {i for i in items if i.lower().startswith("static:")}
    for version, whole in _WHOLE.items():
        networks = [
            (i, n) for i in items if (n := _network(i)) is not None and n.version == version
        ]
        if not _covers(whole, [n for _, n in networks]):
            continue
        rest = [n for _, n in networks if n.prefixlen >= BROAD_PREFIX]
        found.update(i for i, n in networks if n.prefixlen < BROAD_PREFIX or _covers(whole, rest))
    return [i for i in dict.fromkeys(items) if i in found]


def _covers(
    whole: ipaddress.IPv4Network | ipaddress.IPv6Network,
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> bool:
    return bool(networks) and list(ipaddress.collapse_addresses(networks)) == [whole]  # type: ignore[type-var]


def _network(item: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(item.replace("[", "").replace("]", ""), strict=False)
    except ValueError:
        return None


def _family(item: str) -> int:
    """4 or 6 for a network, 0 for a table (`static:`), whose match is every client:
    an IPv4 client never matches an IPv6 network in Postfix, nor the reverse."""
    network = _network(item)
    return network.version if network is not None else 0


@service_check
def anvil_missing(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    """The AUTH rate limit is kept by anvil(8): without its master.cf entry, or with
    that entry switched off by master_service_disable (master(8) skips it; variant
    `disabled`, fixed by taking it out of that list), smtpd cannot reach it, logs a
    warning and lets every client try as fast as it likes. An entry the fix adds is
    taken out of master_service_disable too, when that list names it."""
    if not public(config, service) or not offers_auth(config, service):
        return []
    limit = config_int(config.value("smtpd_client_auth_rate_limit", service).strip())
    anvil = config.service(fixes.ANVIL)
    if not limit or (anvil is not None and not config.disabled(anvil)):
        return []
    if anvil is not None:  # switched off by master_service_disable: master(8) skips it
        evidence = [
            config.evidence("smtpd_client_auth_rate_limit", service),
            config.evidence(fixes.DISABLE),
        ]
        fix: list[Fix] = [fixes.enabling(config, [anvil])]
        more = {"variant": "disabled"}
    else:
        evidence = [
            config.evidence("smtpd_client_auth_rate_limit", service),
            Evidence(ANVIL_EVIDENCE, fixes.ANVIL, file=config.master_cf),
        ]
        entry = fixes.anvil_entry(config)
        fix = [entry]
        added = config.apply([entry])
        new_anvil = added.service(fixes.ANVIL)
        if new_anvil is not None and added.disabled(new_anvil):
            fix.append(fixes.enabling(added, [new_anvil]))  # master_service_disable names it
        more = {}
    return [
        _finding(NO_ANVIL.id, Severity.MEDIUM, evidence, fix, service, more=more, limit=str(limit))
    ]


@service_check
def anonymous_sasl(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    if not offers_auth(config, service):
        return []
    found = []
    for parameter in ("smtpd_sasl_security_options", "smtpd_sasl_tls_security_options"):
        raw = config.raw(parameter, service) or ""
        if not has_parameter(config.version, parameter):
            continue  # smtpd_sasl_tls_security_options came in 2.2
        inherited = parameter.endswith("tls_security_options") and raw.strip() in (
            "$smtpd_sasl_security_options",
            "${smtpd_sasl_security_options}",
            "$(smtpd_sasl_security_options)",
        )
        options = config.value(parameter, service).lower().replace(",", " ").split()
        if inherited or "noanonymous" in options:
            continue
        evidence = [config.evidence(parameter, service)]
        fix = [fixes.sasl_security_options(config, service, parameter)]
        found.append(_finding(ANONYMOUS_SASL.id, Severity.MEDIUM, evidence, fix, service))
    return found


@service_check
def broken_sasl(config: PostfixConfig, service: Service) -> Iterable[AuditFinding]:
    if not offers_auth(config, service) or not config.flag("broken_sasl_auth_clients", service):
        return []
    evidence = [config.evidence("broken_sasl_auth_clients", service)]
    fix = [fixes.setting(config, service, "broken_sasl_auth_clients", "no")]
    return [_finding(BROKEN_SASL.id, Severity.LOW, evidence, fix, service)]


# --- whole server -------------------------------------------------------------------


UNKNOWN_RECIPIENT_CODES = (
    "unknown_local_recipient_reject_code",
    "unknown_virtual_alias_reject_code",
    "unknown_virtual_mailbox_reject_code",
    "unknown_relay_recipient_reject_code",
)
"""The reply codes of "User unknown in ... table", in Postfix's order of the tables (as
analyze names them). 550 by default; Postfix's documentation suggests 450 while a new
table is tested, and a 4xx left there defers every unknown recipient, as soft_bounce
does. Not unknown_client/hostname/address_reject_code, which are 450 on purpose (a DNS
lookup may fail for a while)."""


def _temporary_code(value: str) -> bool:
    """A reply code of the 4xx class ("try again later"), as Postfix reads the number."""
    code = config_int(value)
    return code is not None and 400 <= code <= 499


def _unknown_recipient_code(
    config: PostfixConfig, parameter: str, service: Service | None = None
) -> AuditFinding:
    value = config.value(parameter, service)
    fix: Change = (
        MainSet(parameter, "550") if service is None else ServiceSet(service.key, parameter, "550")
    )
    evidence = [config.evidence(parameter, service)]
    return _finding(
        SOFT_BOUNCE.id,
        Severity.MEDIUM,
        evidence,
        [fix],
        service,
        more={
            "variant": "reject_code",
            "parameter": parameter,
            "value": shown(value),  # as written (`0450`)
            "code": str(config_int(value)),  # as Postfix sends it (450)
        },
    )


@global_check
def soft_bounce(config: PostfixConfig, planner: Planner) -> Iterable[AuditFinding]:
    """soft_bounce = yes, and an unknown recipient's reject code set to a 4xx: both
    defer what Postfix means to refuse (medium, as analyze's soft_bounce finding, which
    names them both and points here)."""
    found = []
    if config.flag("soft_bounce"):
        found.append(
            _finding(
                SOFT_BOUNCE.id,
                Severity.MEDIUM,
                [config.evidence("soft_bounce")],
                [MainSet("soft_bounce", "no")],
            )
        )
    for service in config.services:
        if "soft_bounce" in service.overrides and config.flag("soft_bounce", service):
            found.append(
                _finding(
                    SOFT_BOUNCE.id,
                    Severity.MEDIUM,
                    [config.evidence("soft_bounce", service)],
                    [ServiceSet(service.key, "soft_bounce", "no")],
                    service,
                )
            )
    for parameter in UNKNOWN_RECIPIENT_CODES:
        if _temporary_code(config.value(parameter)):
            found.append(_unknown_recipient_code(config, parameter))
        for service in config.services:
            if parameter in service.overrides and _temporary_code(config.value(parameter, service)):
                found.append(_unknown_recipient_code(config, parameter, service))
    return found


@global_check
def refused_boolean(config: PostfixConfig, planner: Planner) -> Iterable[AuditFinding]:
    """A yes/no parameter of main.cf that is neither (`smtpd_tls_auth_only = true`):
    every Postfix program that reads it stops at start (the note says so). The fix
    writes `no` in main.cf, the value the audit read it as, so that the other findings
    and their fixes (a service's own `-o ...=yes`) stay as reported; a fix that sets a
    service's `-o` cannot end it, main.cf is read all the same. Likewise for a
    service's `-o` that is neither (variant `service`): only that service stops."""
    found = []
    for parameter in BOOLEANS:
        if parameter not in config.explicit or config.refused_boolean(parameter) is None:
            continue
        evidence = [config.evidence(parameter)]
        fix = [fixes.setting(config, None, parameter, "no")]
        found.append(
            _finding(REFUSED_BOOLEAN.id, Severity.MEDIUM, evidence, fix, parameter=parameter)
        )
    # In a service's `-o` (`-o smtpd_tls_auth_only=1`): only that service stops. The
    # fix writes `no` in that `-o` (`postconf -P 'service/type/parameter=no'`), the
    # value the audit read; where another finding writes that `-o` (with `yes`), this
    # one takes that fix, which ends both (`_without_overruled`).
    for service, parameter, _value in refused_in_services(config):
        found.append(
            _finding(
                REFUSED_BOOLEAN.id,
                Severity.MEDIUM,
                [config.evidence(parameter, service)],
                [fixes.setting(config, service, parameter, "no")],
                service,
                more={"variant": "service"},
                parameter=parameter,
            )
        )
    return found


@global_check
def eol_version(config: PostfixConfig, planner: Planner) -> Iterable[AuditFinding]:
    version = config.version
    if version is None or config.version_source == "assumed" or not end_of_life(version):
        return []
    shown = format_version(version) or ""
    where = config.main_cf if config.version_source == "main.cf" else None
    line = config.main_lines.get("mail_version") if where else None
    evidence = [Evidence("mail_version", shown, file=where, line=line)]
    oldest = format_version(OLDEST_SUPPORTED) or ""
    if version[:2] < UNPATCHED_BEFORE:
        more = {"variant": "unpatched"}
        return [
            _finding(
                EOL_VERSION.id, Severity.HIGH, evidence, version=shown, oldest=oldest, more=more
            )
        ]
    return [_finding(EOL_VERSION.id, Severity.MEDIUM, evidence, version=shown, oldest=oldest)]
