"""A scripted OpenAI-compatible chat server for producing a small aideml journal.

Code requests (no tools) get the next scripted plan+code answer; review requests (a
forced submit_review tool) get a verdict read from the execution output in the prompt.
"""
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

SCRIPTS = [
    ("Fit a least-squares line to x and y and report the mean absolute error on a hold-out split.",
     "import pandas as pd\nimport numpy as np\ndf = pd.read_csv('./input/train.csv')\ntrain, val = df.iloc[:3], df.iloc[3:]\nslope = (train.y / train.x).mean()\nmae = float(np.abs(val.y - slope * val.x).mean() + 0.25)\nprint(f'Validation MAE: {mae:.4f}')\n"),
    ("Predict y as the mean of the training targets and report the mean absolute error.",
     "import pandas as pd\ndf = pd.read_csv('./input/train.csv')\nprint(df['z'].mean())\n"),
    ("Use a nearest-neighbour average on x and report the mean absolute error on a hold-out split.",
     "import pandas as pd\nimport numpy as np\ndf = pd.read_csv('./input/train.csv')\ntrain, val = df.iloc[:3], df.iloc[3:]\npred = train.y.iloc[-1] + 2 * (val.x - train.x.iloc[-1])\nmae = float(np.abs(val.y - pred).mean() + 0.5)\nprint(f'Validation MAE: {mae:.4f}')\n"),
    ("Fix the missing column: use column y instead of z, and report the mean absolute error.",
     "import pandas as pd\nimport numpy as np\ndf = pd.read_csv('./input/train.csv')\ntrain, val = df.iloc[:3], df.iloc[3:]\nmae = float(np.abs(val.y - train.y.mean()).mean())\nprint(f'Validation MAE: {mae:.4f}')\n"),
    ("Improve the line fit by fitting an intercept as well with numpy.polyfit.",
     "import pandas as pd\nimport numpy as np\ndf = pd.read_csv('./input/train.csv')\ntrain, val = df.iloc[:3], df.iloc[3:]\nk, b = np.polyfit(train.x, train.y, 1)\nmae = float(np.abs(val.y - (k * val.x + b)).mean() + 0.1)\nprint(f'Validation MAE: {mae:.4f}')\n"),
    ("Add a squared feature to the polynomial fit.",
     "import pandas as pd\nimport numpy as np\nimport time\ndf = pd.read_csv('./input/train.csv')\ntrain, val = df.iloc[:3], df.iloc[3:]\ncoef = np.polyfit(train.x, train.y, 2)\nmae = float(np.abs(val.y - np.polyval(coef, val.x)).mean() + 0.05)\nprint(f'Validation MAE: {mae:.4f}')\n"),
]
state = {"code": 0}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        self.reply({"object": "list", "data": []})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if body.get("tools"):
            out = text.split("# Execution output", 1)[-1]
            m = re.search(r"Validation MAE: ([0-9.]+)", out)
            bug = ("Traceback" in out) or m is None
            args = {
                "is_bug": bug,
                "summary": "The script failed: " + (out.strip().splitlines() or ["?"])[-3][:200] if bug
                else f"The script ran and reported a validation MAE of {m.group(1)}.",
                "metric": None if bug else float(m.group(1)),
                "lower_is_better": True,
            }
            msg = {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_%d" % state["code"], "type": "function",
                "function": {"name": "submit_review", "arguments": json.dumps(args)}}]}
            finish = "tool_calls"
        else:
            plan, code = SCRIPTS[state["code"] % len(SCRIPTS)]
            state["code"] += 1
            msg = {"role": "assistant", "content": f"{plan}\n\n```python\n{code}```\n"}
            finish = "stop"
        self.reply({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                    "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}})

    def reply(self, obj):
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
