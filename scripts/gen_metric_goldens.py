#!/usr/bin/env python3
"""Generate tests/data/grade/metric_goldens.json: random metric cases scored by scikit-learn.

Usage (a throwaway venv is enough; nothing here is needed at run time):

    python3 -m venv /tmp/gradevenv && /tmp/gradevenv/bin/pip install scikit-learn pandas
    /tmp/gradevenv/bin/python scripts/gen_metric_goldens.py [--out FILE]

Every case holds the inputs and either `expected` (the reference value) or `error` (the
reference raised, or returned NaN, which the Rust port turns into an error). The Rust test
`tests/grade_metric_goldens.rs` recomputes each case natively and compares (1e-9 relative).

References:
- scikit-learn for every metric except MAP@k;
- MAP@k: MLE-bench's own `mlebench/metrics.py` (there is no sklearn MAP@k), re-stated below;
- log loss: MLE-bench-era scikit-learn clipped to [1e-15, 1 - 1e-15] and renormalised rows
  before taking logs; current scikit-learn does neither (it clips at machine epsilon), so the
  inputs get that preprocessing here and sklearn.metrics.log_loss does the rest;
- quadratic weighted kappa: sklearn returns NaN when undefined; recorded as an error.

Fixed seed: re-running with the same library versions reproduces the file byte for byte.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import warnings

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    f1_score,
    log_loss,
    matthews_corrcoef,
    mean_absolute_error,
    roc_auc_score,
    root_mean_squared_error,
    root_mean_squared_log_error,
)
from sklearn.preprocessing import MultiLabelBinarizer

SEED = 20240917
LOG_LOSS_EPS = 1e-15
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "tests", "data", "grade", "metric_goldens.json")
WORDS = ["cat", "dog", "emu", "fox", "gnu", "yak", "owl", "ant", "bee"]


# ------------------------------------------------------------------ references


def mlebench_apk(actual: set, predicted: list, k: int) -> float:
    # mlebench/metrics.py average_precision_at_k
    if len(predicted) > k:
        predicted = predicted[:k]
    score = 0.0
    num_hits = 0.0
    for i, p in enumerate(predicted):
        if p in actual and p not in predicted[:i]:
            num_hits += 1.0
            score += num_hits / (i + 1.0)
    if not actual:
        return 0.0
    return score / min(len(actual), k)


def mlebench_mapk(actual: list, predicted: list, k: int) -> float:
    return float(np.mean([mlebench_apk(a, p, k) for a, p in zip(actual, predicted)]))


def mlebench_log_loss(y_true: list, y_prob) -> float:
    p = np.asarray(y_prob, dtype=float)
    if p.ndim == 1:
        p = np.column_stack([1 - p, p])
        labels = None
    else:
        labels = list(range(p.shape[1]))
    p = np.clip(p, LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    p = p / p.sum(axis=1, keepdims=True)
    if labels is None:
        return log_loss(y_true, p)
    return log_loss(y_true, p, labels=labels)


def f1_micro_sets(y_true: list, y_pred: list) -> float:
    sets_true = [s.split() for s in y_true]
    sets_pred = [s.split() for s in y_pred]
    mlb = MultiLabelBinarizer()
    mlb.fit(sets_true + sets_pred)
    return f1_score(mlb.transform(sets_true), mlb.transform(sets_pred), average="micro")


# ------------------------------------------------------------------ case builders


def floats(xs) -> list:
    return [float(x) for x in xs]


def ints(xs) -> list:
    return [int(x) for x in xs]


def scores(rng, n: int, decimals) -> list:
    s = rng.random(n)
    if decimals is not None:
        s = np.round(s, decimals)  # coarse scores make many ties
    return floats(s)


def auc_cases(rng):
    cases = []
    pairs = [(0, 1), (0, 1), (0, 1), (-1, 1), (1, 2)]
    for i in range(40):
        n = int(rng.integers(2, 200))
        lo, hi = pairs[i % len(pairs)]
        y = rng.integers(0, 2, n)
        y[0], y[-1] = 0, 1  # both classes present
        y = np.where(y == 1, hi, lo)
        decimals = [None, 1, 2, 0][i % 4]
        s = scores(rng, n, decimals)
        if i % 10 == 7:  # informative scores: AUC well above 0.5
            s = floats(np.round(0.6 * (y == hi) + 0.7 * rng.random(n), 2))
        cases.append(("random-%d" % i, ints(y), s))
    cases.append(("perfect", [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]))
    cases.append(("reversed", [0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]))
    cases.append(("all-tied", [0, 1, 0, 1, 1], [0.5] * 5))
    cases.append(("one-pair", [1, 0], [0.3, 0.3]))
    cases.append(("single-class-zeros", [0, 0, 0], [0.1, 0.5, 0.9]))
    cases.append(("single-class-ones", [1, 1], [0.1, 0.5]))
    cases.append(("three-classes", [0, 1, 2, 1], [0.1, 0.5, 0.9, 0.4]))
    cases.append(("empty", [], []))
    return [case("roc_auc", name, y, s, lambda: roc_auc_score(y, s)) for name, y, s in cases]


def mean_column_auc_cases(rng):
    out = []
    for i in range(15):
        n = int(rng.integers(4, 120))
        c = int(rng.integers(1, 7))
        y = rng.integers(0, 2, (n, c))
        y[0, :], y[1, :] = 0, 1
        s = rng.random((n, c))
        if i % 3 == 1:
            s = np.round(s, 1)
        out.append(case("mean_column_roc_auc", "random-%d" % i, y.tolist(), s.tolist(),
                        lambda y=y, s=s: roc_auc_score(y, s, average="macro")))
    y = [[0, 1], [1, 1], [0, 1]]
    s = [[0.2, 0.3], [0.7, 0.1], [0.4, 0.5]]
    out.append(case("mean_column_roc_auc", "one-column-single-class", y, s,
                    lambda: roc_auc_score(np.array(y), np.array(s), average="macro")))
    return out


def labels(rng, n: int, k: int, text: bool) -> list:
    xs = rng.integers(0, k, n)
    return [WORDS[x] for x in xs] if text else ints(xs)


def noisy_copy(rng, y: list, k: int, text: bool, flip: float) -> list:
    out = list(y)
    for i in range(len(out)):
        if rng.random() < flip:
            x = int(rng.integers(0, k))
            out[i] = WORDS[x] if text else x
    return out


def accuracy_cases(rng):
    out = []
    for i in range(15):
        n = int(rng.integers(1, 150))
        k = int(rng.integers(2, 6))
        text = i % 3 == 2
        y = labels(rng, n, k, text)
        p = noisy_copy(rng, y, k, text, float(rng.random()))
        out.append(case("accuracy", "random-%d" % i, y, p, lambda y=y, p=p: accuracy_score(y, p)))
    out.append(case("accuracy", "empty", [], [], lambda: accuracy_score([], [])))
    return out


def prob_rows(rng, n: int, k: int, style: str) -> np.ndarray:
    p = rng.random((n, k))
    if style == "normalised":
        p = p / p.sum(axis=1, keepdims=True)
    elif style == "zeros":  # exact 0 and 1 entries exercise the clipping
        p = p / p.sum(axis=1, keepdims=True)
        p[0, :] = 0.0
        p[0, 0] = 1.0
        p[1, :] = 0.0
        p[1, -1] = 1.0
    elif style == "rounded":
        p = np.round(p / p.sum(axis=1, keepdims=True), 3)
    # "unnormalised": rows left as drawn, the metric renormalises them
    return p


def log_loss_cases(rng):
    out = []
    styles = ["normalised", "zeros", "rounded", "unnormalised"]
    for i in range(24):
        n = int(rng.integers(2, 120))
        k = int(rng.integers(2, 7))
        y = ints(rng.integers(0, k, n))
        p = prob_rows(rng, n, k, styles[i % 4])
        out.append(case("log_loss", "multiclass-%d" % i, y, p.tolist(),
                        lambda y=y, p=p: mlebench_log_loss(y, p)))
    for i in range(10):
        n = int(rng.integers(2, 120))
        y = rng.integers(0, 2, n)
        y[0], y[1] = 0, 1
        p = rng.random(n)
        if i % 3 == 0:
            p[0], p[1] = 1.0, 0.0  # confidently wrong on both rows: clipped at 1e-15
        out.append(case("binary_log_loss", "binary-%d" % i, ints(y), floats(p),
                        lambda y=y, p=p: mlebench_log_loss(list(y), p)))
    out.append(case("binary_log_loss", "single-class", [1, 1, 1], [0.2, 0.3, 0.9],
                    lambda: mlebench_log_loss([1, 1, 1], [0.2, 0.3, 0.9])))
    return out


def regression_cases(rng):
    out = []
    for name, fn in [("rmse", root_mean_squared_error), ("mae", mean_absolute_error),
                     ("rmsle", root_mean_squared_log_error)]:
        for i in range(15):
            n = int(rng.integers(1, 150))
            scale = [1.0, 100.0, 1e4][i % 3]
            y = rng.random(n) * scale
            p = y + rng.normal(0, 0.3 * scale, n)
            if name == "rmsle":
                p = np.maximum(p, -0.9)  # (-1, 0) is inside RMSLE's domain
            out.append(case(name, "random-%d" % i, floats(y), floats(p),
                            lambda y=y, p=p, fn=fn: fn(y, p)))
        out.append(case(name, "empty", [], [], lambda fn=fn: fn([], [])))
    out.append(case("rmsle", "prediction-at-minus-one", [1.0, 2.0], [0.5, -1.0],
                    lambda: root_mean_squared_log_error([1.0, 2.0], [0.5, -1.0])))
    out.append(case("rmsle", "truth-below-minus-one", [-2.0, 2.0], [0.5, 1.0],
                    lambda: root_mean_squared_log_error([-2.0, 2.0], [0.5, 1.0])))
    return out


def qwk_cases(rng):
    out = []
    for i in range(16):
        n = int(rng.integers(2, 150))
        y = labels(rng, n, 5, False)
        p = noisy_copy(rng, y, 5, False, float(rng.random()))
        if i % 4 == 3:  # sparse rating set: sklearn weights by label index, not value
            y = [2 * v for v in y]
            p = [2 * v for v in p]
        out.append(case("qwk", "random-%d" % i, y, p,
                        lambda y=y, p=p: cohen_kappa_score(y, p, weights="quadratic")))
    out.append(case("qwk", "single-label", [3, 3, 3], [3, 3, 3],
                    lambda: cohen_kappa_score([3, 3, 3], [3, 3, 3], weights="quadratic")))
    out.append(case("qwk", "constant-both-sides", [1, 1], [2, 2],
                    lambda: cohen_kappa_score([1, 1], [2, 2], weights="quadratic")))
    return out


def f1_cases(rng):
    out = []
    for i in range(15):
        n = int(rng.integers(1, 150))
        y = labels(rng, n, 2, False)
        p = noisy_copy(rng, y, 2, False, float(rng.random()))
        out.append(case("f1_binary", "random-%d" % i, y, p,
                        lambda y=y, p=p: f1_score(y, p, average="binary")))
    y, p = ["no", "yes", "yes", "no"], ["yes", "yes", "no", "no"]
    out.append(case("f1_binary", "text-pos-label", y, p,
                    lambda: f1_score(y, p, average="binary", pos_label="yes"), pos_label="yes"))
    out.append(case("f1_binary", "no-positives", [0, 0, 0], [0, 0, 0],
                    lambda: f1_score([0, 0, 0], [0, 0, 0], average="binary")))
    out.append(case("f1_binary", "no-true-positives", [0, 1, 0], [1, 0, 0],
                    lambda: f1_score([0, 1, 0], [1, 0, 0], average="binary")))
    out.append(case("f1_binary", "multiclass", [0, 1, 2], [0, 1, 1],
                    lambda: f1_score([0, 1, 2], [0, 1, 1], average="binary")))
    out.append(case("f1_binary", "pos-label-absent", [2, 3, 3], [2, 2, 3],
                    lambda: f1_score([2, 3, 3], [2, 2, 3], average="binary")))
    for i in range(15):
        n = int(rng.integers(1, 150))
        k = int(rng.integers(2, 7))
        text = i % 3 == 1
        y = labels(rng, n, k, text)
        p = noisy_copy(rng, y, k + 1, text, float(rng.random()))  # may predict unseen labels
        out.append(case("f1_macro", "random-%d" % i, y, p,
                        lambda y=y, p=p: f1_score(y, p, average="macro")))
    for i in range(10):
        n = int(rng.integers(1, 150))
        k = int(rng.integers(2, 7))
        y = labels(rng, n, k, i % 2 == 0)
        p = noisy_copy(rng, y, k, i % 2 == 0, float(rng.random()))
        out.append(case("f1_micro", "multiclass-%d" % i, y, p,
                        lambda y=y, p=p: f1_score(y, p, average="micro")))
    for i in range(10):
        n = int(rng.integers(1, 80))
        y = [label_set(rng) for _ in range(n)]
        p = [label_set(rng) if rng.random() < 0.5 else t for t in y]
        out.append(case("f1_micro_multilabel", "multilabel-%d" % i, y, p,
                        lambda y=y, p=p: f1_micro_sets(y, p)))
    out.append(case("f1_micro_multilabel", "all-empty", ["", ""], ["", ""],
                    lambda: f1_micro_sets(["", ""], ["", ""])))
    return out


def label_set(rng) -> str:
    size = int(rng.integers(0, 4))
    return " ".join(sorted(set(WORDS[int(x)] for x in rng.integers(0, 6, size))))


def map_cases(rng):
    out = []
    for i in range(15):
        n = int(rng.integers(1, 80))
        k = [1, 3, 5, 12][i % 4]
        actual, predicted = [], []
        for _ in range(n):
            a = sorted(set(WORDS[int(x)] for x in rng.integers(0, 9, int(rng.integers(0, 4)))))
            m = int(rng.integers(0, k + 3))  # sometimes more than k predictions
            p = [WORDS[int(x)] for x in rng.integers(0, 9, m)]  # duplicates happen
            actual.append(a)
            predicted.append(p)
        out.append(case("map_at_k", "random-%d" % i, actual, predicted,
                        lambda a=actual, p=predicted, k=k: mlebench_mapk([set(x) for x in a], p, k),
                        k=k))
    out.append(case("map_at_k", "empty", [], [], lambda: mlebench_mapk([], [], 5), k=5))
    return out


def mcc_cases(rng):
    out = []
    for i in range(16):
        n = int(rng.integers(1, 150))
        k = [2, 2, 3, 5][i % 4]
        text = i % 5 == 4
        y = labels(rng, n, k, text)
        p = noisy_copy(rng, y, k, text, float(rng.random()))
        out.append(case("mcc", "random-%d" % i, y, p, lambda y=y, p=p: matthews_corrcoef(y, p)))
    out.append(case("mcc", "constant-prediction", [0, 1, 1], [1, 1, 1],
                    lambda: matthews_corrcoef([0, 1, 1], [1, 1, 1])))
    return out


def case(metric: str, name: str, y_true, y_pred, compute, **params) -> dict:
    out = {"metric": metric, "name": name, "y_true": y_true, "y_pred": y_pred}
    out.update(params)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(compute())
    except ValueError as e:
        out["error"] = str(e).splitlines()[0]
        return out
    if math.isnan(value):
        out["error"] = "undefined (the reference returned NaN)"
    else:
        out["expected"] = value
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    cases = []
    for build in [auc_cases, mean_column_auc_cases, accuracy_cases, log_loss_cases,
                  regression_cases, qwk_cases, f1_cases, map_cases, mcc_cases]:
        cases.extend(build(rng))
    header = {
        "_note": "Generated by scripts/gen_metric_goldens.py; do not edit by hand.",
        "seed": SEED,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "log_loss_eps": LOG_LOSS_EPS,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    # One case per line keeps diffs of a regenerated file readable.
    with open(args.out, "w") as f:
        f.write(json.dumps(header, allow_nan=False)[:-1] + ', "cases": [\n')
        f.write(",\n".join(json.dumps(c, allow_nan=False) for c in cases))
        f.write("\n]}\n")
    errors = sum(1 for c in cases if "error" in c)
    print(f"wrote {len(cases)} cases ({errors} expected errors) to {args.out}")


if __name__ == "__main__":
    main()
