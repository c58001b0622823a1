#!/usr/bin/env python3
"""Generate tests/data/report/store/: a hand-specified artifact store with three runs of the
demo suite, as `aide-fleet run` lays them out, for the report tests.

Usage (standard library only):

    python3 scripts/gen_report_fixtures.py

Runs (3 seeds of demo-binary, demo-multiclass, demo-regression and re-optimize-sum):
- `base`: the baseline; one retried LLM failure, one preemption, per-node grades for
  demo-binary seed 1 (the selected node is not the best one: a selection gap).
- `same`: another draw of the same agent: different scores, no systematic change.
- `worse`: a real drop: every score worse than every baseline score of its task, one run
  failed after three attempts (no grade.json), one invalid submission.

Every score is written down below; medals and thresholds follow MLE-bench's rule on the
demo leaderboards (re-stated here), so grade.json files look like the fleet's. Re-running
reproduces every file byte for byte.
"""

from __future__ import annotations

import csv
import json
import os
import shutil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "data", "report", "store")
TASKS = ["demo-binary", "demo-multiclass", "demo-regression", "re-optimize-sum"]
SEEDS = [0, 1, 2]
RE_START, RE_REFERENCE = 6.80, 3.38

# Scores per (run, task): one per seed; None = no valid submission or no score.
SCORES = {
    "base": {
        "demo-binary": [0.8602, 0.8451, 0.8290],
        "demo-multiclass": [0.5012, 0.5249, 0.5405],
        "demo-regression": [19.8, 21.3, 23.9],
        "re-optimize-sum": [3.9, 4.2, 3.5],
    },
    "same": {
        "demo-binary": [0.8471, 0.8588, 0.8266],
        "demo-multiclass": [0.5301, 0.4987, 0.5199],
        "demo-regression": [22.4, 20.1, 21.0],
        "re-optimize-sum": [4.4, 3.7, 3.8],
    },
    "worse": {
        "demo-binary": [0.8012, 0.7950, None],
        "demo-multiclass": [0.6420, "failed", 0.7013],
        "demo-regression": [31.2, 35.8, 29.9],
        "re-optimize-sum": [6.1, 5.9, None],
    },
}

# Extra attempts before the successful one: (run, task, seed) -> [(outcome, reason)].
ATTEMPTS = {
    ("base", "demo-regression", 2): [("failed", "exit code 4: the LLM failed: 429 Too Many Requests through every retry")],
    ("base", "demo-multiclass", 0): [("preempted", "Evicted: the node was drained")],
    ("worse", "demo-multiclass", 1): [
        ("failed", "OOMKilled"),
        ("failed", "OOMKilled"),
        ("failed", "exit code 1: Traceback (most recent call last): MemoryError"),
    ],
}

# Per-node grades of one run: (run, task, seed) -> [score per node]; the run's selected
# node is the one whose score equals the run's score.
NODE_GRADES = {("base", "demo-binary", 1): [0.8012, 0.8451, 0.8590, None]}


def leaderboard(task):
    with open(os.path.join(REPO, "benchmarks", "demo", task, "leaderboard.csv")) as f:
        return [float(r["score"]) for r in csv.DictReader(f)]


