#!/usr/bin/env bash
# Smoke check of a PyInstaller build: each engine loads from the bundle and does real work.
#     scripts/check_bundle.sh dist/voice-assistant/voice-assistant
set -euo pipefail
APP=${1:-dist/voice-assistant/voice-assistant}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

step() { printf '[bundle] %s\n' "$*"; }

step "version: $("$APP" --version)"
step "catalog: $("$APP" models list | wc -l) lines"
"$APP" say --out "$TMP/question.wav" "What is the capital of France?" >/dev/null 2>&1
step "espeak-ng: $(soxi -D "$TMP/question.wav") s of speech"
step "whisper heard: $("$APP" transcribe --stt-engine whisper "$TMP/question.wav" | tail -1)"
step "llama.cpp says: $("$APP" ask --no-speak "Say hello in three words." | tail -1)"
# the desktop app, offscreen, replaying the question into the real session
sox -q "$TMP/question.wav" "$TMP/dialog.wav" pad 0.5 6
QT_QPA_PLATFORM=offscreen "$APP" --stt-engine whisper --replay "$TMP/dialog.wav" \
    --quit-after 15 --screenshot "$TMP/window.png" 2>/dev/null
test -s "$TMP/window.png"
step "desktop app: came up with the replay, quit by itself, screenshot $(stat -c %s "$TMP/window.png") bytes"
step "ok"
