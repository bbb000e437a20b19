"""Rust's builder image keeps the properties its Dockerfiles rely on: rust:<minor>-slim-trixie, whether the
forge's stand-in (templates/rust/forge.py) or the official image. (Its distroless runtime is the shared
distroless cc, asserted in tests/test_forge.py.)"""

from __future__ import annotations

import subprocess
import uuid

import pytest

from dft import docker as d
from dft.languages import profile, resolve
from tests.forge.fidelity import CODENAME, env, run
from tests.forge.forge import image

pytestmark = pytest.mark.build

RUST = profile("rust")
RUST_TOOLS = ("cargo", "rustc", "rustdoc")


def rust_slim(minor: str) -> str:
    return resolve(image(RUST, "rust:"), RUST_VERSION=minor)


RUST_MINORS = [pytest.param(minor, marks=pytest.mark.images(rust_slim(minor))) for minor in RUST.versions["rust"]]


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_environment_matches_the_official_image(minor):
    environment = env(rust_slim(minor))
    assert environment["CARGO_HOME"] == "/usr/local/cargo"
    assert environment["RUSTUP_HOME"] == "/usr/local/rustup"
    assert environment["PATH"] == "/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    # The full release of the tag's minor: rust:1.97-slim-trixie says RUST_VERSION=1.97.<patch>.
    assert environment["RUST_VERSION"].startswith(f"{minor}.")


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_runs_cargo_rustc_and_rustdoc_from_cargo_home_at_its_release(minor):
    image = rust_slim(minor)
    release = env(image)["RUST_VERSION"]
    found = run(image, "sh", "-c", "for tool in " + " ".join(RUST_TOOLS) + "; do command -v $tool; done").split()
    assert found == [f"/usr/local/cargo/bin/{tool}" for tool in RUST_TOOLS]
    for tool in RUST_TOOLS:
        assert run(image, tool, "--version").startswith(f"{tool} {release} "), tool


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_cargo_home_is_writable_by_any_user(minor):
    # Upstream makes CARGO_HOME and RUSTUP_HOME world-writable (chmod -R a+w): a build stage running as
    # a non-root user still fills cargo's registry cache and `cargo install`s into /usr/local/cargo/bin.
    made = d.docker("run", "--rm", "--network=none", "--user=10001", rust_slim(minor), "sh", "-c",
                    "id -u; for dir in /usr/local/cargo /usr/local/cargo/bin /usr/local/rustup; "
                    'do touch "$dir/probe" && echo "$dir"; done').stdout
    assert made.split() == ["10001", "/usr/local/cargo", "/usr/local/cargo/bin", "/usr/local/rustup"]


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_is_debian_13_with_the_c_toolchain_and_trixie_sources_alone(minor):
    # gcc and libc6-dev (the linker rustc calls, glibc's static and shared libraries), ca-certificates;
    # apt sees the official image's trixie sources, whatever suite the forge took the toolchain from.
    image = rust_slim(minor)
    assert f"VERSION_CODENAME={CODENAME}" in run(image, "cat", "/etc/os-release")
    installed = run(image, "dpkg-query", "--showformat=${Package} ${db:Status-Status}\n", "--show",
                    "gcc", "libc6-dev", "ca-certificates").splitlines()
    assert sorted(installed) == ["ca-certificates installed", "gcc installed", "libc6-dev installed"]
    assert run(image, "ls", "/etc/apt/sources.list.d").split() == ["debian.sources"]
    assert run(image, "sh", "-c", "test -e /etc/apt/sources.list || echo absent").strip() == "absent"


HELLO_RS = 'fn main() {\n    println!("hello from {}", env!("CARGO_PKG_NAME"));\n}\n'
# A crate with one crates.io dependency, no lockfile: cargo resolves it from the sparse index
# (index.crates.io) and downloads it (static.crates.io).
ITOA_RS = 'fn main() {\n    println!("itoa says {}", itoa::Buffer::new().format(1234567));\n}\n'


