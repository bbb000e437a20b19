# shellcheck shell=bash
# Sourced by scripts/test and scripts/demo: brings what they need onto a fresh machine, once.
# State that outlives a run (the private engine, its images and caches, tools) lives in $DFT_HOME.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export DFT_HOME=${DFT_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/dockerfile-templates}
ENGINE_DIR=$DFT_HOME/engine
ENGINE_SOCK=$ENGINE_DIR/docker.sock
# The private engines, best first. Debian 14's Docker 28 (BuildKit 0.2x) builds concurrently; Debian 13's
# Docker 26.1 (BuildKit 0.13) crashed the engine in walkProvenance on concurrent builds, so it is only
# the fallback, on one worker. Forky is a moving suite: what it serves must still meet ENGINE_FLOOR and
# run on this host's glibc, or the next suite is tried. DFT_ENGINE_SUITES="trixie" picks one.
read -ra ENGINE_SUITES <<<"${DFT_ENGINE_SUITES:-forky trixie}"
declare -A ENGINE_PACKAGES=(
  [forky]="docker.io docker-cli docker-buildx containerd tini-static"
  [trixie]="docker.io docker-cli docker-buildx containerd tini"
)
ENGINE_FLOOR=25         # BuildKit with COPY --link, heredocs and HEALTHCHECK --start-interval
CONCURRENT_FLOOR=28     # from here on, builds run on two workers
ACTIONLINT_VERSION=v1.7.12
# The release tests' builders: buildkitd from the BuildKit release the forge's Dockerfile frontend comes
# from (one pin, in tests/forge/frontend.py), and cosign, which signs offline with a local key.
BUILDKIT_VERSION=$(sed -n 's/^BUILDKIT_VERSION = "\(v[^"]*\)".*/\1/p' "$ROOT/tests/forge/frontend.py")
COSIGN_VERSION=v3.1.3
# Rootless BuildKit, as the generated GitLab CI runs it: buildkitd under rootlesskit, as this user.
ROOTLESSKIT_VERSION=v2.3.6
ROOTLESS_USER=dft-rootless
DISK_FLOOR_GB=20        # a cold run takes about 17 GB: stand-ins, build cache, test images kept to the end
export DOCKER_BUILDKIT=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

ensure_venv() {
  local stamp=$ROOT/.venv/.requirements.sha256 want
  want=$(sha256sum "$ROOT/tests/requirements.txt" | cut -d' ' -f1)
  if [[ ! -x $ROOT/.venv/bin/python || $(cat "$stamp" 2>/dev/null) != "$want" ]]; then
    say "installing the test dependencies into .venv (tests/requirements.txt)"
    command -v python3 >/dev/null || die "python3 is missing: install Python 3.10 or newer"
    python3 -m venv "$ROOT/.venv" || die "python3 -m venv failed: install the venv module (apt-get install python3-venv)"
    "$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/tests/requirements.txt" \
      || die "pip could not install tests/requirements.txt: is PyPI (or your PIP_INDEX_URL mirror) in reach?"
    echo "$want" >"$stamp"
  fi
  export PATH=$ROOT/.venv/bin:$DFT_HOME/bin:$PATH
}

ensure_actionlint() {
  [[ -x $DFT_HOME/bin/actionlint ]] && return
  command -v go >/dev/null || die "actionlint is built with Go, and go is missing: install Go 1.24 or newer"
  say "building actionlint $ACTIONLINT_VERSION from the Go module proxy"
  GOBIN=$DFT_HOME/bin go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" \
    || die "go install of actionlint failed: is the Go module proxy (or your GOPROXY) in reach?"
}

