"""On a real X screen (Xvfb) of a laptop's size, the window opens inside the screen and every
control lies on it, with the four start-up banners shown."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]


def inside(outer: list[int], inner: list[int]) -> bool:
    ox, oy, ow, oh = outer
    x, y, w, h = inner
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
@pytest.mark.parametrize("screen", ["1280x800", "1366x768"])
def test_every_control_lies_inside_the_screen(tmp_path, screen):
    env = dict(os.environ, QT_QPA_PLATFORM="xcb",
               VOICE_ASSISTANT_CONFIG_DIR=str(tmp_path / "config"),
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    out = subprocess.run(
        ["xvfb-run", "-a", "-s", f"-screen 0 {screen}x24", sys.executable,
         str(ROOT / "tests" / "slow" / "ui" / "window_probe.py"), str(tmp_path / "s.toml")],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    width, height = (int(n) for n in screen.split("x"))
    assert found["screen"] == [0, 0, width, height]
    assert inside(found["screen"], found["window"]), found["window"]
    off = {name: c for name, c in found["controls"].items()
           if not c["visible"] or not inside(found["screen"], c["rect"])}
    assert not off, off
