"""The system's reasons an input cannot be read, in the active language.

``OSError.strerror`` is the C library's text, English in a process that never set a
locale (Python sets none): ``cannot read: No such file or directory`` would stay English
in a Chinese message. The reasons a person meets most are translated here.
"""

from __future__ import annotations

import errno

from mailwarden.locale import N_, active_language, gettext

_OS_ERRORS = {
    errno.ENOENT: N_("No such file or directory"),
    errno.EACCES: N_("Permission denied"),
    errno.EPERM: N_("Operation not permitted"),
    errno.EISDIR: N_("Is a directory"),
    errno.ENOTDIR: N_("Not a directory"),
    errno.ELOOP: N_("Too many levels of symbolic links"),
    errno.EIO: N_("Input/output error"),
    errno.ENAMETOOLONG: N_("File name too long"),
    errno.ENXIO: N_("No such device or address"),
    errno.EMFILE: N_("Too many open files"),
    errno.EINVAL: N_("Invalid argument"),
    errno.ENOSPC: N_("No space left on device"),
    errno.EDQUOT: N_("Disk quota exceeded"),
}
"""The system's reasons a file cannot be read (or standard output written) that a person
meets most."""


def os_reason(error: OSError) -> str | None:
    """``error.strerror`` (the C library's text, English in a process that never set a
    locale) in the active language, for the errors of :data:`_OS_ERRORS`; unchanged in
    English and for the others."""
    text = _OS_ERRORS.get(error.errno) if error.errno is not None else None
    if text is None or active_language() == "en":
        return error.strerror
    return gettext(text)
