"""The daemon: follow the logs, detect as they are written, ban in the firewall.

    sources (files, journal) -> framing -> parsers -> detect.Detector -> policy -> store
                                                                               -> enforcer

- `preflight`: the configuration and the host are checked before anything starts
  (`ConfigError`, exit 2, one line naming the file, the key and the reason).
- `loop.Daemon`: the single-threaded main loop (reading, detecting, banning, the
  firewall watch, the store's revision, expiry, SIGHUP and SIGTERM).
- `reading`: followed files and the journal, their stored positions, and the bounded
  tail read at start to rebuild the detector's windows.
- `decisions`: the one-line decision log and the evidence kept with each ban.
- `alerts`: a command (argument list) and/or a JSON POST on a compromise or a ban.
- `status`: what ``mailwarden status`` shows (``--format json`` is a contract).
"""

from __future__ import annotations

from mailwarden.daemon.preflight import DEFAULT_CONFIG, load, preflight

__all__ = ["DEFAULT_CONFIG", "load", "preflight"]
