#!/bin/bash
# Elastic Beanstalk runs every process of the Procfile and restarts any that ends: each
# environment gets a Procfile of its own process (CASELOAD_TIER: web or worker), under the name
# the platform starts, web; the shipped one is kept for the release step (.platform/caseload.sh).
# The platform installs requirements.txt: the project, at the versions of requirements.lock.
set -euo pipefail
tier=$(/opt/elasticbeanstalk/bin/get-config environment -k CASELOAD_TIER || true)
[ -f Procfile.shipped ] || cp Procfile Procfile.shipped
command=$(sed -n "s/^${tier:-none}: *//p" Procfile.shipped)
if [ "$tier" != web ] && [ "$tier" != worker ] || [ -z "$command" ]; then
    echo "The environment property CASELOAD_TIER must be web or worker (it is '${tier}')" >&2
    exit 1
fi
printf 'web: %s\n' "$command" > Procfile
printf -- '-c requirements.lock\n-e .\n' > requirements.txt
echo "Procfile for the $tier environment: $command"
