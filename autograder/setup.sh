#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# It installs gradkata and its dependencies into a virtual environment that
# run_autograder uses. The autograder zip (see make_zip.py) holds the course
# itself: catalog.toml, tests/, solutions/, gradkata/ and this file at its root.
#
# Every path can be changed through the environment (for testing elsewhere):
#   GRADKATA_AUTOGRADER   the autograder root            (default /autograder)
#   GRADKATA_SOURCE       the unpacked autograder zip    (default $GRADKATA_AUTOGRADER/source)
#   GRADKATA_VENV         the virtual environment        (default $GRADKATA_AUTOGRADER/venv)
#   GRADKATA_SETUP_PYTHON the Python to build it from    (default python3; 3.11 or newer)
#   TORCH_INDEX_URL       a pip index for torch: set it to PyTorch's CPU-only wheel index
#                         (see PyTorch's installation page) to get the small CPU build;
#                         the default index's Linux torch is a multi-GB CUDA build.
set -euo pipefail

ROOT="${GRADKATA_AUTOGRADER:-/autograder}"
SOURCE="${GRADKATA_SOURCE:-$ROOT/source}"
VENV="${GRADKATA_VENV:-$ROOT/venv}"
PYTHON="${GRADKATA_SETUP_PYTHON:-python3}"
TORCH_VERSION="2.13.0"  # the version the course is tested with; keep it pinned

is_new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

if ! is_new_enough "$PYTHON"; then
    if command -v apt-get >/dev/null; then  # Gradescope's Ubuntu images ship an older Python
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
        PYTHON=python3.11
    fi
    is_new_enough "$PYTHON" || { echo "setup.sh: gradkata needs Python 3.11 or newer" >&2; exit 1; }
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
if [ -n "${TORCH_INDEX_URL:-}" ]; then
    "$VENV/bin/python" -m pip install "torch==$TORCH_VERSION" --index-url "$TORCH_INDEX_URL"
else
    "$VENV/bin/python" -m pip install "torch==$TORCH_VERSION"
fi
"$VENV/bin/python" -m pip install -e "$SOURCE"
"$VENV/bin/gradkata" --version  # fail the image build now, not at the first submission
