#!/usr/bin/env python3
"""Independent reference for the face engine (onnxruntime + numpy + pillow).

Preprocessing follows the model notes (shared/models/README.md in the team's reference material)
and the coordinate convention documented in shared/face-engine/src/sampling.rs, written from scratch
in numpy so the Rust engine can be checked against it:

* coordinates are continuous "edge" coordinates: an image covers [0, W] x [0, H], pixel (i, j)
  has its centre at (i + .5, j + .5); every crop/resize/warp samples the source bilinearly at the
  image of each output pixel centre; samples outside [0, W] x [0, H] are black, samples within half
  a pixel of the border replicate the edge pixel.
* fr_detect: whole image -> 320x240, RGB, (x-127)/128; score index 1 > 0.7; hard NMS IoU 0.3;
  boxes with shorter side < 40 px dropped.
* fr_landmark: square (side = longer box side, same centre) -> 64x64 gray (BT.601) / 256.
* mobilefacenet_b1 (the embedding): 5 points (eyes from 37,38,40,41 / 43,44,46,47; nose 30; mouth corners (48+60)/2,
  (54+64)/2) -> Umeyama similarity onto the ArcFace template (+0.5 to edge coords), 112x112 RGB
  (x-127)/128, L2-normalised.
* fr_liveness: box x2.7 around its centre (factor reduced to fit, box shifted inside the image),
  128x128 BGR raw 0..255, softmax index 0 = live; spoof = 1 - p(live).

Usage: reference.py MODELS_DIR OUT.json IMAGE...

The engine's fixture was made (from the repository root, after scripts/fetch-fixtures.sh --reference) with
  .venv/bin/python scripts/reference/reference.py models shared/face-engine/tests/fixtures/reference.json \
      .cache/fixtures/t1.png .cache/fixtures/Tom_Hanks_54745.png .cache/fixtures/astronaut.png \
      .cache/fixtures/mask_*.jpg
(images are read with Pillow, no EXIF rotation; t1.png is t1.jpg decoded by Pillow, so both sides
see identical pixels.)
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

ARCFACE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


def warp(img, M, out_w, out_h):
    """img: HxWx3 float64; M: 2x3 map from output edge coords to source edge coords."""
    h, w = img.shape[:2]
    u, v = np.meshgrid(np.arange(out_w) + 0.5, np.arange(out_h) + 0.5)
    x = M[0, 0] * u + M[0, 1] * v + M[0, 2]
    y = M[1, 0] * u + M[1, 1] * v + M[1, 2]
    inside = (x >= 0) & (x <= w) & (y >= 0) & (y <= h)
    xi, yi = x - 0.5, y - 0.5
    x0, y0 = np.floor(xi), np.floor(yi)
    fx, fy = (xi - x0)[..., None], (yi - y0)[..., None]
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    xa, xb = np.clip(x0, 0, w - 1), np.clip(x0 + 1, 0, w - 1)
    ya, yb = np.clip(y0, 0, h - 1), np.clip(y0 + 1, 0, h - 1)
    top = img[ya, xa] * (1 - fx) + img[ya, xb] * fx
    bot = img[yb, xa] * (1 - fx) + img[yb, xb] * fx
    out = top * (1 - fy) + bot * fy
    out[~inside] = 0.0
    return out


def crop_map(x0, y0, cw, ch, out_w, out_h):
    return np.array([[cw / out_w, 0, x0], [0, ch / out_h, y0]], dtype=np.float64)


def gray(p):
    return p[..., 0] * 0.299 + p[..., 1] * 0.587 + p[..., 2] * 0.114


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def umeyama(src, dst):
    n = len(src)
    ms, md = src.mean(0), dst.mean(0)
    sc, dc = src - ms, dst - md
    cov = dc.T @ sc / n
    U, S, Vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        d[-1] = -1
    R = U @ np.diag(d) @ Vt
    scale = (S * d).sum() / ((sc ** 2).sum() / n)
    t = md - scale * R @ ms
    return scale, R, t


class Reference:
    def __init__(self, models):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        load = lambda n: ort.InferenceSession(os.path.join(models, n + ".onnx"), opts, providers=["CPUExecutionProvider"])
        self.det, self.lm, self.feat, self.live = (load(n) for n in ("fr_detect", "fr_landmark", "mobilefacenet_b1", "fr_liveness"))

    @staticmethod
    def run(sess, x):
        return sess.run(None, {sess.get_inputs()[0].name: x.astype(np.float32)})

    def detect(self, img):
        h, w = img.shape[:2]
        p = warp(img, crop_map(0, 0, w, h, 320, 240), 320, 240)
        x = ((p - 127.0) / 128.0).transpose(2, 0, 1)[None]
        scores, boxes = self.run(self.det, x)
        scores, boxes = scores[0], boxes[0]
        keep = scores[:, 1] > 0.7
        cand = [
            (float(s), [float(np.clip(b[0] * w, 0, w)), float(np.clip(b[1] * h, 0, h)), float(np.clip(b[2] * w, 0, w)), float(np.clip(b[3] * h, 0, h))])
            for s, b in zip(scores[keep, 1], boxes[keep])
        ]
        cand.sort(key=lambda c: -c[0])
        kept = []
        for s, b in cand:
            if all(iou(b, k[1]) <= 0.3 for k in kept):
                kept.append((s, b))
        return [(s, b) for s, b in kept if min(b[2] - b[0], b[3] - b[1]) >= 40.0]

    def landmarks(self, img, b):
        side = max(b[2] - b[0], b[3] - b[1])
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        x0, y0 = cx - side / 2, cy - side / 2
        p = gray(warp(img, crop_map(x0, y0, side, side, 64, 64), 64, 64)) / 256.0
        out = self.run(self.lm, p[None, None])[0].reshape(68, 2).astype(np.float64)
        return np.stack([x0 + out[:, 0] * side, y0 + out[:, 1] * side], 1)

    def embedding(self, img, pts):
        five = np.array([
            pts[[37, 38, 40, 41]].mean(0), pts[[43, 44, 46, 47]].mean(0), pts[30],
            pts[[48, 60]].mean(0), pts[[54, 64]].mean(0),
        ])
        scale, R, t = umeyama(five, ARCFACE + 0.5)
        Rinv = R.T / scale
        M = np.concatenate([Rinv, (-Rinv @ t)[:, None]], 1)
        p = warp(img, M, 112, 112)
        x = ((p - 127.0) / 128.0).transpose(2, 0, 1)[None]
        e = self.run(self.feat, x)[0][0].astype(np.float64)
        return e / np.linalg.norm(e), five

    def spoof(self, img, b):
        h, w = img.shape[:2]
        bw, bh = max(b[2] - b[0], 1.0), max(b[3] - b[1], 1.0)
        s = min(2.7, w / bw, h / bh)
        nw, nh = bw * s, bh * s
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        x0 = min(max(cx - nw / 2, 0.0), max(w - nw, 0.0))
        y0 = min(max(cy - nh / 2, 0.0), max(h - nh, 0.0))
        p = warp(img, crop_map(x0, y0, nw, nh, 128, 128), 128, 128)
        x = p[..., ::-1].transpose(2, 0, 1)[None]
        out = self.run(self.live, x)[0][0]
        return float(1.0 - softmax(out.astype(np.float64))[0])


def main():
    models, out_path, images = sys.argv[1], sys.argv[2], sys.argv[3:]
    ref = Reference(models)
    result = {
        "generator": "scripts/reference/reference.py",
        "onnxruntime": ort.__version__,
        "numpy": np.__version__,
        "images": {},
    }
    for path in images:
        img = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
        faces = []
        for score, box in ref.detect(img):
            pts = ref.landmarks(img, box)
            emb, five = ref.embedding(img, pts)
            faces.append({
                "bbox": [round(v, 3) for v in box],
                "score": round(score, 5),
                "five_points": [[round(float(v), 3) for v in p] for p in five],
                "spoof_score": round(ref.spoof(img, box), 5),
                "embedding": [round(float(v), 6) for v in emb],
            })
        result["images"][os.path.basename(path)] = {
            "width": int(img.shape[1]),
            "height": int(img.shape[0]),
            "faces": faces,
        }
        print(f"{os.path.basename(path)}: {len(faces)} face(s)", file=sys.stderr)
    with open(out_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
