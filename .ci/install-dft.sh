#!/usr/bin/env bash
# Install the open-source DFT codes used by benchmarks/dft.py (Debian bookworm).
# Idempotent: does nothing when everything is already there. CI does not run DFT by
# default; `ionmd bench` and `python -m benchmarks.dft` do.
# Measured here: ~45 s for apt-get install (88 packages, both codes + Open MPI).
set -euo pipefail

PACKAGES=(gpaw gpaw-data cp2k cp2k-data openmpi-bin)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-dft: already installed: ${PACKAGES[*]}"
else
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# GPAW is built for Debian's python3 (3.11), not the project's venv: check it there.
/usr/bin/python3 -c "import gpaw; print('install-dft: GPAW', gpaw.__version__)"
command -v cp2k.psmp >/dev/null && echo "install-dft: $(cp2k.psmp --version | head -1)"
command -v mpiexec >/dev/null && echo "install-dft: $(mpiexec --version | head -1)"
