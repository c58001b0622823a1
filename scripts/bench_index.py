#!/usr/bin/env python3
"""Run-group index benchmark: `report` and `status` of big synthetic run groups, read
through the index and through a forced rebuild from the per-run files, on a directory
store and on a local S3-compatible server (moto) on 127.0.0.1, side by side in one run.

Each run group is MLE-bench-shaped: competitions x seeds, every run with status.json,
grade.json (a competition report scored against the competition's real thresholds),
agent/usage.json and agent/progress.json, as `aide-fleet run` leaves them. About 1,000
and 10,000 runs are the 72 split-`all` competitions with a leaderboard x 15 and x 140
seeds (1,080 and 10,080 runs); 100,000 runs are 100 tasks (the MLE-bench competitions
with a leaderboard and synthetic ones the catalog does not know) x 1,000 seeds, since a
suite allows at most 1,000 seeds.

Rebuilds, in the order run: `report --rebuild` reads every run's files (the check; it
writes the index back, not the runs' stamps); with the index deleted, `status` rebuilds
it as any reader would, reading the files of every run that has no stamped record
(`index-record.json`, which the controller writes when a run ends; these synthetic runs
have none) and stamping each; with the index deleted again, `report` and then `status`
rebuild it from those stamps, one read per run, since no file changed.

Measured per command (a fresh process each): wall-clock seconds, the process's peak
resident memory (GNU time's %M), and on S3 the requests the server logged while the
command ran; and, once per S3 group, the server's own ceiling: GETs per second with 64
boto3 clients in flight, the bound for any reader of per-run files. `report` publishes
its files to the store, as it does by default (counted with the rest); its output goes to /dev/null.
Generating and uploading the groups is not timed.

Usage: scripts/bench_index.py [--bin target/release/aide-fleet] [--dir-sizes 1050,10050,100000]
                              [--s3-sizes 1050,10050] [--reps 3]
The moto server comes from scripts/s3-server.sh install (the script re-runs itself with
that venv's Python for boto3).
"""

import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("AIDE_FLEET_CACHE", Path.home() / ".cache" / "aide-fleet"))
MOTO_VENV = CACHE / "moto-venv"

try:
    import boto3  # noqa: F401
except ImportError:
    python = MOTO_VENV / "bin" / "python"
    if not python.exists() or os.environ.get("BENCH_INDEX_REEXEC"):
        sys.exit("bench_index.py: boto3 not found; run scripts/s3-server.sh install first")
    os.environ["BENCH_INDEX_REEXEC"] = "1"
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def competitions():
    """(id, lower_is_better, thresholds) of every MLE-bench competition with a leaderboard."""
    catalog = (REPO / "benchmarks/mle-bench/competitions.yaml").read_text()
    ids = re.findall(r"^  - id: (\S+)$", catalog, re.M)
    out = []
    for cid in ids:
        board = REPO / f"benchmarks/mle-bench/leaderboards/{cid}.csv"
        if not board.exists():
            continue
        with board.open() as f:
            scores = [float(r["score"]) for r in csv.DictReader(f) if r.get("score")]
        if len(scores) < 4:
            continue
        lower = scores[0] < scores[-1]
        ranked = sorted(scores, reverse=not lower)
        pick = lambda q: ranked[min(len(ranked) - 1, int(q * len(ranked)))]
        out.append((cid, lower, (pick(0.1), pick(0.2), pick(0.4), pick(0.5))))
    return out


