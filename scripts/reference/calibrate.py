#!/usr/bin/env python3
"""Fit the cosine -> score calibration of the face engine (shared/face-engine/src/calibration.rs).

Input: the JSON of `face-eval match --json` (the pairs of every `dev` row of the `single`
method, pooled: the shipped fit), of `face-eval report --json` (its verification.pairs), or any
JSON list of [is_genuine, cosine] pairs. Method: Platt scaling, i.e. a logistic
score = 1 / (1 + exp(-a (cos - c))) fitted by maximum likelihood with Platt's smoothed targets
(t+ = (N+ + 1) / (N+ + 2), t- = 1 / (N- + 2)), which keeps the fit finite when genuine and impostor
cosines do not overlap (the case on faces-deepface). Prints the constants and FMR/FNMR at 0.85.

Usage: calibrate.py PAIRS.json
"""
import json
import math
import sys

import numpy as np


def fit(cos, y):
    n_pos, n_neg = int(y.sum()), int((1 - y).sum())
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    # Newton's method on (w, b) for sigmoid(w * cos + b).
    w, b = 1.0, 0.0
    for _ in range(200):
        p = 1 / (1 + np.exp(-(w * cos + b)))
        g = np.array([((p - t) * cos).sum(), (p - t).sum()])
        s = p * (1 - p)
        H = np.array([[(s * cos * cos).sum(), (s * cos).sum()], [(s * cos).sum(), s.sum()]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(H, g)
        w, b = w - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return w, -b / w


def main():
    data = json.load(open(sys.argv[1]))
    if isinstance(data, dict) and "rows" in data:  # `face-eval match --json`
        rows = [r for r in data["rows"] if r["split"] == "dev" and r["method"] == "single"]
        data = [(p["genuine"], p["cosine"]) for r in rows for p in r["report"]["pairs"]]
    elif isinstance(data, dict):  # `face-eval report --json`
        data = [(p["genuine"], p["cosine"]) for p in data["verification"]["pairs"]]
    pairs = [(bool(g), c) for g, c in data if c is not None]
    y = np.array([1.0 if g else 0.0 for g, _ in pairs])
    cos = np.array([c for _, c in pairs])
    slope, mid = fit(cos, y)
    c85 = mid + math.log(0.85 / 0.15) / slope
    score = 1 / (1 + np.exp(-slope * (cos - mid)))
    gen, imp = score[y == 1], score[y == 0]
    print(f"pairs: {len(gen)} genuine, {len(imp)} impostor")
    print(f"SLOPE = {slope:.4f}, MIDPOINT = {mid:.4f}, cosine at 0.85 = {c85:.4f}")
    print(f"FMR at 0.85 = {(imp >= 0.85).mean():.4f} ({(imp >= 0.85).sum()}/{len(imp)}), "
          f"FNMR at 0.85 = {(gen < 0.85).mean():.4f} ({(gen < 0.85).sum()}/{len(gen)})")
    print(f"highest impostor cosine {cos[y == 0].max():.4f} -> score {imp.max():.4f}; "
          f"lowest genuine cosine {cos[y == 1].min():.4f} -> score {gen.min():.4f}")
    mi, si = cos[y == 0].mean(), cos[y == 0].std(ddof=1)
    z = (c85 - mi) / si
    print(f"impostor cosines mean {mi:.4f} sd {si:.4f}; 0.85 point is {z:.2f} sd above the impostor mean "
          f"(Gaussian tail FMR ~ {0.5 * math.erfc(z / math.sqrt(2)):.1e})")


if __name__ == "__main__":
    main()
