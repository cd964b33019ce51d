#!/usr/bin/env bash
# Configure and start a single-node SLURM cluster on this host, without systemd or
# cgroups: munged (as user munge), slurmctld, slurmd. Waits until the node is idle.
#
# Environment (all optional):
#   IONMD_SLURM_CPUS       CPUs declared for the node (default: nproc --all)
#   IONMD_SLURM_PARTITION  partition name (default: debug)
#   IONMD_SLURM_TIMEOUT    seconds to wait for the node to become idle (default: 60)
# Logs and state: /var/log/slurm, /var/spool/slurmctld, /var/spool/slurmd.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "start.sh: must run as root (it starts munged, slurmctld and slurmd)" >&2
    exit 1
fi
for b in munged slurmctld slurmd sinfo scontrol; do
    command -v "$b" >/dev/null 2>&1 || {
        echo "start.sh: $b not found; run .ci/slurm/install.sh first" >&2
        exit 1
    }
done

t0=$(date +%s.%N)
host=$(hostname -s)
# `nproc --all`: plain nproc honours OMP_NUM_THREADS (CI sets it to 1), which would
# declare a 1-CPU node on which two workers can never run at once
cpus=${IONMD_SLURM_CPUS:-$(nproc --all)}
partition=${IONMD_SLURM_PARTITION:-debug}
timeout=${IONMD_SLURM_TIMEOUT:-60}
# RealMemory in MB: what `free` reports, less 5 % so slurmd does not mark the node
# down for having less memory than declared.
mem_total=$(free -m | awk '/^Mem:/ {print $2}')
real_mem=$((mem_total * 95 / 100))

# The host name must resolve for slurmctld/slurmd; fall back to 127.0.0.1.
addr=$(getent hosts "$host" | awk '{print $1; exit}')
addr=${addr:-127.0.0.1}

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
cat > /etc/slurm/slurm.conf <<CONF
# Written by ionmd .ci/slurm/start.sh: single node, no cgroups, no accounting.
ClusterName=ionmd-ci
SlurmctldHost=${host}(${addr})
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
Waittime=0
NodeName=${host} NodeAddr=${addr} CPUs=${cpus} RealMemory=${real_mem} State=UNKNOWN
PartitionName=${partition} Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF

# munge: a key readable by munge only, its run/log dirs, the daemon as user munge.
mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
if [[ ! -s /etc/munge/munge.key ]]; then
    if command -v mungekey >/dev/null 2>&1; then
        mungekey --create --keyfile=/etc/munge/munge.key
    else
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    rm -f /run/munge/munged.pid /run/munge/munge.socket.2*
    su -s /bin/sh munge -c "/usr/sbin/munged"
    for _ in $(seq 1 50); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.2
    done
fi
munge -n | unmunge >/dev/null || { echo "start.sh: munged does not answer" >&2; exit 1; }

pid_alive() { [[ -s "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
if pid_alive /run/slurm/slurmctld.pid; then
    scontrol reconfigure || true
else
    slurmctld
fi
for _ in $(seq 1 50); do
    scontrol ping 2>/dev/null | grep -q UP && break
    sleep 0.2
done
pid_alive /run/slurm/slurmd.pid || slurmd

# Wait for the node to register; resume it if it comes up down/drained.
state=""
for _ in $(seq 1 $((timeout * 2))); do
    state=$(sinfo -h -n "$host" -o '%t' 2>/dev/null | head -1 || true)
    case "$state" in
        idle|mix|alloc) break ;;
        down*|drain*|drng*) scontrol update NodeName="$host" State=RESUME || true ;;
    esac
    sleep 0.5
done
if [[ ! "$state" =~ ^(idle|mix|alloc)$ ]]; then
    echo "start.sh: node $host not idle after ${timeout}s (state '$state');" \
        "see /var/log/slurm/slurmctld.log and slurmd.log" >&2
    exit 1
fi
elapsed=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
echo "start.sh: SLURM up in ${elapsed}s: node $host, $cpus CPUs," \
    "${real_mem} MB, partition $partition"
sinfo
