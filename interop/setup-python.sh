#!/usr/bin/env bash
# Installs the packages of requirements.txt into .venv/ with pip, unless the last install
# there was made from the same requirements.txt and Python. `./setup-python.sh --force`
# installs in any case. PYTHON names the interpreter to build the environment with
# (default: python3, which must be 3.11 or later).
set -euo pipefail
cd "$(dirname "$0")"

python=${PYTHON:-python3}
venv=.venv
stamp_file=$venv/.batchwire-interop-stamp

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "interop setup: Python >= 3.11 is needed, found $("$python" --version 2>&1)" >&2
    exit 1
fi

version=$("$python" -c 'import sys; print(sys.version.split()[0])')
digest=$("$python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' requirements.txt)
stamp="$version $digest"

if [[ ${1:-} != --force && -f $stamp_file && $(<"$stamp_file") == "$stamp" ]]; then
    echo "interop setup: .venv is up to date"
    exit 0
fi

started=$SECONDS
# A fresh environment each time, so that nothing from an older requirements.txt is left.
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --requirement requirements.txt
"$venv/bin/python" -m pip check --disable-pip-version-check >/dev/null
printf '%s\n' "$stamp" >"$stamp_file"
echo "interop setup: Python packages installed in $((SECONDS - started)) s"
