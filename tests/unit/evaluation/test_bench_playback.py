"""Playback continuity: the silence the pipeline adds between the chunks of a reply, per turn
record, over a bench mode, and in the printed report."""

from assistant.conversation.replay import playback_figures, summarize_turns
from assistant.conversation.turns import ChunkAudio, Turn
from assistant.evaluation.bench import format_playback_gaps
from assistant.metrics import playback_gaps_ms

MS = 1_000_000
RATE = 22050


def test_a_chunk_that_starts_when_the_one_before_ends_adds_nothing():
    # 1.0 s of audio from 100 ms, the next at 1100 ms; then one 35 ms late; then 0.5 ms early
    # (rounding between two sample rates), which is no gap either
    chunks = [(100 * MS, 1000 * MS), (1100 * MS, 400 * MS), (1535 * MS, 200 * MS),
              (int(1734.5 * MS), 300 * MS)]
    assert playback_gaps_ms(chunks) == [0.0, 35.0, 0.0]
    assert playback_gaps_ms(chunks[:1]) == [] and playback_gaps_ms([]) == []


def test_the_turn_record_holds_the_gaps_of_the_chunks_that_played():
    turn = Turn(turn_id=1)
    turn.chunks = {
        0: ChunkAudio(index=0, text="Sure, I can help.", n_samples=RATE, sample_rate=RATE,
                      t_play_ns=2000 * MS),
        1: ChunkAudio(index=1, text="Here it is.", n_samples=RATE // 2, sample_rate=RATE,
                      t_play_ns=3080 * MS),  # 80 ms after the first chunk ended
        2: ChunkAudio(index=2, text="Never played.", n_samples=RATE, sample_rate=RATE),
    }
    assert turn.record()["playback_gaps_ms"] == [80.0]


def test_the_bench_counts_every_seam_and_the_underruns():
    turns = [{"playback_gaps_ms": [0.0, 0.0, 60.0]}, {"playback_gaps_ms": []},
             {"playback_gaps_ms": [0.4, 20.0]}, {}]  # {}: a record from before the figure
    figures = playback_figures(turns)
    assert figures["count"] == 5 and figures["max"] == 60.0 and figures["p50"] == 0.4
    assert figures["underruns"] == 2  # 20 and 60 ms: the speaker waited
    line = format_playback_gaps(figures)
    assert "5 seams" in line and "2 underruns" in line and "/60.0 ms" in line


def test_the_mode_summary_carries_the_figures_and_no_seams_print_nothing():
    turn = {"v2v_ms": 400.0, "interrupted": False, "stages_ms": {}, "playback_gaps_ms": [12.0]}
    summary = summarize_turns([turn], [])
    assert summary["playback_gaps_ms"]["count"] == 1
    assert summary["playback_gaps_ms"]["underruns"] == 1
    assert format_playback_gaps(playback_figures([])) == ""
