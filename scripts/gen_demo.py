#!/usr/bin/env python3
"""Generate the MLE-bench-style demo tasks under benchmarks/demo/.

Usage: .venv/bin/python scripts/gen_demo.py [--out DIR] [--check]

Writes, for each of demo-binary, demo-multiclass and demo-regression:

    <id>/prepared/public/{description.md,train.csv,test.csv,sample_submission.csv}
    <id>/prepared/private/answers.csv
    <id>/leaderboard.csv      (SIMULATED teams; MLE-bench header)
    <id>/README.md

Only numpy and the standard library are used, every random draw comes from a fixed seed and
every float is written with a fixed format, so re-running reproduces byte-identical files.
Hand-written files (reference_solution.py, the RE-style task, benchmarks/demo/README.md) are
not touched. The data come from known generative models, so the generator also knows the
best achievable ("Bayes") test score; the synthetic leaderboard is drawn between that and the
sample submission's score.

--check regenerates into a temporary directory and fails if any file differs from --out.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import filecmp
import io
import math
import os
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    sys.exit("gen_demo.py: numpy is missing; run it with the project venv: "
             "scripts/setup-python.sh && .venv/bin/python scripts/gen_demo.py")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "benchmarks", "demo")
LB_HEADER = ["scoreNullable", "teamId", "hasTeamName", "submissionDate", "score", "hasScore"]


# ---------------------------------------------------------------- metrics (numpy only)

def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC via the Mann-Whitney statistic with average ranks for ties (= sklearn's)."""
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), dtype=float)
    sp = p[order]
    i = 0
    while i < len(sp):
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def log_loss(onehot: np.ndarray, probs: np.ndarray) -> float:
    """Multi-class log loss as sklearn computes it: rows renormalised, clipped at 1e-15."""
    p = probs / probs.sum(axis=1, keepdims=True)
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-(onehot * np.log(p)).sum(axis=1).mean())


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y - pred) ** 2)))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------- writers

def csv_bytes(header, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write(path: str, data) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)


def f4(x) -> str:
    return f"{x:.4f}"


def split_ids(rng, n_train, n_test):
    """Kaggle-like ids: unique, shuffled, so train and test ids interleave."""
    ids = rng.permutation(n_train + n_test) + 1
    return ids[:n_train], ids[n_train:]


# ---------------------------------------------------------------- synthetic leaderboard

def leaderboard(rng, n_teams, best, baseline, higher_is_better, start):
    """Simulated Kaggle private leaderboard, best first.

    Team quality q is the fraction of the gap between the sample submission (q=0) and the best
    achievable score (q=1) a team closes: most teams are decent, some weak, a few submitted the
    sample file and a few did worse than it. Noise lets the luckiest teams pass the optimum
    slightly, as on a real finite test set.
    """
    u = rng.random(n_teams)
    q = np.where(u < 0.80, rng.beta(9.0, 1.6, n_teams),
                 np.where(u < 0.93, rng.uniform(0.2, 0.8, n_teams),
                          np.where(u < 0.97, 0.0, rng.uniform(-0.6, 0.0, n_teams))))
    gap = best - baseline
    noise = rng.normal(0.0, 0.012 * abs(gap), n_teams)
    scores = baseline + q * gap + np.where(q == 0.0, 0.0, noise)
    scores = np.round(scores, 5)
    order = np.argsort(-scores if higher_is_better else scores, kind="mergesort")
    team_ids = rng.choice(np.arange(1_000_000, 9_999_999), size=n_teams, replace=False)
    secs = rng.integers(0, 90 * 86400, size=n_teams)
    rows = []
    for k in order:
        s = f"{scores[k]:.5f}"
        date = (start + dt.timedelta(seconds=int(secs[k]))).strftime("%Y-%m-%d %H:%M:%S")
        rows.append([s, int(team_ids[k]), "True", date, s, "True"])
    return csv_bytes(LB_HEADER, rows)


# ---------------------------------------------------------------- text templates

SYNTHETIC_NOTE = (
    "This is a **synthetic demo competition** made for smoke-testing aide-fleet: the data are "
    "generated by `scripts/gen_demo.py` from a known model and the leaderboard teams are "
    "simulated, not real Kaggle entrants."
)