def crate(directory, name: str, main: str, dependencies: str = "") -> None:
    (directory / "src").mkdir(parents=True)
    (directory / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2024"\n\n'
                                          f"[dependencies]\n{dependencies}")
    (directory / "src/main.rs").write_text(main)


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_builds_a_crate_with_a_crates_io_dependency(tmp_path, minor):
    # As a Dockerfile behind a TLS-intercepting proxy does: the ca_bundle secret (this machine's trust
    # store, which d.build hands to every build) is what cargo trusts, through CARGO_HTTP_CAINFO.
    crate(tmp_path, "itoa-probe", ITOA_RS, 'itoa = "1"\n')
    (tmp_path / "Dockerfile").write_text(
        f"FROM {rust_slim(minor)}\n"
        "WORKDIR /src\n"
        "COPY Cargo.toml ./\n"
        "COPY src/ src/\n"
        "RUN --mount=type=secret,id=ca_bundle \\\n"
        "    if [ -s /run/secrets/ca_bundle ]; then export CARGO_HTTP_CAINFO=/run/secrets/ca_bundle; fi; \\\n"
        "    cargo build --release && cp target/release/itoa-probe /usr/local/bin/\n"
    )
    tag = f"dft-test/forge-rust-crate-{minor}:1"
    d.build(tmp_path, tag)
    try:
        assert run(tag, "itoa-probe").strip() == "itoa says 1234567"
    finally:
        d.docker("rmi", tag, check=False)


@pytest.fixture(scope="module")
def rust_hello(tmp_path_factory):
    """Per minor, an image of the builder holding a hello world built both ways: /hello-static with
    +crt-static for the host's gnu target (what a scratch runtime needs: Debian has no musl std), and
    /hello-dynamic the default way. Removed at the end of the module."""
    built = {}

    def make(minor: str) -> str:
        if minor not in built:
            context = tmp_path_factory.mktemp(f"rust-hello-{minor}")
            crate(context, "hello", HELLO_RS)
            (context / "Dockerfile").write_text(
                f"FROM {rust_slim(minor)}\n"
                "WORKDIR /src\n"
                "COPY . .\n"
                'RUN target="$(uname -m)-unknown-linux-gnu"; \\\n'
                '    RUSTFLAGS="-C target-feature=+crt-static" cargo build --offline --release --target "$target" \\\n'
                '    && cp "target/$target/release/hello" /hello-static \\\n'
                "    && cargo build --offline --release && cp target/release/hello /hello-dynamic\n"
            )
            # A tag of this process's own: xdist may run this module on both workers, and each removes
            # its image when its share of the module ends.
            tag = f"dft-test/forge-rust-hello-{minor}:{uuid.uuid4().hex[:12]}"
            d.build(context, tag, "--network=none")
            built[minor] = tag
        return built[minor]

    yield make
    for tag in built.values():
        d.docker("rmi", tag, check=False)


def on_scratch(tmp_path, builder: str, binary: str, tag: str) -> subprocess.CompletedProcess:
    """Runs `binary` of the builder image alone on scratch."""
    (tmp_path / "Dockerfile").write_text(
        f'FROM scratch\nCOPY --from={builder} {binary} /hello\nENTRYPOINT ["/hello"]\n')
    d.build(tmp_path, tag)
    try:
        return d.docker("run", "--rm", "--network=none", tag, check=False)
    finally:
        d.docker("rmi", tag, check=False)


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_links_a_crt_static_binary_that_runs_on_scratch(tmp_path, rust_hello, minor):
    # The gnu target's +crt-static links glibc's libc.a (libc6-dev): no interpreter, no shared library.
    result = on_scratch(tmp_path, rust_hello(minor), "/hello-static", f"dft-test/forge-rust-static-{minor}:1")
    assert (result.returncode, result.stdout.strip()) == (0, "hello from hello"), result.stderr


@pytest.mark.parametrize("minor", RUST_MINORS)
def test_rust_slim_links_glibc_dynamically_by_default(tmp_path, rust_hello, minor):
    # As rustup's toolchain does: a default build copied into scratch finds no dynamic loader, so a
    # Dockerfile that forgets +crt-static for scratch fails here as it does for real.
    result = on_scratch(tmp_path, rust_hello(minor), "/hello-dynamic", f"dft-test/forge-rust-dynamic-{minor}:1")
    assert result.returncode != 0 and "no such file or directory" in result.stderr, (result.stdout, result.stderr)
