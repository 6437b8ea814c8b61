"""Fixtures for the enforcer tests; the namespace helpers live in nslab.py."""

from nslab import lab, netns

__all__ = ["lab", "netns"]
