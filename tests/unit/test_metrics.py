from assistant.metrics import STAGE_NAMES, RollingStats, TurnTimeline, percentile, summarize

MS = 1_000_000


def make_turn(**marks_ms):
    turn = TurnTimeline(turn_id=1, speech_end=1000 * MS)
    for name, t in marks_ms.items():
        turn.mark(name, t * MS)
    return turn


def test_stages_add_up_to_v2v():
    turn = make_turn(end_detected=1400, final_transcript=1420, first_token=1480,
                     first_chunk=1560, first_audio=1620, first_played=1630)
    stages = turn.stages_ms()
    assert list(stages) == list(STAGE_NAMES)
    assert stages == {"endpointing": 400.0, "stt_final": 20.0, "llm_first_token": 60.0,
                      "first_chunk": 80.0, "tts_first_audio": 60.0, "playback_start": 10.0}
    assert turn.v2v_ms() == 630.0
    assert sum(stages.values()) == turn.v2v_ms()


def test_speculative_start_counts_as_zero_not_negative():
    # the first token arrived before the transcript was final (speculative start)
    turn = make_turn(end_detected=1200, final_transcript=1300, first_token=1250,
                     first_chunk=1350, first_audio=1400, first_played=1410)
    stages = turn.stages_ms()
    assert stages["llm_first_token"] == 0.0
    assert stages["first_chunk"] == 50.0
    assert sum(stages.values()) == turn.v2v_ms() == 410.0


def test_unfinished_turn_has_no_v2v():
    turn = make_turn(end_detected=1200, final_transcript=1300)
    assert turn.v2v_ms() is None
    assert turn.stages_ms()["first_chunk"] is None


def test_first_mark_wins_unless_overwritten():
    turn = make_turn(first_token=1500)
    turn.mark("first_token", 1700 * MS)
    assert turn.marks["first_token"] == 1500 * MS
    turn.mark("first_token", 1700 * MS, overwrite=True)
    assert turn.marks["first_token"] == 1700 * MS


def test_percentiles_interpolate():
    assert percentile([], 50) is None
    assert percentile([5], 95) == 5.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(range(101), 95) == 95.0
    assert summarize([100, None, 300]) == {"count": 2, "p50": 200.0, "p95": 290.0,
                                           "mean": 200.0, "max": 300.0}


def test_rolling_stats_keep_only_the_window():
    stats = RollingStats(window=3)
    for v in (1000, 10, 20, 30, None):
        stats.add(v)
    assert stats.values() == [10, 20, 30]
    assert stats.p50 == 20.0
