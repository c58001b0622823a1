#!/usr/bin/env python3
"""A scripted OpenAI-compatible chat server for scripts/gpu-check/run.sh (stdlib only, so it
runs on a GPU machine with no network and no project venv).

Code requests get a plan and a script that uses CUDA through PyTorch, reports what it sees,
and submits the task's sample submission; review requests (the ones that carry tools) get
a `submit_review` tool call that reads the script's METRIC line.

Usage: scripted_llm.py PORT
"""

import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCRIPT = """\
import os, shutil, time
import torch

print("CUDA_VISIBLE_DEVICES=" + os.environ.get("CUDA_VISIBLE_DEVICES", "<unset>"))
assert torch.cuda.is_available(), "no CUDA device visible"
print("torch sees", torch.cuda.device_count(), "device(s):", torch.cuda.get_device_name(0))
x = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
torch.cuda.synchronize()
t = time.perf_counter()
for _ in range(20):
    y = x @ x
torch.cuda.synchronize()
seconds = time.perf_counter() - t
print(f"bf16 matmul: {20 * 2 * 8192**3 / seconds / 1e12:.0f} TFLOP/s")
time.sleep(5)  # long enough for the other seed to be seen waiting for the GPU
shutil.copy("./input/sample_submission.csv", "./submission/submission.csv")
print("METRIC=0.5")
"""


def completion(message):
    return {
        "id": "scripted",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


def answer(body):
    if body.get("tools"):
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        found = re.search(r"METRIC=([0-9.]+)", prompt)
        ok = found is not None and "Traceback" not in prompt
        args = {
            "is_bug": not ok,
            "summary": "the script ran on the GPU" if ok else "the script failed",
            "metric": float(found.group(1)) if ok else None,
            "lower_is_better": False,
        }
        return completion({
            "role": "assistant",
            "content": None,
            "tool_calls": [{
                "id": "call-1",
                "type": "function",
                "function": {"name": "submit_review", "arguments": json.dumps(args)},
            }],
        })
    text = "Check that the GPU is visible and usable.\n\n```python\n" + SCRIPT + "```\n"
    return completion({"role": "assistant", "content": text})


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        data = json.dumps(answer(body)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
