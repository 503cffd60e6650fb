"""Is a Vosk folder a whole, loadable model? More than its layout.

`models add` accepts a folder only when:

- its settings files (conf/*.conf) are Kaldi option text;
- the acoustic model (am/final.mdl) starts like a Kaldi transition model;
- every decoding graph (graph/*.fst) has an OpenFst header, and a graph stored as a
  ConstFst is as long as its header says (a copy or download cut short is refused);
- Vosk itself loads it, in a child process: a model Kaldi cannot read fails there with
  Kaldi's own reason, and a model that would abort the process takes only the child down.
"""

from __future__ import annotations

import multiprocessing
import queue
import struct
from pathlib import Path

from assistant.errors import ModelError

FST_MAGIC = 0x7EB2FDD6
KALDI_MODEL_STARTS = (b"\x00B<TransitionModel>", b"<TransitionModel>")
LOAD_TIMEOUT_S = 300.0
HINT = "unpack the whole model folder again (alphacephei.com/vosk/models)"


def check_complete(path: Path, load: bool = True) -> None:
    """Raise ModelError naming the damaged file; `load=False` skips the trial load."""
    for conf in sorted((path / "conf").glob("*.conf")):
        _check_conf(conf)
    with open(path / "am" / "final.mdl", "rb") as fh:
        if not fh.read(20).startswith(KALDI_MODEL_STARTS):
            raise ModelError(f"{path / 'am' / 'final.mdl'} is not a Kaldi acoustic model; {HINT}.")
    for fst in sorted((path / "graph").glob("*.fst")):
        _check_fst(fst)
    if load:
        _trial_load(path)


def _check_conf(conf: Path) -> None:
    try:
        lines = conf.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{conf} cannot be read as Kaldi options ({exc}); {HINT}.") from None
    for line in lines:
        line = line.strip()
        if line and not line.startswith(("--", "#")):
            raise ModelError(f"{conf} is not a Kaldi options file (line {line[:40]!r}); {HINT}.")


def _check_fst(fst: Path) -> None:
    size = fst.stat().st_size
    try:
        with open(fst, "rb") as fh:
            fst_type, arc_type, version, n_states, n_arcs = _fst_header(fh)
            if fst_type.endswith("_lookahead"):  # a matcher add-on around a ConstFst
                fh.read(4)  # the add-on's own magic number
                fst_type, arc_type, version, n_states, n_arcs = _fst_header(fh)
            header_end = fh.tell()
    except (struct.error, ValueError, UnicodeDecodeError):
        raise ModelError(f"{fst} is not an OpenFst graph or its header is damaged; {HINT}.") from None
    if fst_type in ("const", "vector") and n_states <= 0:
        raise ModelError(f"{fst} is an empty graph; {HINT}.")
    if fst_type == "const" and arc_type == "standard":
        # ConstFst<StdArc>: 20-byte states, then 16-byte arcs, each run 16-byte aligned (v2+)
        align = 16 if version >= 2 else 1
        need = -(-header_end // align) * align + n_states * 20
        need = -(-need // align) * align + n_arcs * 16
        if size < need:
            raise ModelError(f"{fst} is cut short ({size:,} of {need:,} bytes); {HINT}.")


def _fst_header(fh) -> tuple[str, str, int, int, int]:
    def read(n: int) -> bytes:
        data = fh.read(n)
        if len(data) < n:
            raise ValueError("short header")
        return data

    def string() -> str:
        (n,) = struct.unpack("<i", read(4))
        if not 0 < n < 256:
            raise ValueError("bad string")
        return read(n).decode("ascii")

    (magic,) = struct.unpack("<i", read(4))
    if magic & 0xFFFFFFFF != FST_MAGIC:
        raise ValueError("no magic")
    fst_type, arc_type = string(), string()
    version, _flags, _props, _start, n_states, n_arcs = struct.unpack("<iiQqqq", read(40))
    return fst_type, arc_type, version, n_states, n_arcs


def _trial_load(path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    child = context.Process(target=_load_in_child, args=(str(path), answers), daemon=True)
    child.start()
    try:
        ok, detail = answers.get(timeout=LOAD_TIMEOUT_S)
    except queue.Empty:
        ok, detail = False, ("it did not load within " f"{LOAD_TIMEOUT_S:.0f} s"
                             if child.is_alive() else "loading it crashed Vosk")
    finally:
        child.join(5)
        if child.is_alive():
            child.kill()
    if not ok:
        raise ModelError(f"{path} is not a usable Vosk model: {detail}; {HINT}.")


def _load_in_child(path: str, answers) -> None:
    """In the child: load the model, report (ok, Kaldi's last error line)."""
    import os
    import re
    import tempfile

    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)  # Kaldi's log, read back for its reason
        try:
            import vosk

            vosk.SetLogLevel(-1)
            vosk.Model(path)
            answers.put((True, ""))
        except Exception as exc:  # vosk raises a bare Exception when Kaldi fails
            sink.seek(0)
            errors = [line for line in sink.read().decode("utf-8", "replace").splitlines()
                      if "ERROR" in line]
            # "ERROR (VoskAPI:Read():kaldi-matrix.cc:1620) Failed to read ..." -> the reason
            reason = (re.sub(r"^.*?\.(?:cc|cpp|h):\d+\)\s*", "", errors[-1]).strip()
                      if errors else str(exc))
            answers.put((False, f"Vosk could not load it ({reason[:160]})"))
