#!/bin/sh
# Exit 0 with a CloudEvent on stdout: it is the follow-up event.
cat > /dev/null
printf '{"specversion":"1.0","id":"reply-%s","source":"/test/exec","type":"com.example.replied","datacontenttype":"application/json","data":{"in":"%s"}}\n' \
  "$FNMESH_EVENT_ID" "$FNMESH_EVENT_ID"
