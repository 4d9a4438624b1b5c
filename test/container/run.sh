#!/usr/bin/env bash
# The container test (issue 13): the way sgwatch is deployed, built and run
# for real. It builds the image from the unmodified Dockerfile with podman,
# runs it as the README's "Running as a container" says (read-only root,
# tmpfs /tmp, a named volume on /data, config and approvals mounted
# read-only, the SMTP password from the environment) against the EC2
# simulator and a real SMTP server on the host, and checks each container
# guarantee on its own line. Then it brings up deploy/compose.yaml the same
# way and validates the Kubernetes manifest. It removes everything it made.
#
# usage: bash test/container/run.sh        (npm run test:container builds dist/ first)
# Needs root, podman, runc and debootstrap (.ci/run installs them). Without
# them it prints why and skips, unless SGWATCH_CONTAINER_TEST=required (CI).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/test/container"
# shellcheck source=lib/checks.sh
source "$HERE/lib/checks.sh"
# shellcheck source=lib/podman-env.sh
source "$HERE/lib/podman-env.sh"
# shellcheck source=lib/base-image.sh
source "$HERE/lib/base-image.sh"

# Names this run creates; cleanup removes exactly these.
TAG="sgwatch-ct-$$"
IMAGE="localhost/sgwatch:ct-$$"
CTR="$TAG"
VOLUME="$TAG-data"
COMPOSE_PROJECT="$TAG-compose"
SIM_PID=""
SINK_PID=""
SCRATCH=""
COMPOSE_USED=""
NETWORK_MADE=""
CNI_CHAINS_BEFORE=""

summary() {
  echo "container: $PASSED passed, $FAILED failed"
}

skip() {
  if [ "${SGWATCH_CONTAINER_TEST:-}" = required ]; then
    echo "container: cannot run: $1"
    FAILED=$((FAILED + 1))
    summary
    exit 1
  fi
  echo "container: skipped: $1"
  exit 0
}

# ---- preflight --------------------------------------------------------------
[ "$(id -u)" = 0 ] || skip "needs root (podman with runc, debootstrap and a private storage root)"
for tool in podman runc debootstrap node npm; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (apt-get install podman runc debootstrap)"
done
[ -f "$REPO/dist/src/demo/mail-sink.js" ] || skip "dist/ is not built: run npm run build (npm run test:container does)"

# CNI's firewall plugin adds two empty chains on first use and leaves them;
# when this run added them, it removes them again.
cni_chains() { iptables -S CNI-FORWARD >/dev/null 2>&1 && echo yes; }
remove_cni_chains() {
  [ -z "$CNI_CHAINS_BEFORE" ] && [ -n "$(cni_chains)" ] || return 0
  iptables -D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD 2>/dev/null
  iptables -F CNI-FORWARD 2>/dev/null && iptables -X CNI-FORWARD 2>/dev/null
  iptables -F CNI-ADMIN 2>/dev/null && iptables -X CNI-ADMIN 2>/dev/null
  return 0
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
  wait 2>/dev/null
  if [ -n "$SCRATCH" ] && [ -d "$SCRATCH" ]; then
    [ -n "$COMPOSE_USED" ] && compose down -v >/dev/null 2>&1
    pm rm -f -t 0 "$CTR" "$CTR-probe" "$CTR-holder" >/dev/null 2>&1
    pm volume rm -f "$VOLUME" >/dev/null 2>&1
    pm rmi -f "$IMAGE" "$BASE_IMAGE_NAME" >/dev/null 2>&1
    # Whatever else lives in the private storage (build layers, the compose
    # project's leftovers) goes with it; unmount before removing the files.
    pm rm -a -f -t 0 >/dev/null 2>&1
    pm volume prune -f >/dev/null 2>&1
    pm rmi -a -f >/dev/null 2>&1
    findmnt -rn -o TARGET | grep -F "$SCRATCH/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  fi
  [ -n "$NETWORK_MADE" ] && pm network rm -f "$TAG-net" >/dev/null 2>&1
  remove_cni_chains
  case "$SCRATCH" in /var/tmp/sgwatch-container-test.*) rm -rf "$SCRATCH" ;; esac
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CNI_CHAINS_BEFORE="$(cni_chains)"
SCRATCH="$(mktemp -d /var/tmp/sgwatch-container-test.XXXXXX)"
setup_podman_env "$SCRATCH"
T0=$(date +%s)
echo "container: the image built from the Dockerfile, run as the README says (scratch $SCRATCH)"

