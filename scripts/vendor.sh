#!/usr/bin/env bash
# Refresh the browser code kassa serves from its binary (web/static/vendor)
# from npm, at the exact versions pinned below. Nothing is loaded from a CDN
# at run time: `make vendor` is the only time npm is asked, and its output is
# committed. Each file keeps its licence next to it in LICENSES/.
#
# To upgrade: change a version here, run `make vendor`, look at the diff,
# try the dashboard and /graphiql, commit.
set -euo pipefail

cd "$(dirname "$0")/.."
out=web/static/vendor

# package@version  file-in-package  vendored-name
pins=(
  "htm@3.1.1        preact/standalone.module.js     preact-htm.js"
  "graphql-ws@6.4.2 umd/graphql-ws.min.js           graphql-ws.js"
  "uplot@1.6.32     dist/uPlot.esm.js               uplot.js"
  "uplot@1.6.32     dist/uPlot.min.css              uplot.css"
  "qrcode-generator@2.0.4 dist/qrcode.mjs           qrcode.js"
  "react@18.3.1     umd/react.production.min.js     react.js"
  "react-dom@18.3.1 umd/react-dom.production.min.js react-dom.js"
  "graphiql@3.8.3   graphiql.min.js                 graphiql.js"
  "graphiql@3.8.3   graphiql.min.css                graphiql.css"
)
# Licences of code bundled inside a vendored file (htm's standalone build
# carries Preact).
bundled=("preact@10.9.0")

command -v npm >/dev/null || { echo "vendor: npm is needed (apt-get install npm)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() { # package@version -> directory with the unpacked package
  local spec=$1 dir="$tmp/${1//[@\/]/_}"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  fi
  echo "$dir/package"
}

licence() { # package@version -> LICENSES/<name>.txt
  local spec=$1 pkg name f
  pkg=$(fetch "$spec"); name=${spec%@*}
  f=$(ls "$pkg" | grep -iE '^(licen[cs]e|copying)' | head -1 || true)
  if [ -n "$f" ]; then
    cp "$pkg/$f" "$out/LICENSES/$name.txt"
  else # some packages name their licence only in package.json
    printf '%s is licensed under %s (see its package.json; no licence file is published).\n' \
      "$spec" "$(node -p "require('$pkg/package.json').license")" >"$out/LICENSES/$name.txt"
  fi
}

rm -rf "$out"
mkdir -p "$out/LICENSES"
{
  echo "# Browser code vendored by scripts/vendor.sh (make vendor). Do not edit by hand."
  echo "# file	package@version	path in package	sha256"
} >"$out/VERSIONS"
for line in "${pins[@]}"; do
  read -r spec path name <<<"$line"
  pkg=$(fetch "$spec")
  cp "$pkg/$path" "$out/$name"
  # Source maps are not shipped; drop the comment that asks for them.
  sed -i -E '/^\/\/# sourceMappingURL=.*$/d; s#/\*\# sourceMappingURL=[^*]*\*/##' "$out/$name"
  printf '%s\t%s\t%s\t%s\n' "$name" "$spec" "$path" "$(sha256sum "$out/$name" | cut -d' ' -f1)" >>"$out/VERSIONS"
  licence "$spec"
done
for spec in "${bundled[@]}"; do licence "$spec"; done
echo "vendor: $(ls "$out" | grep -vc -e LICENSES -e VERSIONS) files in $out"
