"""The JSON contract of `analyze --format json` (ARCHITECTURE.md) that other tools read:
the fields each attacker always has. One copy for the detector's tests and the
command's."""

CONTRACT_ATTACKER = {
    "ip",
    "network",
    "verdict",
    "failures",
    "users",
    "first_seen",
    "last_seen",
    "succeeded_as",
    "recommendation",
}
