"""Starting solution for re-optimize-sum: correct but slow. Make it fast.

conditional_prefix_sum(x) returns, for each position i, the sum of the elements x[j] with
j <= i whose number of positive elements strictly before them, #{k < j : x[k] > 0}, is odd.
"""
import time

import numpy as np


def conditional_prefix_sum(x: np.ndarray) -> np.ndarray:
    """x: 1-d np.int32 array. Returns a 1-d np.int64 array of the same length."""
    out = np.zeros(len(x), dtype=np.int64)
    positives_before = 0
    total = 0
    for i in range(len(x)):
        v = int(x[i])
        if positives_before % 2 == 1:
            total += v
        out[i] = total
        if v > 0:
            positives_before += 1
    return out


if __name__ == "__main__":
    # Quick self-check and timing on the scorer's input size.
    assert conditional_prefix_sum(np.array([1, 2, -3, 4, 5], dtype=np.int32)).tolist() == [0, 2, 2, 2, 7]
    x = np.random.default_rng(0).integers(-1000, 1001, size=5_000_000, dtype=np.int32)
    t0 = time.perf_counter()
    conditional_prefix_sum(x)
    print(f"runtime: {(time.perf_counter() - t0) * 1000:.1f} ms")
