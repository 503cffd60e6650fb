"""The web page of `voice-assistant serve` in a real browser: Debian's Chromium, headless,
driven by selenium through chromedriver, talking to the real server with its real models.

Chromium's fake microphone plays a WAV file made here with espeak-ng and sox
(`--use-file-for-fake-audio-capture=PATH`): it starts from the top when the page opens the
microphone and, by default, loops; `%noloop` after the path plays it once and then gives
silence. The file is 48 kHz mono 16-bit, the capture rate, so Chromium has nothing to convert.
With the echo canceller, noise suppression and gain control the page asks for, the question
goes through the page's capture worklet (48 kHz -> 16 kHz) and the WebSocket to the server;
the reply's audio comes back as binary frames and is counted as the page's playback worklet
plays it (Chromium plays into a fake output when the machine has no sound card).

The second test pauses mid-question: the speculative reply started at the pause is discarded,
and the page never shows a word of it.

Skipped only when chromium or chromedriver is missing (scripts/setup.sh installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

URL_LINE = re.compile(r"(http://127\.0\.0\.1:\d+)/#token=([A-Za-z0-9_\-]+)")
SERVER_START_S = 90  # loading and warming the models; ~10-20 s on two cores
TURN_S = 60  # from Start to the reply's end
QUESTION = "What is the capital of France?"


def _tool(name: str, fallback: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return fallback if os.access(fallback, os.X_OK) else None


CHROMIUM = _tool("chromium", "/usr/bin/chromium")
CHROMEDRIVER = _tool("chromedriver", "/usr/bin/chromedriver")


def _voice_assistant() -> str:
    beside = Path(sys.executable).with_name("voice-assistant")
    return str(beside) if beside.exists() else (shutil.which("voice-assistant") or str(beside))


@pytest.fixture
def question_wav(tmp_path: Path) -> Path:
    """1.5 s of silence, the question, 8 s of silence: 48 kHz mono 16-bit."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed to make the microphone's speech")
    raw = tmp_path / "question.raw.wav"
    out = tmp_path / "question-48k.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), QUESTION], check=True,
                   capture_output=True)
    subprocess.run(["sox", "-D", str(raw), "-r", "48000", "-c", "1", "-b", "16", str(out),
                    "pad", "1.5", "8"], check=True, capture_output=True)
    return out


class Server:
    """`voice-assistant serve --port 0` in a child process, its config folder in a temp dir."""

    def __init__(self, config_dir: Path, log: Path):
        env = dict(os.environ, VOICE_ASSISTANT_CONFIG_DIR=str(config_dir),
                   PYTHONUNBUFFERED="1")
        self.log = log
        self._err = open(log, "wb")
        self.proc = subprocess.Popen([_voice_assistant(), "serve", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=self._err, env=env)
        self.lines: list[str] = []
        self._found = threading.Event()
        self.base = self.token = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self.lines.append(line)
            match = URL_LINE.search(line)
            if match and not self._found.is_set():
                self.base, self.token = match.group(1), match.group(2)
                self._found.set()

    def wait_url(self, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while not self._found.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                state = (f"exited with {self.proc.returncode}" if self.proc.returncode is not None
                         else f"printed no URL in {timeout_s:.0f} s")
                pytest.fail(f"voice-assistant serve {state}; stdout: {self.lines!r}; "
                            f"stderr: {self.stderr()[-3000:]}")
        return f"{self.base}/#token={self.token}"

    def stderr(self) -> str:
        self._err.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._err.close()


@pytest.fixture
def server(tmp_path: Path):
    config = tmp_path / "config"
    config.mkdir()
    srv = Server(config, tmp_path / "serve.stderr")
    try:
        yield srv
    finally:
        srv.stop()


def _browser(wav: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}%noloop",
                "--autoplay-policy=no-user-gesture-required",
                # nothing leaves the machine, the browser's own services included
                "--no-first-run", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-default-apps"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


STATE_JS = """
const s = window.vaState;
return s && {connected: s.connected, state: s.state, transcripts: s.transcripts,
  replies: s.replies, turns: s.turns.length, sampleRate: s.sampleRate,
  audioSamplesReceived: s.audioSamplesReceived, audioSamplesPlayed: s.audioSamplesPlayed,
  micSamplesSent: s.micSamplesSent, lastV2v: s.lastV2v, closeCode: s.closeCode,
  error: s.error, events: s.events.slice(-40)};
"""


def _wait(driver, done, timeout_s: float, what: str, server: Server) -> dict:
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = driver.execute_script(STATE_JS)
        if state and done(state):
            return state
        time.sleep(0.25)
    pytest.fail(f"{what} within {timeout_s:.0f} s; the page's state: {state}; "
                f"the server's stderr ends: {server.stderr()[-2000:]}")


def _page_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and entry.get("source") in ("javascript", "security")]


@pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                    reason="chromium and chromium-driver are not installed "
                           "(scripts/setup.sh installs them: apt-get install chromium "
                           "chromium-driver)")
