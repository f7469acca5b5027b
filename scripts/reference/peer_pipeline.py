#!/usr/bin/env python3
"""The naive peer for the cost bench (benches/peer.rs): the project's face models run the way a
Python developer would run them, with onnxruntime and OpenCV on ONE thread.

Per photo: decode (cv2.imdecode) -> detect (fr_detect on a 320x240 resize, score > 0.7, NMS
0.3) -> landmarks (fr_landmark on a 64x64 gray square crop) -> align (5 points, similarity
transform onto the ArcFace template, cv2.warpAffine 112x112) -> embed (mobilefacenet_b1) + liveness
(fr_liveness on the box x2.7, 128x128 BGR). A pair is two photos and their cosine.

Per video: cv2.VideoCapture reads every frame (grab), decodes the evenly spread ones it keeps
(retrieve), and runs detect -> landmarks -> liveness on each kept frame, then averages the spoof
scores.

Only the work inside the loop is timed (imports and model loading are reported apart, as the
product's warm server is measured without its model load). Prints one JSON object:
  {"onnxruntime", "opencv", "load_ms",
   "photo": {"pairs", "stages": {stage: {"cpu_ms", "wall_ms"}}, "total": {...}, "cosines": [...]},
   "video": {"runs", "frames", "stages": {...}, "total": {...}, "spoof": [...]}}
with totals per pair (per video run).

Usage: peer_pipeline.py MODELS_DIR PAIRS_FILE [VIDEO [RUNS [FRAMES]]]
  PAIRS_FILE: one "path_a<TAB>path_b" per line.
"""
import json
import os
import sys
import time

import cv2
import numpy as np
import onnxruntime as ort

ARCFACE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)


class Clock:
    """CPU (process) and wall time per stage, summed over calls."""

    def __init__(self):
        self.stages = {}

    def time(self, stage, f, *args):
        c, w = time.process_time(), time.perf_counter()
        out = f(*args)
        s = self.stages.setdefault(stage, {"cpu_ms": 0.0, "wall_ms": 0.0})
        s["cpu_ms"] += (time.process_time() - c) * 1e3
        s["wall_ms"] += (time.perf_counter() - w) * 1e3
        return out

    def per(self, n):
        stages = {k: {m: v / n for m, v in s.items()} for k, s in self.stages.items()}
        total = {m: sum(s[m] for s in stages.values()) for m in ("cpu_ms", "wall_ms")}
        return stages, total