def task_readme(title, what, metric, direction, n_train, n_test, n_teams, best, baseline):
    return (
        f"# {title}\n\n"
        f"{what} Graded by **{metric}** ({direction} is better) on {n_test} held-out rows "
        f"(answers in `prepared/private/answers.csv`, which the agent never sees); "
        f"{n_train} training rows. Everything here is synthetic: the data come from a known "
        f"generative model in `scripts/gen_demo.py` (best achievable test score ~{best:.4f}, "
        f"sample submission {baseline:.4f}) and `leaderboard.csv` holds {n_teams} simulated "
        f"teams drawn between those two scores, in MLE-bench's leaderboard format. "
        f"`reference_solution.py` is a scikit-learn solution that reads `./input/` and writes "
        f"`./submission/submission.csv`. Regenerate with "
        f"`.venv/bin/python scripts/gen_demo.py`.\n"
    )


# ---------------------------------------------------------------- demo-binary

def gen_binary(out):
    tid, n_train, n_test, n_teams = "demo-binary", 2000, 500, 160
    rng = np.random.default_rng(20240101)
    n = n_train + n_test

    tenure = rng.integers(1, 73, n)
    # Longer-tenure customers are more often on long contracts.
    p_long = sigmoid((tenure - 30) / 12.0)
    u = rng.random(n)
    contract = np.where(u < 1 - p_long, "month-to-month",
                        np.where(u < 1 - 0.45 * p_long, "one-year", "two-year"))
    devices = 1 + rng.poisson(1.0, n)
    fee = 20 + 70 * rng.beta(2, 2, n) + 4 * devices
    calls = rng.poisson(0.8 + 0.9 * (fee > 70), n)
    usage = rng.lognormal(2.3, 0.7, n)
    payment = rng.choice(["card", "bank", "transfer", "voucher"], n, p=[0.35, 0.3, 0.2, 0.15])
    age = np.clip(np.round(rng.normal(42, 13, n)), 18, 85).astype(int)
    discount = rng.choice([0, 0, 0, 5, 10, 15, 20], n)
    region = rng.choice(["north", "south", "east", "west"], n)

    cterm = np.select([contract == "month-to-month", contract == "one-year"], [0.9, -0.4], -1.4)
    logit = (-0.9 - 0.04 * (tenure - 24) + cterm + 0.03 * (fee - 60)
             + 0.02 * (fee - 60) * (contract == "month-to-month")
             + 0.5 * calls - 0.05 * discount + 0.6 * (payment == "voucher")
             - 0.7 * (usage < 4) + 0.35 * np.sin(age / 7.0) + 0.15 * (region == "east"))
    prob = sigmoid(logit)
    y = (rng.random(n) < prob).astype(int)

    train_ids, test_ids = split_ids(rng, n_train, n_test)
    cols = ["tenure_months", "contract", "monthly_fee", "support_calls", "data_usage_gb",
            "payment_method", "age", "num_devices", "discount_pct", "region"]

    def feats(i):
        return [int(tenure[i]), contract[i], f"{fee[i]:.2f}", int(calls[i]), f"{usage[i]:.2f}",
                payment[i], int(age[i]), int(devices[i]), int(discount[i]), region[i]]

    tr, te = range(n_train), range(n_train, n)
    pub = os.path.join(out, tid, "prepared", "public")
    write(os.path.join(pub, "train.csv"),
          csv_bytes(["id"] + cols + ["churned"], [[int(train_ids[i])] + feats(i) + [int(y[i])] for i in tr]))
    write(os.path.join(pub, "test.csv"),
          csv_bytes(["id"] + cols, [[int(test_ids[i - n_train])] + feats(i) for i in te]))
    write(os.path.join(pub, "sample_submission.csv"),
          csv_bytes(["id", "target"], [[int(t), "0.5"] for t in test_ids]))
    write(os.path.join(out, tid, "prepared", "private", "answers.csv"),
          csv_bytes(["id", "target"], [[int(test_ids[i - n_train]), int(y[i])] for i in te]))

    yt, pt = y[n_train:], prob[n_train:]
    best, baseline = roc_auc(yt, pt), 0.5
    write(os.path.join(out, tid, "leaderboard.csv"),
          leaderboard(rng, n_teams, best, baseline, True, dt.datetime(2023, 3, 1)))

    rate = y[:n_train].mean()
    desc = f"""# Subscriber Churn (demo)

## Overview

### Description

A mobile operator wants to know which subscribers are about to leave. You are given a snapshot
of {n_train} past subscribers, each labelled with whether they cancelled their subscription
(`churned`) in the following quarter, and {n_test} current subscribers whose outcome you must
predict. Retention offers are expensive, so the operator cares about *ranking* subscribers by
risk rather than about a hard yes/no decision.

{SYNTHETIC_NOTE}

### Evaluation

Submissions are evaluated on the **area under the ROC curve** (ROC AUC) between the predicted
probability and the observed target. **Higher is better**; a constant prediction scores 0.5 and a
perfect ranking scores 1.0.

### Submission File

For each `id` in the test set, predict the probability that the subscriber churns. The file
must contain a header and have the following format, with one row per test id:

```
id,target
{int(test_ids[0])},0.5
{int(test_ids[1])},0.12
{int(test_ids[2])},0.87
...
```

## Dataset Description

### Files

- **train.csv** - {n_train} subscribers with the target `churned` (1 = left, 0 = stayed;
  {rate:.1%} positive).
- **test.csv** - {n_test} subscribers without the target.
- **sample_submission.csv** - a valid submission in the correct format (constant 0.5).

### Columns

- `id` - unique subscriber id.
- `tenure_months` - months since the subscriber joined (1-72).
- `contract` - `month-to-month`, `one-year` or `two-year`.
- `monthly_fee` - monthly bill in dollars.
- `support_calls` - calls to customer support in the last quarter.
- `data_usage_gb` - mobile data used last month, in GB.
- `payment_method` - `card`, `bank`, `transfer` or `voucher`.
- `age` - subscriber age in years.
- `num_devices` - devices on the plan.
- `discount_pct` - current loyalty discount, in percent.
- `region` - `north`, `south`, `east` or `west`.
- `churned` - the target (train only).
"""
    write(os.path.join(pub, "description.md"), desc)
    write(os.path.join(out, tid, "README.md"), task_readme(
        "demo-binary - Subscriber Churn (synthetic)",
        "Binary classification: predict the probability that a subscriber churns from 10 "
        "numeric and categorical features; submission columns `id,target`.",
        "ROC AUC", "higher", n_train, n_test, n_teams, best, baseline))
    return dict(id=tid, best=best, baseline=baseline)


