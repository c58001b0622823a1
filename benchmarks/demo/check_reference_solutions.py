#!/usr/bin/env python3
"""Run each demo task's reference_solution.py the way the agent runs a script, and grade it.

Usage: .venv/bin/python benchmarks/demo/check_reference_solutions.py [TASK ...]

For each MLE-style demo task: makes a temporary workspace with input/ -> prepared/public,
runs reference_solution.py there with this Python (pinned to one CPU when `taskset` exists),
checks submission/submission.csv against sample_submission.csv (columns, ids, no NaN), and
scores it and the sample submission against prepared/private/answers.csv with scikit-learn.
Prints one line per task and exits non-zero when a check fails. Needs the project venv
(scripts/setup-python.sh).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score

# The sample submission's 0.333333 x 3 rows do not sum to exactly 1; log_loss renormalises
# (as MLE-bench graders do) but warns.
warnings.filterwarnings("ignore", message="The y_prob values do not sum to one")

HERE = os.path.dirname(os.path.abspath(__file__))

# task id -> (metric name, higher is better, scorer(answers, submission))
TASKS = {
    "demo-binary": ("roc_auc", True,
                    lambda a, s: roc_auc_score(a["target"], s["target"])),
    "demo-multiclass": ("log_loss", False,
                        lambda a, s: log_loss(a.iloc[:, 1:].values.argmax(1),
                                              s[a.columns[1:]].values,
                                              labels=list(range(a.shape[1] - 1)))),
    "demo-regression": ("rmse", False,
                        lambda a, s: float(np.sqrt(mean_squared_error(a["target"], s["target"])))),
}


def check(task):
    metric, higher, score = TASKS[task]
    root = os.path.join(HERE, task)
    public = os.path.join(root, "prepared", "public")
    answers = pd.read_csv(os.path.join(root, "prepared", "private", "answers.csv"))
    sample = pd.read_csv(os.path.join(public, "sample_submission.csv"))
    problems = []
    with tempfile.TemporaryDirectory() as ws:
        os.symlink(public, os.path.join(ws, "input"))
        shutil.copy(os.path.join(root, "reference_solution.py"), ws)
        cmd = [sys.executable, "reference_solution.py"]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", "0"] + cmd
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=300)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            return False, f"{task}: reference_solution.py failed (rc {proc.returncode}):\n{proc.stderr[-2000:]}"
        sub = pd.read_csv(os.path.join(ws, "submission", "submission.csv"))
    if list(sub.columns) != list(sample.columns):
        problems.append(f"columns {list(sub.columns)} != {list(sample.columns)}")
    if sorted(sub["id"]) != sorted(sample["id"]) or len(sub) != len(sample):
        problems.append("ids differ from sample_submission")
    if sub.isna().any().any():
        problems.append("NaN in submission")
    if problems:
        return False, f"{task}: " + "; ".join(problems)
    sub = sub.set_index("id").loc[answers["id"]].reset_index()
    sample = sample.set_index("id").loc[answers["id"]].reset_index()
    s_ref, s_sample = score(answers, sub), score(answers, sample)
    lb = pd.read_csv(os.path.join(root, "leaderboard.csv"))["score"].values
    beaten = (lb < s_ref).sum() if higher else (lb > s_ref).sum()
    better = s_ref > s_sample if higher else s_ref < s_sample
    line = (f"{task}: {metric} reference {s_ref:.5f} vs sample {s_sample:.5f} "
            f"({'higher' if higher else 'lower'} is better); beats {beaten}/{len(lb)} simulated teams; "
            f"run {elapsed:.2f}s; stdout: {proc.stdout.strip()}")
    return bool(better), line


def main():
    tasks = sys.argv[1:] or list(TASKS)
    ok = True
    for t in tasks:
        good, line = check(t)
        ok &= good
        print(("OK   " if good else "FAIL ") + line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