def run_files(run_id, task, seed, comp, rng):
    """The four files of one run, as bytes keyed by their path under the run group."""
    base = f"tasks/{task}/seed-{seed}"
    failed = rng.random() < 0.05
    retried = rng.random() < 0.10
    attempts = []
    for n in range(1, (2 if retried or failed else 1) + 1):
        last = n == (2 if retried or failed else 1)
        outcome = "failed" if (failed and last) or (retried and not last) else "succeeded"
        attempts.append({
            "number": n, "executor": "kube", "executor_id": f"job aide-{task[:20]}-{seed}-{n}",
            "started_at": "2026-11-30T02:00:00Z", "ended_at": "2026-11-30T23:40:00Z",
            "outcome": outcome,
            "reason": "OOMKilled: the agent's pod ran out of memory" if outcome == "failed" else None,
        })
    elapsed = rng.uniform(3600, 86400)
    cost = rng.uniform(2, 40)
    status = {
        "run_id": run_id, "task": task, "seed": seed,
        "state": "failed" if failed else "succeeded", "attempts": attempts, "gpus": [0],
        "step": 120, "steps": 500, "best_metric": rng.random(), "elapsed_s": elapsed,
        "cost_usd": cost, "updated_at": "2026-11-30T23:40:00Z", "generation": 2 * len(attempts),
    }
    files = {f"{base}/status.json": status}
    if comp is not None:
        cid, lower, (gold, silver, bronze, median) = comp
        lo, hi = sorted([gold, median])
        span = (hi - lo) or 1.0
        score = rng.uniform(lo - span, hi + span)
        better = (lambda a, b: a <= b) if lower else (lambda a, b: a >= b)
        g, s, b = better(score, gold), better(score, silver), better(score, bronze)
        files[f"{base}/grade.json"] = {
            "competition_id": task, "score": round(score, 5), "gold_threshold": gold,
            "silver_threshold": silver, "bronze_threshold": bronze, "median_threshold": median,
            "any_medal": g or s or b, "gold_medal": g, "silver_medal": s and not g,
            "bronze_medal": b and not s and not g, "above_median": better(score, median) and score != median,
            "submission_exists": not failed, "valid_submission": not failed, "is_lower_better": lower,
            "created_at": "2026-11-30T23:41:00.000000",
            "submission_path": f"/store/runs/{run_id}/{base}/agent/best_submission/submission.csv",
        }
    files[f"{base}/agent/usage.json"] = {
        "code_model": "gpt-4o", "feedback_model": "gpt-4o-mini",
        "total": {"input_tokens": int(cost * 150_000), "output_tokens": int(cost * 20_000),
                  "cost_usd": cost, "unpriced_calls": 0},
    }
    files[f"{base}/agent/progress.json"] = {
        "step": 120, "steps": 500, "best_step": 97, "best_metric": status["best_metric"],
        "lower_is_better": False, "good_nodes": 100, "buggy_nodes": 20, "elapsed_s": elapsed,
        "cost_usd": cost, "stop_reason": "time limit reached",
    }
    return {k: json.dumps(v, indent=2).encode() for k, v in files.items()}


def group(size):
    """(run_id, run.yaml text, tasks with their competition, seeds) for about `size` runs."""
    comps = competitions()
    if size <= 75 * 1000:
        benchmark = sorted(c for c in comps)
        split = (REPO / "benchmarks/mle-bench/splits/all.txt").read_text().split()
        chosen = [c for c in benchmark if c[0] in split][:75]
        seeds = -(-size // len(chosen))
    else:
        chosen = comps + [(f"synthetic-task-{i:02d}", False, None) for i in range(100 - len(comps))]
        seeds = -(-size // len(chosen))
    tasks = [(c[0], c if c[2] is not None else None) for c in chosen]
    run_id = f"bench-{len(tasks) * seeds}"
    yaml = "name: index-bench\nbenchmark: mle-bench\ntasks:\n" + "".join(
        f"- {t}\n" for t, _ in tasks) + f"seeds: {seeds}\nresources:\n  gpus: 1\n"
    return run_id, yaml, tasks, seeds


def all_files(run_id, tasks, seeds):
    rng = random.Random(15)
    for task, comp in tasks:
        for seed in range(seeds):
            yield from run_files(run_id, task, seed, comp, rng).items()


def write_dir(root, run_id, yaml, tasks, seeds):
    base = root / "runs" / run_id
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    (base / "run.yaml").write_text(yaml)
    for key, data in all_files(run_id, tasks, seeds):
        path = base / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def s3_client(url):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(max_pool_connections=64))


def write_s3(url, bucket, prefix, run_id, yaml, tasks, seeds):
    client = s3_client(url)
    base = f"{prefix}/runs/{run_id}"
    client.put_object(Bucket=bucket, Key=f"{base}/run.yaml", Body=yaml.encode())
    with ThreadPoolExecutor(48) as pool:
        for f in [pool.submit(client.put_object, Bucket=bucket, Key=f"{base}/{k}", Body=v)
                  for k, v in all_files(run_id, tasks, seeds)]:
            f.result()


class Moto:
    """A moto server whose request log is counted."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [str(MOTO_VENV / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("moto did not start")

    def requests(self):
        with open(self.log.name, "rb") as f:
            return sum(1 for line in f if re.search(rb'"(GET|PUT|HEAD|POST|DELETE) ', line))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()
        os.unlink(self.log.name)


def measure(argv, env, moto=None):
    """(seconds, peak RSS MiB, requests or None, stderr tail) of one command. The peak
    comes from GNU time's %M: a child's ru_maxrss counts what its parent held at the fork
    (this script holds whole run groups), GNU time's own is a few MiB."""
    before = moto.requests() if moto else None
    err = tempfile.TemporaryFile()
    rss = tempfile.NamedTemporaryFile(suffix=".rss", delete=False)
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *argv],
                          stdout=subprocess.DEVNULL, stderr=err, env=env)
    seconds = time.perf_counter() - start
    err.seek(0)
    tail = err.read().decode(errors="replace")[-400:]
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{tail}")
    peak_kib = int(Path(rss.name).read_text().split()[-1])
    os.unlink(rss.name)
    time.sleep(0.2 if moto else 0)  # the server's log line is written after the reply
    requests = moto.requests() - before if moto else None
    return seconds, peak_kib / 1024, requests, tail


