#!/usr/bin/env bash
# Sets up (first time only) and runs the whole test suite: the fast tests, then the few
# real-model and browser checks (marker `slow`).  Extra arguments go to both pytest runs.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh test
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's chromium for the browser test…" >&2
    (apt-get update -qq && apt-get install -y -qq chromium chromium-driver) >/dev/null
  else
    echo "error: the browser test needs Debian's chromium: sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False
.venv/bin/pytest -m "not slow" "$@"
.venv/bin/pytest -m slow "$@"
