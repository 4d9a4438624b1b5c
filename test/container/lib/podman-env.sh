# Sourced by test/container/run.sh: a private podman for this run only.
# Everything podman writes (images, containers, volumes, locks, events, build
# scratch) lives under $SCRATCH, so the test touches nothing else on the
# machine and removing $SCRATCH after cleanup leaves no trace.
#
# Facts of the machine kind CI runs on (issue 13):
# - crun refuses to start containers ("cgroups in hybrid mode not supported"):
#   runc is used; PID 1 is not systemd, so cgroupfs.
# - root lacks CAP_SYS_RESOURCE and the hard nofile limit is below podman's
#   default ulimits, which then fail with "OCI permission denied": the defaults
#   are set to the hard limits of this shell, nproc at most 32768 (runc could
#   not set more here although the shell's hard limit read 96365; measured).
#   A --ulimit flag would replace the whole list, so it goes in containers.conf.

# setup_podman_env SCRATCH: writes the private configs and exports the
# variables every podman (and podman-compose) invocation of this run reads.
setup_podman_env() {
  local scratch="$1"
  local nofile nproc
  nofile="$(ulimit -Hn)"
  nproc="$(ulimit -Hu)"
  [ "$nofile" = unlimited ] && nofile=1048576
  [ "$nproc" = unlimited ] && nproc=1048576
  [ "$nproc" -gt 32768 ] && nproc=32768
  mkdir -p "$scratch/storage" "$scratch/run" "$scratch/tmp" "$scratch/libpod-tmp" "$scratch/net"
  cat >"$scratch/containers.conf" <<CONF
[containers]
log_driver = "k8s-file"
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$scratch/events.log"
tmp_dir = "$scratch/libpod-tmp"
lock_type = "file"
volume_path = "$scratch/storage/volumes"
[network]
network_config_dir = "$scratch/net"
CONF
  cat >"$scratch/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$scratch/storage"
runroot = "$scratch/run"
CONF
  export CONTAINERS_CONF="$scratch/containers.conf"
  export CONTAINERS_STORAGE_CONF="$scratch/storage.conf"
  # Buildah copies the build context and layers through TMPDIR (/var/tmp otherwise).
  export TMPDIR="$scratch/tmp"
}

# pm ARGS…: podman with this run's private storage, stated explicitly as well
# so no user or system storage.conf can redirect it.
pm() {
  podman --root "$SCRATCH/storage" --runroot "$SCRATCH/run" "$@"
}
