#!/bin/sh
# docker-library's node entrypoint, to the letter of its logic: run the command with node when its
# first argument is an option (starts with "-"), is no command on PATH, or is a file that is not
# executable (`docker run node:26 app.js`); otherwise run it as given. The braces work around dash's
# `[ -f ... ] && ! [ -x ... ]` parsing (Debian bug 874264).
set -e

if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
