#!/bin/sh
# Copies what the adapter gives a program: stdin, the FNMESH_EVENT_*
# variables and the working directory.
cat > "$CAPTURE_DIR/stdin.json"
env | grep '^FNMESH_EVENT_' | sort > "$CAPTURE_DIR/env"
pwd > "$CAPTURE_DIR/pwd"
