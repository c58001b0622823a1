#!/usr/bin/env python3
"""Per-step overhead of aide-fleet and of aideml 0.2.2 (the reference AIDE, from PyPI),
side by side in one run, against the same scripted model on 127.0.0.1.

What is measured. Each tool runs one search of N steps (default 500) on the same trivial
task; the steps at 1-10, 91-100 and 491-500 nodes are compared. A step's overhead is

    step wall time - LLM wait - script execution

- step wall time: aide-fleet's recorded `timing.total_s` (from the step's start to its
  node record's final write, so writing the record, the best files and progress.json is
  in it); aideml: `agent.step()` plus `save_run()` timed around them by the driver below,
  which is aideml's own loop from `aide/run.py` (its records are written after every
  step) without the Rich live display.
- LLM wait: what the model costs, measured on the model's side: the scripted server's
  time per request (from its handler's start to the answer flushed), summed over the
  requests that fall in the step. The server answers at once, so this is tens of
  microseconds; everything the client does around a call (building the request, HTTP,
  parsing) stays in the overhead, for both tools alike.
- script execution, two ways, both printed:
  * "recorded": each tool's own measure of the script (aide-fleet `timing.exec_s`: from
    the sandboxed child's spawn to its exit, so the Python start and the sandbox's
    in-child setup count as the script; aideml `exec_time`: from the forked REPL
    child's "ready" to "finished", so its process start counts as overhead);
  * "strict": only the script's own code, timed inside the script (it prints BODY_S);
    everything else, interpreter starts included, is overhead for both.
The syntax check of the model's code (aide-fleet's checker process, aideml's in-process
`compile` and black formatting) is overhead in both.

The model always answers the code prompts with a plan and one ```python block, and the
review prompts with a submit_review tool call (a good node, metric 0.5), as each tool
asks for it (aideml: chat completions with `tools` and `tool_choice`, used when
OPENAI_BASE_URL is set and the model name is not an OpenAI one; aide-fleet: --base-url).
Both run their scripts with the same interpreter, the aideml venv's Python.

aideml is installed by this script into its own venv, ~/.cache/aide-fleet/aideml-0.2.2/
(`pip install --no-deps aideml==0.2.2` plus the pinned packages it imports; its full
requirement list pulls in torch, transformers and the like, which it never imports to
run a search). `pip freeze` of that venv is saved beside it.

Usage: scripts/bench_vs_aideml.py [--bin target/release/aide-fleet] [--steps 500]
                                  [--aideml-steps 500] [--json OUT]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aide-fleet"
VENV = CACHE / "aideml-0.2.2"
AIDEML = "aideml==0.2.2"
# What aideml imports to run a search (aide/*.py, backend/, utils/), pinned: aideml's
# own pins where it has them, else a release current with aideml 0.2.2 (July 2025).
DEPS = [
    "black==24.3.0",
    "funcy==2.0",
    "humanize==4.8.0",
    "jsonschema==4.19.2",
    "numpy==1.26.2",
    "pandas==2.1.4",
    "rich==13.7.0",
    "dataclasses-json==0.6.7",
    "omegaconf==2.3.0",
    "shutup==0.2.0",
    "coolname==2.2.0",
    "igraph==0.11.8",
    "genson==1.3.0",
    "openai==1.109.1",
    "anthropic==0.69.0",
    "backoff==2.2.1",
]
MODEL = "bench-model"
WINDOWS = [10, 100, 500]

SCRIPT = """import os, time
_t0 = time.perf_counter()
os.makedirs('./submission', exist_ok=True)
os.makedirs('./working', exist_ok=True)
for _p in ('./submission/submission.csv', './working/submission.csv'):
    with open(_p, 'w') as _f:
        _f.write('id,target\\n1,0.5\\n2,0.5\\n')