def test_spoken_question_in_chromium(server, question_wav):
    from selenium.webdriver.common.by import By

    url = server.wait_url(SERVER_START_S)
    driver = _browser(question_wav)
    try:
        driver.get(url)
        assert driver.title == "Voice Assistant"
        assert "token=" not in driver.current_url  # taken out of the address bar, remembered
        driver.find_element(By.ID, "start").click()

        _wait(driver, lambda s: s["connected"], 15, "the page did not connect", server)

        def heard_and_answered(s):
            heard = any(re.search(r"capital of france", t, re.I) for t in s["transcripts"])
            return heard and s["turns"] >= 1 and any(r.strip() for r in s["replies"])

        state = _wait(driver, heard_and_answered, TURN_S,
                      "no final transcript 'capital of France' and a reply", server)
        # every bit of the reply's audio that came has been played out by the worklet
        state = _wait(driver, lambda s: s["audioSamplesPlayed"] >= s["audioSamplesReceived"] > 0,
                      10, "the reply's audio did not play", server)
        print(f"page state after the turn: {state}")
        rate = state["sampleRate"]
        assert rate and state["audioSamplesPlayed"] > 0.3 * rate, state
        assert state["micSamplesSent"] > 16000 * 3, state  # the microphone went to the server
        # the reply was shown chunk by chunk, none of them from a speculative reply the server
        # discarded (a discard is tested on the page's script in tests/unit/server/test_page.py)
        shown = driver.execute_script(
            "return {chunks: vaState.shownChunks, discarded: vaState.discarded};")
        assert shown["chunks"], shown
        assert not [c for c in shown["chunks"] if c["generation"] in shown["discarded"]], shown

        # what the person sees
        items = driver.find_elements(By.CSS_SELECTOR, "#transcript .turn")
        assert items, "the transcript list is empty"
        first = items[0]
        assert re.search(r"capital of france", first.find_element(By.CSS_SELECTOR, ".user").text,
                         re.I)
        assert first.find_element(By.CSS_SELECTOR, ".reply").text.strip()
        if state["lastV2v"] is not None:
            assert re.fullmatch(r"\d+ ms", driver.find_element(By.ID, "v2v").text)
        assert driver.find_element(By.ID, "error").text == "", state

        # Stop: the page says `end`, the server finishes and ends the conversation
        driver.find_element(By.ID, "start").click()
        state = _wait(driver, lambda s: s["closeCode"] is not None, 15,
                      "the conversation did not close after Stop", server)
        assert state["closeCode"] == 1000, state
        assert "end" in state["events"], state
        assert driver.find_element(By.ID, "start").text == "Start"

        # typing is a way to start: a question typed before Start opens the conversation
        # and is answered ("or type a question below", the page says)
        driver.get("about:blank")
        driver.get(server.base + "/")
        question = driver.find_element(By.ID, "question")
        assert question.is_enabled()
        question.send_keys("What time is it?")
        driver.find_element(By.CSS_SELECTOR, "#ask button").click()
        state = _wait(driver, lambda s: s["connected"] and s["turns"] >= 1
                      and any(r.strip() for r in s["replies"]), TURN_S,
                      "a question typed before Start was not answered", server)
        driver.find_element(By.ID, "start").click()
        _wait(driver, lambda s: s["closeCode"] is not None, 15, "no close after Stop", server)

        # a wrong token: a clear line on the page (close 4401); from about:blank, so that the
        # page loads anew rather than only its fragment changing
        driver.get("about:blank")
        driver.get(f"{server.base}/#token=not-the-token")
        driver.find_element(By.ID, "start").click()
        state = _wait(driver, lambda s: s["closeCode"] is not None, 15,
                      "a wrong token did not close the conversation", server)
        assert state["closeCode"] == 4401, state
        assert "token was refused" in driver.find_element(By.ID, "error").text

        assert _page_errors(driver) == []
    finally:
        driver.quit()


