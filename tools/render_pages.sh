#!/usr/bin/env bash
# Look at the documentation pages without Quarto: process the notebooks as nbdev_docs does, render them to
# HTML with MathJax (tools/render_html.py), and take headless Chromium screenshots, cut into tiles of
# 1200x1800 pixels that an image viewer shows legibly.
#
# Usage: tools/render_pages.sh [OUT_DIR] [NOTEBOOK ...]     e.g. tools/render_pages.sh /tmp/pages index 02_families
# Output: OUT_DIR/NAME.html, OUT_DIR/shots/NAME.png (whole page), OUT_DIR/shots/NAME-01.png, -02.png, ... (tiles)
# Run it with the environment in which the package is installed active (python and its packages on PATH).
# Needs: chromium (apt-get install -y chromium); MathJax from libjs-mathjax when offline (else the CDN).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/poisson_irls_pages}; shift || true
mkdir -p "$out/shots"
python tools/render_html.py "$out" "$@"
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z $chrome ]]; then echo "no chromium: HTML pages are in $out, no screenshots"; exit 0; fi
marker="$out/shots/.started"; touch "$marker"
for page in "$out"/*.html; do
  name=$(basename "$page" .html)
  if [[ $# -gt 0 ]]; then
    keep=0; for n in "$@"; do [[ $name == "$n"* ]] && keep=1; done; [[ $keep == 1 ]] || continue
  fi
  profile=$(mktemp -d)
  "$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$profile" --allow-file-access-from-files \
    --hide-scrollbars --virtual-time-budget=20000 --window-size=1200,32000 \
    --screenshot="$out/shots/$name.png" "file://$page" >/dev/null 2>&1 || echo "chromium failed on $name"
  rm -rf "$profile"
done
# crop the blank bottom and cut each page into tiles
python - "$out/shots" "$marker" <<'PY'
import sys, glob, os, re
from PIL import Image, ImageChops
d, marker = sys.argv[1], os.path.getmtime(sys.argv[2])
for f in sorted(glob.glob(os.path.join(d, '*.png'))):
    if re.search(r'-\d\d\.png$', f) or os.path.getmtime(f) < marker: continue   # tiles, or not shot this time
    for old in glob.glob(f[:-4] + '-[0-9][0-9].png'): os.remove(old)
    im = Image.open(f).convert('RGB')
    bbox = ImageChops.difference(im, Image.new('RGB', im.size, (255, 255, 255))).getbbox()
    h = min(im.height, (bbox[3] + 20) if bbox else im.height)
    if bbox and bbox[3] >= im.height - 2: print(f'WARNING: {os.path.basename(f)} reaches the bottom of the window: page cut')
    im = im.crop((0, 0, im.width, h)); im.save(f)
    n = 0
    for top in range(0, h, 1800):
        n += 1; im.crop((0, top, im.width, min(h, top + 1800))).save(f'{f[:-4]}-{n:02d}.png')
    print(f'{os.path.basename(f)}: {im.width}x{h}, {n} tiles')
PY
echo "pages: $out/*.html; screenshots: $out/shots/"
