"""The harness keeps its own promises: the CA-leak search reads layers however the image store keeps
them, and xdist keeps a target's tests on one worker."""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest
import zstandard

from dft.docker import find_in_archive

pytestmark = pytest.mark.render
pytest_plugins = ["pytester"]

NEEDLE = b"MIIDdft-marker-line"
COMPRESSIONS = {
    "plain": lambda data: data,  # the classic store's `docker save`
    "gzip": gzip.compress,  # the containerd store's default, and OCI archives
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}


def tar_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def image_archive(tmp_path, layer: bytes, config: dict) -> str:
    """An OCI-layout archive as `docker save` writes it: blobs named by digest, one layer, a config."""
    path = tmp_path / "image.tar"
    path.write_bytes(tar_of({
        "oci-layout": b'{"imageLayoutVersion": "1.0.0"}',
        "blobs/sha256/layer": layer,
        "blobs/sha256/config": json.dumps(config).encode(),
    }))
    return path


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_ca_search_finds_a_file_in_a_compressed_layer(tmp_path, compression):
    layer = COMPRESSIONS[compression](tar_of({"etc/ok.txt": b"nothing", "app/leaked.pem": b"---\n" + NEEDLE + b"\n"}))
    found = find_in_archive(image_archive(tmp_path, layer, {"history": []}), NEEDLE)
    assert found == ["blobs/sha256/layer: /app/leaked.pem"], f"{compression}: {found}"


def test_ca_search_finds_the_secret_in_the_config_and_history(tmp_path):
    config = {"history": [{"created_by": f"RUN echo {NEEDLE.decode()} # buildkit"}]}
    found = find_in_archive(image_archive(tmp_path, gzip.compress(tar_of({"a": b"b"})), config), NEEDLE)
    assert found == ["blobs/sha256/config"], found


def test_ca_search_finds_nothing_in_a_clean_image(tmp_path):
    layer = gzip.compress(tar_of({"etc/ssl/certs/ca-certificates.crt": b"public CAs only"}))
    assert find_in_archive(image_archive(tmp_path, layer, {"history": []}), NEEDLE) == []


def test_xdist_keeps_a_group_on_one_worker(pytester):
    # Each target's tests must share a worker, or its image and first build are made twice, at once.
    pytester.makepyfile("""
        import os, pytest

        @pytest.mark.xdist_group("one-target")
        @pytest.mark.parametrize("n", range(6))
        def test_where(n, tmp_path_factory):
            (tmp_path_factory.getbasetemp().parent.parent / f"ran-{n}").write_text(os.environ["PYTEST_XDIST_WORKER"])
    """)
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    workers = {p.read_text() for p in pytester.path.parent.glob("**/ran-*")}
    assert len(workers) == 1, f"one group ran on {sorted(workers)}"
