# Sourced by test/container/run.sh: one line per check, and bounded waits.

PASSED=0
FAILED=0

# filter_noise: drops podman's complaint that it cannot schedule the
# HEALTHCHECK through systemd (PID 1 is not systemd here); `podman
# healthcheck run` runs it on demand instead.
filter_noise() { grep -v 'unable to get systemd connection' || true; }

# note TEXT: progress, not a check.
note() { printf '  · %s\n' "$*"; }

# pass NAME [OUTPUT]: the last line of OUTPUT, if any, is shown as evidence.
pass() {
  PASSED=$((PASSED + 1))
  printf '  PASS %s\n' "$1"
  local last
  last="$(printf '%s\n' "${2:-}" | filter_noise | grep -v '^$' | tail -1 | cut -c1-160)"
  [ -n "$last" ] && printf '       %s\n' "$last"
  return 0
}

# fail NAME DETAIL…
fail() {
  FAILED=$((FAILED + 1))
  printf '  FAIL %s\n' "$1"
  shift
  local line
  # The detail is indented under its check; at most 15 lines of it.
  printf '%s\n' "$@" | filter_noise | head -15 | while IFS= read -r line; do printf '       %s\n' "$line"; done
}

# check NAME CMD…: passes when CMD exits 0; on failure prints CMD's output.
check() {
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then pass "$name" "$out"; else fail "$name" "$out"; fi
}

# wait_for SECONDS CMD…: runs CMD every half second until it exits 0, at most
# SECONDS long. A bound, not a timing assertion: it only stops a hung run.
wait_for() {
  local limit="$1" deadline
  shift
  deadline=$(($(date +%s) + limit))
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "not true within ${limit}s: $*"
      "$@" 2>&1 | tail -5
      return 1
    fi
    sleep 0.5
  done
}

# elapsed_since START_SECONDS: whole seconds since.
elapsed_since() { echo $(($(date +%s) - $1)); }
