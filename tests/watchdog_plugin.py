"""A watchdog for each test that works even when the GIL is held.

A test stuck with the GIL held (a deadlock between the GIL and a lock in C code) stops every
Python thread, pytest-timeout's among them, and the run would hang until CI kills it with no
word on where. faulthandler's watchdog is a C thread: it still prints every thread's stack to
the terminal and ends the run. Its limit is a minute above the test's pytest-timeout limit
(the `timeout` marker, else the ini value), which reports a stuck test more kindly whenever the
GIL is free. `VA_TEST_WATCHDOG_S` sets the limit for tests without a marker.
"""

from __future__ import annotations

import faulthandler
import os
import sys

import pytest

MARGIN_S = 60.0


def pytest_configure(config):
    # the terminal (or CI's log), not the file pytest captures a test's output into
    config.watchdog_fd = os.dup(sys.__stderr__.fileno())
    default = os.environ.get("VA_TEST_WATCHDOG_S")
    if default is None:
        default = float(config.getini("timeout") or 300) + MARGIN_S
    config.watchdog_limit_s = float(default)


def limit_s(item) -> float:
    """The test's own pytest-timeout limit plus the margin, or the default for the run."""
    marker = item.get_closest_marker("timeout")
    seconds = None
    if marker is not None:
        seconds = marker.args[0] if marker.args else marker.kwargs.get("timeout")
    if seconds:
        return max(item.config.watchdog_limit_s, float(seconds) + MARGIN_S)
    return item.config.watchdog_limit_s


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    out = os.fdopen(os.dup(item.config.watchdog_fd), "w")
    faulthandler.dump_traceback_later(limit_s(item), exit=True, file=out)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        out.close()
