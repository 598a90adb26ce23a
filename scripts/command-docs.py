#!/usr/bin/env python3
"""Regenerate src/server/commands/docs.json, the argument trees, complexity,
history and deprecation of Redis 7.0's commands that COMMAND DOCS replies
with (client libraries and redis-cli's hints read them).

Usage: scripts/command-docs.py REDIS_GIT_DIR [TAG]   (TAG defaults to 7.0.15)

Reads the command descriptions of a Redis source tree at TAG (src/commands/
*.json) and keeps, per command (by full name, "client|kill"), only what
COMMAND DOCS shows, normalised as Redis's build normalises it: argument
names in lower case, tokens in upper case, empty strings dropped, flags
as the names the reply uses. One command per line, sorted, so a diff
between two Redis versions reads well.
"""
import json
import subprocess
import sys
from pathlib import Path


def git(git_dir, *args):
    return subprocess.run(
        ["git", "--git-dir", git_dir, *args], check=True, capture_output=True, text=True
    ).stdout


def argument(desc):
    out = {"name": desc["name"].lower(), "type": desc["type"]}
    if "key_spec_index" in desc:
        out["key_spec_index"] = desc["key_spec_index"]
    for field in ("token", "summary", "since", "deprecated_since"):
        if desc.get(field):
            out[field] = desc[field].upper() if field == "token" else desc[field]
    # Redis pastes a token into a C string literal: MIGRATE's `""` becomes
    # two empty literals, so its token is the empty string.
    if "token" in out:
        out["token"] = out["token"].replace('"', "")
    flags = [f for f in ("optional", "multiple", "multiple_token") if desc.get(f)]
    if flags:
        out["flags"] = flags
    if desc["type"] in ("oneof", "block"):
        out["arguments"] = [argument(a) for a in desc["arguments"]]
    return out


def command(desc):
    out = {}
    for field in ("summary", "since", "complexity"):
        if desc.get(field):
            out[field] = desc[field]
    flags = [f.lower() for f in ("DEPRECATED", "SYSCMD") if f in desc.get("doc_flags", [])]
    if flags:
        out["doc_flags"] = flags
    for field in ("deprecated_since", "replaced_by"):
        if desc.get(field):
            out[field] = desc[field]
    if desc.get("history"):
        out["history"] = desc["history"]
    if desc.get("arguments"):
        out["arguments"] = [argument(a) for a in desc["arguments"]]
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    git_dir = sys.argv[1]
    tag = sys.argv[2] if len(sys.argv) == 3 else "7.0.15"
    names = git(git_dir, "ls-tree", "--name-only", f"{tag}:src/commands").split()
    docs = {}
    for name in names:
        if not name.endswith(".json"):
            continue
        for cmd, desc in json.loads(git(git_dir, "show", f"{tag}:src/commands/{name}")).items():
            full = cmd.lower()
            if desc.get("container"):
                full = f"{desc['container'].lower()}|{full}"
            docs[full] = command(desc)
    out = Path(__file__).resolve().parent.parent / "src/server/commands/docs.json"
    with open(out, "w") as f:
        f.write("{\n")
        lines = [
            f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
            for k, v in sorted(docs.items())
        ]
        f.write(",\n".join(lines))
        f.write("\n}\n")
    print(f"{out}: {len(docs)} commands from Redis {tag}", file=sys.stderr)


if __name__ == "__main__":
    main()
