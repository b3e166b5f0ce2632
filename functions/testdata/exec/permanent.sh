#!/bin/sh
# Exit 100 (functions.ExitPermanent): do not retry this event.
cat > /dev/null
echo "order has no items" >&2
exit 100
