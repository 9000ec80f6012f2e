#!/usr/bin/env bash
# make demo, shortened: the whole pipeline under wwi-gen load must end with
# every table matching (examples/demo.sh exits non-zero otherwise).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
DEMO_SECONDS=${DEMO_SECONDS:-15} exec "$top/examples/demo.sh"
