# shellcheck shell=bash
# Sourced by scripts/test and scripts/demo: brings what they need onto a fresh machine, once.
# State that outlives a run (the private engine, its images and caches, tools) lives in $DFT_HOME.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DFT_HOME=${DFT_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/dockerfile-templates}
ENGINE_DIR=$DFT_HOME/engine
ENGINE_SOCK=$ENGINE_DIR/docker.sock
# The engine DESIGN.md records as working here: Debian 13's Docker 26.1 (BuildKit, --link, heredocs).
ENGINE_SUITE=trixie
ENGINE_PACKAGES=(docker.io docker-cli docker-buildx containerd tini)
ACTIONLINT_VERSION=v1.7.12
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

engine_answers() { timeout 20 docker version --format '{{.Server.Version}}' 2>/dev/null; }

# Host commands the private engine or the forge need, each from the Debian package of its name; as root.
ensure_host_packages() {
  local missing=() cmd
  for cmd in "$@"; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
  [[ ${#missing[@]} -eq 0 ]] && return
  [[ $(id -u) -eq 0 ]] || die "${missing[*]} missing and installing needs root: run as root, or start Docker 25+ with registry access"
  command -v apt-get >/dev/null || die "${missing[*]} missing and there is no apt-get: start Docker 25+ with registry access"
  say "installing ${missing[*]} (apt-get)"
  if ! { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    die "apt-get could not install ${missing[*]}: are Debian's package mirrors in reach?"
  fi
}

# Debian 13's engine packages, downloaded with a private source list and unpacked into $ENGINE_DIR/root.
fetch_engine() {
  [[ -x $ENGINE_DIR/root/usr/sbin/dockerd ]] && return
  say "fetching Docker engine packages from Debian $ENGINE_SUITE: ${ENGINE_PACKAGES[*]}"
  local apt=$ENGINE_DIR/apt
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/debs"
  echo "deb http://deb.debian.org/debian $ENGINE_SUITE main" >"$apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache::Archives=$apt/archives" -o Debug::NoLocking=1
              -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq >/dev/null || die "apt-get update of Debian $ENGINE_SUITE failed: is deb.debian.org in reach?"
  (cd "$apt/debs" && apt-get "${opts[@]}" download -qq "${ENGINE_PACKAGES[@]}" >/dev/null) \
    || die "apt-get download of ${ENGINE_PACKAGES[*]} failed"
  rm -rf "$ENGINE_DIR/root.tmp" && mkdir -p "$ENGINE_DIR/root.tmp"
  for deb in "$apt"/debs/*.deb; do dpkg-deb -x "$deb" "$ENGINE_DIR/root.tmp"; done
  rm -rf "$ENGINE_DIR/root" && mv "$ENGINE_DIR/root.tmp" "$ENGINE_DIR/root"
}

# Uses the engine that answers; otherwise starts the private one and points docker at it.
ensure_engine() {
  local version
  if version=$(engine_answers) && [[ -n $version ]]; then
    docker buildx version >/dev/null 2>&1 || die "docker answers but has no buildx plugin: install docker-buildx"
    say "using the Docker engine that answers ($version)"
  else
    use_private_engine
    if ! version=$(engine_answers); then
      ensure_host_packages iptables runc
      fetch_engine
      start_engine
      version=$(engine_answers) || die "the private engine did not answer; see $ENGINE_DIR/dockerd.log"
    fi
    say "using the private Docker engine $version at $ENGINE_SOCK"
  fi
  [[ ${version%%.*} -ge 25 ]] || die "Docker $version is too old: the templates need 25 or newer (BuildKit, COPY --link, --start-interval)"
}

use_private_engine() {
  export DOCKER_HOST=unix://$ENGINE_SOCK
  export PATH=$ENGINE_DIR/root/usr/bin:$ENGINE_DIR/root/usr/sbin:$PATH
  # A private client config, so the buildx plugin is found without touching ~/.docker.
  export DOCKER_CONFIG=$ENGINE_DIR/client
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  ln -sf "$ENGINE_DIR/root/usr/libexec/docker/cli-plugins/docker-buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"
}

start_engine() {
  say "starting the private Docker engine (log: $ENGINE_DIR/dockerd.log)"
  mkdir -p "$ENGINE_DIR/data" "$ENGINE_DIR/exec"
  echo '{"storage-driver": "overlay2"}' >"$ENGINE_DIR/daemon.json"
  setsid nohup dockerd --config-file "$ENGINE_DIR/daemon.json" --data-root "$ENGINE_DIR/data" \
    --exec-root "$ENGINE_DIR/exec" --pidfile "$ENGINE_DIR/dockerd.pid" -H "$DOCKER_HOST" \
    >"$ENGINE_DIR/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 60); do
    engine_answers >/dev/null && return
    sleep 1
  done
  tail -n 20 "$ENGINE_DIR/dockerd.log" >&2
  die "the private Docker engine did not start within 60 s"
}

# Stand-ins for the base images when no container registry answers (tests/forge).
ensure_base_images() {
  local mode=${DFT_FORGE:-auto}
  if [[ $mode == always ]] || (cd "$ROOT" && python -m tests.forge needed); then
    ensure_host_packages debootstrap
    (cd "$ROOT" && python -m tests.forge always) || die "the base-image forge failed (see above)"
  fi
}
