"""The test watchdog ends a run whose test is stuck with the GIL held, and says where."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

STUCK_TEST = '''
import ctypes

def test_quick():
    pass

def test_stuck_holding_the_gil():
    ctypes.PyDLL(None).sleep(60)  # libc sleep() through PyDLL keeps the GIL for 60 s
'''


def run_pytest(tmp_path: Path, limit_s: str, timeout_s: int):
    (tmp_path / "test_stuck.py").write_text(STUCK_TEST)
    env = dict(os.environ, VA_TEST_WATCHDOG_S=limit_s,
               PYTHONPATH=str(Path(__file__).parent))
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "watchdog_plugin",
         # pytest-timeout, as in pyproject.toml but sooner: its thread cannot run meanwhile
         "-o", "timeout=1", "-o", "timeout_method=thread", "--rootdir", str(tmp_path),
         str(tmp_path / "test_stuck.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout_s)
    return done, time.monotonic() - start


def test_a_test_stuck_with_the_gil_held_ends_the_run_with_every_stack(tmp_path):
    done, took = run_pytest(tmp_path, limit_s="3", timeout_s=50)
    assert done.returncode != 0
    assert took < 30, took  # not the 60 s the stuck call would take
    assert "Timeout (0:00:03)!" in done.stderr
    assert "test_stuck.py\", line 8 in test_stuck_holding_the_gil" in done.stderr


def test_a_test_with_a_longer_timeout_gets_a_longer_watchdog(request):
    from types import SimpleNamespace

    import pytest

    from watchdog_plugin import MARGIN_S, limit_s

    config = SimpleNamespace(watchdog_limit_s=360.0)

    def item(*markers):
        found = markers[0] if markers else None
        return SimpleNamespace(config=config, get_closest_marker=lambda name: found)

    assert limit_s(item()) == 360.0
    assert limit_s(item(pytest.mark.timeout(1500).mark)) == 1500 + MARGIN_S
    assert limit_s(item(pytest.mark.timeout(timeout=900).mark)) == 900 + MARGIN_S
    assert limit_s(item(pytest.mark.timeout(60).mark)) == 360.0  # never below the default
    assert request.config.watchdog_limit_s == float(request.config.getini("timeout")) + MARGIN_S