# Host commands the private engine or the forge need, each from the Debian package of its name (or of the
# name after `=`: qemu-aarch64-static=qemu-user-static); as root.
ensure_host_packages() {
  local missing=() cmd
  for cmd in "$@"; do command -v "${cmd%%=*}" >/dev/null || missing+=("${cmd#*=}"); done
  [[ ${#missing[@]} -eq 0 ]] && return
  [[ $(id -u) -eq 0 ]] || die "${missing[*]} missing and installing needs root: run as root, or start Docker 25+ with registry access"
  command -v apt-get >/dev/null || die "${missing[*]} missing and there is no apt-get: start Docker 25+ with registry access"
  say "installing ${missing[*]} (apt-get)"
  if ! { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    die "apt-get could not install ${missing[*]}: are Debian's package mirrors in reach?"
  fi
}

engine_version() { timeout 20 docker version --format '{{.Server.Version}}' 2>/dev/null; }

# A suite's engine packages, downloaded with a private source list and unpacked into $ENGINE_DIR/<suite>;
# fails (and says why) when they cannot be had or will not run on this host.
fetch_engine() {
  local suite=$1 dir=$ENGINE_DIR/$1 version
  if [[ -z ${ENGINE_PACKAGES[$suite]:-} ]]; then
    say "no engine package list for Debian $suite (known: ${!ENGINE_PACKAGES[*]})"
    return 1
  fi
  if [[ ! -x $dir/root/usr/sbin/dockerd ]]; then
    say "fetching Docker engine packages from Debian $suite: ${ENGINE_PACKAGES[$suite]}"
    local apt=$dir/apt
    mkdir -p "$apt/lists/partial" "$apt/archives/partial" && rm -rf "$apt/debs" && mkdir -p "$apt/debs"
    echo "deb http://deb.debian.org/debian $suite main" >"$apt/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
                -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives" -o Debug::NoLocking=1
                -o APT::Sandbox::User=root)
    # shellcheck disable=SC2086 # the package list is words
    if ! { apt-get "${opts[@]}" update -qq >/dev/null \
             && (cd "$apt/debs" && apt-get "${opts[@]}" download -qq ${ENGINE_PACKAGES[$suite]} >/dev/null); }; then
      say "Debian $suite's engine packages cannot be downloaded (is deb.debian.org in reach?)"
      return 1
    fi
    rm -rf "$dir/root.tmp" && mkdir -p "$dir/root.tmp"
    for deb in "$apt"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root.tmp"; done
    rm -rf "$dir/root" && mv "$dir/root.tmp" "$dir/root"
  fi
  # A newer upload may need a newer glibc than this host's, or fall below what the suite relies on.
  if ! version=$("$dir/root/usr/sbin/dockerd" --version 2>&1); then
    say "Debian $suite's dockerd does not run on this host: ${version##*$'\n'}"
    return 1
  fi
  version=${version#Docker version }
  if [[ ${version%%.*} -lt $ENGINE_FLOOR ]]; then
    say "Debian $suite's Docker ${version%%,*} is older than the floor, $ENGINE_FLOOR"
    return 1
  fi
}

# Uses the engine that answers; otherwise starts the best private one and points docker at it.
# Sets DFT_WORKERS=1 on an engine that cannot take concurrent builds.
ensure_engine() {
  local version suite
  if version=$(engine_version) && [[ -n $version ]]; then
    docker buildx version >/dev/null 2>&1 || die "docker answers but has no buildx plugin: install docker-buildx"
    say "using the Docker engine that answers ($version)"
  else
    local running
    running=$(cat "$ENGINE_DIR/suite" 2>/dev/null || true)
    if [[ -z $running ]] || ! { use_private_engine "$running" && version=$(engine_version); }; then
      ensure_host_packages iptables runc
      for suite in "${ENGINE_SUITES[@]}"; do
        fetch_engine "$suite" && start_engine "$suite" && break
        say "falling back from Debian $suite's engine"
      done
    fi
    use_private_engine "$(cat "$ENGINE_DIR/suite" 2>/dev/null)"
    version=$(engine_version) || die "no private engine started; see $ENGINE_DIR/*/dockerd.log"
    say "using the private Docker engine $version (Debian $(cat "$ENGINE_DIR/suite")) at $ENGINE_SOCK"
  fi
  [[ ${version%%.*} -ge $ENGINE_FLOOR ]] \
    || die "Docker $version is too old: the templates need $ENGINE_FLOOR or newer (BuildKit, COPY --link, --start-interval)"
  if [[ ${version%%.*} -lt $CONCURRENT_FLOOR ]]; then
    say "Docker $version: its BuildKit crashes on concurrent builds, so the tests run on one worker"
    export DFT_WORKERS=1
  fi
  check_disk
}

# A full disk fails a build deep inside a compiler or an unpack with no clear word: say it up front,
# for the engine's data on this machine (a remote engine's disk is not ours to measure).
check_disk() {
  local root free
  root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null) && [[ -d $root ]] || return 0
  free=$(df -P -BG "$root" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
  [[ -z $free || $free -ge $DISK_FLOOR_GB ]] \
    || die "only $free GB free under $root; builds need about $DISK_FLOOR_GB GB: free some (docker builder prune, docker image prune) or point DFT_HOME at a larger disk"
}

use_private_engine() {
  local root=$ENGINE_DIR/$1/root
  export DOCKER_HOST=unix://$ENGINE_SOCK
  export PATH=$root/usr/bin:$root/usr/sbin:$PATH
  # A private client config, so the buildx plugin is found without touching ~/.docker.
  export DOCKER_CONFIG=$ENGINE_DIR/client
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  ln -sfn "$root/usr/libexec/docker/cli-plugins/docker-buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"
}

# Each suite keeps its own data root: an engine never opens another version's store.
start_engine() {
  local suite=$1 dir=$ENGINE_DIR/$1
  say "starting Debian $suite's Docker engine (log: $dir/dockerd.log)"
  mkdir -p "$dir/data" "$dir/exec"
  echo '{"storage-driver": "overlay2"}' >"$dir/daemon.json"
  use_private_engine "$suite"
  setsid nohup dockerd --config-file "$dir/daemon.json" --data-root "$dir/data" \
    --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" -H "$DOCKER_HOST" \
    >"$dir/dockerd.log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 60); do
    if engine_version >/dev/null; then
      echo "$suite" >"$ENGINE_DIR/suite"
      return
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  tail -n 20 "$dir/dockerd.log" >&2
  say "Debian $suite's engine did not start"
  kill "$pid" 2>/dev/null || true
  return 1
}

# Stand-ins for the images given (and what they are built on) when no container registry answers
# (tests/forge); DFT_FORGE=always forges even with a registry in reach.
ensure_base_images() {
  (($#)) || return 0
  if (cd "$ROOT" && python -m tests.forge needed); then
    ensure_host_packages debootstrap
    (cd "$ROOT" && python -m tests.forge "$@") || die "the base-image forge failed (see above)"
  fi
}

# What the selected tests need from the host beside an engine and images (pytest.mark.host; dft.needs prints
# each as a `host NAME` line).
ensure_host_needs() {
  local need
  for need in "$@"; do
    case $need in
      registry) ensure_host_packages docker-registry ;;
      emulation) ensure_emulation ;;
      buildkit) ensure_host_packages runc && ensure_buildkit ;;
      cosign) ensure_cosign ;;
      rootless) ensure_buildkit && ensure_rootless ;;
      *) die "a test needs '$need' from the host, which scripts/lib/setup.sh cannot bring: add it to ensure_host_needs" ;;
    esac
  done
}