def server_ceiling(url, bucket, prefix, n=4000):
    """GETs per second the server answers with 64 clients in flight (boto3, no parsing):
    the most any reader of per-run files can get from it."""
    client = s3_client(url)
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
        if len(keys) >= n:
            break
    keys = keys[:n]
    start = time.perf_counter()
    with ThreadPoolExecutor(64) as pool:
        list(pool.map(lambda k: client.get_object(Bucket=bucket, Key=k)["Body"].read(), keys))
    return len(keys) / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(REPO / "target/release/aide-fleet"))
    ap.add_argument("--dir-sizes", default="1050,10050,100000")
    ap.add_argument("--s3-sizes", default="1050,10050")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    env = {**os.environ, **AWS_ENV, "NO_COLOR": "1"}
    work = Path(tempfile.mkdtemp(prefix="bench-index-"))
    rows = []

    def record(store, size, what, argv, moto=None, reps=args.reps):
        results = [measure(argv, env, moto) for _ in range(reps)]
        secs = sorted(r[0] for r in results)
        rss = max(r[1] for r in results)
        reqs = results[-1][2]
        rows.append((size, store, what, secs, rss, reqs))
        shown = " ".join(f"{s:.2f}" for s in secs)
        print(f"{size:>7} {store:<4} {what:<26} s: {shown:<20} peak {rss:7.1f} MiB"
              + (f"  requests {reqs}" if reqs is not None else ""), flush=True)

    bench = [args.bin]
    try:
        for size in [int(s) for s in args.dir_sizes.split(",") if s]:
            run_id, yaml, tasks, seeds = group(size)
            root = work / "dir"
            write_dir(root, run_id, yaml, tasks, seeds)
            store = ["--store", str(root)]
            report = bench + ["report", run_id, "--format", "json"] + store
            status = bench + ["status", run_id] + store
            # The first rebuild writes the index; the rest read it.
            record("dir", len(tasks) * seeds, "report --rebuild", report + ["--rebuild"], reps=1)
            record("dir", len(tasks) * seeds, "report (index)", report)
            record("dir", len(tasks) * seeds, "status (index)", status)
            n = len(tasks) * seeds
            index = root / "runs" / run_id / "index.json"
            index.unlink()
            record("dir", n, "status (no index: rebuild)", status, reps=1)
            index.unlink()
            record("dir", n, "report (no index: stamps)", report, reps=1)
            index.unlink()
            record("dir", n, "status (no index: stamps)", status, reps=1)
            shutil.rmtree(root / "runs" / run_id)
        s3_sizes = [int(s) for s in args.s3_sizes.split(",") if s]
        if s3_sizes:
            moto = Moto()
            client = s3_client(moto.url)
            try:
                for size in s3_sizes:
                    run_id, yaml, tasks, seeds = group(size)
                    bucket = f"bench-{size}"
                    client.create_bucket(Bucket=bucket)
                    write_s3(moto.url, bucket, "fleet", run_id, yaml, tasks, seeds)
                    ceiling = server_ceiling(moto.url, bucket, f"fleet/runs/{run_id}/tasks/")
                    print(f"{len(tasks) * seeds:>7} s3   the server's ceiling: {ceiling:.0f} GETs/s "
                          f"(boto3, 64 threads): 4 GETs a run cost {4 / ceiling * 1000:.1f} ms at best",
                          flush=True)
                    store = ["--store", f"s3://{bucket}/fleet", "--s3-endpoint", moto.url]
                    report = bench + ["report", run_id, "--format", "json"] + store
                    status = bench + ["status", run_id] + store
                    n = len(tasks) * seeds
                    record("s3", n, "report --rebuild", report + ["--rebuild"], moto, reps=1)
                    record("s3", n, "report (index)", report, moto)
                    record("s3", n, "status (index)", status, moto)
                    index = f"fleet/runs/{run_id}/index.json"
                    client.delete_object(Bucket=bucket, Key=index)
                    record("s3", n, "status (no index: rebuild)", status, moto, reps=1)
                    client.delete_object(Bucket=bucket, Key=index)
                    record("s3", n, "report (no index: stamps)", report, moto, reps=1)
                    client.delete_object(Bucket=bucket, Key=index)
                    record("s3", n, "status (no index: stamps)", status, moto, reps=1)
            finally:
                moto.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("\nmedian seconds; peak RSS over repetitions; requests of the last repetition")
    print("| runs | store | command | seconds (median) | peak MiB | requests |")
    print("|---|---|---|---|---|---|")
    for size, store, what, secs, rss, reqs in rows:
        print(f"| {size:,} | {store} | `{what}` | {secs[len(secs) // 2]:.2f} | {rss:.0f} | "
              f"{reqs if reqs is not None else '-'} |")


if __name__ == "__main__":
    main()
