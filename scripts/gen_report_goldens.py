#!/usr/bin/env python3
"""Generate tests/data/report/mlebench/: hand-built MLE-bench grading reports, split files,
and what MLE-bench's official aggregation prints for them.

Usage (the project venv has numpy and scipy; nothing here is needed at run time):

    scripts/setup-python.sh && .venv/bin/python scripts/gen_report_goldens.py

The reference is a short re-statement of MLE-bench's `experiments/aggregate_grading_reports.py`
(openai/mle-bench, PR #104): reports read in sorted path order, each file's competition
reports sorted by id; seed i = the i-th report of every split competition; complete seeds
only unless pad_missing; per-seed percentages over the split; mean with numpy, standard
error with `scipy.stats.sem(ddof=1)` (0 for one seed), 95% interval mean +/- 1.96 SE;
printed with `json.dumps(..., indent=2)`. Errors are the script's ValueError messages.

Each case directory holds `reports/*.json`, `split.txt`, `case.json` (the arguments, in the
order the CLI gets them, and the expected exit) and `expected.txt` (stdout, or the error
message). `stats.json` holds mean/SEM of generated value lists, to pin the float details
(numpy's pairwise sum, Python's `n ** 0.5`) beyond the few seeds of the cases.
The Rust test is tests/report_mlebench.rs. Re-running reproduces every file byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict

import numpy as np
from scipy import stats

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "tests", "data", "report", "mlebench")
FLAGS = ["gold_medal", "silver_medal", "bronze_medal", "above_median", "submission_exists", "valid_submission"]

# ------------------------------------------------------------------ the reference


def read_reports(paths):
    out = []
    for path in sorted(paths):
        with open(path) as f:
            report = json.load(f)
        for r in sorted(report["competition_reports"], key=lambda r: str(r["competition_id"])):
            out.append((str(r["competition_id"]), {k: bool(r[k]) for k in FLAGS}))
    return out


def build_seeds(reports, split, num_seeds, pad):
    by_comp = defaultdict(list)
    for cid, flags in reports:
        by_comp[cid].append(flags)
    missing = [c for c in split if c not in by_comp]
    if missing and not pad:
        raise ValueError(f"Missing reports for competitions: {', '.join(missing)}; cannot build complete seeds.")
    counts = {c: len(by_comp[c]) for c in split}
    if not counts:
        raise ValueError("No competitions provided.")
    available = max(counts.values()) if pad else min(counts.values())
    if available == 0:
        raise ValueError("No reports available to form any seed.")
    n = available if num_seeds == -1 else min(num_seeds, available)
    if n <= 0:
        raise ValueError("No seeds requested or available after evaluating competition coverage.")
    zero = {k: False for k in FLAGS}
    seeds = [[by_comp[c][i] if i < len(by_comp[c]) else zero for c in split] for i in range(n)]
    if num_seeds != -1 and num_seeds > len(seeds):
        raise ValueError(f"Requested {num_seeds} seeds, but only {len(seeds)} complete seeds available.")
    return seeds


def seed_metrics(seed):
    total = len(seed)
    count = lambda f: sum(1 for r in seed if f(r))
    pct = lambda c: c / total * 100
    return {
        "total_competitions": total,
        "submission_exists_percentage": pct(count(lambda r: r["submission_exists"])),
        "valid_submissions_percentage": pct(count(lambda r: r["valid_submission"])),
        "above_median_percentage": pct(count(lambda r: r["above_median"])),
        "gold_medal_percentage": pct(count(lambda r: r["gold_medal"])),
        "silver_medal_percentage": pct(count(lambda r: r["silver_medal"])),
        "bronze_medal_percentage": pct(count(lambda r: r["bronze_medal"])),
        "any_medal_percentage": pct(count(lambda r: r["gold_medal"] or r["silver_medal"] or r["bronze_medal"])),
    }


def mean_sem(values):
    mean = float(np.mean(values))
    sem = float(stats.sem(values, ddof=1)) if len(values) > 1 else 0.0
    return mean, sem


def aggregate(paths, split_path, num_seeds=-1, pad=False):
    with open(split_path) as f:
        split = [line.strip() for line in f if line.strip()]
    seeds = build_seeds(read_reports(paths), split, num_seeds, pad)
    per_seed = [seed_metrics(s) for s in seeds]
    metrics = {}
    for key in per_seed[0]:
        mean, sem = mean_sem([float(m[key]) for m in per_seed])
        metrics[key] = {"mean": mean, "ci_lower": mean - 1.96 * sem, "ci_upper": mean + 1.96 * sem, "standard_error": sem}
    return json.dumps({"num_seeds_averaged": len(per_seed), "num_competitions_per_seed": len(split), "metrics": metrics}, indent=2)


# ------------------------------------------------------------------ hand-built inputs

# One letter per report: G gold, S silver, B bronze, A above median only, V valid only,
# E submission exists but invalid, N no submission. Medals are also above median.
CODES = {
    "G": dict(gold_medal=True, above_median=True, submission_exists=True, valid_submission=True),
    "S": dict(silver_medal=True, above_median=True, submission_exists=True, valid_submission=True),
    "B": dict(bronze_medal=True, above_median=True, submission_exists=True, valid_submission=True),
    "A": dict(above_median=True, submission_exists=True, valid_submission=True),
    "V": dict(submission_exists=True, valid_submission=True),
    "E": dict(submission_exists=True),
    "N": dict(),
}


def competition_report(cid, code, k):
    flags = {f: False for f in FLAGS} | CODES[code]
    valid = flags["valid_submission"]
    return {
        "competition_id": cid,
        "score": (0.9 - 0.1 * "GSBAV".index(code)) if valid else None,
        "gold_threshold": 0.9,
        "silver_threshold": 0.8,
        "bronze_threshold": 0.7,
        "median_threshold": 0.6,
        "any_medal": flags["gold_medal"] or flags["silver_medal"] or flags["bronze_medal"],
        "gold_medal": flags["gold_medal"],
        "silver_medal": flags["silver_medal"],
        "bronze_medal": flags["bronze_medal"],
        "above_median": flags["above_median"],
        "submission_exists": flags["submission_exists"],
        "valid_submission": valid,
        "is_lower_better": False,
        "created_at": f"2025-01-01T00:00:{k:02d}.000000",
        "submission_path": f"/runs/{cid}/{k}/submission.csv" if flags["submission_exists"] else "None",
    }


def grading_report(entries):
    """entries: [(competition_id, code)] in file order (deliberately not sorted)."""
    reports = [competition_report(c, code, k) for k, (c, code) in enumerate(entries)]
    count = lambda key: sum(1 for r in reports if r[key])
    return {
        "total_runs": len(reports),
        "total_runs_with_submissions": count("submission_exists"),
        "total_valid_submissions": count("valid_submission"),
        "total_medals": count("any_medal"),
        "total_gold_medals": count("gold_medal"),
        "total_silver_medals": count("silver_medal"),
        "total_bronze_medals": count("bronze_medal"),
        "total_above_median": count("above_median"),
        "competition_reports": reports,
    }


def seeds_of(table):
    """{competition: "codes per seed"} -> entries, seed-major, competitions reversed."""
    entries = []
    for i in range(max(len(v) for v in table.values())):
        for cid in sorted(table, reverse=True):
            if i < len(table[cid]):
                entries.append((cid, table[cid][i]))
    return entries


SPLIT4 = ["comp-a", "comp-b", "comp-c", "comp-d"]

# run-1 (3 seeds of every competition, and one outside the split) and run-2 (two more
# seeds, but comp-d only one): 4 complete seeds, 5 when padded.
RUN1 = {"comp-a": "GSN", "comp-b": "BAV", "comp-c": "ENG", "comp-d": "VBS", "comp-z": "GGG"}
RUN2 = {"comp-a": "SB", "comp-b": "NG", "comp-c": "AA", "comp-d": "E"}

# Many seeds of two competitions, to exercise numpy's blocked sum (more than 8 values).
MANY = {"comp-a": "GSBAVENNGSBAVGGNBNSAVEGSN", "comp-b": "NNBAGNSSAVEGBANNGSVAABNEG"}

CASES = {
    "complete-seeds": dict(files={"run-1.json": RUN1, "run-2.json": RUN2}, split=SPLIT4, args=[]),
    "pad-missing": dict(files={"run-1.json": RUN1, "run-2.json": RUN2}, split=SPLIT4, args=["--pad-missing"]),
    "single-seed": dict(files={"only.json": {c: v[0] for c, v in RUN1.items()}}, split=SPLIT4, args=[]),
    # Given on the command line as z, a, m: read as a, m, z; the seeds follow that order.
    "several-files": dict(
        files={"z.json": {"comp-a": "N", "comp-b": "N"}, "a.json": {"comp-a": "G", "comp-b": "B"}, "m.json": {"comp-a": "S", "comp-b": "A"}},
        order=["z.json", "a.json", "m.json"],
        split=["comp-a", "comp-b"],
        args=["--num-seeds", "2"],
    ),
    "missing-competition": dict(files={"run-1.json": RUN1}, split=SPLIT4 + ["comp-e"], args=[]),
    "missing-competition-padded": dict(files={"run-1.json": RUN1}, split=SPLIT4 + ["comp-e"], args=["--pad-missing"]),
    "num-seeds": dict(files={"run-1.json": RUN1, "run-2.json": RUN2}, split=SPLIT4, args=["--num-seeds", "2"]),
    "too-many-seeds": dict(files={"run-1.json": RUN1, "run-2.json": RUN2}, split=SPLIT4, args=["--num-seeds", "9"]),
    "many-seeds": dict(files={"many.json": MANY}, split=["comp-b", "comp-a"], args=[]),
}


def value_lists():
    """Lists whose mean and SEM pin the float details; the Rust test rebuilds them from
    (n, a, m): value i = (i * a % m) / m * 100."""
    specs = [(n, 37, 101) for n in list(range(1, 41)) + [127, 128, 129, 255, 256, 300, 2921, 3541]]
    specs += [(n, 7, 13) for n in (9, 17, 100, 1000)]
    out = []
    for n, a, m in specs:
        values = [(i * a % m) / m * 100 for i in range(n)]
        mean, sem = mean_sem(values)
        out.append({"n": n, "a": a, "m": m, "mean": repr(mean), "sem": repr(sem)})
    return out


def render():
    files = {}
    for name, case in CASES.items():
        base = os.path.join(OUT, name)
        paths = []
        for fname, table in case["files"].items():
            rel = os.path.join("reports", fname)
            files[os.path.join(base, rel)] = json.dumps(grading_report(seeds_of(table)), indent=2) + "\n"
            paths.append(rel)
        order = [os.path.join("reports", f) for f in case.get("order", case["files"])]
        files[os.path.join(base, "split.txt")] = "\n".join(case["split"])
        args = case["args"]
        num_seeds = int(args[args.index("--num-seeds") + 1]) if "--num-seeds" in args else -1
        cwd = os.getcwd()
        os.makedirs(base, exist_ok=True)
        # The reference reads the files it is about to compare against: write them first.
        for path, text in files.items():
            if path.startswith(base + os.sep):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
        os.chdir(base)
        try:
            expected, code = aggregate(order, "split.txt", num_seeds, "--pad-missing" in args) + "\n", 0
        except ValueError as e:
            expected, code = str(e) + "\n", 2
        finally:
            os.chdir(cwd)
        files[os.path.join(base, "case.json")] = json.dumps({"reports": order, "args": args, "exit": code}, indent=2) + "\n"
        files[os.path.join(base, "expected.txt")] = expected
    files[os.path.join(OUT, "stats.json")] = json.dumps(value_lists(), indent=1) + "\n"
    return files


def main():
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    files = render()
    for path, text in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    print(f"wrote {len(files)} files under {os.path.relpath(OUT, REPO)}")


if __name__ == "__main__":
    main()
