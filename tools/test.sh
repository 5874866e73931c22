#!/usr/bin/env bash
# `npm test`: typecheck, lint and the tests of every project, as `nx run-many -t typecheck lint test`
# would run them, in an order that fits a 2-core machine.
# - lab's tests are the critical path (about 11 minutes, most of it end-to-end experiments on real
#   servers, one at a time), and Nx would queue them behind every other project's tasks, so they
#   start first;
# - the other projects' tasks run beside them at a lower priority (nice 19), so the experiments
#   keep the CPU they need;
# - but load-tests' tests time the load driver against fixed-delay servers (a 1 s stall must drop
#   45 ± 3 iterations) and fail when the CPU is taken, so they run after lab's, alone.
# Exits non-zero when any task failed. Extra arguments go to every Nx command (e.g. --skip-nx-cache).
set -uo pipefail
cd "$(dirname "$0")/.."

npx nx run lab:test --outputStyle=static "$@" &
lab_tests=$!
nice -n 19 npx nx run-many -t typecheck lint test --exclude lab,load-tests --outputStyle=static "$@"
others=$?
nice -n 19 npx nx run-many -t typecheck lint -p lab load-tests --outputStyle=static "$@"
checks=$?
wait "$lab_tests"
lab=$?
npx nx run load-tests:test --outputStyle=static "$@"
load_tests=$?

status() { [ "$1" = 0 ] && echo passed || echo FAILED; }
echo "npm test: other projects $(status $others), lab and load-tests typecheck/lint $(status $checks), lab tests $(status $lab), load-tests tests $(status $load_tests)"
[ $others = 0 ] && [ $checks = 0 ] && [ $lab = 0 ] && [ $load_tests = 0 ]