# arm64 programs run through qemu-user-static, which binfmt_misc hands them to (with the F flag, so that
# they run inside containers and chroots too): for arm64 images and debootstrap --arch=arm64.
ensure_emulation() {
  local binfmt=/proc/sys/fs/binfmt_misc conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  ensure_host_packages qemu-aarch64-static=qemu-user-static debootstrap
  if [[ ! -e $binfmt/register ]]; then
    [[ $(id -u) -eq 0 ]] || die "binfmt_misc is not mounted and mounting it needs root: run as root, or mount it (mount -t binfmt_misc binfmt_misc $binfmt)"
    mount -t binfmt_misc binfmt_misc "$binfmt" \
      || die "cannot mount binfmt_misc (an unprivileged container?): run the arm64 tests on a host or a privileged container"
  fi
  if [[ ! -e $binfmt/qemu-aarch64 ]]; then
    [[ -r $conf ]] || die "$conf is missing: reinstall qemu-user-static (apt-get install --reinstall qemu-user-static)"
    [[ $(id -u) -eq 0 ]] || die "qemu-aarch64 is not registered with binfmt_misc and registering needs root: run as root"
    say "registering qemu-aarch64 with binfmt_misc ($conf)"
    cat "$conf" >"$binfmt/register" \
      || die "binfmt_misc refused qemu-aarch64's entry ($conf): is another aarch64 entry registered? see $binfmt/"
  fi
  grep -qx enabled "$binfmt/qemu-aarch64" || die "qemu-aarch64 is registered but disabled: echo 1 >$binfmt/qemu-aarch64"
  grep -q '^flags:.*F' "$binfmt/qemu-aarch64" \
    || die "qemu-aarch64 is registered without the F flag, so containers cannot use it: echo -1 >$binfmt/qemu-aarch64, then run again"
}