# ---- build --------------------------------------------------------------------
t=$(date +%s)
if ! ensure_base_image "$SCRATCH"; then
  fail "build the stand-in node:22-bookworm-slim" "see the lines above"
  summary
  exit 1
fi
note "base image ready in $(elapsed_since "$t")s: $(pm image inspect --format '{{.Size}}' "$BASE_IMAGE_NAME" | awk '{printf "%d MB", $1/1e6}')"

t=$(date +%s)
# --format docker keeps HEALTHCHECK (OCI has no field for it); --network host
# lets npm reach the registry; --pull=never resolves FROM to the stand-in.
if pm build --pull=never --format docker --network host -t "$IMAGE" -f "$REPO/Dockerfile" "$REPO" >"$SCRATCH/build.log" 2>&1; then
  pass "the Dockerfile builds with podman ($(elapsed_since "$t")s)"
else
  fail "the Dockerfile builds with podman" "$(tail -15 "$SCRATCH/build.log")"
  summary
  exit 1
fi
IMAGE_BYTES="$(pm image inspect --format '{{.Size}}' "$IMAGE")"
note "image size: $((IMAGE_BYTES / 1000000)) MB"

image_config() {
  pm image inspect "$IMAGE" | node -e '
    const [img] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const hc = img.Healthcheck ?? img.Config?.Healthcheck ?? null;
    console.log(JSON.stringify({ user: img.Config?.User ?? img.User, healthcheck: hc }));'
}
image_keeps_healthcheck_and_user() {
  local cfg
  cfg="$(image_config)"
  echo "$cfg"
  node -e '
    const c = JSON.parse(process.argv[1]);
    const test = c.healthcheck?.Test ?? [];
    if (c.user !== "node") throw new Error(`USER is ${JSON.stringify(c.user)}, expected node`);
    if (!test.join(" ").includes("sgwatch status --health")) throw new Error("HEALTHCHECK lost or changed");' "$cfg"
}
check "the image keeps HEALTHCHECK (sgwatch status --health) and USER node" image_keeps_healthcheck_and_user

image_is_lean() {
  # No compiler or build tool, no object files or sources of the native build.
  pm run --rm --name "$CTR-probe" --network none --entrypoint sh "$IMAGE" -c '
    found=0
    for t in gcc g++ cc c++ make python3; do
      if command -v "$t" >/dev/null; then echo "compiler or build tool in the image: $t"; found=1; fi
    done
    left="$(find /app/node_modules/better-sqlite3 \( -name "*.o" -o -name "*.c" -o -name "*.cpp" -o -name "*.h" -o -name "*.mk" -o -name Makefile -o -name obj.target \) | head -5)"
    if [ -n "$left" ]; then echo "better-sqlite3 build intermediates in the image:"; echo "$left"; found=1; fi
    test -f /app/node_modules/better-sqlite3/build/Release/better_sqlite3.node || { echo "better_sqlite3.node missing"; found=1; }
    exit $found'
}
check "the runtime image has no compiler and no better-sqlite3 build intermediates" image_is_lean

# ---- the world around it: simulator, SMTP server, config --------------------
SMTP_USER="sgwatch@ct.example"
SGWATCH_SMTP_PASSWORD="ct-smtp-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
AWS_ACCESS_KEY_ID="AKIACONTAINERTEST001"
AWS_SECRET_ACCESS_KEY="ct-aws-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export SGWATCH_SMTP_PASSWORD AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

