# The one build definition: CI runs these targets, and so can you (Docker Buildx 0.20 or newer).
#   docker buildx bake test            the unit tests: the Dockerfile's `test` stage
#   docker buildx bake                 the image for this machine, loaded as my-service:dev
#   docker buildx bake release --push  linux/amd64 and linux/arm64, with SBOM and provenance
# Settings are variables, read from the environment: VERSION=1.2.3 docker buildx bake release --push.
# `docker buildx bake --print release` shows what a target resolves to.

# CI sets IMAGE to the repository it pushes to; by default the image is local, as compose.yaml names it.
variable "IMAGE" {
  description = "Image repository, without a tag"
  default     = "my-service"
}

variable "VERSION" {
  description = "The image's tag and its org.opencontainers.image.version label"
  default     = "dev"
}

variable "REVISION" {
  description = "The commit built: the revision label, and a second tag sha-<first 7 characters>"
  default     = ""
}

variable "CREATED" {
  description = "The created label, RFC 3339: CI gives the commit's time, so rebuilds agree"
  default     = ""
}

variable "SOURCE" {
  description = "The source label: the repository's URL"
  default     = ""
}

variable "CACHE" {
  description = "A registry reference for the build cache, e.g. <IMAGE>:buildcache (empty: none)"
  default     = ""
}

# Bake reads a file outside the project only with leave: CA_BUNDLE=/etc/ssl/corp.pem docker buildx bake
# --allow=fs.read=/etc/ssl/corp.pem
variable "CA_BUNDLE" {
  description = "A corporate CA bundle that downloads in the build trust, given as the secret ca_bundle"
  default     = ""
}

# What every target shares. An unset label variable leaves the Dockerfile's default in place.
target "_common" {
  context    = "."
  dockerfile = "Dockerfile"
  args = {
    IMAGE_VERSION  = VERSION
    IMAGE_REVISION = REVISION == "" ? null : REVISION
    IMAGE_CREATED  = CREATED == "" ? null : CREATED
    IMAGE_SOURCE   = SOURCE == "" ? null : SOURCE
  }
  cache-from = CACHE == "" ? [] : ["type=registry,ref=${CACHE}"]
  secret     = CA_BUNDLE == "" ? [] : ["id=ca_bundle,src=${CA_BUNDLE}"]
}

group "default" {
  targets = ["image"]
}

# The unit tests pass or the build fails; nothing is exported.
target "test" {
  inherits = ["_common"]
  target   = "test"
  output   = ["type=cacheonly"]
}

# The runtime image for this machine's platform, loaded into the local image store.
target "image" {
  inherits = ["_common"]
  tags     = ["${IMAGE}:${VERSION}"]
  output   = ["type=docker"]
}

# What CI publishes: both platforms (arm64 under emulation where the Dockerfile cannot cross-build),
# with an SBOM and the build's provenance attached, and the whole build cache written back.
target "release" {
  inherits  = ["_common"]
  platforms = ["linux/amd64", "linux/arm64"]
  tags      = REVISION == "" ? ["${IMAGE}:${VERSION}"] : ["${IMAGE}:${VERSION}", "${IMAGE}:sha-${substr(REVISION, 0, 7)}"]
  attest    = ["type=sbom", "type=provenance,mode=max"]
  cache-to  = CACHE == "" ? [] : ["type=registry,ref=${CACHE},mode=max"]
}
