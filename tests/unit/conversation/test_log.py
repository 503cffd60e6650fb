import json
import os
import signal
import subprocess
import sys
import time

from assistant.conversation.log import ConversationLog


def test_each_turn_is_one_json_line(tmp_path):
    log = ConversationLog(tmp_path / "log.jsonl")
    log.append({"turn_id": 1, "user_text": "hello", "reply_text": "hi ✓", "interrupted": False})
    log.append({"turn_id": 2, "user_text": "안녕", "reply_text": "", "interrupted": True})
    lines = (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["turn_id"] for line in lines] == [1, 2]
    assert [r["user_text"] for r in log.read()] == ["hello", "안녕"]


def test_a_torn_last_line_is_skipped_and_healed(tmp_path):
    path = tmp_path / "log.jsonl"
    log = ConversationLog(path)
    log.append({"turn_id": 1})
    with open(path, "ab") as fh:
        fh.write(b'{"turn_id": 2, "user_te')  # a write cut off by a crash
    log.append({"turn_id": 3})
    assert [r["turn_id"] for r in log.read()] == [1, 3]


WRITER = """
import sys, time
from assistant.conversation.log import ConversationLog
log = ConversationLog(sys.argv[1])
n = 0
while True:
    n += 1
    log.append({"turn_id": n, "user_text": "x" * 5000, "reply_text": "y" * 5000})
    print(n, flush=True)
"""


def test_sigkill_mid_write_leaves_a_readable_log(tmp_path):
    path = tmp_path / "log.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                            text=True)
    seen = 0
    deadline = time.monotonic() + 30
    while seen < 20 and time.monotonic() < deadline:
        seen = int(proc.stdout.readline() or 0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # lines the writer printed before it died but this side had not read yet
    reported = proc.stdout.read().split()
    if reported:
        seen = int(reported[-1])
    records = ConversationLog(path).read()
    assert seen >= 20
    ids = [r["turn_id"] for r in records]
    # every turn reported as written is there, whole, in order; at most the one being written
    # when the process died is missing
    assert ids[:seen] == list(range(1, seen + 1))
    assert len(ids) <= seen + 1
