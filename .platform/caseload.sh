#!/bin/bash
# Runs a command as Caseload runs on Elastic Beanstalk: the environment properties exported, the
# application's virtualenv first on PATH. `caseload.sh release` runs the Procfile's release step,
# on the web environment only (.ebextensions/caseload.config runs it on the leader).
set -euo pipefail
eval "$(/opt/elasticbeanstalk/bin/get-config environment | python3 -c '
import json, shlex, sys
for name, value in json.load(sys.stdin).items():
    print(f"export {name}={shlex.quote(value)}")')"
source /var/app/venv/*/bin/activate
if [ "$1" = release ]; then
    [ "${CASELOAD_TIER:-}" = web ] || exit 0
    # The prebuild hook kept the shipped Procfile (the one it writes has one process).
    exec bash -c "$(sed -n 's/^release: *//p' Procfile.shipped)"
fi
exec "$@"
