#!/bin/sh
# Starts a child that outlives any reasonable timeout, records its pid and
# waits for it.
sleep 60 &
echo $! > "$PIDFILE"
wait
