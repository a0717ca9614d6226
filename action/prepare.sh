#!/usr/bin/env bash
# Step 1 of action.yml: where pgsweep's own virtualenv lives, what to install into it, and
# the cache key of that install. Nothing here touches the job's Python, PATH or environment.
# In: PYTHON (the interpreter setup-python installed, not put on PATH), INPUT_VERSION,
# GITHUB_ACTION_PATH, RUNNER_TEMP, RUNNER_OS, RUNNER_ARCH. Out (step outputs): venv,
# requirement, key.
set -euo pipefail

version="${INPUT_VERSION:-}"
if [ -z "$version" ]; then
  requirement="$GITHUB_ACTION_PATH"          # the checkout of the ref named in `uses:`
elif [[ "$version" =~ ^[0-9]+(\.[0-9]+)*([.-]?(a|b|rc|post|dev)[0-9]*)*$ ]]; then
  requirement="pgsweep==$version"             # a release
else
  requirement="$version"                      # any pip requirement: `pgsweep @ git+https://…@SHA`
fi

# The key names the interpreter and what is installed: for the action's own checkout, a
# hash of its sources, so a moved ref never reuses an older install.
key=$("$PYTHON" - "$requirement" "$GITHUB_ACTION_PATH" "${version:+pinned}" <<'PY'
import hashlib, pathlib, platform, sys
requirement, action, pinned = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
h = hashlib.sha256(f"{platform.python_version()}\0{requirement}\0".encode())
if not pinned:
    files = [action / "pyproject.toml"]
    for folder in ("src", "signatures"):
        files += sorted(p for p in (action / folder).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts)
    for p in files:
        h.update(p.relative_to(action).as_posix().encode() + b"\0" + p.read_bytes())
print(f"py{platform.python_version()}-{h.hexdigest()[:32]}")
PY
)

{
  echo "venv=${RUNNER_TEMP}/pgsweep-action/venv"
  echo "requirement=$requirement"
  echo "key=pgsweep-venv-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-$key"
} >> "$GITHUB_OUTPUT"
