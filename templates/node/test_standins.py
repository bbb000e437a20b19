"""Node.js's base images keep the properties its Dockerfiles rely on: node:<major>-trixie-slim and distroless
nodejs<major>, whether the forge's stand-ins (templates/node/forge.py) or the official images."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache

import pytest

from dft import docker as d
from dft.languages import profile, resolve
from templates.node.forge import bundled
from tests.forge.fidelity import CODENAME, SHELLS, VERSION, env, run
from tests.forge.forge import image
from tests.forge.standins import pins

pytestmark = pytest.mark.build

NODE = profile("node")
# Upstream's node images stopped shipping yarn 1 with Node 26; Node itself stopped bundling corepack with 25.
NODE_WITHOUT_YARN, NODE_WITHOUT_COREPACK = 26, 25


def node_slim(major: str) -> str:
    return resolve(image(NODE, "node:"), NODE_VERSION=major)


def distroless_nodejs(major: str) -> str:
    return resolve(image(NODE, "gcr.io/distroless/nodejs"), NODE_VERSION=major)


NODE_SLIM_MAJORS = [pytest.param(major, marks=pytest.mark.images(node_slim(major))) for major in NODE.versions["node"]]
DISTROLESS_NODEJS_MAJORS = [pytest.param(major, marks=pytest.mark.images(distroless_nodejs(major)))
                            for major in NODE.versions["node"]]


# The forge's pins (templates/node/forge.yml): each major's release, and the yarn 1 its images add.
FORGE = pins("node")


def forged(release: str) -> bool:
    """Whether an image's release is the one the forge carries for its major, not another (an official
    image of a newer patch release, where a registry is in reach)."""
    return release == FORGE["releases"].get(release.split(".")[0])


def release_bundles(image: str, package: str) -> str | None:
    """The version of `package` (npm, corepack) the image's Node.js release bundles, by the release's own
    changelog, which the official images carry at /usr/local/CHANGELOG.md as the stand-ins do."""
    return bundled(run(image, "cat", "/usr/local/CHANGELOG.md"), env(image)["NODE_VERSION"], package)


@cache
def files(image: str) -> dict:
    return d.image_files(image)


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_carries_its_release(major):
    image = node_slim(major)
    version = run(image, "node", "--version").strip()
    assert version.startswith(f"v{major}."), f"{image} runs node {version}"
    assert version == f"v{env(image)['NODE_VERSION']}", f"{image}: NODE_VERSION disagrees with {version}"
    assert f"VERSION_CODENAME={CODENAME}" in run(image, "cat", "/etc/os-release")


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_has_node_npm_and_npx_in_usr_local_bin(major):
    image = node_slim(major)
    found = run(image, "sh", "-c", "for c in node npm npx nodejs; do command -v $c; done").split()
    assert found == ["/usr/local/bin/node", "/usr/local/bin/npm", "/usr/local/bin/npx", "/usr/local/bin/nodejs"]
    links = run(image, "readlink", "/usr/local/bin/npm", "/usr/local/bin/npx", "/usr/local/bin/nodejs").split()
    assert links == ["../lib/node_modules/npm/bin/npm-cli.js", "../lib/node_modules/npm/bin/npx-cli.js",
                     "/usr/local/bin/node"]
    npm, npx = run(image, "npm", "--version").strip(), run(image, "npx", "--version").strip()
    assert npx == npm
    bundles = release_bundles(image, "npm")
    assert npm == bundles, f"{image} has npm {npm}, not the {bundles} its release bundles"


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_has_the_user_node_1000(major):
    image = node_slim(major)
    assert run(image, "getent", "passwd", "node").strip() == "node:x:1000:1000::/home/node:/bin/bash"
    assert run(image, "getent", "group", "node").strip().startswith("node:x:1000:")
    assert run(image, "stat", "-c", "%u:%g", "/home/node").strip() == "1000:1000"


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_runs_node_through_upstreams_entrypoint(major):
    image = node_slim(major)
    config = d.inspect(image)["Config"]
    assert config["Entrypoint"] == ["docker-entrypoint.sh"] and config["Cmd"] == ["node"]
    assert config["User"] in ("", "0", "root")
    assert env(image)["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    # The entrypoint puts node before a first argument that is an option, no command, or a file that is not
    # executable (`docker run node:<major> -p ...`, or `app.js`: the TLS checks below run a script so);
    # a command runs as given.
    started = d.docker("run", "--rm", "--network=none", image, "-p", "process.argv0 + ' ' + process.getuid()")
    assert started.stdout.strip() == "node 0"
    assert d.docker("run", "--rm", "--network=none", image, "id", "-un").stdout.strip() == "root"


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_has_the_package_managers_upstream_ships(major):
    # corepack where Node bundles it, yarn 1 in /opt where the image adds it: a Dockerfile that relies on
    # either fails on node:26 as it does for real.
    image = node_slim(major)
    corepack, yarn = int(major) < NODE_WITHOUT_COREPACK, int(major) < NODE_WITHOUT_YARN
    found = run(image, "sh", "-c", "for c in corepack yarn yarnpkg; do command -v $c || true; done").split()
    assert found == ["/usr/local/bin/corepack"] * corepack + ["/usr/local/bin/yarn", "/usr/local/bin/yarnpkg"] * yarn
    if corepack:
        assert run(image, "corepack", "--version").strip() == release_bundles(image, "corepack")
    if not yarn:
        assert "YARN_VERSION" not in env(image)
        return
    version = env(image)["YARN_VERSION"]
    assert run(image, "readlink", "/usr/local/bin/yarn").strip() == f"/opt/yarn-v{version}/bin/yarn"
    assert run(image, "yarn", "--version").strip() == version
    if forged(env(image)["NODE_VERSION"]):
        assert version == FORGE["yarn"]


@pytest.mark.parametrize("major", NODE_SLIM_MAJORS)
def test_node_slim_keeps_only_the_debian_packages_node_links(major):
    # Upstream purges what it installed but what /usr/local links: no ca-certificates (node has its own
    # roots), libatomic1 exactly where node links it (Node 25 and later).
    image = node_slim(major)
    script = ("ldd /usr/local/bin/node | grep -c libatomic || true; "
              "for p in libatomic1 ca-certificates curl; do dpkg-query -W -f '${db:Status-Abbrev}' $p 2>/dev/null "
              "| grep -q '^ii' && echo $p; done; true")
    linked, *installed = run(image, "sh", "-c", script).split()
    assert installed == (["libatomic1"] if linked == "1" else []), f"{image}: {installed} installed"


@pytest.mark.parametrize("major", DISTROLESS_NODEJS_MAJORS)
def test_distroless_nodejs_runs_node_as_nonroot(major):
    image = distroless_nodejs(major)
    config = d.inspect(image)["Config"]
    assert config["Entrypoint"] == ["/nodejs/bin/node"]
    assert config["User"].split(":")[0] in {"65532", "nonroot"}
    assert config["WorkingDir"] == "/home/nonroot"
    ran = d.docker("run", "--rm", "--network=none", image, "-p", "process.version + ' ' + process.getuid()")
    version, uid = ran.stdout.split()
    assert version.startswith(f"v{major}.") and uid == "65532"


@pytest.mark.parametrize("major", DISTROLESS_NODEJS_MAJORS)
def test_distroless_nodejs_has_node_alone(major):
    # distroless's own checks (nodejs/testdata check_npm, check_headers), and no shell.
    image = distroless_nodejs(major)
    present = files(image)
    assert present["/nodejs/bin/node"].mode & 0o111 and "/nodejs/LICENSE" in present
    tools = [path for path in present if re.search(r"/(npm|npx|corepack|yarn|yarnpkg|pnpm|node_modules)(/|$)", path)]
    assert not tools, f"{image} must have no package manager: {tools[:5]}"
    assert not [path for path in present if path.startswith("/nodejs/include")]
    assert not [path for path in SHELLS if path in present], f"{image} must have no shell"
    assert f'VERSION_ID="{VERSION}"' in d.read_file(image, "/etc/os-release")


# Where each runtime image has node (the profile's interpreter), and each image by runtime.
NODE_BINARY = {"slim": "/usr/local/bin/node", "distroless": "/nodejs/bin/node"}
NODE_IMAGE = {"slim": node_slim, "distroless": distroless_nodejs}
NODE_IMAGES = [pytest.param(runtime, major, marks=pytest.mark.images(NODE_IMAGE[runtime](major)),
                            id=f"{runtime}-{major}")
               for runtime in NODE_IMAGE for major in NODE.versions["node"]]


@pytest.mark.parametrize(("runtime", "major"), NODE_IMAGES)
def test_node_has_fetch_and_full_icu(runtime, major):
    assert NODE.data["interpreter"][runtime] == NODE_BINARY[runtime]
    script = "typeof fetch + ' ' + new Intl.DateTimeFormat('de', {month: 'long'}).format(new Date(0))"
    assert run(NODE_IMAGE[runtime](major), NODE_BINARY[runtime], "-p", script).strip() == "function Januar"


# Serves HTTPS on 127.0.0.1 with tls/cert.pem, self-signed, and fetches from itself: what node trusts
# decides whether the fetch succeeds.
TLS_CHECK = """
const fs = require("node:fs");
const https = require("node:https");
const options = {key: fs.readFileSync("/tls/key.pem"), cert: fs.readFileSync("/tls/cert.pem")};
const server = https.createServer(options, (request, response) => response.end("trusted"));
server.listen(0, "127.0.0.1", () => {
  fetch(`https://127.0.0.1:${server.address().port}/`)
    .then((response) => response.text(), (error) => `refused: ${error.cause?.code ?? error}`)
    .then((text) => { console.log(text); server.close(); });
});
"""


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    """A build context whose tls/ holds a self-signed certificate for 127.0.0.1, its key and TLS_CHECK."""
    if shutil.which("openssl") is None:
        pytest.fail("the TLS checks make their certificate with the host's openssl, which is missing")
    context = tmp_path_factory.mktemp("tls-context")
    tls = context / "tls"
    tls.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem")], check=True, capture_output=True)
    (tls / "check.js").write_text(TLS_CHECK)
    for path in tls.iterdir():
        path.chmod(0o644)  # the nonroot user reads them
    return context


def tls_check(context, base: str, tag: str, *node_options: str, environment: tuple[str, ...] = (),
              system_store: bool = False) -> str:
    """Runs TLS_CHECK with node in `base` (its own entrypoint), tls/ copied in; with `system_store`,
    the certificate replaces the image's CA bundle."""
    lines = [f"FROM {base}", "COPY tls/ /tls/"]
    if system_store:
        lines.append("COPY tls/cert.pem /etc/ssl/certs/ca-certificates.crt")
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    d.build(context, tag)
    try:
        options = [f"--env={item}" for item in environment]
        return d.docker("run", "--rm", "--network=none", *options, tag, *node_options, "/tls/check.js").stdout.strip()
    finally:
        d.docker("rmi", tag, check=False)


