"""A watchdog for each test that works even when the GIL is held.

A test stuck with the GIL held (a deadlock between the GIL and a lock in C code) stops every
Python thread, pytest-timeout's among them, and the run would hang until CI kills it with no
word on where. faulthandler's watchdog is a C thread: it still prints every thread's stack to
the terminal and ends the run. Its limit is a little above pytest-timeout's (pyproject.toml),
which reports a stuck test more kindly whenever the GIL is free.
"""

from __future__ import annotations

import faulthandler
import os
import sys

import pytest

DEFAULT_LIMIT_S = 360.0


def pytest_configure(config):
    # the terminal (or CI's log), not the file pytest captures a test's output into
    config.watchdog_fd = os.dup(sys.__stderr__.fileno())
    config.watchdog_limit_s = float(os.environ.get("VA_TEST_WATCHDOG_S", DEFAULT_LIMIT_S))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    out = os.fdopen(os.dup(item.config.watchdog_fd), "w")
    faulthandler.dump_traceback_later(item.config.watchdog_limit_s, exit=True, file=out)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        out.close()
