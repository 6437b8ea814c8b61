"""Where the store tests find PostgreSQL (trust auth on the local server by default)."""

from __future__ import annotations

import os

POSTGRES_DSN = os.environ.get(
    "MAILWARDEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
