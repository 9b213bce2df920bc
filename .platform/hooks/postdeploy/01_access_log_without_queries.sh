#!/bin/bash
# The platform's nginx logs each request line with its query string, and searches carry client
# names (no PHI in logs): its access log keeps the method and path only, like deploy/nginx.conf.
set -euo pipefail
conf=/etc/nginx/nginx.conf
if grep -q '"\$request"' "$conf"; then
    sed -i 's/"\$request"/"$request_method $uri"/' "$conf"
    nginx -t && systemctl reload nginx
    echo "nginx access log: method and path only"
else
    echo "warning: $conf has no \"\$request\" field; check its access log for query strings" >&2
fi
