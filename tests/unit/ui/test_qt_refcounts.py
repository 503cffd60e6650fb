"""Qt's Python binding must keep reference counts straight: PySide6 6.12.0 drops one to the
value every signal `emit()` returns, and on Python before 3.12 (where True, False and None are
counted like any object) the app then aborts after a few minutes of signals ("Fatal Python
error: bool_dealloc" or "none_dealloc"). Checked in a process of its own: the failure aborts."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    app = QCoreApplication([])

    class Source(QObject):
        bare = Signal()
        carrying = Signal(object)

    source, seen = Source(), []
    source.bare.connect(lambda: seen.append(1))
    source.carrying.connect(seen.append)
    before = [sys.getrefcount(x) for x in (None, True, False)]
    for n in range(20000):
        source.bare.emit()
        source.carrying.emit(n)
    after = [sys.getrefcount(x) for x in (None, True, False)]
    print(len(seen), *[a - b for a, b in zip(after, before)])
""")


def test_signal_emits_leave_the_reference_counts_of_none_true_and_false_alone():
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert run.returncode == 0, run.stderr[-500:]
    seen, *changes = (int(x) for x in run.stdout.split())
    assert seen == 40000
    assert all(abs(change) < 100 for change in changes), changes
