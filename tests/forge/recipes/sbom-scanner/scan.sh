#!/bin/sh
# BuildKit's SBOM scanner protocol, as docker/buildkit-syft-scanner keeps it: an SPDX document of the root
# at $BUILDKIT_SCAN_SOURCE, wrapped in an in-toto statement (BuildKit fills in the subject).
set -eu
syft scan --quiet --output "spdx-json=/tmp/sbom.json" "dir:$BUILDKIT_SCAN_SOURCE"
{
  printf '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","predicate":'
  cat /tmp/sbom.json
  printf '}'
} >"$BUILDKIT_SCAN_DESTINATION/sbom.spdx.json"
