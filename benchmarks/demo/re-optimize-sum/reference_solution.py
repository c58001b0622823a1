"""Reference (fast) solution for re-optimize-sum: vectorised with numpy.

Kept outside public/ so the agent does not see it. Scored with:
    .venv/bin/python benchmarks/demo/re-optimize-sum/score.py --solution benchmarks/demo/re-optimize-sum/reference_solution.py
"""
import numpy as np


def conditional_prefix_sum(x: np.ndarray) -> np.ndarray:
    pos = (x > 0).view(np.int8)
    # Parity of the number of positives strictly before each element.
    odd = np.cumsum(pos, dtype=np.int32)
    odd -= pos
    odd &= 1
    return np.cumsum(x * odd, dtype=np.int64)