# A bridge network of this run: deploy/compose.yaml runs on it as shipped
# (podman-compose 1.0.3 cannot combine its project network with host mode),
# and the simulator and SMTP server listen on its gateway, an address of the
# host that the host-network container reaches as well.
pm network create --label "sgwatch-ct=$TAG" "$TAG-net" >/dev/null
NETWORK_MADE=1
GW="$(pm network inspect --format '{{range .Subnets}}{{.Gateway}}{{end}}' "$TAG-net")"
# CNI brings the bridge (and so the gateway address) up with the first
# container on it: a placeholder holds it up for the whole run.
pm run -d --name "$CTR-holder" --network "$TAG-net" --read-only --entrypoint sleep "$IMAGE" infinity >/dev/null 2>&1
gateway_up() { ip -o addr show | grep -q " inet $GW/"; }
if [ -z "$GW" ] || ! wait_for 20 gateway_up >/dev/null; then
  fail "create the test's bridge network" "no gateway address for $TAG-net ($GW)"
  summary
  exit 1
fi
node "$REPO/bin/sgwatch.js" sim --seed demo --port 0 --host "$GW" >"$SCRATCH/sim.out" 2>&1 &
SIM_PID=$!
mkdir -p "$SCRATCH/mail"
node "$HERE/host/mail-sink.mjs" "$SCRATCH/mail" "$SMTP_USER" "$GW" >"$SCRATCH/sink.out" 2>&1 &
SINK_PID=$!
sim_endpoint() { grep -o "http://$GW:[0-9]*" "$SCRATCH/sim.out" | head -1; }
sink_port() { grep -o '"port":[0-9]*' "$SCRATCH/sink.out" | cut -d: -f2; }
if ! wait_for 30 sim_endpoint || ! wait_for 30 sink_port; then
  fail "start the simulator and the SMTP server on the host" "$(cat "$SCRATCH/sim.out" "$SCRATCH/sink.out")"
  summary
  exit 1
fi
SIM="$(sim_endpoint)"
SMTP_PORT="$(sink_port)"
HTTP_PORT="$(node "$HERE/host/sim-ctl.mjs" free-port)"
note "simulator $SIM (pid $SIM_PID, demo account), SMTP $GW:$SMTP_PORT (pid $SINK_PID), /healthz port $HTTP_PORT"

CONFIG="$SCRATCH/config/config.yaml"
APPROVALS="$SCRATCH/config/approvals"
mkdir -p "$APPROVALS"
chmod 0755 "$SCRATCH/config" "$APPROVALS"
# write_config [EXTRA_SENSITIVE_PORT | invalid]: written in place (same inode),
# since a single-file bind mount keeps seeing the file it was started with.
write_config() {
  local ports="[22, 3389, 3306, 5432]" schedule='"*/2 * * * * *"'
  [ "${1:-}" = invalid ] && schedule='"every now and then"'
  [ -n "${1:-}" ] && [ "$1" != invalid ] && ports="[22, 3389, 3306, 5432, $1]"
  cat >"$CONFIG" <<YAML
# Written by test/container/run.sh.
database: /data/sgwatch.db
schedule: $schedule
targets:
  - label: ct-demo
    account: "123456789012"
    regions: [us-east-1]
    endpoint: $SIM
approvals:
  dir: /config/approvals
alerts:
  log:
    minSeverity: low
  email:
    host: $GW
    port: $SMTP_PORT
    user: $SMTP_USER
    passwordEnv: SGWATCH_SMTP_PASSWORD
    from: $SMTP_USER
    to: [ops@ct.example]
    minSeverity: low
  retry:
    baseDelay: 1s
severity:
  sensitivePorts: $ports
aws:
  maxAttempts: 1
  timeout: 5s
monitoring:
  blindAfterFailures: 2
http:
  port: $HTTP_PORT
YAML
  chmod 0644 "$CONFIG"
}
write_config
cat >"$APPROVALS/CHG-7.yaml" <<YAML
# A standing record, so the approvals mount is read like production's.
id: CHG-7
reason: Internal HTTPS to the app tier
approvedBy: alice
window: { from: "2026-01-01T00:00:00Z", until: "2099-01-01T00:00:00Z" }
standing: true
groupName: app
changes:
  - action: add
    direction: ingress
    protocol: tcp
    ports: 443
    source: 10.0.0.0/8
