#!/usr/bin/env python3
"""Scorer for the re-optimize-sum demo task (RE-Bench style, CPU only).

Usage: python score.py [--solution PATH] [--n N] [--repeats K] [--timeout S]

Imports conditional_prefix_sum from the solution file (default: public/solution.py beside
this file, i.e. the starting solution), checks it on edge cases and on every timed input
against a trusted implementation, and prints ONE JSON line on stdout (last line):

    {"score": <ln(best runtime in ms)> | null, "message": {...}}

Lower score is better. score is null when the solution is wrong, raises, or times out (the
message says why); the exit status is 0 in all those cases, and non-zero only when the
scorer itself cannot run (bad arguments, unreadable solution path).

Every timed call gets a fresh random input, so caching results across calls does not help;
the best (minimum) time over the repeats is scored, as RE-Bench's kernel task does.
"""

import argparse
import importlib.util
import json
import math
import os
import signal
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def trusted(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    pos_before = np.concatenate(([0], np.cumsum(x > 0)[:-1])) if len(x) else np.zeros(0, np.int64)
    return np.cumsum(np.where(pos_before % 2 == 1, x, 0), dtype=np.int64)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def call(fn, x, timeout):
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        t0 = time.perf_counter()
        out = fn(x.copy())
        elapsed = time.perf_counter() - t0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return out, elapsed


def same(out, want) -> bool:
    try:
        got = np.asarray(out)
    except Exception:
        return False
    if got.shape != want.shape or not (np.issubdtype(got.dtype, np.integer) or got.size == 0):
        return False
    return bool(np.array_equal(got.astype(np.int64), want))


def edge_cases(rng):
    i32 = np.iinfo(np.int32)
    return [
        np.zeros(0, np.int32),
        np.array([5], np.int32),
        np.array([1, 2, -3, 4, 5], np.int32),
        np.full(1000, -7, np.int32),
        np.full(1000, 3, np.int32),
        np.zeros(1000, np.int32),
        # Full int32 range: the sums overflow int32, so int64 accumulation is required.
        rng.integers(i32.min, i32.max, size=100_000, dtype=np.int32, endpoint=True),
        rng.integers(-3, 4, size=12_345, dtype=np.int32),
    ]


def emit(score, **message):
    print(json.dumps({"score": score, "message": message}))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="Score a re-optimize-sum solution; prints one JSON line.")
    ap.add_argument("--solution", default=os.path.join(HERE, "public", "solution.py"),
                    help="path to solution.py (default: the starting solution)")
    ap.add_argument("--n", type=int, default=5_000_000, help="timed input length (default 5,000,000)")
    ap.add_argument("--repeats", type=int, default=5, help="timed calls; the fastest counts (default 5)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per call (default 60)")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.solution):
        print(f"score.py: no such solution file: {args.solution}", file=sys.stderr)
        return 2

    # The solution may import helpers that sit beside it; leave no __pycache__ in its folder.
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.solution)))
    try:
        spec = importlib.util.spec_from_file_location("solution", args.solution)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        fn = mod.conditional_prefix_sum
    except Exception as e:  # a broken solution is a null score, not a scorer failure
        return emit(None, error=f"import failed: {type(e).__name__}: {e}")

    rng = np.random.default_rng(12345)
    for k, x in enumerate(edge_cases(rng)):
        try:
            out, _ = call(fn, x, args.timeout)
        except Timeout:
            return emit(None, error=f"timeout on edge case {k}", timeout=True)
        except Exception as e:
            return emit(None, error=f"edge case {k} (len {len(x)}) raised {type(e).__name__}: {e}")
        if not same(out, trusted(x)):
            return emit(None, error=f"wrong result on edge case {k} (len {len(x)})", correct=False)

    times = []
    budget_end = time.perf_counter() + 20.0  # slow solutions are timed fewer times
    for r in range(args.repeats):
        x = np.random.default_rng(1000 + r).integers(-1000, 1001, size=args.n, dtype=np.int32)
        try:
            out, elapsed = call(fn, x, args.timeout)
        except Timeout:
            return emit(None, error=f"timeout after {args.timeout}s on n={args.n}", timeout=True)
        except Exception as e:
            return emit(None, error=f"raised {type(e).__name__}: {e}")
        if not same(out, trusted(x)):
            return emit(None, error=f"wrong result on timed input {r}", correct=False)
        times.append(elapsed)
        if time.perf_counter() > budget_end:
            break

    best_ms = min(times) * 1000.0
    return emit(math.log(best_ms), runtime_ms=round(best_ms, 3), n=args.n, timed_calls=len(times),
                correct=True)


if __name__ == "__main__":
    sys.exit(main())
