"""Scores CVSS vectors with Red Hat's reference implementation (PyPI `cvss`, pinned in
.ci/setup.d/cvss.sh) for drydock-cvss's differential test.

Usage: python redhat_cvss.py VECTORS_FILE
Reads one vector per line; prints one JSON object per line, in order:
  {"base": 9.8, "base_sev": "CRITICAL", "temporal": ..., "temporal_sev": ...,
   "threat": ..., "threat_sev": ..., "env": ..., "env_sev": ...}
or {"error": "..."} when the library rejects the vector. A score is null where the vector
carries no metric of that group (v2: every metric ND; v4: E absent or X; env metrics absent or X).
v3 temporal/environmental scores are always computed by the library and reported as such.
"""

import json
import sys

import cvss
from cvss import CVSS2, CVSS3, CVSS4

# CVSS v4.0 specification, section 7 (table 23): the groups, by metric name.
V4_BASE = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"]
V4_THREAT = ["E"]
V4_ENV = ["CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI",
          "MVC", "MVI", "MVA", "MSC", "MSI", "MSA"]


def sev(s):
    return None if s is None else s.upper()


def v4_score(fields, keep):
    vector = "CVSS:4.0/" + "/".join(f"{k}:{v}" for k, v in fields if k in keep)
    c = CVSS4(vector)
    return c.base_score, c.severity


def score(line):
    if line.startswith("CVSS:4.0/"):
        fields = [tuple(f.split(":", 1)) for f in line.split("/")[1:]]
        CVSS4(line)  # validates the whole vector, supplemental metrics included
        defined = {k for k, v in fields if v != "X"}
        base, base_sev = v4_score(fields, V4_BASE)
        out = {"base": base, "base_sev": sev(base_sev), "temporal": None, "temporal_sev": None,
               "threat": None, "threat_sev": None, "env": None, "env_sev": None}
        if defined & set(V4_THREAT):
            out["threat"], s = v4_score(fields, V4_BASE + V4_THREAT)
            out["threat_sev"] = sev(s)
        if defined & set(V4_ENV):
            out["env"], s = v4_score(fields, V4_BASE + V4_THREAT + V4_ENV)
            out["env_sev"] = sev(s)
        return out
    c = CVSS3(line) if line.startswith("CVSS:3.") else CVSS2(line)
    base, temporal, env = c.scores()
    b, t, e = c.severities()
    return {"base": base, "base_sev": sev(b),
            "temporal": temporal, "temporal_sev": sev(t) if temporal is not None else None,
            "threat": None, "threat_sev": None,
            "env": env, "env_sev": sev(e) if env is not None else None}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            try:
                out = score(line)
            except Exception as err:  # the library's own error types vary by version
                out = {"error": f"{type(err).__name__}: {err}"}
            print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
