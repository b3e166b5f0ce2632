#!/bin/sh
# Exit 1 after writing 5000 bytes to stderr, the last line a marker.
cat > /dev/null
i=0
while [ $i -lt 98 ]; do
  echo "line $i ........................................" >&2
  i=$((i + 1))
done
echo "THE-END" >&2
exit 1