# ---------------------------------------------------------------- demo-multiclass

def gen_multiclass(out):
    tid, n_train, n_test, n_teams = "demo-multiclass", 2400, 600, 275
    rng = np.random.default_rng(20240202)
    n = n_train + n_test
    classes = ["kama", "rosa", "canadian"]
    priors = np.array([0.40, 0.35, 0.25])
    # Latent 4-d seed shape; "rosa" is a two-component mixture so a linear model is not optimal.
    comps = [  # (class, weight within class, mean)
        (0, 1.0, np.array([0.0, 0.0, 0.0, 0.0])),
        (1, 0.6, np.array([1.6, 0.9, -0.4, 0.8])),
        (1, 0.4, np.array([-1.3, 1.4, 0.9, 0.7])),
        (2, 1.0, np.array([-0.9, -1.1, 1.3, -0.6])),
    ]
    cov = np.array([[1.0, 0.3, 0.0, 0.1],
                    [0.3, 1.0, 0.2, 0.0],
                    [0.0, 0.2, 1.0, 0.25],
                    [0.1, 0.0, 0.25, 1.0]])
    chol = np.linalg.cholesky(cov)
    inv = np.linalg.inv(cov)
    region_names = ["north", "central", "south"]
    region_p = np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.25, 0.25, 0.5]])

    y = rng.choice(3, n, p=priors)
    z = np.empty((n, 4))
    for i in range(n):
        cand = [(w, m) for c, w, m in comps if c == y[i]]
        k = 0 if len(cand) == 1 else int(rng.random() >= cand[0][0])
        z[i] = cand[k][1] + chol @ rng.standard_normal(4)
    region = np.array([rng.choice(3, p=region_p[c]) for c in y])
    month = rng.integers(6, 11, n)            # independent of the class: a noise feature
    moisture = rng.normal(11.0, 1.2, n)       # noise feature

    # Exact posterior from the generative model (measurements are invertible maps of z).
    dens = np.zeros((n, 3))
    for c, w, m in comps:
        d = z - m
        dens[:, c] += w * np.exp(-0.5 * np.einsum("ij,jk,ik->i", d, inv, d))
    post = dens * priors * region_p[:, region].T
    post /= post.sum(axis=1, keepdims=True)

    # Measurements: smooth invertible functions of the latent shape.
    area = 14.0 + 2.2 * z[:, 0]
    length = 5.6 + 0.35 * z[:, 1] + 0.05 * z[:, 0]
    width = np.sqrt(area) * 0.85 * np.exp(0.04 * z[:, 1])
    asym = np.exp(1.1 + 0.35 * z[:, 2])
    groove = 5.2 + 0.3 * z[:, 3] + 0.2 * z[:, 1]
    perimeter = 2 * np.sqrt(np.pi * area) * (1.02 + 0.015 * z[:, 3] ** 2)
    compact = 4 * np.pi * area / perimeter ** 2

    train_ids, test_ids = split_ids(rng, n_train, n_test)
    cols = ["area", "perimeter", "compactness", "kernel_length", "kernel_width",
            "asymmetry", "groove_length", "moisture_pct", "farm_region", "harvest_month"]

    def feats(i):
        return [f4(area[i]), f4(perimeter[i]), f4(compact[i]), f4(length[i]), f4(width[i]),
                f4(asym[i]), f4(groove[i]), f"{moisture[i]:.1f}", region_names[region[i]],
                int(month[i])]

    tr, te = range(n_train), range(n_train, n)
    pub = os.path.join(out, tid, "prepared", "public")
    write(os.path.join(pub, "train.csv"),
          csv_bytes(["id"] + cols + ["variety"],
                    [[int(train_ids[i])] + feats(i) + [classes[y[i]]] for i in tr]))
    write(os.path.join(pub, "test.csv"),
          csv_bytes(["id"] + cols, [[int(test_ids[i - n_train])] + feats(i) for i in te]))
    third = f"{1 / 3:.6f}"
    write(os.path.join(pub, "sample_submission.csv"),
          csv_bytes(["id"] + classes, [[int(t), third, third, third] for t in test_ids]))
    onehot = np.eye(3, dtype=int)[y]
    write(os.path.join(out, tid, "prepared", "private", "answers.csv"),
          csv_bytes(["id"] + classes,
                    [[int(test_ids[i - n_train])] + [int(v) for v in onehot[i]] for i in te]))

    best = log_loss(onehot[n_train:], post[n_train:])
    baseline = log_loss(onehot[n_train:], np.full((n_test, 3), 1 / 3))
    write(os.path.join(out, tid, "leaderboard.csv"),
          leaderboard(rng, n_teams, best, baseline, False, dt.datetime(2023, 6, 1)))

    counts = np.bincount(y[:n_train], minlength=3)
    dist = ", ".join(f"`{c}` {k}" for c, k in zip(classes, counts))
    desc = f"""# Seed Variety Identification (demo)

## Overview

### Description

An agricultural cooperative sorts wheat kernels into three varieties - **kama**, **rosa** and
**canadian** - from measurements taken by an optical grain scanner. Mislabelled lots are costly,
so the cooperative wants calibrated probabilities for each variety, not just a single guess.
Predict the variety of {n_test} scanned kernels from {n_train} labelled ones.

{SYNTHETIC_NOTE}

### Evaluation

Submissions are evaluated using the **multi-class logarithmic loss**. Each kernel has exactly one
true variety. For each kernel you submit a probability for every variety. The formula is

$$\\text{{log loss}} = -\\frac{{1}}{{N}} \\sum_{{i=1}}^{{N}} \\sum_{{j=1}}^{{M}} y_{{ij}} \\log(p_{{ij}})$$

where N is the number of test kernels, M = 3 the number of varieties, y_ij is 1 if kernel i is of
variety j and 0 otherwise, and p_ij the submitted probability. Probabilities in a row are
rescaled to sum to 1 and clipped to [1e-15, 1 - 1e-15] before scoring. **Lower is better**; the
uniform sample submission scores {baseline:.5f}.

### Submission File

For each `id` in the test set, give a probability for each of the three varieties. The file must
contain a header and have the following format:

```
id,kama,rosa,canadian
{int(test_ids[0])},0.333333,0.333333,0.333333
{int(test_ids[1])},0.05,0.90,0.05
...
```

## Dataset Description

### Files

- **train.csv** - {n_train} kernels with their `variety` ({dist}).
- **test.csv** - {n_test} kernels without the variety.
- **sample_submission.csv** - a valid submission in the correct format (uniform probabilities).

### Columns

- `id` - unique kernel id.
- `area`, `perimeter` - kernel area (mm^2) and perimeter (mm) from the scanner image.
- `compactness` - 4*pi*area/perimeter^2.
- `kernel_length`, `kernel_width` - main axes of the kernel, in mm.
- `asymmetry` - asymmetry coefficient.
- `groove_length` - length of the kernel groove, in mm.
- `moisture_pct` - moisture of the lot, in percent.
- `farm_region` - `north`, `central` or `south`.
- `harvest_month` - month of harvest (6-10).
- `variety` - the target (train only): `kama`, `rosa` or `canadian`.
"""
    write(os.path.join(pub, "description.md"), desc)
    write(os.path.join(out, tid, "README.md"), task_readme(
        "demo-multiclass - Seed Variety Identification (synthetic)",
        "Three-class classification (`kama`, `rosa`, `canadian`) from 10 numeric and "
        "categorical features; submission columns `id,kama,rosa,canadian` (probabilities); "
        "the private answers are one-hot in the same columns.",
        "multi-class log loss", "lower", n_train, n_test, n_teams, best, baseline))
    return dict(id=tid, best=best, baseline=baseline)


