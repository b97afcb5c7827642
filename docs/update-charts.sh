#!/usr/bin/env bash
# Refreshes the chart images README.md and docs/guide.md show, from the shipped configs:
#   bash docs/update-charts.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo run --release --quiet -- report -o "$tmp" >/dev/null
for c in headline-cost-vs-reference inference-cost-vs-batch break-even-map; do
  cp "$tmp/$c.png" "docs/$c.png"
done
echo "docs/: headline-cost-vs-reference.png inference-cost-vs-batch.png break-even-map.png"
