#!/usr/bin/env bash
# The main job on a fresh machine: install newsqa, ingest the sample articles in seeds/,
# and show what is stored. Extra arguments are passed to `newsqa ingest` (more sources).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
.venv/bin/newsqa ingest seeds/ "$@"
.venv/bin/newsqa list
