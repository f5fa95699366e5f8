#!/usr/bin/env bash
# Set up a virtual environment in .venv with everything the app needs.
#   bash scripts/setup.sh          # the app
#   bash scripts/setup.sh --test   # the app and the test tools
# As root on Debian/Ubuntu it also installs the system libraries Qt and
# PortAudio need; elsewhere it prints them. torch comes first as the 2.13.0
# build, which on a machine without CUDA wheels nearby is the CPU one.
set -euo pipefail
cd "$(dirname "$0")/.."

extra=""
[ "${1:-}" = "--test" ] && extra="[test]"

debs=(libportaudio2 libsndfile1 libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6
      libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libx11-xcb1 libxcb-cursor0 libxcb-icccm4
      libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0)
if command -v dpkg >/dev/null 2>&1; then
  missing=()
  for p in "${debs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "note: install these system packages for Qt and sound: sudo apt-get install ${missing[*]}" >&2
    fi
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  .venv/bin/python -m pip install -q "torch==2.13.0"
fi
.venv/bin/python -m pip install -q -e ".${extra}"
echo "set up: $(.venv/bin/python -c 'import torch, PySide6; print("torch", torch.__version__, "- PySide6", PySide6.__version__)')"
