#!/bin/sh
# notify is an example fnmesh exec function in plain POSIX sh (no jq): fnmesh
# runs it once per event with the event in the CloudEvents JSON format on
# stdin and its id, type, source and subject in FNMESH_EVENT_ID,
# FNMESH_EVENT_TYPE, FNMESH_EVENT_SOURCE and FNMESH_EVENT_SUBJECT.
#
# It logs one line and emits no follow-up event (it prints no JSON).
# Exit 0 acknowledges the event; exit 100 (functions.ExitPermanent)
# dead-letters it at once; any other status retries it.
#
# In the example mesh (functions/examples/mesh.yaml) it consumes
# com.example.order.fulfilled. Try it by hand:
#
#   echo '{"specversion":"1.0","id":"1","source":"/x","type":"t"}' |
#     FNMESH_EVENT_ID=1 FNMESH_EVENT_TYPE=t sh functions/examples/notify.sh
set -eu

event=$(cat)
if [ -z "$event" ]; then
  echo "notify: no event on stdin" >&2
  exit 100
fi
bytes=$(printf '%s' "$event" | wc -c | tr -d ' ')

echo "notify: ${FNMESH_EVENT_TYPE:-?} ${FNMESH_EVENT_ID:-?} subject=${FNMESH_EVENT_SUBJECT:-} (${bytes} bytes): customer notified" >&2
