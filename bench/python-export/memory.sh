#!/usr/bin/env bash
# Peak memory of the exported train.py: pandas (--scheduler none) against the cluster path
# (--scheduler local: 2 in-process workers; and a real 2-process cluster, each worker measured).
#   bash bench/python-export/memory.sh [ROWS] [BLOCKSIZE] [RUNS]
# (default 1000000 rows, 16MB blocks, RUNS "pandas local cluster": any of the three, e.g. "cluster")
# Needs /usr/bin/python3 with pandas, xgboost, dask, distributed; GNU time (/usr/bin/time).
set -euo pipefail
ROWS=${1:-1000000}
BLOCK=${2:-16MB}
RUNS=${3:-pandas local cluster}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
W=$(mktemp -d /tmp/py-export-memory.XXXXXX)
PY=/usr/bin/python3
peak() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1" | awk '{printf "%.0f MB", $1/1024}'; }
secs() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1"; }

$PY "$HERE/generate.py" "$ROWS" "$W/big.csv" 7
$PY "$HERE/generate.py" 20000 "$W/sample.csv" 8
$PY "$HERE/generate.py" 20000 "$W/test.csv" 9
(cd "$REPO" && npm run -s cli -- fit "$W/sample.csv" --target y --out "$W/bundle" --no-track >/dev/null &&
  npm run -s cli -- export "$W/bundle" --format python --out "$W/project" >/dev/null)
echo "$ROWS rows, $(du -m "$W/big.csv" | cut -f1) MB CSV, blocksize $BLOCK"
run() { # name, scheduler
  /usr/bin/time -v $PY "$W/project/train.py" --train "$W/big.csv" --predict "$W/test.csv" --out "$W/$1.csv" \
    --scheduler "$2" --blocksize "$BLOCK" --no-mlflow >"$W/$1.log" 2>&1
  echo "$1: driver peak RSS $(peak "$W/$1.log"), wall $(secs "$W/$1.log"); $(grep -o 'roc_auc [0-9.]*' "$W/$1.log")"
}
case " $RUNS " in *" pandas "*) run pandas none ;; esac
case " $RUNS " in *" local "*) run local local ;; esac
case " $RUNS " in *" cluster "*) ;; *) echo "files in $W"; exit 0 ;; esac

# a real cluster: a scheduler and two single-thread worker processes; each worker's peak RSS is its
# VmHWM (/proc/self/status), read through Dask after train.py has finished
PORT=$((20000 + RANDOM % 20000))
dask-scheduler --port $PORT --no-dashboard >"$W/scheduler.log" 2>&1 &
SCHED=$!
sleep 3
dask-worker tcp://127.0.0.1:$PORT --nworkers 1 --nthreads 1 --no-dashboard >"$W/worker1.log" 2>&1 &
WORKER1=$!
dask-worker tcp://127.0.0.1:$PORT --nworkers 1 --nthreads 1 --no-dashboard >"$W/worker2.log" 2>&1 &
WORKER2=$!
sleep 6
run cluster "tcp://127.0.0.1:$PORT"
grep -o 'in [0-9]* partition(s)' "$W/cluster.log" | head -1
$PY - "$PORT" <<'PYEOF'
import sys
from distributed import Client

def vmhwm():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))

with Client(f"tcp://127.0.0.1:{sys.argv[1]}") as client:
    peaks = client.run(vmhwm)
print("cluster workers: peak RSS " + ", ".join(f"{kb / 1024:.0f} MB" for kb in peaks.values()))
PYEOF
kill "$WORKER1" "$WORKER2" "$SCHED" 2>/dev/null || true
wait 2>/dev/null || true
echo "files in $W"
