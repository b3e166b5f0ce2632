#!/bin/sh
# Exit 0 with a plain log line on stdout: done, no follow-up event.
cat > /dev/null
echo "handled $FNMESH_EVENT_ID"
