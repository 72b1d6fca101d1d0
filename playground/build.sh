#!/usr/bin/env bash
# Rebuilds the offline GraphiQL bundle embedded by playground.go:
#
#   ./playground/build.sh
#
# It installs the exact npm packages pinned in web/package-lock.json (npm ci)
# and bundles web/src/main.jsx with esbuild into dist/graphiql.js and
# dist/graphiql.css, plus dist/THIRD_PARTY_NOTICES.txt. The output is
# byte-for-byte reproducible; commit dist/ after running it.
#
# Needs node and npm (and the npm registry) only. Install scripts of the
# dependencies are not run: esbuild finds its binary in the platform package
# (@esbuild/<os>-<arch>) that npm installs as an optional dependency.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
web="$here/web"
dist="$here/dist"

cd "$web"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Build into a temporary directory first so that a failed build leaves the
# committed dist/ untouched. --keep-names keeps function names through
# minification: GraphiQL titles each icon (its SVG <title>, which screen
# readers read and browsers show on hover) after its component's name, which
# minified would give titles such as "e icon".
./node_modules/.bin/esbuild src/main.jsx \
  --bundle \
  --minify \
  --keep-names \
  --format=iife \
  --platform=browser \
  --target=es2020 \
  --jsx=automatic \
  --define:process.env.NODE_ENV='"production"' \
  --alias:graphql-ws=./src/graphql-ws-stub.js \
  --legal-comments=eof \
  --charset=ascii \
  --entry-names=graphiql \
  --outdir="$tmp/out" \
  --metafile="$tmp/meta.json" \
  --log-level=warning

node scripts/notices.mjs "$tmp/meta.json" "$tmp/out/THIRD_PARTY_NOTICES.txt"

mkdir -p "$dist"
rm -f "$dist"/graphiql.js "$dist"/graphiql.css "$dist"/THIRD_PARTY_NOTICES.txt
cp "$tmp/out/graphiql.js" "$tmp/out/graphiql.css" "$tmp/out/THIRD_PARTY_NOTICES.txt" "$dist/"

cd "$dist"
ls -l graphiql.js graphiql.css THIRD_PARTY_NOTICES.txt
sha256sum graphiql.js graphiql.css THIRD_PARTY_NOTICES.txt
