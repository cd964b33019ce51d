#!/usr/bin/env bash
# Install (if needed) and start a single-node SLURM, run the SLURM-marked tests,
# and stop the daemons again whatever happens. Extra arguments go to pytest.
#   bash .ci/slurm/run-tests.sh                  # every SLURM test in the repo
#   bash .ci/slurm/run-tests.sh tests/scaleout   # the scale-out ones only
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

t0=$(date +%s)
bash "$here/install.sh"
t1=$(date +%s)
trap 'bash "$here/stop.sh"' EXIT
bash "$here/start.sh"
t2=$(date +%s)
echo "run-tests.sh: install $((t1 - t0)) s, start $((t2 - t1)) s"

PYTEST=${PYTEST:-pytest}
if [[ -x "$repo/.venv/bin/pytest" && -z "${VIRTUAL_ENV:-}" ]]; then
    PYTEST="$repo/.venv/bin/pytest"
fi
if [[ $# -eq 0 ]]; then
    set -- -q -p no:cacheprovider tests
fi
"$PYTEST" -m slurm --timeout=600 "$@"
