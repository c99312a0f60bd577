#!/usr/bin/env bash
# The main job on a fresh machine: install newsqa into ./.venv, ingest the sample articles in
# seeds/ (plus any sources given as arguments), and open the chat UI on http://127.0.0.1:7860.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
.venv/bin/newsqa ingest seeds/ "$@"
exec .venv/bin/python app.py
