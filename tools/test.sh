#!/usr/bin/env bash
# `npm test`: typecheck, lint and the tests of every project, as `nx run-many -t typecheck lint test`
# would run them, in an order that fits a 2-core machine. lab's tests are the critical path
# (about 11 minutes, most of it end-to-end experiments on real servers, one at a time), and Nx
# would queue them behind every other project's tasks, so they start first; the other projects'
# tasks run beside them at a lower priority (nice 19), so the experiments keep the CPU they need.
# Exits non-zero when any task failed. Extra arguments go to every Nx command (e.g. --skip-nx-cache).
set -uo pipefail
cd "$(dirname "$0")/.."

npx nx run lab:test --outputStyle=static "$@" &
lab_tests=$!
nice -n 19 npx nx run-many -t typecheck lint test --exclude lab --outputStyle=static "$@"
others=$?
nice -n 19 npx nx run-many -t typecheck lint -p lab --outputStyle=static "$@"
lab_checks=$?
wait "$lab_tests"
lab=$?

echo "npm test: other projects $([ $others = 0 ] && echo passed || echo FAILED), lab typecheck/lint $([ $lab_checks = 0 ] && echo passed || echo FAILED), lab tests $([ $lab = 0 ] && echo passed || echo FAILED)"
[ $others = 0 ] && [ $lab_checks = 0 ] && [ $lab = 0 ]
