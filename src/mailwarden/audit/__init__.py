"""Audit the Postfix and Dovecot configuration; every finding comes with its exact fix.

    from mailwarden.audit import Target, run_audit
    report = run_audit(Target(Path("/etc/postfix"), True), None)
    report.findings, report.exit_status

`hint_for(kind)` gives the `mailwarden audit --check …` line that the explain and
analyze commands print when a log shows a configuration problem.
"""

from mailwarden.audit.interface import AuditFinding, Change, Evidence, Severity
from mailwarden.audit.runner import AuditReport, Target, hint_for, run_audit

__all__ = [
    "AuditFinding",
    "AuditReport",
    "Change",
    "Evidence",
    "Severity",
    "Target",
    "hint_for",
    "run_audit",
]