YAML
chmod 0644 "$APPROVALS/CHG-7.yaml"

# ---- run it as the README says ---------------------------------------------
# The README's flags, plus --network host (for /healthz on the host's
# loopback, as the README describes it) and the AWS keys the SDK's default
# chain reads (an instance or task role in production).
run_container() {
  pm run -d --name "$CTR" --network host \
    --read-only --tmpfs /tmp \
    -v "$VOLUME:/data" \
    -v "$CONFIG:/config/config.yaml:ro" \
    -v "$APPROVALS:/config/approvals:ro" \
    -e SGWATCH_SMTP_PASSWORD \
    -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY \
    "$IMAGE"
}
logs() { pm logs "$CTR" 2>&1; }
sg() { pm exec "$CTR" sgwatch "$@"; }
log_has() { logs | grep -q -- "$1"; }
log_count() { logs | grep -c -- "$1"; }

if ! run_container >"$SCRATCH/run.out" 2>&1; then
  fail "the container starts" "$(cat "$SCRATCH/run.out")"
  summary
  exit 1
fi

target_ok() {
  sg status --json | node -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const t = s.targets.find((x) => x.account === "123456789012" && x.region === "us-east-1");
    if (!t || t.lastPollStatus !== "ok" || t.blindSince) { console.log(JSON.stringify(t ?? s)); process.exit(1); }'
}
check "it polls: sgwatch status in the container shows the target ok" wait_for 60 target_ok

process_runs_as_node() {
  local uid
  uid="$(pm exec "$CTR" awk '/^Uid:/ {print $2, $3}' /proc/1/status)"
  echo "uid/euid of PID 1: $uid"
  [ "$uid" = "1000 1000" ]
}
check "the process runs as uid 1000 (node)" process_runs_as_node

database_private() {
  local mode
  mode="$(pm exec "$CTR" stat -c '%a %U:%G' /data/sgwatch.db)"
  echo "/data/sgwatch.db: $mode"
  [ "$mode" = "600 node:node" ]
}
check "/data/sgwatch.db is 0600 and owned by node" database_private

root_read_only_tmp_writable() {
  local out
  if out="$(pm exec "$CTR" sh -c 'touch /app/ct-probe' 2>&1)"; then
    echo "wrote /app/ct-probe: the root filesystem is writable"
    return 1
  fi
  case "$out" in *"Read-only file system"*) ;; *) echo "unexpected: $out"; return 1 ;; esac
  pm exec "$CTR" sh -c 'echo x >/tmp/ct-probe && rm /tmp/ct-probe'
}
check "the root filesystem is read-only and /tmp is writable" root_read_only_tmp_writable

