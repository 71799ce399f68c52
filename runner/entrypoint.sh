#!/usr/bin/env bash
# Starts one just-in-time runner. The control plane stores the runner's JIT config (it holds the
# runner's private key) as an SSM SecureString and passes only its name, RUNNER_JITCONFIG_PARAMETER;
# runner-jit-config reads it with the task role and deletes it before the listener starts. For a
# local `docker run`, RUNNER_JITCONFIG may carry a config directly instead.
# The config reaches the listener as ACTIONS_RUNNER_INPUT_JITCONFIG, which Runner.Listener reads,
# masks and removes from its environment, so the job's steps do not inherit it (and it is in no
# process's command line). run.sh replaces this shell, so it is the container's main process: it
# receives Fargate's SIGTERM itself and, with RUNNER_MANUALLY_TRAP_SIG=1 (image ENV), cancels the
# job gracefully.
set -euo pipefail

readonly RUNNER_DIR="${RUNNER_DIR:-/home/runner/actions-runner}"
readonly JIT_FETCH="${RUNNER_JIT_FETCH:-/usr/local/bin/runner-jit-config}"
readonly EX_CONFIG=78 # sysexits: configuration error

if [[ -z "${RUNNER_JITCONFIG_PARAMETER:-}" && -z "${RUNNER_JITCONFIG:-}" ]]; then
  echo "runner-entrypoint: no JIT configuration: RUNNER_JITCONFIG_PARAMETER is not set. This image runs one just-in-time runner; the control plane names the SSM parameter holding its configuration when it starts the task (for a local run, set RUNNER_JITCONFIG instead)." >&2
  exit "$EX_CONFIG"
fi
if [[ ! -x "${RUNNER_DIR}/run.sh" ]]; then
  echo "runner-entrypoint: no runner in ${RUNNER_DIR} (run.sh missing); the image was not built from runner/Dockerfile." >&2
  exit "$EX_CONFIG"
fi

if [[ -n "${RUNNER_JITCONFIG_PARAMETER:-}" ]]; then
  # The fetcher's own exit code (78 unusable, 69 unreachable) is the container's.
  jitconfig="$("$JIT_FETCH" "${RUNNER_JITCONFIG_PARAMETER}")" || exit $?
else
  jitconfig="${RUNNER_JITCONFIG}"
fi
unset RUNNER_JITCONFIG
if [[ -z "$jitconfig" ]]; then
  echo "runner-entrypoint: the JIT configuration in ${RUNNER_JITCONFIG_PARAMETER:-RUNNER_JITCONFIG} is empty." >&2
  exit "$EX_CONFIG"
fi

cd "${RUNNER_DIR}"
ACTIONS_RUNNER_INPUT_JITCONFIG="${jitconfig}" exec ./run.sh
