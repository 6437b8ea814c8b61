"""Fixtures for end-to-end tests: real Postfix and Dovecot in network namespaces (lab.py).

    def test_something(lab):            # one default lab shared by the module
        ...
    def test_other(lab_factory):        # a fresh lab of your own, with options
        lab = lab_factory(postfix=PostfixOptions(smtp_auth=True))

Every test in this folder gets the `e2e` marker. The lab fixtures skip (with the reason)
when not root or when Postfix, Dovecot or swaks are missing; `make test` installs them.
When a test fails, the end of each lab's Postfix and Dovecot logs is printed in its report.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from .lab import Lab, dump_logs, missing_requirements

HERE = Path(__file__).resolve().parent

_live_labs: list[Lab] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        for live in _live_labs:
            text = io.StringIO()
            dump_logs(live, file=text)
            report.sections.append((f"lab {live.tag} logs", text.getvalue()))
    return report


def require_lab() -> None:
    """Skip the calling test when the lab cannot run on this machine."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """A default lab (server, legit, attacker) shared by the tests of one module."""
    require_lab()
    with Lab() as shared:
        _live_labs.append(shared)
        try:
            yield shared
        finally:
            _live_labs.remove(shared)


@pytest.fixture
def lab_factory() -> Iterator[Callable[..., Lab]]:
    """Build labs with options (`Lab(**kwargs)`); all are closed after the test."""
    require_lab()
    made: list[Lab] = []

    def make(**kwargs: Any) -> Lab:
        new = Lab(**kwargs)
        new.__enter__()
        made.append(new)
        _live_labs.append(new)
        return new

    try:
        yield make
    finally:
        for one in reversed(made):
            _live_labs.remove(one)
            one.close()
