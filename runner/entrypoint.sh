#!/usr/bin/env bash
# Starts one just-in-time runner from RUNNER_JITCONFIG (set by the control
# plane as a container override), forwards Fargate's SIGTERM to it, and exits
# with its status.
set -euo pipefail

readonly RUNNER_DIR="${RUNNER_DIR:-/home/runner/actions-runner}"
readonly EX_CONFIG=78 # sysexits: configuration error

if [[ -z "${RUNNER_JITCONFIG:-}" ]]; then
  echo "runner-entrypoint: RUNNER_JITCONFIG is not set. This image runs one just-in-time runner; the control plane passes its configuration when it starts the task." >&2
  exit "$EX_CONFIG"
fi
if [[ ! -x "${RUNNER_DIR}/run.sh" ]]; then
  echo "runner-entrypoint: no runner in ${RUNNER_DIR} (run.sh missing); the image was not built from runner/Dockerfile." >&2
  exit "$EX_CONFIG"
fi

# The configuration is single-use; keep it out of the job's environment.
jitconfig="${RUNNER_JITCONFIG}"
unset RUNNER_JITCONFIG

cd "${RUNNER_DIR}"
./run.sh --jitconfig "${jitconfig}" &
runner_pid=$!

# shellcheck disable=SC2317 # invoked by the traps below, which shellcheck cannot follow
forward() {
  echo "runner-entrypoint: received $1, stopping the runner" >&2
  kill -s "$1" "${runner_pid}" 2>/dev/null || true
}
trap 'forward TERM' TERM
trap 'forward INT' INT

# wait returns early when a trapped signal arrives; wait again for the real exit status.
status=0
while kill -0 "${runner_pid}" 2>/dev/null; do
  wait "${runner_pid}" && status=0 || status=$?
done
exit "${status}"
