#!/usr/bin/env bash
# Validates the Kubernetes manifests (deploy/kubernetes/) and the Dockerfile, alone and against
# each other: deploy/check.py says what is checked, one line per check. Exit status 1 when any
# check fails.
#
#   deploy/validate.sh               # from the repository's root (or anywhere: it finds it)
#   deploy/validate.sh --self-test   # also: copies broken one way at a time must each fail
#
# Needs Python >= 3.11 (tomllib) and PyPI for the first run only: kubernetes-validate and
# dockerfile-parse, pinned with their dependencies in deploy/requirements.txt, go into a venv
# under target/deploy-venv, reused while requirements.txt is unchanged. The Kubernetes schemas
# are inside the kubernetes-validate package: validation itself needs no network.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=target/deploy-venv
REQUIREMENTS=deploy/requirements.txt
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "deploy/validate.sh: needs python3 >= 3.11 (tomllib); found: $(python3 --version 2>&1 || echo none)" >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "deploy/validate.sh: creating $VENV"
    python3 -m venv "$VENV" 2>/dev/null || {
        # Debian's python3 comes without the venv module.
        rm -rf "$VENV"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$VENV"
    }
fi

# (Re)install when requirements.txt is not what the venv was made from.
STAMP="$VENV/.deploy-requirements.sha256"
WANT=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
    echo "deploy/validate.sh: installing $REQUIREMENTS into $VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$WANT" > "$STAMP"
fi

exec "$VENV/bin/python" deploy/check.py "$@"