@pytest.mark.parametrize(("runtime", "major"), NODE_IMAGES)
def test_node_trusts_a_ca_given_by_node_extra_ca_certs(tls_context, runtime, major):
    # How npm, and node, take a corporate CA (the ca_bundle secret): refused without it, trusted with it.
    base, tag = NODE_IMAGE[runtime](major), f"dft-test/forge-tls-{runtime}-{major}:1"
    assert tls_check(tls_context, base, tag).startswith("refused: ")
    assert tls_check(tls_context, base, tag, environment=("NODE_EXTRA_CA_CERTS=/tls/cert.pem",)) == "trusted"


@pytest.mark.parametrize("major", DISTROLESS_NODEJS_MAJORS)
def test_distroless_nodejs_reads_the_system_ca_store_with_use_openssl_ca(tls_context, major):
    # distroless's CA bundle, which SSL_CERT_FILE names, is what node's OpenSSL store reads: node trusts
    # it with --use-openssl-ca (by default node trusts its own bundled roots alone).
    base, tag = distroless_nodejs(major), f"dft-test/forge-tls-system-{major}:1"
    assert env(base)["SSL_CERT_FILE"] == "/etc/ssl/certs/ca-certificates.crt"
    assert tls_check(tls_context, base, tag, system_store=True).startswith("refused: ")
    assert tls_check(tls_context, base, tag, "--use-openssl-ca", system_store=True) == "trusted"
