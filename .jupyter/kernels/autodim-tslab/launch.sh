#!/usr/bin/env bash
# tslab roots TypeScript at its working directory: start it at the repo root, so notebooks
# import ./src/... whatever directory Jupyter was started from. Node gets the flags training
# wants (bin/node-flags.js: they only take effect at start).
set -e
connection="$(realpath "$1")"
cd "$(dirname "$0")/../../.."
flags="$(node --input-type=module -e 'const m = await import("./bin/node-flags.js"); console.log(m.NODE_FLAGS.join(" "))')"
# shellcheck disable=SC2086 # the flags are words
exec node $flags node_modules/tslab/bin/tslab kernel --config-path "$connection"
