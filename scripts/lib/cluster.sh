# Shared by scripts/start-cluster.sh, stop-cluster.sh and test-cluster.sh (sourced, not run,
# from the repository root): the three local nodes of configs/node1.json..node3.json, where
# each keeps its pid file and log (data/nodeN, the node's data_dir in those configs), and the
# cluster's secret file (data/cluster.secret in those configs).

NODES=(1 2 3)

node_config() { echo "configs/node$1.json"; }
node_dir() { echo "data/node$1"; }
node_pidfile() { echo "data/node$1/broker.pid"; }
node_log() { echo "data/node$1/broker.log"; }

# Prints the pid from node N's pid file when that process is alive and is a Runnel broker.
# A pid file left behind by a crash may name a pid the kernel has since given to another
# program, which must be neither waited on nor signalled.
live_broker_pid() {
  local pidfile pid
  pidfile="$(node_pidfile "$1")"
  [[ -f "$pidfile" ]] || return 1
  pid="$(tr -dc '0-9' < "$pidfile")"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  ps -p "$pid" -o args= 2>/dev/null | grep -q 'src/cli/broker\.ts' || return 1
  echo "$pid"
}

# Prints the distinct cluster.secret_file paths the node configs name, one per line (none when
# the configs give the secret inline). Relative paths are from the repository root, where the
# scripts run the brokers.
secret_files() {
  local n configs=()
  for n in "${NODES[@]}"; do configs+=("$(node_config "$n")"); done
  node -e '
    const files = new Set();
    for (const file of process.argv.slice(1)) {
      const c = require(require("path").resolve(file));
      const f = (c.cluster || {}).secret_file;
      if (typeof f === "string" && f !== "") files.add(f);
    }
    for (const f of files) console.log(f);
  ' "${configs[@]}"
}
