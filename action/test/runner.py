"""A minimal GitHub Actions runner for drydock's composite action (action.yml), for CI.

Runs the action's steps the way a runner does: inputs = defaults + `with`, `${{ }}` expressions
(inputs, steps.*.outputs, runner, github, env, the status functions), `if:` with an implicit
`success()`, a fresh GITHUB_OUTPUT file per step parsed into `steps.<id>.outputs`, GITHUB_ENV and
GITHUB_PATH applied to later steps, `uses:` steps reported and skipped (actions/cache has no
server here). The caller sets the runner's environment (RUNNER_*, GITHUB_*).

Usage: python runner.py ACTION_DIR WITH_JSON  → prints the action's outputs as JSON on the last
line; exits 1 when a step failed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from ruamel.yaml import YAML

action_dir, with_json = sys.argv[1], sys.argv[2]
action = YAML(typ="safe").load(open(os.path.join(action_dir, "action.yml")))
given = json.loads(with_json)
unknown = set(given) - set(action["inputs"])
if unknown:
    sys.exit(f"unknown inputs: {sorted(unknown)}")


def as_input(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


ctx = {
    "github": {
        "action_path": action_dir,
        "action_repository": "drydock/drydock",
        "token": "fake-token",
        "repository": os.environ.get("GITHUB_REPOSITORY", ""),
        "sha": os.environ.get("GITHUB_SHA", ""),
    },
    "runner": {"os": os.environ["RUNNER_OS"], "arch": os.environ["RUNNER_ARCH"],
               "temp": os.environ["RUNNER_TEMP"]},
    "steps": {},
    "env": {},
}
status = {"failed": False}
TOKEN = re.compile(r"'(?:[^']|'')*'|&&|\|\||==|!=|!|\(|\)|[A-Za-z_][\w.-]*\(\)|[A-Za-z_][\w.-]*|\d+|\s+")


def lookup(path):
    cur = ctx
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part, "")
    return cur


def evaluate(expr):
    py = []
    pos = 0
    for m in TOKEN.finditer(expr):
        if m.start() != pos:
            raise SystemExit(f"cannot parse expression `{expr}`")
        pos = m.end()
        t = m.group(0)
        if t.isspace():
            continue
        if t.startswith("'"):
            py.append(repr(t[1:-1].replace("''", "'")))
        elif t == "&&":
            py.append(" and ")
        elif t == "||":
            py.append(" or ")
        elif t == "!":
            py.append(" not ")
        elif t in ("==", "!=", "(", ")"):
            py.append(t)
        elif t.endswith("()"):
            f = {"success": not status["failed"], "failure": status["failed"],
                 "always": True, "cancelled": False}[t[:-2]]
            py.append(repr(f))
        elif t in ("true", "false"):
            py.append(repr(t == "true"))
        elif t.isdigit():
            py.append(t)
        else:
            py.append(repr(lookup(t)))
    if pos != len(expr):
        raise SystemExit(f"cannot parse expression `{expr}`")
    return eval("".join(py), {"__builtins__": {}}, {})


def substitute(text):
    def one(m):
        v = evaluate(m.group(1).strip())
        return as_input(v) if not isinstance(v, str) else v
    return re.sub(r"\$\{\{(.*?)\}\}", one, str(text))


ctx["inputs"] = {k: substitute(as_input(given.get(k, spec.get("default", ""))))
                 for k, spec in action["inputs"].items()}
extra_env, extra_path = {}, []
for i, step in enumerate(action["runs"]["steps"]):
    cond = str(step.get("if", "success()"))
    cond = cond.strip()[3:-2] if cond.strip().startswith("${{") else cond
    if not re.search(r"\b(success|failure|always|cancelled)\(\)", cond):
        cond = f"success() && ({cond})"
    sid = step.get("id", f"step{i}")
    if not evaluate(cond):
        print(f"runner: skip {sid} (if: {step.get('if', 'success()')})", file=sys.stderr)
        continue
    if "uses" in step:
        with_ = {k: substitute(v) for k, v in step.get("with", {}).items()}
        print(f"runner: uses {step['uses']} with {json.dumps(with_)} (not run here)", file=sys.stderr)
        continue
    files = {}
    for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH"):
        fd, files[name] = tempfile.mkstemp(prefix=f"{name}-", dir=ctx["runner"]["temp"])
        os.close(fd)
    env = dict(os.environ)
    env.update(extra_env)
    env["PATH"] = os.pathsep.join(extra_path + [env["PATH"]])
    env.update(files)
    env["GITHUB_ACTION_PATH"] = action_dir
    env.update({k: substitute(v) for k, v in step.get("env", {}).items()})
    print(f"runner: run {sid}", file=sys.stderr)
    # The step's output is the job log (stderr here): stdout carries only the result line.
    code = subprocess.run(["bash", "-e", "-c", substitute(step["run"])], env=env,
                          stdout=sys.stderr).returncode
    outputs = {}
    for line in open(files["GITHUB_OUTPUT"]).read().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            outputs[k] = v
    ctx["steps"][sid] = {"outputs": outputs, "outcome": "success" if code == 0 else "failure"}
    for line in open(files["GITHUB_ENV"]).read().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            extra_env[k] = v
    extra_path = [p for p in open(files["GITHUB_PATH"]).read().splitlines() if p] + extra_path
    if code != 0:
        print(f"runner: {sid} failed ({code})", file=sys.stderr)
        status["failed"] = True
result = {k: substitute(v["value"]) for k, v in action.get("outputs", {}).items()}
result["_failed"] = status["failed"]
print(json.dumps(result))
sys.exit(1 if status["failed"] else 0)