class Peer:
    def __init__(self, models):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        load = lambda n: ort.InferenceSession(os.path.join(models, n + ".onnx"), opts, providers=["CPUExecutionProvider"])
        self.det, self.lm, self.feat, self.live = (load(n) for n in ("fr_detect", "fr_landmark", "mobilefacenet_b1", "fr_liveness"))

    @staticmethod
    def run(sess, x):
        return sess.run(None, {sess.get_inputs()[0].name: x})

    def detect(self, bgr):
        h, w = bgr.shape[:2]
        small = cv2.cvtColor(cv2.resize(bgr, (320, 240), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
        x = ((small.astype(np.float32) - 127.0) / 128.0).transpose(2, 0, 1)[None]
        scores, boxes = self.run(self.det, x)
        scores, boxes = scores[0, :, 1], boxes[0] * np.array([w, h, w, h], dtype=np.float32)
        keep = scores > 0.7
        scores, boxes = scores[keep], boxes[keep]
        rects = [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes]
        idx = cv2.dnn.NMSBoxes(rects, scores.tolist(), 0.7, 0.3)
        faces = [boxes[i] for i in np.array(idx).flatten()]
        faces = [b for b in faces if min(b[2] - b[0], b[3] - b[1]) >= 40.0]
        # The primary face: the largest.
        return max(faces, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), default=None)

    def landmarks(self, bgr, b):
        side = float(max(b[2] - b[0], b[3] - b[1]))
        x0, y0 = (b[0] + b[2]) / 2 - side / 2, (b[1] + b[3]) / 2 - side / 2
        k = 64.0 / side
        M = np.array([[k, 0, -x0 * k], [0, k, -y0 * k]], dtype=np.float32)
        crop = cv2.cvtColor(cv2.warpAffine(bgr, M, (64, 64)), cv2.COLOR_BGR2GRAY)
        out = self.run(self.lm, (crop.astype(np.float32) / 256.0)[None, None])[0].reshape(68, 2)
        return np.stack([x0 + out[:, 0] * side, y0 + out[:, 1] * side], 1)

    @staticmethod
    def align(bgr, pts):
        five = np.array([
            pts[[37, 38, 40, 41]].mean(0), pts[[43, 44, 46, 47]].mean(0), pts[30],
            pts[[48, 60]].mean(0), pts[[54, 64]].mean(0),
        ], dtype=np.float32)
        M, _ = cv2.estimateAffinePartial2D(five, ARCFACE, method=cv2.LMEDS)
        return cv2.warpAffine(bgr, M, (112, 112))

    def embed(self, face):
        rgb = cv2.cvtColor(face, cv2.COLOR_BGR2RGB)
        x = ((rgb.astype(np.float32) - 127.0) / 128.0).transpose(2, 0, 1)[None]
        e = self.run(self.feat, x)[0][0]
        return e / np.linalg.norm(e)

    def liveness(self, bgr, b):
        h, w = bgr.shape[:2]
        bw, bh = max(b[2] - b[0], 1.0), max(b[3] - b[1], 1.0)
        s = min(2.7, w / bw, h / bh)
        nw, nh = bw * s, bh * s
        x0 = min(max((b[0] + b[2]) / 2 - nw / 2, 0.0), max(w - nw, 0.0))
        y0 = min(max((b[1] + b[3]) / 2 - nh / 2, 0.0), max(h - nh, 0.0))
        crop = cv2.resize(bgr[int(y0):int(y0 + nh), int(x0):int(x0 + nw)], (128, 128))
        out = self.run(self.live, crop.astype(np.float32).transpose(2, 0, 1)[None])[0][0]
        p = np.exp(out - out.max())
        return float(1.0 - p[0] / p.sum())

    def photo(self, clock, data):
        bgr = clock.time("decode", lambda: cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))
        box = clock.time("detect", self.detect, bgr)
        if box is None:
            return None, None
        pts = clock.time("landmarks", self.landmarks, bgr, box)
        face = clock.time("align + embed", self.align, bgr, pts)
        emb = clock.time("align + embed", self.embed, face)
        spoof = clock.time("liveness", self.liveness, bgr, box)
        return emb, spoof

    def video(self, clock, path, frames):
        def read():
            cap = cv2.VideoCapture(path)
            n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            want = {round(i * (n - 1) / max(frames - 1, 1)) for i in range(frames)}
            kept = []
            for i in range(n):
                if not cap.grab():
                    break
                if i in want:
                    kept.append(cap.retrieve()[1])
            cap.release()
            return kept
        scores = []
        for bgr in clock.time("decode", read):
            box = clock.time("detect", self.detect, bgr)
            if box is None:
                continue
            clock.time("landmarks", self.landmarks, bgr, box)
            scores.append(clock.time("liveness", self.liveness, bgr, box))
        return float(np.mean(scores)) if scores else None


def main():
    cv2.setNumThreads(1)
    models, pairs_file = sys.argv[1], sys.argv[2]
    video = sys.argv[3] if len(sys.argv) > 3 else None
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    frames = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    t = time.perf_counter()
    peer = Peer(models)
    out = {
        "onnxruntime": ort.__version__,
        "opencv": cv2.__version__,
        "load_ms": (time.perf_counter() - t) * 1e3,
    }
    with open(pairs_file) as f:
        pairs = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    files = {p: open(p, "rb").read() for pair in pairs for p in pair}
    peer.photo(Clock(), files[pairs[0][0]])  # warm-up
    clock, cosines = Clock(), []
    for a, b in pairs:
        ea, _ = peer.photo(clock, files[a])
        eb, _ = peer.photo(clock, files[b])
        cosines.append(None if ea is None or eb is None else float(ea @ eb))
    stages, total = clock.per(len(pairs))
    out["photo"] = {"pairs": len(pairs), "stages": stages, "total": total, "cosines": cosines}
    if video:
        clock, spoof = Clock(), []
        for _ in range(runs):
            spoof.append(peer.video(clock, video, frames))
        stages, total = clock.per(runs)
        out["video"] = {"runs": runs, "frames": frames, "stages": stages, "total": total, "spoof": spoof}
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