print('Validation metric: 0.5')
print('BODY_S=%.9f' % (time.perf_counter() - _t0))
"""

REVIEW = {
    "is_bug": False,
    "has_csv_submission": True,
    "summary": "The script ran and printed a validation metric of 0.5.",
    "metric": 0.5,
    "lower_is_better": False,
}


# ---------------------------------------------------------------------------------------
# The scripted model


class Model(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.log = []  # (unix start, seconds spent)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def take_log(self):
        with self.lock:
            log, self.log = self.log, []
        return log


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY the body would wait for
    # the client's delayed ACK (40 ms), which neither tool should be charged.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _send(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        self._send({"object": "list", "data": [{"id": MODEL, "object": "model"}]})

    def do_POST(self):
        wall, t0 = time.time(), time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        if request.get("tools"):
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_0",
                        "type": "function",
                        "function": {
                            "name": "submit_review",
                            "arguments": json.dumps(REVIEW),
                        },
                    }
                ],
            }
            finish = "tool_calls"
        else:
            message = {
                "role": "assistant",
                "content": "A constant prediction as a first baseline, with its validation "
                "metric printed.\n\n```python\n" + SCRIPT + "```\n",
            }
            finish = "stop"
        self._send(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion",
                "created": int(wall),
                "model": request.get("model", MODEL),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
            }
        )
        spent = time.perf_counter() - t0
        with self.server.lock:
            self.server.log.append((wall, spent))


# ---------------------------------------------------------------------------------------
# aideml's venv and driver


def find_base_python():
    """A Python for aideml's pins (numpy 1.26.2 has wheels for 3.9 to 3.12)."""
    for name in ("python3.11", "python3.12", "python3.10"):
        path = shutil.which(name)
        if path and subprocess.run([path, "-c", "pass"], capture_output=True).returncode == 0:
            return path
    return sys.executable


def ensure_venv():
    python = VENV / "bin" / "python"
    marker = VENV / ".installed"
    wanted = "\n".join([AIDEML] + DEPS)
    if marker.is_file() and marker.read_text() == wanted:
        return python
    if VENV.exists():
        shutil.rmtree(VENV)
    base = find_base_python()
    print(f"installing {AIDEML} into {VENV} (base {base}) ...", file=sys.stderr)
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # pip's resolver names every requirement of aideml's that is left out: not shown.
    for extra in (["--no-deps", AIDEML], DEPS):
        done = subprocess.run(pip + extra, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"pip install {' '.join(extra)} failed:\n{done.stdout}{done.stderr}")
    subprocess.run([str(python), "-c", "import aide, aide.run"], check=True)
    freeze = subprocess.run(
        [str(python), "-m", "pip", "freeze"], check=True, capture_output=True, text=True
    ).stdout
    (VENV / "pip-freeze.txt").write_text(freeze)
    marker.write_text(wanted)
    return python


# Runs inside aideml's venv: aideml's own loop from aide/run.py (agent.step, then
# save_run, which rewrites journal.json, config.yaml, tree_plot.html and
# best_solution.py), each step timed, minus the Rich live display.
AIDEML_DRIVER = r"""
import json, logging, sys, time
args = json.loads(sys.argv[1])
sys.argv = ["aide"] + args["overrides"]
from omegaconf import OmegaConf
from aide.agent import Agent
from aide.interpreter import Interpreter
from aide.journal import Journal
from aide.utils.config import load_cfg, load_task_desc, prep_agent_workspace, save_run
logging.getLogger("aide").setLevel(logging.WARNING)
cfg = load_cfg()
task_desc = load_task_desc(cfg)
prep_agent_workspace(cfg)
journal = Journal()
agent = Agent(task_desc=task_desc, cfg=cfg, journal=journal)
interpreter = Interpreter(cfg.workspace_dir, **OmegaConf.to_container(cfg.exec))
deadline = time.monotonic() + args["time_limit_s"]
with open(args["out"], "w") as out:
    while len(journal) < cfg.agent.steps and time.monotonic() < deadline:
        start, t0 = time.time(), time.perf_counter()
        agent.step(exec_callback=interpreter.run)
        save_run(cfg, journal)
        wall = time.perf_counter() - t0
        node = journal.nodes[-1]
        out.write(json.dumps({"step": node.step, "start": start, "wall_s": wall,
                              "exec_s": node.exec_time, "buggy": node.is_buggy,
                              "term_out": node.term_out}) + "\n")
        out.flush()
interpreter.cleanup_session()
"""


# ---------------------------------------------------------------------------------------
# Runs


