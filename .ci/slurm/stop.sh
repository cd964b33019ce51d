#!/usr/bin/env bash
# Stop what start.sh started: cancel jobs, then slurmd, slurmctld, munged (by pid file).
set -uo pipefail

command -v scancel >/dev/null 2>&1 && scancel --full --quiet --user="$(id -un)" 2>/dev/null
stop_pid() {  # stop_pid NAME PIDFILE: TERM, wait up to 10 s, then KILL
    local name=$1 file=$2 pid
    [[ -s "$file" ]] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        echo "stop.sh: stopped $name ($pid)"
    fi
    rm -f "$file"
}
stop_pid slurmd /run/slurm/slurmd.pid
stop_pid slurmctld /run/slurm/slurmctld.pid
stop_pid munged /run/munge/munged.pid
exit 0
