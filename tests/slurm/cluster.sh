#!/usr/bin/env bash
# cluster.sh - a one-node Slurm cluster on 127.0.0.1 for make test-slurm.
#
#   tests/slurm/cluster.sh start DIR   install slurm-wlm and munge if missing (as root),
#                                      write DIR/slurm.conf, start munged, slurmctld and
#                                      slurmd, wait until the node is idle
#   tests/slurm/cluster.sh stop DIR    stop the daemons by their pid files
#
# Callers export SLURM_CONF=DIR/slurm.conf so sbatch and squeue find it.
# What these sandboxes need (no systemd, no working cgroups): munged run as
# the munge user by hand; proctrack/linuxproc and task/none (the cgroup
# plugins fail silently: jobs show COMPLETED and never run); select/cons_tres
# with CR_Core (with select/linear, array tasks run one at a time); NodeName
# = hostname -s; RealMemory no more than slurmd -C reports.
set -eu
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
say() { echo "cluster: $*" >&2; }

stop() {
    for p in slurmd slurmctld munged; do
        f=$dir/$p.pid
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$f"
    done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { say "usage: cluster.sh start|stop DIR"; exit 2; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
        say "Slurm is not installed; install it with: sudo apt-get install slurm-wlm munge"
        exit 1
    fi
    say "installing slurm-wlm and munge"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
if [ "$(id -u)" -ne 0 ]; then
    say "starting Slurm's daemons needs root (munged as the munge user, slurmd as root)"
    exit 1
fi
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
dir=$(cd "$dir" && pwd)
stop

# munge: its own socket and pid file under DIR, key from the package (or new).
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=128 count=1 2>/dev/null;
                                 chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
chown munge:munge "$dir/munge"; chmod 755 "$dir/munge"
sock=$dir/munge/munge.socket
runuser -u munge -- munged --socket="$sock" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
for _ in $(seq 50); do [ -f "$dir/munge/munged.pid" ] && break; sleep 0.1; done
cp "$dir/munge/munged.pid" "$dir/munged.pid"

host=$(hostname -s)
mem=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
cpus=$(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p')
cat > "$dir/slurm.conf" <<CONF
ClusterName=sweeptest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MaxArraySize=1001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -c -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 300); do
    state=$(sinfo -h -o %T 2>/dev/null || true)
    case $state in idle*) say "up: node $host, $cpus CPUs, ${mem} MB ($dir)"; exit 0 ;; esac
    sleep 0.1
done
say "the node did not become idle (state '${state:-none}'); see $dir/slurmctld.log and $dir/slurmd.log"
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
