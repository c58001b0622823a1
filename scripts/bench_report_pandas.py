#!/usr/bin/env python3
"""The pandas side of benches/report_aggregate.rs: a straightforward pandas implementation
of the report's aggregation, timed on the same per-run rows.

Run by the benchmark (`cargo bench --bench report_aggregate`), not by hand:

    .venv/bin/python scripts/bench_report_pandas.py --csv runs.csv --splits splits.json \
        --repeat 7 --out result.json

It computes what `report::aggregate` computes: per task the counts, percentile mean and
standard error, cost, GPU-hours, selection gap and pass@k (unbiased estimator, the same
k); per split MLE-bench's per-seed percentages over complete seeds, then mean and
standard error (ddof 1), and the per-seed mean percentile likewise; the totals. It writes
its numbers (for the benchmark to compare with ours) and its timings: the median and
minimum of --repeat runs after one warm-up, and the CSV load time apart.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

FLAGS = {
    "submission_exists_percentage": "submission_exists",
    "valid_submissions_percentage": "valid_submission",
    "above_median_percentage": "above_median",
    "gold_medal_percentage": "gold_medal",
    "silver_medal_percentage": "silver_medal",
    "bronze_medal_percentage": "bronze_medal",
    "any_medal_percentage": "any_medal",
}


def report_ks(n):
    ks = list(range(1, min(n, 20) + 1))
    k = 32
    while k < n:
        ks.append(k)
        k *= 2
    if n > 20:
        ks.append(n)
    return ks


def pass_at_k(n, c, k):
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def aggregate(df, splits):
    g = df.groupby("task")
    per_task = g.agg(
        seeds=("task", "size"),
        any_medal=("any_medal", "sum"),
        percentile_mean=("percentile", "mean"),
        percentile_std=("percentile", "std"),
        percentile_n=("percentile", "count"),
        cost_usd=("cost_usd", "sum"),
        input_tokens=("input_tokens", "sum"),
        output_tokens=("output_tokens", "sum"),
        elapsed_s=("elapsed_s", "sum"),
        gpu_hours=("gpu_hours", "sum"),
        selection_gap=("selection_gap", "mean"),
        oracle_medals=("best_node_medal", "sum"),
    )
    per_task["failed_runs"] = (df["state"] == "failed").groupby(df["task"]).sum()
    tasks = {}
    for task, row in per_task.iterrows():
        n, c = int(row["seeds"]), int(row["any_medal"])
        tasks[task] = {
            "any_medal": c,
            "percentile_mean": row["percentile_mean"],
            "percentile_se": row["percentile_std"] / np.sqrt(row["percentile_n"]),
            "cost_usd": row["cost_usd"],
            "gpu_hours": row["gpu_hours"],
            "selection_gap": row["selection_gap"],
            "pass_at_k": [[k, pass_at_k(n, c, k)] for k in report_ks(n)],
        }

    out_splits = {}
    for name, members in splits.items():
        sub = df[df["task"].isin(members)]
        counts = sub.groupby("task").size()
        if len(counts) < len(members):
            continue
        sub = sub[sub["seed_index"] < counts.min()]
        by_seed = sub.groupby("seed_index")
        sums = by_seed[list(FLAGS.values())].sum()
        result = {"total_competitions": {"mean": float(len(members)), "sem": 0.0}}
        for metric, column in FLAGS.items():
            pct = sums[column] / len(members) * 100
            result[metric] = {"mean": pct.mean(), "sem": pct.sem()}
        pct = by_seed["percentile"].mean()
        result["percentile"] = {"mean": pct.mean(), "sem": pct.sem()}
        out_splits[name] = result

    graded = df[df["selection_gap"].notna()]
    return {
        "tasks": tasks,
        "splits": out_splits,
        "selection": {
            "runs": len(graded),
            "mean_gap": graded["selection_gap"].mean(),
            "oracle": graded["best_node_medal"].mean() * 100,
            "selected": graded["any_medal"].mean() * 100,
        },
        "totals": {
            "runs": len(df),
            "medals": int(df["any_medal"].sum()),
            "cost_usd": df["cost_usd"].sum(),
            "gpu_hours": df["gpu_hours"].sum(),
        },
    }


def plain(x):
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return None if np.isnan(x) else float(x)
    return x


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", required=True)
    parser.add_argument("--splits", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    start = time.perf_counter()
    df = pd.read_csv(args.csv)
    # A boolean column with nulls loads as objects: make it numeric, as pandas users do.
    df["best_node_medal"] = df["best_node_medal"].map({True: 1.0, False: 0.0})
    load_s = time.perf_counter() - start
    with open(args.splits) as f:
        splits = json.load(f)

    result = aggregate(df, splits)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        aggregate(df, splits)
        times.append(time.perf_counter() - t)
    with open(args.out, "w") as f:
        json.dump(
            {
                "pandas_version": pd.__version__,
                "median_s": float(np.median(times)),
                "min_s": min(times),
                "load_s": load_s,
                "result": plain(result),
            },
            f,
        )


if __name__ == "__main__":
    main()
