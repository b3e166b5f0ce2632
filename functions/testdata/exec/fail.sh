#!/bin/sh
# Exit 1: a retryable failure, with a reason on stderr.
cat > /dev/null
echo "warming up" >&2
echo "database unavailable" >&2
exit 1
