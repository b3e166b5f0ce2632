#!/bin/sh
# Starts a child that keeps stdout and stderr open, then exits 0 at once.
sleep 60 &
echo $! > "$PIDFILE"
exit 0