# ---------------------------------------------------------------- demo-regression

def gen_regression(out):
    tid, n_train, n_test, n_teams = "demo-regression", 2000, 500, 120
    rng = np.random.default_rng(20240303)
    n = n_train + n_test
    hoods = ["riverside", "old_town", "hillcrest", "industrial", "lakeview"]
    hood_eff = np.array([40.0, 25.0, 60.0, -35.0, 80.0])
    conds = ["poor", "fair", "good", "excellent"]
    cond_eff = np.array([-45.0, -15.0, 0.0, 30.0])

    hood = rng.choice(5, n, p=[0.25, 0.2, 0.2, 0.15, 0.2])
    sqft = np.round(np.clip(rng.lognormal(7.35, 0.32, n), 450, 5000))
    bedrooms = np.clip(np.round(sqft / 550 + rng.normal(0, 0.7, n)), 1, 7).astype(int)
    bathrooms = np.clip(np.round(bedrooms * 0.6 + rng.normal(0, 0.5, n)), 1, 5).astype(int)
    age = rng.integers(0, 100, n)
    dist = np.round(rng.gamma(2.0, 3.5, n), 2)
    garage = (rng.random(n) < 0.55).astype(int)
    lot = np.round(rng.lognormal(7.8, 0.45, n) + 0.6 * sqft)
    cond = rng.choice(4, n, p=[0.1, 0.3, 0.4, 0.2])
    year_sold = rng.integers(2018, 2024, n)

    f = (120 + 170 * np.log(sqft / 1000) + 7 * bathrooms - 3 * (bedrooms - 3) ** 2
         + hood_eff[hood] + cond_eff[cond] + 18 * garage
         - 60 * (1 - np.exp(-dist / 6.0)) - 0.5 * age + 0.006 * age ** 2
         + 0.005 * (lot - 3500) + 9 * (year_sold - 2018)
         + 0.03 * (sqft - 1500) * (hood == 4))
    price = f + rng.normal(0, 18.0, n)

    train_ids, test_ids = split_ids(rng, n_train, n_test)
    cols = ["sqft", "bedrooms", "bathrooms", "age_years", "distance_km", "neighborhood",
            "garage", "lot_sqft", "condition", "year_sold"]

    def feats(i):
        return [int(sqft[i]), int(bedrooms[i]), int(bathrooms[i]), int(age[i]),
                f"{dist[i]:.2f}", hoods[hood[i]], int(garage[i]), int(lot[i]),
                conds[cond[i]], int(year_sold[i])]

    tr, te = range(n_train), range(n_train, n)
    pub = os.path.join(out, tid, "prepared", "public")
    write(os.path.join(pub, "train.csv"),
          csv_bytes(["id"] + cols + ["price"],
                    [[int(train_ids[i])] + feats(i) + [f"{price[i]:.2f}"] for i in tr]))
    write(os.path.join(pub, "test.csv"),
          csv_bytes(["id"] + cols, [[int(test_ids[i - n_train])] + feats(i) for i in te]))
    # Scores are computed from the values as written, so they match what a grader reads.
    price_w = np.array([float(f"{v:.2f}") for v in price])
    mean_w = float(f"{price_w[:n_train].mean():.2f}")
    write(os.path.join(pub, "sample_submission.csv"),
          csv_bytes(["id", "target"], [[int(t), f"{mean_w:.2f}"] for t in test_ids]))
    write(os.path.join(out, tid, "prepared", "private", "answers.csv"),
          csv_bytes(["id", "target"],
                    [[int(test_ids[i - n_train]), f"{price_w[i]:.2f}"] for i in te]))

    best = rmse(price_w[n_train:], f[n_train:])
    baseline = rmse(price_w[n_train:], np.full(n_test, mean_w))
    write(os.path.join(out, tid, "leaderboard.csv"),
          leaderboard(rng, n_teams, best, baseline, False, dt.datetime(2023, 9, 1)))

    desc = f"""# House Price Prediction (demo)

## Overview

### Description

A regional estate agency wants a quick valuation tool. Using {n_train} recent sales with their
final price, predict the sale price of {n_test} other houses from their size, location,
condition and a few other attributes.

{SYNTHETIC_NOTE}

### Evaluation

Submissions are scored on the **root mean squared error** (RMSE) between the predicted and the
actual sale price (in thousands of dollars):

$$\\text{{RMSE}} = \\sqrt{{\\frac{{1}}{{N}} \\sum_{{i=1}}^{{N}} (\\hat{{y}}_i - y_i)^2}}$$

**Lower is better**. Predicting the training mean for every house (the sample submission)
scores {baseline:.3f}.

### Submission File

For each `id` in the test set, predict the sale price in thousands of dollars. The file must
contain a header and have the following format:

```
id,target
{int(test_ids[0])},{mean_w:.2f}
{int(test_ids[1])},312.50
...
```

## Dataset Description

### Files

- **train.csv** - {n_train} sales with the target `price`.
- **test.csv** - {n_test} houses without the price.
- **sample_submission.csv** - a valid submission in the correct format (training mean).

### Columns

- `id` - unique sale id.
- `sqft` - living area in square feet.
- `bedrooms`, `bathrooms` - number of rooms of each kind.
- `age_years` - age of the building at the time of sale.
- `distance_km` - distance to the city centre in km.
- `neighborhood` - one of `riverside`, `old_town`, `hillcrest`, `industrial`, `lakeview`.
- `garage` - 1 if the house has a garage.
- `lot_sqft` - lot size in square feet.
- `condition` - `poor`, `fair`, `good` or `excellent`.
- `year_sold` - year of the sale (2018-2023).
- `price` - the target (train only): sale price in thousands of dollars.
"""
    write(os.path.join(pub, "description.md"), desc)
    write(os.path.join(out, tid, "README.md"), task_readme(
        "demo-regression - House Price Prediction (synthetic)",
        "Regression: predict a house's sale price (thousands of dollars) from 10 numeric and "
        "categorical features; submission columns `id,target`.",
        "RMSE", "lower", n_train, n_test, n_teams, best, baseline))
    return dict(id=tid, best=best, baseline=baseline)


# ---------------------------------------------------------------- main

GENERATORS = [gen_binary, gen_multiclass, gen_regression]


def generate(out):
    return [g(out) for g in GENERATORS]


def compare_trees(a, b):
    """Files (relative paths) that differ or exist on one side only, limited to generated ones."""
    bad = []
    for root, _, files in os.walk(b):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), b)
            other = os.path.join(a, rel)
            if not os.path.exists(other) or not filecmp.cmp(other, os.path.join(b, rel), shallow=False):
                bad.append(rel)
    return sorted(bad)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: benchmarks/demo)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and fail if --out differs")
    args = ap.parse_args(argv)

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            generate(tmp)
            bad = compare_trees(args.out, tmp)
        if bad:
            print("gen_demo: out of date or not reproducible:\n  " + "\n  ".join(bad), file=sys.stderr)
            return 1
        print("gen_demo: benchmarks/demo data are up to date")
        return 0

    for info in generate(args.out):
        print(f"{info['id']}: best achievable {info['best']:.5f}, sample submission {info['baseline']:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
