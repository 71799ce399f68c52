#!/usr/bin/env bash
# Stand-in for actions/runner's run.sh (layoutroot): relaunches run-helper.sh
# while it returns 2, otherwise exits with its code. With RUNNER_MANUALLY_TRAP_SIG
# set it runs the helper as a background job and turns SIGINT/SIGTERM into a
# SIGINT for the helper's process group (the listener cancels its job);
# without it, the helper runs in the foreground and signals are not handled here.
DIR="$(cd "$(dirname "$0")" && pwd)"

run() {
  while :; do
    "$DIR/run-helper.sh" "$@"
    code=$?
    if [[ $code -ne 2 ]]; then echo "Exiting runner..."; exit "$code"; fi
    echo "Restarting runner..."
  done
}

run_with_manual_trap() {
  set -m
  trap 'kill -INT -"$helper_pid" 2>/dev/null' INT TERM
  while :; do
    "$DIR/run-helper.sh" "$@" &
    helper_pid=$!
    # wait returns early when a trapped signal arrives; keep waiting for the real exit status.
    while :; do
      wait "$helper_pid"
      code=$?
      kill -0 "$helper_pid" 2>/dev/null || break
    done
    if [[ $code -ne 2 ]]; then echo "Exiting runner..."; exit "$code"; fi
    echo "Restarting runner..."
  done
}

if [[ -z "${RUNNER_MANUALLY_TRAP_SIG:-}" ]]; then run "$@"; else run_with_manual_trap "$@"; fi