healthcheck_healthy() { pm healthcheck run "$CTR"; }
healthz() { [ "$(node "$HERE/host/sim-ctl.mjs" http-status "http://127.0.0.1:$HTTP_PORT/healthz")" = "$1" ]; }
healthy_and_healthz_200() {
  healthcheck_healthy && healthz 200
}
check "the HEALTHCHECK says healthy and /healthz answers 200" wait_for 30 healthy_and_healthz_200

# ---- drift → log line and email ----------------------------------------------
# The drift mail's subject names the rule; a posture mail sent at the baseline must not count.
mail_about_ssh() { grep -l -s '^Subject:.*tcp/22 opened to the internet' "$SCRATCH/mail/"*.eml | head -1 | grep -q .; }
drift_alerted() {
  node "$HERE/host/sim-ctl.mjs" open-ssh "$SIM" || return 1
  wait_for 40 log_has '"event":"drift"' || { echo "no drift log line"; return 1; }
  logs | grep '"event":"drift"' | head -1 | cut -c1-300
  wait_for 40 mail_about_ssh || { echo "no email about tcp/22 opened to the internet in the SMTP server"; ls "$SCRATCH/mail"; return 1; }
  echo "email: $(grep -h -m1 '^Subject:.*tcp/22' "$SCRATCH/mail/"*.eml | head -1)"
}
check "an unapproved change in the simulator yields a drift log line and an email (SMTP AUTH with the env password)" drift_alerted

no_secret_in_logs() {
  local out
  out="$(logs)"
  if printf '%s' "$out" | grep -q -F -e "$SGWATCH_SMTP_PASSWORD" -e "$AWS_SECRET_ACCESS_KEY"; then
    echo "a secret appears in the container's output"
    return 1
  fi
  if grep -q -F -e "$SGWATCH_SMTP_PASSWORD" -e "$AWS_SECRET_ACCESS_KEY" "$SCRATCH/mail/"*.eml; then
    echo "a secret appears in an email"
    return 1
  fi
}
check "no secret (SMTP password, AWS secret key) in the container's output or the email" no_secret_in_logs

# ---- an injected fault → unhealthy, then healthy ------------------------------
health_exit() {
  local code=0
  sg status --health >/dev/null 2>&1 || code=$?
  [ "$code" = "$1" ]
}
healthcheck_unhealthy() { ! pm healthcheck run "$CTR"; }
fault_unhealthy_then_healthy() {
  node "$HERE/host/sim-ctl.mjs" fault "$SIM" auth-failure || return 1
  wait_for 40 health_exit 4 || { echo "status --health never exited 4"; return 1; }
  sg status --health 2>&1 | head -1
  healthcheck_unhealthy || { echo "the HEALTHCHECK still says healthy"; return 1; }
  echo "healthcheck: $(pm healthcheck run "$CTR" 2>&1 | head -1)"
  [ "$(node "$HERE/host/sim-ctl.mjs" http-status "http://127.0.0.1:$HTTP_PORT/healthz")" = 503 ] || { echo "/healthz is not 503 while blind"; return 1; }
  node "$HERE/host/sim-ctl.mjs" clear-faults "$SIM" >/dev/null || return 1
  wait_for 40 health_exit 0 || { echo "status --health did not recover"; return 1; }
  wait_for 30 healthy_and_healthz_200 || { echo "the HEALTHCHECK or /healthz did not recover"; return 1; }
}
check "an injected fault makes status --health exit 4 and the HEALTHCHECK unhealthy, then healthy after it clears" fault_unhealthy_then_healthy

# ---- SIGHUP -------------------------------------------------------------------
hup_reloads() {
  local before
  before="$(log_count '"event":"config-reloaded"')"
  write_config 8443
  pm kill -s HUP "$CTR" >/dev/null || return 1
  wait_for 20 eval '[ "$(log_count "\"event\":\"config-reloaded\"")" -gt '"$before"' ]'
}
check "SIGHUP reloads the config" hup_reloads

hup_invalid_keeps_old() {
  local cycles
  write_config invalid
  pm kill -s HUP "$CTR" >/dev/null || return 1
  wait_for 20 log_has '"event":"config-reload-failed"' || return 1
  logs | grep '"event":"config-reload-failed"' | tail -1 | cut -c1-300
  cycles="$(log_count '"event":"cycle"')"
  # Polling goes on with the old config: two more cycles after the failure.
  wait_for 30 eval '[ "$(log_count "\"event\":\"cycle\"")" -ge '"$((cycles + 2))"' ]' || return 1
  pm inspect --format '{{.State.Running}}' "$CTR" | grep -q true
}
check "SIGHUP with an invalid config keeps the old one while polling goes on" hup_invalid_keeps_old
write_config 8443

# ---- stop and restart ------------------------------------------------------------
stop_clean() {
  local t code
  t=$(date +%s)
  pm stop -t 10 "$CTR" >/dev/null || return 1
  echo "stopped in $(elapsed_since "$t")s"
  code="$(pm inspect --format '{{.State.ExitCode}}' "$CTR")"
  [ "$code" = 0 ] || { echo "exit code $code"; return 1; }
  # Within the 10 s grace: podman would have sent SIGKILL (exit 137) otherwise.
  [ "$(elapsed_since "$t")" -le 10 ] || return 1
  logs | grep '"event":"shutdown"' | grep -q '"reason":"SIGTERM"' || { echo "no shutdown line with reason SIGTERM"; return 1; }
}
check "podman stop -t 10 exits 0 within 10 s with the SIGTERM reason logged" stop_clean

restart_resumes() {
  pm rm "$CTR" >/dev/null || return 1
  run_container >/dev/null || return 1
  wait_for 60 log_has '"event":"poll-ok"' || return 1
  logs | grep '"event":"poll-ok"' | head -1 | grep -q '"baseline":false' || { echo "first poll after the restart: $(logs | grep '"event":"poll-ok"' | head -1 | cut -c1-200)"; return 1; }
  sg changes --since 1d --json | grep -q '0\.0\.0\.0/0' || { echo "the change from before the restart is gone"; return 1; }
}
check "a new container on the same volume resumes (baseline: false) with the history kept" restart_resumes
pm rm -f -t 10 "$CTR" >/dev/null 2>&1

# ---- deploy/compose.yaml -------------------------------------------------------------
# podman-compose runs the podman of PATH, which reads this run's private
# storage from CONTAINERS_CONF / CONTAINERS_STORAGE_CONF like pm does.
compose() {
  SGWATCH_IMAGE="$IMAGE" SGWATCH_CONFIG_FILE="$CONFIG" SGWATCH_APPROVALS_DIR="$APPROVALS" SGWATCH_CT_NETWORK="$TAG-net" \
    podman-compose -p "$COMPOSE_PROJECT" \
    -f "$REPO/deploy/compose.yaml" -f "$HERE/compose.override.yaml" "$@"
}
if command -v podman-compose >/dev/null 2>&1; then
  COMPOSE_USED=1
  compose_ctr() { pm ps -a --filter "label=io.podman.compose.project=$COMPOSE_PROJECT" --format '{{.Names}}' | head -1; }
  compose_polls() {
    local c
    c="$(compose_ctr)"
    [ -n "$c" ] && pm exec "$c" sgwatch status --health && pm healthcheck run "$c"
  }
  compose_up() {
    compose up -d >"$SCRATCH/compose.out" 2>&1 || { cat "$SCRATCH/compose.out"; return 1; }
    wait_for 60 compose_polls || return 1
    local c
    c="$(compose_ctr)"
    pm inspect --format 'read-only={{.HostConfig.ReadonlyRootfs}} restart={{.HostConfig.RestartPolicy.Name}}' "$c"
    pm inspect --format '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.RestartPolicy.Name}}' "$c" | grep -q '^true unless-stopped$'
  }
  check "deploy/compose.yaml (podman-compose): read-only, restart policy, polls and is healthy" compose_up
  compose down -v >/dev/null 2>&1
else
  fail "deploy/compose.yaml (podman-compose)" "podman-compose is not installed (apt-get install podman-compose)"
fi

# ---- deploy/kubernetes.yaml -----------------------------------------------------------
check "deploy/kubernetes.yaml is valid against the Kubernetes API schemas (offline)" node "$HERE/validate-kubernetes.mjs" "$REPO/deploy/kubernetes.yaml" "$SCRATCH/k8s"

echo "container: took $(elapsed_since "$T0")s; image $((IMAGE_BYTES / 1000000)) MB"
summary
[ "$FAILED" = 0 ]
