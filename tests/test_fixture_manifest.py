"""tests/fixtures/MANIFEST lists every file in tests/fixtures/audio, and each audio file there
is the copy whose sha256 the MANIFEST gives."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
MANIFEST = FIXTURES / "MANIFEST"
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".oga"}


def expand(pattern: str) -> list[str]:
    """`a-{x,y}-{0,1}.wav` -> a-x-0.wav, a-x-1.wav, a-y-0.wav, a-y-1.wav."""
    group = re.search(r"\{([^{}]*)\}", pattern)
    if group is None:
        return [pattern]
    return [name for choice in group.group(1).split(",")
            for name in expand(pattern[:group.start()] + choice + pattern[group.end():])]


def listed_names() -> set[str]:
    """The file names the MANIFEST's entries start with (`audio/NAME ...`)."""
    heads = [line.split()[0] for line in MANIFEST.read_text().splitlines()
             if line.startswith("audio/")]
    return {Path(name).name for head in heads for name in expand(head)}


def listed_checksums() -> set[str]:
    return set(re.findall(r"\b[0-9a-f]{64}\b", MANIFEST.read_text()))


def fixture_files() -> set[str]:
    return {p.name for p in (FIXTURES / "audio").iterdir()
            if p.is_file() and not p.name.startswith(".")}


def test_brace_patterns_expand_to_every_name():
    assert expand("audio/k-{12,1e}-{0,1}.wav") == ["audio/k-12-0.wav", "audio/k-12-1.wav",
                                                    "audio/k-1e-0.wav", "audio/k-1e-1.wav"]


def test_every_fixture_is_listed_and_every_listed_file_is_there():
    assert fixture_files() - listed_names() == set(), "add these to tests/fixtures/MANIFEST"
    assert listed_names() - fixture_files() == set(), "listed in the MANIFEST but missing"


def test_every_audio_fixture_is_the_copy_the_manifest_names():
    checksums = listed_checksums()
    wrong = [name for name in sorted(fixture_files()) if Path(name).suffix in AUDIO_SUFFIXES
             and hashlib.sha256((FIXTURES / "audio" / name).read_bytes()).hexdigest()
             not in checksums]
    assert wrong == []
