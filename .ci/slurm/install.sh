#!/usr/bin/env bash
# Install a single-node SLURM (munge, slurmctld, slurmd, client) from Debian's packages.
# Idempotent: does nothing when the binaries are already there. Needs root and apt.
set -euo pipefail

need=(munged slurmctld slurmd sinfo sbatch scancel)
missing=0
for b in "${need[@]}"; do
    command -v "$b" >/dev/null 2>&1 || missing=1
done
if [[ $missing -eq 0 ]]; then
    echo "install.sh: SLURM and munge already installed"
    exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "install.sh: need root or sudo" >&2; exit 1; }
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt may hold the dpkg lock (shared CI machines): wait for it.
APT=(apt-get -o DPkg::Lock::Timeout=600)
$SUDO "${APT[@]}" update -q
# Debian's postinst scripts try to start services; without systemd/init they may
# fail harmlessly. policy-rc.d 101 keeps invoke-rc.d from starting anything.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO "${APT[@]}" install -y -q --no-install-recommends slurmctld slurmd slurm-client munge
echo "install.sh: installed slurm $(dpkg-query -W -f '${Version}' slurmctld)"
