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

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "missing system packages: ${missing[*]}; install them as root"; exit 1; }
    SUDO=sudo
  fi
  say "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
  echo "$want" > "$stamp"
fi

# --- default models ----------------------------------------------------------------------------
"$VENV/bin/voice-assistant" models install-defaults
