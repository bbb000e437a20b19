// The image's HEALTHCHECK probe, a module of its own: it builds with the standard library alone and
// stays out of the service's module (`./...` skips directories whose names start with a dot).
module healthprobe

go 1.27
