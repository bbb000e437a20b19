"""Java's runtime image keeps the properties its Dockerfiles rely on: distroless java<major>, whether the
forge's stand-in (templates/java/forge.py) or the official image."""

from __future__ import annotations

import pytest

from dft import docker as d
from dft.languages import profile, resolve
from templates.java.forge import upstream
from tests.forge.fidelity import SHELLS, env, run
from tests.forge.forge import host_architecture, image
from tests.forge.standins import pins

pytestmark = pytest.mark.build

JAVA = profile("java")
# Debian's name for the machine's architecture, which Adoptium's JRE path carries.
DEBIAN_ARCH = host_architecture()


def distroless_java(major: str) -> str:
    return resolve(image(JAVA, "gcr.io/distroless/java"), JAVA_VERSION=major)


JAVA_MAJORS = [pytest.param(major, marks=pytest.mark.images(distroless_java(major))) for major in JAVA.versions["java"]]


def temurin_jre(major: str) -> str:
    """Where distroless's java<major> image has its JRE: Adoptium's temurin-<major>-jre package's path."""
    return f"/usr/lib/jvm/temurin-{major}-jre-{DEBIAN_ARCH}"


@pytest.mark.parametrize("major", JAVA_MAJORS)
def test_distroless_java_runs_java_jar_as_nonroot_with_its_release_in_java_version(major):
    # Upstream: ENTRYPOINT ["/usr/bin/java", "-jar"], ENV JAVA_VERSION the JRE's release, LANG C.UTF-8.
    image = distroless_java(major)
    config = d.inspect(image)["Config"]
    assert config["Entrypoint"] == ["/usr/bin/java", "-jar"]
    assert config["User"].split(":")[0] in {"65532", "nonroot"}
    environment = env(image)
    # The release of the Debian build the forge carries (templates/java/forge.yml).
    assert environment["JAVA_VERSION"] == upstream(pins("java")["releases"][major])
    assert environment["LANG"] == "C.UTF-8"
    version = d.docker("run", "--rm", "--network=none", "--entrypoint", "/usr/bin/java", image, "-version").stderr
    assert f'openjdk version "{environment["JAVA_VERSION"]}"' in version


@pytest.mark.parametrize("major", JAVA_MAJORS)
def test_distroless_java_has_the_jre_at_temurins_path_and_no_shell_or_compiler(major):
    files = d.image_files(distroless_java(major))
    jre = temurin_jre(major)
    for path in (f"{jre}/bin/java", f"{jre}/lib/modules", f"{jre}/lib/jspawnhelper"):
        assert path in files, f"java{major}: no {path}"
    assert files["/usr/bin/java"].linkname == f"{jre}/bin/java"
    assert not [p for p in SHELLS if p in files], f"java{major}: a shell"
    assert f"{jre}/bin/javac" not in files and f"{jre}/bin/jlink" not in files, f"java{major}: a JDK tool"


@pytest.mark.parametrize("major", JAVA_MAJORS)
def test_distroless_java_trusts_the_ca_bundle_through_its_java_keystore(major):
    # The JRE's lib/security/cacerts and Adoptium's path both link to /etc/ssl/certs/java/cacerts, a
    # keystore of the image's CA bundle: java trusts what the system trusts.
    image = distroless_java(major)
    jre = temurin_jre(major)
    files = d.image_files(image)
    for link in (f"{jre}/lib/security/cacerts", "/etc/ssl/certs/adoptium/cacerts"):
        assert files[link].linkname == "/etc/ssl/certs/java/cacerts", link
    listed = run(image, f"{jre}/bin/keytool", "-list", "-cacerts", "-storepass", "changeit")
    assert listed.count("trustedCertEntry") >= 100, listed[-500:]


@pytest.mark.parametrize("major", JAVA_MAJORS)
def test_distroless_java_carries_the_jre_modules_and_their_class_data_sharing_archives(major):
    # Temurin's JRE, as OpenJDK's build makes it: every Java SE module, the JDK's runtime modules (the
    # HTTP server, JFR, the debugger agent), none of its tools (the compiler, jshell, javadoc, jlink);
    # the default CDS archives, which the runtime maps at start-up (-Xshare:on fails without them).
    image = distroless_java(major)
    modules = {line.split("@")[0] for line in run(image, "/usr/bin/java", "--list-modules").split()}
    assert {"java.se", "java.sql", "java.net.http", "jdk.httpserver", "jdk.jfr", "jdk.jdwp.agent"} <= modules, modules
    tools = {"jdk.compiler", "jdk.jshell", "jdk.javadoc", "jdk.jlink", "jdk.jdeps", "jdk.hotspot.agent"} & modules
    assert not tools, f"java{major}: the JDK's tool modules {sorted(tools)}"
    version = d.docker("run", "--rm", "--network=none", "--entrypoint", "/usr/bin/java", image,
                       "-Xshare:on", "-version")
    assert "sharing" in version.stderr, version.stderr