def thresholds(scores):
    """MLE-bench's medal rows by team count, and the median (mlebench.md section 6)."""
    n = len(scores)
    if n < 100:
        rows = (max(1, n * 10 // 100), max(1, n * 20 // 100), max(1, n * 40 // 100))
    elif n < 250:
        rows = (10, max(1, n * 20 // 100), max(1, n * 40 // 100))
    elif n < 1000:
        rows = (10 + n * 2 // 1000, 50, 100)
    else:
        rows = (10 + n * 2 // 1000, max(1, n * 5 // 100), max(1, n * 10 // 100))
    s = sorted(scores)
    median = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return [scores[r - 1] for r in rows] + [median], scores[0] < scores[-1]


def competition_report(task, score, path):
    (gold, silver, bronze, median), lower = thresholds(leaderboard(task))
    at_least = (lambda x, t: x <= t) if lower else (lambda x, t: x >= t)
    g = s = b = above = False
    if score is not None:
        g = at_least(score, gold)
        s = not g and at_least(score, silver)
        b = not g and not s and at_least(score, bronze)
        above = score < median if lower else score > median
    report = {
        "competition_id": task,
        "score": score,
        "gold_threshold": gold,
        "silver_threshold": silver,
        "bronze_threshold": bronze,
        "median_threshold": median,
        "any_medal": g or s or b,
        "gold_medal": g,
        "silver_medal": s,
        "bronze_medal": b,
        "above_median": above,
        "submission_exists": True,
        "valid_submission": score is not None,
        "is_lower_better": lower,
        "created_at": "2025-06-01T03:00:00.000000",
        "submission_path": path,
    }
    if score is None:
        report["reason"] = "submission.csv: column `target` has a non-numeric value in row 3"
    return report


def re_record(score):
    record = {
        "task": "re-optimize-sum",
        "score": score,
        "normalized_score": None if score is None else (score - RE_START) / (RE_REFERENCE - RE_START),
        "starting_score": RE_START,
        "reference_score": RE_REFERENCE,
        "lower_is_better": True,
        "created_at": "2025-06-01T03:00:00Z",
    }
    if score is None:
        record["reason"] = "no score: the solution returned a wrong sum"
    return record


def attempt(n, outcome, reason, minute):
    return {
        "number": n,
        "executor": "local",
        "executor_id": f"pid {4000 + 17 * n + minute}",
        "started_at": f"2025-06-01T02:{minute:02d}:00Z",
        "ended_at": f"2025-06-01T02:{minute + 5:02d}:00Z",
        "outcome": outcome,
        "reason": reason,
    }


def write(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        if isinstance(value, str):
            f.write(value)
        else:
            f.write(json.dumps(value, indent=2) + "\n")


def run_files(run):
    yield f"runs/{run}/run.yaml", (
        "name: demo\nbenchmark: demo\ntasks:\n" + "".join(f"- {t}\n" for t in TASKS)
        + "seeds:\n- 0\n- 1\n- 2\nresources:\n  cpus: 2\n  memory: 4Gi\n  gpus: 1\n"
    )
    for ti, task in enumerate(TASKS):
        for seed in SEEDS:
            base = f"runs/{run}/tasks/{task}/seed-{seed}"
            score = SCORES[run][task][seed]
            failed = score == "failed"
            extra = ATTEMPTS.get((run, task, seed), [])
            attempts = [attempt(i + 1, o, r, 10 * i) for i, (o, r) in enumerate(extra)]
            if not failed:
                attempts.append(attempt(len(attempts) + 1, "succeeded", None, 10 * len(attempts)))
            elapsed = 300.0 + 60 * ti + 7 * seed
            cost = round(0.05 + 0.01 * ti + 0.002 * seed, 4)
            tokens_in, tokens_out = 20000 + 1000 * ti + 10 * seed, 3000 + 100 * ti + seed
            yield f"{base}/status.json", {
                "run_id": run,
                "task": task,
                "seed": seed,
                "state": "failed" if failed else "succeeded",
                "attempts": attempts,
                "gpus": [],
                "step": 6,
                "steps": 6,
                "best_metric": None if failed else 0.5,
                "elapsed_s": elapsed,
                "cost_usd": cost,
                "updated_at": "2025-06-01T03:00:00Z",
            }
            yield f"{base}/agent/usage.json", {
                "code_model": "scripted-coder",
                "feedback_model": "scripted-reviewer",
                "total": {"input_tokens": tokens_in, "output_tokens": tokens_out, "cost_usd": cost, "unpriced_calls": 0},
            }
            yield f"{base}/agent/progress.json", {
                "step": 6,
                "steps": 6,
                "best_step": None if failed else 4,
                "best_metric": None if failed else 0.5,
                "lower_is_better": None,
                "good_nodes": 4 - seed % 2,
                "buggy_nodes": 2 + seed % 2,
                "elapsed_s": elapsed,
                "cost_usd": cost,
                "stop_reason": "step budget reached",
            }
            if failed:
                continue
            if task == "re-optimize-sum":
                yield f"{base}/grade.json", re_record(score)
            else:
                yield f"{base}/grade.json", competition_report(task, score, f"/store/{base}/agent/best_submission/submission.csv")
            for step, node_score in enumerate(NODE_GRADES.get((run, task, seed), [])):
                yield f"{base}/agent/nodes/{step:05d}.grade.json", competition_report(
                    task, node_score, f"/store/{base}/agent/nodes/{step:05d}.submission.csv"
                )


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    count = 0
    for run in SCORES:
        for rel, value in run_files(run):
            write(os.path.join(OUT, rel), value)
            count += 1
    print(f"wrote {count} files under {os.path.relpath(OUT, REPO)}")


if __name__ == "__main__":
    main()