def make_task(root):
    task = root / "task"
    task.mkdir()
    (task / "description.md").write_text(
        "# Bench\n\nPredict `target` for each `id` in test.csv. Metric: accuracy.\n"
    )
    (task / "train.csv").write_text("id,x,target\n1,0.1,0\n2,0.9,1\n3,0.4,0\n4,0.7,1\n")
    (task / "test.csv").write_text("id,x\n1,0.2\n2,0.8\n")
    (task / "sample_submission.csv").write_text("id,target\n1,0\n2,0\n")
    return task


def body_s(term_out):
    match = re.search(r"BODY_S=([0-9.]+)", "".join(term_out))
    return float(match.group(1)) if match else 0.0


def attribute(steps, log):
    """Adds each step's model time: requests that started at or after the step's start
    and before the next step's."""
    starts = [s["start"] for s in steps]
    for s in steps:
        s["llm_s"] = 0.0
        s["requests"] = 0
    for wall, spent in log:
        k = None
        for i, start in enumerate(starts):
            if start <= wall:
                k = i
            else:
                break
        if k is not None:
            steps[k]["llm_s"] += spent
            steps[k]["requests"] += 1
    for s in steps:
        s["overhead_ms"] = (s["wall_s"] - s["llm_s"] - s["exec_s"]) * 1000
        s["strict_ms"] = (s["wall_s"] - s["llm_s"] - s["body_s"]) * 1000
    return steps


