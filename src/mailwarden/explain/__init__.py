"""Explain log lines in plain language (English or Simplified Chinese), with a verdict.

    blocks = explain(read_events(...), show_passwords=False, analyze=...)
    write(blocks, sys.stdout)

A consumer of the pipeline: records and events come from framing and the parsers,
sessions and decoded credentials from ``detect.sessions``, findings from the detect
stage. The language is the one :func:`mailwarden.locale.activate` made active.
"""

from mailwarden.explain.excerpt import Analyzer, explain
from mailwarden.explain.render import console_for, lines, write

__all__ = ["Analyzer", "console_for", "explain", "lines", "write"]
