"""Who a POSIX ACL lets write a file or folder, beyond what its mode bits say.

A file with an ACL (``setfacl -m u:nobody:rw FILE``) shows the ACL's mask in the mode's
group bits: ``ls -l`` and ``stat`` say ``-rw-rw----+``, as if its group could write. The
refusals of the store and of the daemon's own files name who really may write it: the
users and groups the ACL names, each with the write its entry and the mask both grant.

The ACL is read from the ``system.posix_acl_access`` attribute (the kernel's binary
form: a version, then entries of tag, permissions and id), so neither getfacl nor a
library is needed; where a file system keeps no ACL, there is none.
"""

from __future__ import annotations

import grp
import os
import pwd
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

_ATTRIBUTE = "system.posix_acl_access"
_VERSION = 2
_ENTRY = struct.Struct("<HHI")  # tag, permissions, id
_USER, _GROUP_OBJ, _GROUP, _MASK = 0x02, 0x04, 0x08, 0x10
_WRITE = 0x02


@dataclass(frozen=True)
class Grantee:
    """A user or a group an ACL entry names (not the owner, not the owning group)."""

    kind: Literal["user", "group"]
    id: int

    @property
    def name(self) -> str:
        """As getfacl and setfacl name it: the account's name, else the number."""
        try:
            if self.kind == "user":
                return pwd.getpwuid(self.id).pw_name
            return grp.getgrgid(self.id).gr_name
        except KeyError:
            return str(self.id)

    def __str__(self) -> str:
        """``user nobody (uid 65534)``, ``group staff (gid 50)``."""
        number = f"{'uid' if self.kind == 'user' else 'gid'} {self.id}"
        name = self.name
        return f"{self.kind} {name} ({number})" if name != str(self.id) else f"{self.kind} {number}"

    @property
    def spec(self) -> str:
        """The entry as ``setfacl -x`` takes it: ``u:nobody``, ``g:staff``."""
        return f"{self.kind[0]}:{self.name}"


@dataclass(frozen=True)
class Writers:
    """Who an ACL lets write, besides the owner."""

    named: tuple[Grantee, ...]
    """Users and groups the ACL names whose write the mask lets through, in its order."""
    group: bool
    """Whether the owning group may write (its entry and the mask grant it)."""


def acl_writers(path: str | Path) -> Writers | None:
    """Who the ACL of `path` lets write it (symlinks followed, as stat() follows them);
    None when it has no ACL beyond its mode bits, or its file system keeps none. An ACL
    that cannot be read (gone meanwhile, not in the kernel's form) is None too: the mode
    bits, which show its mask, still decide."""
    try:
        raw = os.getxattr(path, _ATTRIBUTE)
    except OSError:  # ENODATA: no ACL; ENOTSUP: a file system without ACLs
        return None
    count, rest = divmod(len(raw) - 4, _ENTRY.size)
    if count < 1 or rest or struct.unpack_from("<I", raw)[0] != _VERSION:
        return None
    entries = [_ENTRY.unpack_from(raw, 4 + n * _ENTRY.size) for n in range(count)]
    masks = [perm for tag, perm, _ in entries if tag == _MASK]
    if not masks:
        return None  # a minimal ACL: the mode bits are the whole of it
    through = masks[0] & _WRITE
    named = tuple(
        Grantee("user" if tag == _USER else "group", ident)
        for tag, perm, ident in entries
        if tag in (_USER, _GROUP) and perm & through
    )
    group = any(tag == _GROUP_OBJ and perm & through for tag, perm, _ in entries)
    return Writers(named, bool(group))


def described(grantees: tuple[Grantee, ...]) -> str:
    """``user nobody (uid 65534)``; ``user nobody (uid 65534) and group staff (gid 50)``."""
    names = [str(each) for each in grantees]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def removal(grantees: tuple[Grantee, ...], path: str | Path) -> str:
    """The command that removes these entries: ``setfacl -x u:nobody,g:staff PATH``."""
    return f"setfacl -x {','.join(each.spec for each in grantees)} {path}"


__all__ = ["Grantee", "Writers", "acl_writers", "described", "removal"]
