#!/usr/bin/env bash
# Stand-in for actions/runner's run-helper.sh: maps Runner.Listener's exit code
# to "stop" (0, or 7 when ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE is
# set) or "relaunch" (2) for run.sh.
DIR="$(cd "$(dirname "$0")" && pwd)"
"$DIR/bin/Runner.Listener" run "$@"
code=$?
case "$code" in
  0) echo "Runner listener exit with 0 return code, stop the service, no retry needed."; exit 0 ;;
  1) echo "Runner listener exit with terminated error, stop the service, no retry needed."; exit 0 ;;
  2) echo "Runner listener exit with retryable error, re-launch runner in 5 seconds."; sleep 5; exit 2 ;;
  3) echo "Runner listener exit because of updating, re-launch runner after the update."; exit 2 ;;
  4) echo "Runner listener exit because of updating (ephemeral runner), re-launch runner."; exit 2 ;;
  5) echo "Runner listener exit with session conflict, stop the service, no retry needed."; exit 0 ;;
  7)
    echo "Runner listener exit with deprecated version, stop the service, no retry needed."
    if [[ -n "${ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE:-}" ]]; then exit 7; fi
    exit 0 ;;
  *) echo "Runner listener exit with undefined return code $code, stop the service, no retry needed."; exit 0 ;;
esac
