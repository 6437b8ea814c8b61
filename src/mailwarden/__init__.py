"""mailwarden: explain mail logs, detect password guessing against Postfix and Dovecot,
block attackers in the firewall, and audit the configuration.

The library surface is small: frame and parse log text into events.
Everything else is reached through the ``mailwarden`` command.
"""

from mailwarden.model import Category, Decision, Event, EventType, Finding, Record, Strength

__version__ = "0.1.0"

__all__ = [
    "Category",
    "Decision",
    "Event",
    "EventType",
    "Finding",
    "Record",
    "Strength",
    "__version__",
]
