#!/usr/bin/env python3
"""onnxruntime baseline for the engine benchmark (shared/face-engine/benches/engine.rs).

Loads the six faceplugin models with onnxruntime on ONE thread and times each model's inference
(median of N runs after warm-up) on inputs of the engine's fixed shapes. Inference time of these
CNNs does not depend on pixel values, so inputs are seeded random data. Prints one JSON object:
{"onnxruntime": version, "load_ms": total, "models": {name: median_ms}}.

Usage: ort_bench.py MODELS_DIR [N]
"""
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort

SHAPES = {
    "fr_detect": (1, 3, 240, 320),
    "fr_landmark": (1, 1, 64, 64),
    "mobilefacenet_b1": (1, 3, 112, 112),
    "fr_liveness": (1, 3, 128, 128),
    "fr_eye": (1, 1, 24, 24),
    "fr_pose": (1, 3, 224, 224),
}


def main():
    models = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    t0 = time.perf_counter()
    sessions = {
        name: ort.InferenceSession(os.path.join(models, name + ".onnx"), opts, providers=["CPUExecutionProvider"])
        for name in SHAPES
    }
    load_ms = (time.perf_counter() - t0) * 1e3
    rng = np.random.default_rng(0)
    result = {}
    for name, shape in SHAPES.items():
        s = sessions[name]
        feed = {s.get_inputs()[0].name: rng.standard_normal(shape).astype(np.float32)}
        for _ in range(3):
            s.run(None, feed)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            s.run(None, feed)
            times.append((time.perf_counter() - t) * 1e3)
        result[name] = float(np.median(times))
    print(json.dumps({"onnxruntime": ort.__version__, "load_ms": load_ms, "models": result}))


if __name__ == "__main__":
    main()
