#!/usr/bin/env bash
# The last step of action.yml: the job's verdict from pgsweep's exit code.
# In: EXIT_CODE (empty when the scan step did not get to run pgsweep), FAIL_ON.
set -uo pipefail

case "${EXIT_CODE:-}" in
  0) exit 0 ;;
  1) echo "::error title=pgsweep::new leaked PostgreSQL credentials at or above ${FAIL_ON:-the fail_on threshold} (see the job summary and code scanning)" ;;
  *) echo "::error title=pgsweep::pgsweep failed (exit ${EXIT_CODE:-none}); see the Scan step's log" ;;
esac
exit 1