def run_aide_fleet(binary, python, model, root, steps):
    task = make_task(root)
    out = root / "aide-fleet-out"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["OPENAI_API_KEY"] = "bench"
    cmd = [
        str(binary), "agent", "--task-dir", str(task), "--out", str(out),
        "--steps", str(steps), "--seed", "0",
        "--model", MODEL, "--feedback-model", MODEL,
        "--base-url", model.base_url, "--python", str(python),
    ]
    model.take_log()
    t0 = time.perf_counter()
    with open(root / "aide-fleet.log", "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, env=env)
    total = time.perf_counter() - t0
    rows = []
    for path in sorted((out / "nodes").glob("*.json")):
        node = json.loads(path.read_text())
        timing = node["timing"]
        # ctime is taken at the step's start, before its first LLM request.
        rows.append({
            "step": node["step"], "start": node["ctime"], "wall_s": timing["total_s"],
            "exec_s": timing["exec_s"], "check_s": timing.get("check_s", 0.0),
            "client_llm_s": timing["llm_s"], "body_s": body_s(node["term_out"]),
            "buggy": node["is_buggy"],
        })
    return attribute(rows, model.take_log()), total


def run_aideml(python, model, root, steps, time_limit_s):
    task = make_task(root)
    out = root / "aideml-steps.jsonl"
    overrides = [
        f"data_dir={task}", f"desc_file={task / 'description.md'}",
        f"log_dir={root / 'aideml-logs'}", f"workspace_dir={root / 'aideml-workspaces'}",
        f"agent.steps={steps}", f"agent.code.model={MODEL}",
        f"agent.feedback.model={MODEL}", "generate_report=False", "copy_data=False",
        "exec.timeout=600",
    ]
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(OPENAI_BASE_URL=model.base_url, OPENAI_API_KEY="bench")
    args = {"overrides": overrides, "out": str(out), "time_limit_s": time_limit_s}
    model.take_log()
    t0 = time.perf_counter()
    with open(root / "aideml.log", "w") as log:
        subprocess.run([str(python), "-c", AIDEML_DRIVER, json.dumps(args)], check=True,
                       stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    total = time.perf_counter() - t0
    rows = []
    for line in out.read_text().splitlines():
        s = json.loads(line)
        s["body_s"] = body_s(s.pop("term_out"))
        rows.append(s)
    return attribute(rows, model.take_log()), total


def window(rows, at):
    w = [r for r in rows if at - 10 <= r["step"] < at]
    if len(w) < 10:
        return None
    med = lambda key: statistics.median(r[key] for r in w)  # noqa: E731
    return {
        "overhead_ms": med("overhead_ms"),
        "strict_ms": med("strict_ms"),
        "wall_ms": med("wall_s") * 1000,
        "llm_ms": med("llm_s") * 1000,
        "exec_ms": med("exec_s") * 1000,
        "body_ms": med("body_s") * 1000,
        "requests": med("requests"),
        "buggy": sum(r["buggy"] for r in w),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "aide-fleet"))
    ap.add_argument("--steps", type=int, default=500, help="aide-fleet's search length")
    ap.add_argument("--aideml-steps", type=int, default=500, help="aideml's search length")
    ap.add_argument("--aideml-time-limit", type=float, default=3600,
                    help="stop aideml's search after this many seconds (default 1 h)")
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--keep", action="store_true", help="keep the run directories")
    args = ap.parse_args()

    binary = Path(args.bin)
    if not binary.is_file():
        sys.exit(f"{binary} not found: build it with `cargo build --release`")
    python = ensure_venv()
    model = Model()
    threading.Thread(target=model.serve_forever, daemon=True).start()
    root = Path(tempfile.mkdtemp(prefix="bench-vs-aideml-"))
    results = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()}}
    try:
        print(f"aide-fleet: {args.steps} steps ({binary}) ...", file=sys.stderr)
        (root / "fleet").mkdir()
        fleet, fleet_total = run_aide_fleet(binary, python, model, root / "fleet", args.steps)
        results["machine"]["load_between"] = os.getloadavg()
        print(f"aideml 0.2.2: {args.aideml_steps} steps ...", file=sys.stderr)
        (root / "aideml").mkdir()
        aideml, aideml_total = run_aideml(
            python, model, root / "aideml", args.aideml_steps, args.aideml_time_limit
        )
        results["machine"]["load_after"] = os.getloadavg()
    finally:
        model.shutdown()
        if args.keep:
            print(f"run directories kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)

    print(f"aide-fleet: {len(fleet)} steps in {fleet_total:.1f} s; "
          f"aideml 0.2.2: {len(aideml)} steps in {aideml_total:.1f} s "
          f"(scripts run by {python})")
    print("per-step overhead = step wall time - LLM wait (scripted server's own time) - "
          "script execution; medians over each window of 10 steps")
    head = (f"{'nodes':>8} | {'tool':>10} | {'overhead ms':>11} | {'strict ms':>9} | "
            f"{'step ms':>8} | {'llm ms':>6} | {'exec ms':>7} | {'body ms':>7}")
    print(head)
    print("-" * len(head))
    results["windows"] = {}
    for at in WINDOWS:
        f, a = window(fleet, at), window(aideml, at)
        entry = {"aide_fleet": f, "aideml": a}
        for name, w in (("aide-fleet", f), ("aideml", a)):
            if w is None:
                print(f"{f'{at - 9}-{at}':>8} | {name:>10} | not run")
                continue
            print(f"{f'{at - 9}-{at}':>8} | {name:>10} | {w['overhead_ms']:>11.2f} | "
                  f"{w['strict_ms']:>9.2f} | {w['wall_ms']:>8.2f} | {w['llm_ms']:>6.3f} | "
                  f"{w['exec_ms']:>7.2f} | {w['body_ms']:>7.3f}")
        if f and a:
            entry["ratio"] = a["overhead_ms"] / f["overhead_ms"]
            entry["ratio_strict"] = a["strict_ms"] / f["strict_ms"]
            print(f"{'':>8} | {'ratio':>10} | {entry['ratio']:>10.1f}x | "
                  f"{entry['ratio_strict']:>8.1f}x | aideml / aide-fleet")
        results["windows"][str(at)] = entry
    checks = [r["check_s"] * 1000 for r in fleet]
    print(f"aide-fleet's syntax check (inside its overhead): median "
          f"{statistics.median(checks):.3f} ms, first step {checks[0]:.1f} ms "
          f"(the checker's start)")
    bad = sum(r["buggy"] for r in fleet) + sum(r["buggy"] for r in aideml)
    if bad:
        print(f"warning: {bad} buggy nodes: the searches did not run as scripted")
    print(f"load average before/between/after: {results['machine']['load_before']} / "
          f"{results['machine']['load_between']} / {results['machine']['load_after']}, "
          f"{os.cpu_count()} CPUs")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
