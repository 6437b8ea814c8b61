"""What an SMTP reply code means to a person (RFC 5321, RFC 3463, RFC 4954).

Postfix's ``soft_bounce = yes`` turns every 5xx reply into 4xx and 5.x.x into 4.x.x
(``smtpd_chat.c``): the codes it produces, such as ``435 4.7.8``, exist in no standard,
so they give the setting away.
"""

from __future__ import annotations

from mailwarden.locale import N_, _

# (code, enhanced status or "") -> what it means; the enhanced code narrows it.
_KNOWN: dict[tuple[str, str], str] = {
    ("220", ""): N_("The server is ready (for STARTTLS: start the TLS handshake now)."),
    ("221", ""): N_("The server says goodbye and closes the connection."),
    ("235", ""): N_("Authentication successful: the client is now logged in."),
    ("250", ""): N_("Accepted (250): the server accepted the client's last command."),
    ("334", ""): N_("The server waits for the next step of the login (a base64 challenge)."),
    ("354", ""): N_("The server waits for the message text."),
    ("421", ""): N_("The server is closing the connection (too many errors or connections)."),
    ("450", ""): N_("Temporary refusal; the client may try again later."),
    ("454", ""): N_(
        "Temporary authentication failure: the server could not check the password "
        "(its authentication service was unavailable or too slow)."
    ),
    ("500", ""): N_("Command not recognised or too long."),
    ("501", ""): N_("Syntax error in the arguments, or the client cancelled the login."),
    ("502", ""): N_("Command not recognised (or not implemented)."),
    ("503", ""): N_("Bad sequence of commands (e.g. AUTH before EHLO, or AUTH not enabled)."),
    ("504", ""): N_("Login mechanism not supported, or encryption required first."),
    ("535", ""): N_("Authentication failed: wrong user name or password. A permanent error."),
    ("554", ""): N_("Refused (transaction failed)."),
}

# Codes that only exist because soft_bounce rewrote a 5xx reply, with what it was: the
# detector's SOFTENED_REPLIES (not 454 4.7.1, which defer_unauth_destination sends).
_SOFTENED: dict[tuple[str, str], tuple[str, str]] = {
    ("435", "4.7.8"): ("535 5.7.8", N_("authentication failed (wrong user name or password)")),
    ("402", "4.5.2"): ("502 5.5.2", N_("command not recognised")),
    ("400", "4.5.2"): ("500 5.5.2", N_("command not recognised")),
    ("401", "4.5.4"): ("501 5.5.4", N_("syntax error")),
    ("401", "4.7.0"): ("501 5.7.0", N_("the client cancelled the login")),
    ("403", "4.5.1"): ("503 5.5.1", N_("bad sequence of commands")),
    ("404", "4.5.4"): ("504 5.5.4", N_("mechanism not supported or encryption required")),
}

_CLASS: dict[str, str] = {
    "2": N_("Success."),
    "3": N_("The server waits for more from the client."),
    "4": N_("A temporary failure: the client may try again later."),
    "5": N_("A permanent failure."),
}


def softened(code: str, enhanced: str | None) -> tuple[str, str] | None:
    """For a reply that soft_bounce produced: (the original reply, its meaning)."""
    entry = _SOFTENED.get((code, enhanced or ""))
    return None if entry is None else (entry[0], _(entry[1]))


def reply_meaning(code: str, enhanced: str | None) -> str:
    """One or two sentences: what the reply tells the client."""
    soft = softened(code, enhanced)
    if soft is not None:
        original, meaning = soft
        return _(
            "Meaning: {meaning}. The normal reply is {original}: the first digit 4 instead "
            "of 5 is Postfix's soft_bounce = yes, which turns every permanent refusal into "
            "a temporary one and so invites the client to come back and try again."
        ).format(meaning=meaning, original=original)
    text = _KNOWN.get((code, ""))
    if text is None:
        text = _CLASS.get(code[:1], N_("An unusual reply code."))
    return _(text)


def is_auth_failure_reply(code: str, enhanced: str | None) -> bool:
    return code in {"535", "454"} or (code, enhanced or "") == ("435", "4.7.8")


__all__ = ["is_auth_failure_reply", "reply_meaning", "softened"]