@pytest.fixture
def paused_question_wav(tmp_path: Path) -> Path:
    """1.5 s of silence, "What is the capital", a pause of about 1.5 s (long enough for the words
    so far to be decoded on a busy machine and a reply started on them), "of France?", 8 s of
    silence: 48 kHz mono 16-bit."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.skip("espeak-ng and sox are needed to make the microphone's speech")
    parts = []
    for i, (words, pad_s) in enumerate((("What is the capital", 1.2), ("of France?", 0.0))):
        raw, part = tmp_path / f"part{i}.raw.wav", tmp_path / f"part{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), words], check=True,
                       capture_output=True)  # espeak-ng ends each with ~0.3 s of silence
        subprocess.run(["sox", "-D", str(raw), "-r", "48000", "-c", "1", "-b", "16", str(part),
                        "pad", "0", str(pad_s)], check=True, capture_output=True)
        parts.append(str(part))
    out = tmp_path / "paused-question-48k.wav"
    subprocess.run(["sox", *parts, str(out), "pad", "1.5", "8"], check=True,
                   capture_output=True)
    return out


@pytest.fixture
def server_that_holds_turns(tmp_path: Path):
    """A server whose end-of-turn model is never sure enough: a pause mid-question keeps the
    turn open (up to turn.max_silence_ms, 3 s) while a speculative reply is written."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.toml").write_text("[turn]\nthreshold = 0.99\nmax_silence_ms = 3000\n")
    srv = Server(config, tmp_path / "serve.stderr")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                    reason="chromium and chromium-driver are not installed")
def test_a_discarded_speculative_reply_never_shows_in_chromium(server_that_holds_turns,
                                                               paused_question_wav):
    from selenium.webdriver.common.by import By

    server = server_that_holds_turns
    driver = _browser(paused_question_wav)
    try:
        driver.get(server.wait_url(SERVER_START_S))
        driver.find_element(By.ID, "start").click()
        _wait(driver, lambda s: s["connected"], 15, "the page did not connect", server)
        state = _wait(driver, lambda s: s["turns"] >= 1 and any(r.strip() for r in s["replies"]),
                      TURN_S, "no answered turn", server)
        shown = driver.execute_script(
            "return {chunks: vaState.shownChunks, discarded: vaState.discarded};")
        print(f"page state after the turn: {state}; {shown}")
        # the pause started a reply, and the words after it threw it away
        assert shown["discarded"], " ".join(state["events"])
        assert shown["chunks"], shown
        assert not [c for c in shown["chunks"] if c["generation"] in shown["discarded"]], shown
        # what the person sees is the answer's chunks, and nothing else
        [item] = driver.find_elements(By.CSS_SELECTOR, "#transcript .turn")
        reply = item.find_element(By.CSS_SELECTOR, ".reply").text
        assert reply.split() == " ".join(c["text"] for c in shown["chunks"]).split()
        assert _page_errors(driver) == []
    finally:
        driver.quit()
