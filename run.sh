#!/usr/bin/env bash
# Sets up (first time only), indexes corpus/ incrementally and opens the app at http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh
exec .venv/bin/coach ui "$@"
