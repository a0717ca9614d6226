#!/usr/bin/env bash
# Step 3 of action.yml: pick the range, run pgsweep to SARIF, summarise, set the outputs.
# In: PGSWEEP, PYTHON (pgsweep's virtualenv), INPUT_* (the action's inputs), and from the
# event: PUSH_BEFORE, PUSH_FORCED, PR_BASE, DEFAULT_BRANCH. It exits 0 unless the action
# itself is broken, so the SARIF upload runs; the last step decides the job.
set -uo pipefail

path="${INPUT_PATH:-.}"
sarif="${INPUT_SARIF:-pgsweep.sarif}"
zero=0000000000000000000000000000000000000000
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

is_commit() { [ -n "$1" ] && [ "$1" != "$zero" ] && git -C "$path" cat-file -e "$1^{commit}" 2>/dev/null; }

since="${INPUT_SINCE:-}"
range=""
if [ -z "$since" ]; then
  if is_commit "${PR_BASE:-}"; then
    since="$PR_BASE"
  elif is_commit "${PUSH_BEFORE:-}"; then
    since="$PUSH_BEFORE"      # a force-push too: the rewritten commits are the new ones
  else
    unknown=""
    if [ -n "${PR_BASE:-}" ]; then
      unknown="the pull request's base commit $PR_BASE is not in the checkout"
    elif [ "${PUSH_FORCED:-}" = true ] && [ -n "${PUSH_BEFORE:-}" ]; then
      unknown="force-push: the branch's previous tip $PUSH_BEFORE is gone"
    elif [ -n "${PUSH_BEFORE:-}" ] && [ "$PUSH_BEFORE" != "$zero" ]; then
      unknown="the push's previous tip $PUSH_BEFORE is not in the checkout (use actions/checkout with fetch-depth: 0)"
    fi
    # A new branch or an unknown previous tip: what the branch adds over the default
    # branch, when that is fetched and the pushed commit is not already on it.
    base="refs/remotes/origin/${DEFAULT_BRANCH:-}"
    if [ -n "${PUSH_BEFORE:-}${PR_BASE:-}" ] && [ -n "${DEFAULT_BRANCH:-}" ] \
       && git -C "$path" rev-parse -q --verify "$base^{commit}" >/dev/null \
       && ! git -C "$path" merge-base --is-ancestor HEAD "$base" 2>/dev/null; then
      since="origin/$DEFAULT_BRANCH"
      range="commits not on origin/$DEFAULT_BRANCH"
    fi
    if [ -n "$unknown" ]; then
      echo "::warning title=pgsweep::$unknown; scanning ${range:-the full history}"
    fi
  fi
fi
if [ -z "$range" ]; then
  range=$([ -n "$since" ] && echo "since $since" || echo "full history")
fi

args=(scan "$path" --format sarif --output "$sarif" --no-progress --no-store)
[ -n "${INPUT_FAIL_ON:-}" ] && args+=(--fail-on "$INPUT_FAIL_ON")
[ -n "$since" ] && args+=(--since "$since")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
if [ -n "${INPUT_ARGS:-}" ]; then
  # split as a POSIX shell would (quotes kept together), never evaluated
  words="$(mktemp)"
  if ! "$PYTHON" -c \
      'import shlex, sys; sys.stdout.write("".join(a + "\0" for a in shlex.split(sys.argv[1])))' \
      "$INPUT_ARGS" > "$words" 2>/dev/null; then
    echo "::error title=pgsweep::the args input is not valid shell words (an unclosed quote?)"
    exit 1
  fi
  while IFS= read -r -d '' word; do   # bash 3.2 (macOS) has no mapfile -d
    args+=("$word")
  done < "$words"
  rm -f "$words"
fi

rm -f "$sarif"    # a report left by an earlier step is never read as this run's
printf 'pgsweep'; printf ' %q' "${args[@]}"; echo
"$PGSWEEP" "${args[@]}"
rc=$?

category=pgsweep
[ "$range" = "full history" ] || category=pgsweep-new   # see docs/ci.md, code scanning
{
  echo "exit-code=$rc"
  echo "range=$range"
  echo "category=$category"
} >> "$GITHUB_OUTPUT"
if { [ "$rc" = 0 ] || [ "$rc" = 1 ]; } && [ -f "$sarif" ]; then
  echo "sarif-file=$sarif" >> "$GITHUB_OUTPUT"
  "$PYTHON" "$here/summary.py" "$sarif" "$range" "$rc" "${INPUT_FAIL_ON:-}" || exit 1
else
  echo "sarif-file=" >> "$GITHUB_OUTPUT"
  "$PYTHON" "$here/summary.py" "" "$range" "$rc" "${INPUT_FAIL_ON:-}" || exit 1
fi
exit 0
