#!/usr/bin/env bash
# The scan step of action.yml: pick the range, run pgsweep to SARIF, set the step outputs.
# Inputs come from the environment (INPUT_*, PUSH_BEFORE, PR_BASE); it exits 0 unless the
# action itself is broken, so the SARIF upload runs and the next step decides the job.
set -uo pipefail

path="${INPUT_PATH:-.}"
sarif="${INPUT_SARIF:-pgsweep.sarif}"
zero=0000000000000000000000000000000000000000

since="${INPUT_SINCE:-}"
if [ -z "$since" ]; then
  for rev in "${PR_BASE:-}" "${PUSH_BEFORE:-}"; do
    [ -n "$rev" ] && [ "$rev" != "$zero" ] || continue
    if git -C "$path" cat-file -e "${rev}^{commit}" 2>/dev/null; then
      since="$rev"
      break
    fi
    echo "::warning title=pgsweep::commit $rev is not in the checkout (use actions/checkout with fetch-depth: 0); scanning the full history"
  done
fi

args=(scan "$path" --format sarif --output "$sarif" --no-progress --no-store)
if [ -n "${INPUT_FAIL_ON:-}" ]; then
  args+=(--fail-on "$INPUT_FAIL_ON")
fi
if [ -n "$since" ]; then
  args+=(--since "$since")
  range="since $since"
else
  range="full history"
fi
if [ -n "${INPUT_BASELINE:-}" ]; then
  args+=(--baseline "$INPUT_BASELINE")
fi
if [ -n "${INPUT_ARGS:-}" ]; then
  read -r -a extra <<< "$INPUT_ARGS"
  args+=("${extra[@]}")
fi

echo "pgsweep ${args[*]}"
pgsweep "${args[@]}"
rc=$?

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$rc"
    echo "sarif-file=$sarif"
    echo "range=$range"
  } >> "$GITHUB_OUTPUT"
fi

# A one-line summary for the log and the job page, read back from the SARIF report.
if [ -f "$sarif" ]; then
  summary=$(SARIF="$sarif" RANGE="$range" python - <<'PY'
import json, os
results = json.load(open(os.environ["SARIF"], encoding="utf-8"))["runs"][0]["results"]
levels = {}
for r in results:
    levels[r["level"]] = levels.get(r["level"], 0) + 1
parts = ", ".join(f"{n} {lvl}" for lvl, n in sorted(levels.items())) or "none"
print(f"pgsweep ({os.environ['RANGE']}): {len(results)} findings ({parts})")
PY
  )
  echo "$summary"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    echo "$summary" >> "$GITHUB_STEP_SUMMARY"
  fi
fi
exit 0
