#!/usr/bin/env bash
# Create ./.venv and install newsqa into it (idempotent: does nothing when already up to date).
#   bash scripts/install.sh          # the app
#   bash scripts/install.sh dev      # the app + test tools
# PyTorch is installed first, pinned, so pip never pulls a multi-GB CUDA build. Off this machine,
# point NEWSQA_TORCH_INDEX at PyTorch's CPU wheel index (see README) to get the CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
venv="${NEWSQA_VENV:-.venv}"
python="${PYTHON:-python3}"
torch_version="${NEWSQA_TORCH_VERSION:-2.13.0}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
stamp="$venv/.newsqa-install-stamp"
want="$(cat pyproject.toml scripts/install.sh | sha256sum | cut -c1-16) extras=${extras}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
# pip before 23.3 misreads lxml's `html-clean` extra (PEP 685) and warns about it on every install
"${pip[@]}" install --quiet --upgrade "pip>=23.3,<26.2"
if ! "$venv/bin/python" -c "import torch" 2>/dev/null; then
    echo "installing PyTorch $torch_version (CPU), a few minutes on first run..." >&2
    if [ -n "${NEWSQA_TORCH_INDEX:-}" ]; then
        "${pip[@]}" install --quiet "torch==$torch_version" --index-url "$NEWSQA_TORCH_INDEX"
    else
        "${pip[@]}" install --quiet "torch==$torch_version"
    fi
fi
echo "installing newsqa${extras:+ [$extras]} and its dependencies, a few minutes on first run..." >&2
if [ -n "$extras" ]; then
    "${pip[@]}" install --quiet -e ".[$extras]"
else
    "${pip[@]}" install --quiet -e .
fi
# export the bundled model to ONNX int8 once, so no question ever waits for it (or imports torch);
# it says so on stderr ("preparing the fast embedder, one time, ...")
"$venv/bin/python" -m qa.core.onnx_export >/dev/null
echo "newsqa is installed in $venv" >&2
echo "$want" > "$stamp"
