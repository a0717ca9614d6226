#!/usr/bin/env bash
# Step 2 of action.yml: pgsweep in its own virtualenv (VENV), unless the cached one works.
# In: PYTHON, VENV, REQUIREMENT. Out (step outputs): pgsweep (the executable), python (the
# virtualenv's interpreter), version.
set -euo pipefail

want=""
case "$REQUIREMENT" in pgsweep==*) want="pgsweep ${REQUIREMENT#pgsweep==}" ;; esac
have=$("$VENV/bin/pgsweep" --version 2>/dev/null || true)
if [ -n "$have" ] && { [ -z "$want" ] || [ "$have" = "$want" ]; }; then
  echo "pgsweep: using the cached install in $VENV"
else
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$REQUIREMENT"
fi
version=$("$VENV/bin/pgsweep" --version)
echo "$version"
{
  echo "pgsweep=$VENV/bin/pgsweep"
  echo "python=$VENV/bin/python"
  echo "version=${version#pgsweep }"
} >> "$GITHUB_OUTPUT"
