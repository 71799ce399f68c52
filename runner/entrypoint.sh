#!/usr/bin/env bash
# Starts one just-in-time runner from RUNNER_JITCONFIG (set by the control
# plane as a container override). run.sh replaces this shell, so it is the
# container's main process: it receives Fargate's SIGTERM itself and, with
# RUNNER_MANUALLY_TRAP_SIG=1 (image ENV), cancels the job gracefully.
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

# The configuration is single-use and holds the runner's key; keep it out of the job's environment.
jitconfig="${RUNNER_JITCONFIG}"
unset RUNNER_JITCONFIG

cd "${RUNNER_DIR}"
exec ./run.sh --jitconfig "${jitconfig}"