# buildkitd (a builder of the tests' own, started empty) and buildctl, from the github.com/moby/buildkit
# module through the Go module proxy, as upstream builds them (static, its release's build tags).
ensure_buildkit() {
  local bin=$DFT_HOME/bin src
  [[ $("$bin/buildkitd" --version 2>/dev/null) == *" $BUILDKIT_VERSION"* ]] && return
  command -v go >/dev/null || die "buildkitd is built with Go, and go is missing: install Go 1.26.8 or newer"
  say "building buildkitd and buildctl $BUILDKIT_VERSION from the Go module proxy"
  # buildkit's go.mod has `exclude` directives, which `go install pkg@version` refuses: build inside the
  # module's own (checksum-verified) source, with upstream's build list.
  src=$(cd / && go mod download -json "github.com/moby/buildkit@$BUILDKIT_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [[ -d $src ]] || die "go mod download of github.com/moby/buildkit@$BUILDKIT_VERSION failed: is the Go module proxy (or your GOPROXY) in reach?"
  mkdir -p "$bin"
  (cd "$src" && CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -trimpath -buildvcs=false" go build \
      -tags "osusergo netgo static_build" -o "$bin/" \
      -ldflags "-s -w -X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION -X github.com/moby/buildkit/version.Package=github.com/moby/buildkit" \
      ./cmd/buildkitd ./cmd/buildctl) \
    || die "building buildkitd $BUILDKIT_VERSION failed (see above): it needs the Go its go.mod names, which GOTOOLCHAIN=auto fetches"
}

# cosign signs and verifies with a local key pair offline (keyless signing is the generated CI's business).
ensure_cosign() {
  local bin=$DFT_HOME/bin
  [[ $(go version -m "$bin/cosign" 2>/dev/null) == *$'\tmod\tgithub.com/sigstore/cosign/v3\t'"$COSIGN_VERSION"$'\t'* ]] && return
  command -v go >/dev/null || die "cosign is built with Go, and go is missing: install Go 1.26 or newer"
  say "building cosign $COSIGN_VERSION from the Go module proxy"
  GOBIN=$bin CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN_VERSION" \
    || die "go install of cosign $COSIGN_VERSION failed: is the Go module proxy (or your GOPROXY) in reach?"
}

# An unprivileged user with subordinate ids (newuidmap), and rootlesskit from the Go module proxy: what
# rootless BuildKit runs on.
ensure_rootless() {
  local bin=$DFT_HOME/bin
  ensure_host_packages newuidmap=uidmap
  if ! id "$ROOTLESS_USER" >/dev/null 2>&1; then
    [[ $(id -u) -eq 0 ]] || die "the rootless BuildKit test needs a user $ROOTLESS_USER, and adding one needs root: run as root"
    say "adding the user $ROOTLESS_USER, which runs rootless BuildKit in the tests"
    useradd --create-home --shell /usr/sbin/nologin "$ROOTLESS_USER" || die "useradd $ROOTLESS_USER failed"
  fi
  if ! grep -q "^$ROOTLESS_USER:" /etc/subuid || ! grep -q "^$ROOTLESS_USER:" /etc/subgid; then
    die "$ROOTLESS_USER has no subordinate ids: add '$ROOTLESS_USER:100000:65536' to /etc/subuid and /etc/subgid"
  fi
  [[ $(go version -m "$bin/rootlesskit" 2>/dev/null) == *$'\tmod\tgithub.com/rootless-containers/rootlesskit/v2\t'"$ROOTLESSKIT_VERSION"$'\t'* ]] && return
  command -v go >/dev/null || die "rootlesskit is built with Go, and go is missing: install Go 1.24 or newer"
  say "building rootlesskit $ROOTLESSKIT_VERSION from the Go module proxy"
  GOBIN=$bin CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "github.com/rootless-containers/rootlesskit/v2/cmd/rootlesskit@$ROOTLESSKIT_VERSION" \
    || die "go install of rootlesskit $ROOTLESSKIT_VERSION failed: is the Go module proxy (or your GOPROXY) in reach?"
}
