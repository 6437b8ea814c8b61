"""``mailwarden analyze --format json``: one object, the contract in ARCHITECTURE.md.

    attackers    [{ip, network, verdict, failures, users, first_seen, last_seen,
                   succeeded_as, recommendation, …}]   every hostile client, worst first
    compromised  [{user, ip, time, failures_before, …}]
    credentials  [{ip, mechanism, authzid, user, password, complete, …}]  masked by default
    findings     [{kind, severity, subject, data, evidence, …}]
    stats        {lines_read, lines_recognised, events, seconds, …}

An attacker's ``recommendation`` is ``ban``, ``watch``, ``none (allow-listed)`` (in
``--allow``/``[policy] allow``), ``none (this machine)`` (loopback or the server's own
address: a webmail or proxy on it, never banned whatever the allow list says) or ``none
(stale password of a real user)``; a consumer treats any ``none (…)`` as "never ban".

The first four come from :meth:`mailwarden.detect.Analysis.to_json`. Extensions here:
``stats`` carries the reading counters (:meth:`ReadSummary.stats`: the contract's
``lines_read``, ``lines_recognised``, ``events``, ``seconds``) and then detection's own;
a detection counter named like a reading one keeps the reading's value under its name
and is written as ``<name>_analysed`` (the detector's ``events`` are only those that can
change the analysis, fewer than the lines recognised). ``lines_recognised`` and
``events`` count only the lines analyze's prefilter keeps, those that can change the
analysis: a ``connect from`` or a delivery that ``mailwarden events`` recognises is not
counted (:attr:`ReadSummary.recognised`); ``lines_skipped`` counts as ``events`` does,
binary lines the prefilter drops included, the empty lines it drops not. An attacker's
``users`` are the first 32 names it tried: ``users_complete`` is false when it tried
more. A credential carries ``user_complete`` (false when the log cut the payload inside
the username: ``user`` is then the start of a name, not an account). A finding whose cause is the
server's configuration carries ``audit`` (the command that checks it), and
``inputs``/``problems`` say what was read and what could not be. ``not_opened`` lists
the files --since or --until left unread, each ``{path, reason}``: ``before_since``
(last written more than a day before the look-back, ``stale_window`` before --since) or
``after_until`` (a newer file of a rotated set whose older file ends more than a day past
--until); ``stats`` counts them as ``files_before_since`` and ``files_after_until``.
``looked_back`` lists the files written before --since that were read only for the
owners' logins of that look-back (``files_looked_back``). ``notes`` starts with a line per
input whose entries go back in time (the newest file first on standard input): the
analysis counts in the order given, so it may be wrong; then a line when nothing that
could change the analysis lay inside --since/--until (an all-clear that covers less than
it seems).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import IO, Any

from mailwarden.detect import Analysis
from mailwarden.detect.analysis import one_zone
from mailwarden.parsers.sasl import json_safe
from mailwarden.report import AUDIT_KINDS, AuditHint, ReadSummary


def analysis_document(
    analysis: Analysis,
    summary: ReadSummary,
    *,
    show_passwords: bool = False,
    hint: AuditHint | None = None,
) -> dict[str, Any]:
    """The JSON object of one analysis (contract fields first, extensions after)."""
    document = analysis.to_json(show_passwords=show_passwords)
    document["stats"] = merged_stats(summary.stats(), analysis.stats)
    for credential, seen in zip(document["credentials"], analysis.credentials, strict=True):
        credential["user_complete"] = seen.credential.user_complete
    if hint is not None:
        for finding in document["findings"]:
            if finding.get("kind") in AUDIT_KINDS:
                finding["audit"] = hint(finding["kind"])
    document["inputs"] = list(summary.inputs)
    document["not_opened"] = [
        {"path": path, "reason": "before_since"} for path in summary.before_since
    ] + [{"path": path, "reason": "after_until"} for path in summary.after_until]
    document["looked_back"] = list(summary.looked_back)
    document["problems"] = list(summary.problems)
    document["notes"] = list(summary.disorder + summary.cautions) + document["notes"]
    return document


def merged_stats(
    reading: Mapping[str, int | float | str], detection: Mapping[str, int | float | str]
) -> dict[str, int | float | str]:
    """The JSON ``stats``: the reading counters, then detection's. The contract's names
    are the reading's: a detection counter of the same name (``events``) never replaces
    one, it is written as ``<name>_analysed``."""
    stats = dict(reading)
    for key, value in detection.items():
        stats[f"{key}_analysed" if key in reading else key] = value
    return stats


def write_json(
    analysis: Analysis,
    summary: ReadSummary,
    out: IO[str],
    *,
    show_passwords: bool = False,
    hint: AuditHint | None = None,
) -> None:
    """Write :func:`analysis_document` without building it whole: an archive can hold
    a hundred thousand attackers, so they are written one per line as they are turned
    into JSON; the rest of the object is small. UTF-8 as is (usernames stay readable)."""
    with one_zone(analysis):  # one offset for every time (README: "Times")
        rest = analysis_document(
            dataclasses.replace(analysis, attackers=()),
            summary,
            show_passwords=show_passwords,
            hint=hint,
        )
        out.write('{\n  "attackers": [')
        # One encoder for all of them (json.dumps makes one per call) and one write each.
        encode = json.JSONEncoder(ensure_ascii=False).encode
        for number, attacker in enumerate(analysis.attackers):
            out.write((",\n    " if number else "\n    ") + json_safe(encode(attacker.to_json())))
    out.write("\n  ]" if analysis.attackers else "]")
    for key, value in rest.items():
        if key == "attackers":
            continue
        text = json_safe(json.dumps(value, ensure_ascii=False, indent=2)).replace("\n", "\n  ")
        out.write(f",\n  {json.dumps(key)}: {text}")
    out.write("\n}\n")


__all__ = ["analysis_document", "merged_stats", "write_json"]
