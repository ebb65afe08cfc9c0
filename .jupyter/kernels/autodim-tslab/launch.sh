#!/usr/bin/env bash
# tslab roots TypeScript at its working directory: start it at the repo root, so notebooks
# import ./src/... whatever directory Jupyter was started from.
set -e
connection="$(realpath "$1")"
cd "$(dirname "$0")/../../.."
exec node node_modules/tslab/bin/tslab kernel --config-path "$connection"
