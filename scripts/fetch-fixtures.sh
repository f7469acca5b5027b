#!/usr/bin/env bash
# Fetch the face images the engine's tests use, from PyPI wheels (no other network needed):
#   insightface==2.1  -> insightface/data/images/{t1.jpg,Tom_Hanks_54745.png,mask_*.jpg}
#   scikit-image      -> skimage/data/astronaut.png
# plus t1.png, a lossless copy of t1.jpg as decoded by Pillow (see below).
# Images land in ${OZ_FIXTURES_DIR:-.cache/fixtures} (relative to the repo root). Idempotent: exits
# at once when every image is already there. The wheels are only downloaded (`--no-deps`), never
# installed; a venv at ${OZ_VENV:-.venv} provides pip (and the reference script's packages when
# called with --reference).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
dest="${OZ_FIXTURES_DIR:-.cache/fixtures}"
venv="${OZ_VENV:-.venv}"
want=(t1.jpg Tom_Hanks_54745.png mask_blue.jpg mask_green.jpg mask_white.jpg mask_black.jpg astronaut.png t1.png)
skimage_version="${OZ_SKIMAGE_VERSION:-0.24.0}"

have_all=1
for f in "${want[@]}"; do [[ -s "$dest/$f" ]] || have_all=0; done

ensure_venv() {
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
  fi
}

if [[ "${1:-}" == "--reference" ]]; then
  ensure_venv
  "$venv/bin/python" -c "import onnxruntime, numpy, PIL, cv2" 2>/dev/null ||
    "$venv/bin/pip" install --quiet -r "$repo/scripts/reference/requirements.txt"
fi

if [[ $have_all == 1 ]]; then
  echo "fixtures present in $dest"
  exit 0
fi

ensure_venv
mkdir -p "$dest"
wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT

# insightface 2.1 is only published as a wheel; scikit-image is pinned to a version with a
# manylinux wheel for common Pythons (the images are the same in every wheel).
"$venv/bin/pip" download --quiet --no-deps --only-binary=:all: --dest "$wheels" "insightface==2.1"
"$venv/bin/pip" download --quiet --no-deps --only-binary=:all: --dest "$wheels" \
  --platform manylinux2014_x86_64 --python-version 3.11 "scikit-image==$skimage_version"

"$venv/bin/python" -c "import PIL" 2>/dev/null || "$venv/bin/pip" install --quiet "pillow==13.0.0"

# t1.png: the group photo decoded once by Pillow and stored losslessly, so the reference check
# (scripts/reference/reference.py vs the Rust engine) compares preprocessing and models on
# identical pixels; two JPEG decoders differ by a level or two, which moves the liveness score.
"$venv/bin/python" - "$wheels" "$dest" <<'PY'
import glob, os, sys, zipfile
from PIL import Image
wheels, dest = sys.argv[1], sys.argv[2]
n = 0
for whl in glob.glob(os.path.join(wheels, "*.whl")):
    with zipfile.ZipFile(whl) as z:
        for name in z.namelist():
            if name.startswith("insightface/data/images/") and name.lower().endswith((".jpg", ".png")):
                out = os.path.basename(name)
            elif name == "skimage/data/astronaut.png":
                out = "astronaut.png"
            else:
                continue
            with z.open(name) as src, open(os.path.join(dest, out), "wb") as dst:
                dst.write(src.read())
            n += 1
Image.open(os.path.join(dest, "t1.jpg")).convert("RGB").save(os.path.join(dest, "t1.png"))
print(f"extracted {n} images into {dest} (+ t1.png)")
PY

for f in "${want[@]}"; do
  [[ -s "$dest/$f" ]] || { echo "missing $f after extraction" >&2; exit 1; }
done
