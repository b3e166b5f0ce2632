#!/bin/sh
# Exit 0 with a JSON array of two CloudEvents on stdout.
cat > /dev/null
echo '[{"specversion":"1.0","id":"a","source":"/test/exec","type":"com.example.one"},'
echo ' {"specversion":"1.0","id":"b","source":"/test/exec","type":"com.example.two"}]'
