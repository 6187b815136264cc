#!/usr/bin/env python3
"""Context cost per job: the bytes of what a calling model is handed for one job, by protocol.

usage: bench/context_cost.py BIN_DIR [--answer BYTES] [--transcript BYTES]
BIN_DIR holds claude-jobs and fake-claude. One job whose final answer is --answer bytes (4096)
after --transcript bytes of output (50000) is started, waited for and checked with default
arguments, once by a client of protocol 2025-03-26 (no structuredContent: everything in the
text block) and once by one of 2025-06-18 (the text block is a brief). Prints, per call and in
total, the text block, structuredContent (as JSON) and the whole reply line, in bytes.
"""
import argparse, json, os, shutil, tempfile

from stdio_server import StdioServer


def measure(bin_dir, root, protocol, prompt):
    state = os.path.join(root, "state-" + protocol)
    work = os.path.join(root, "work")
    os.makedirs(state)
    os.makedirs(work, exist_ok=True)
    s = StdioServer(bin_dir, state, {"claude": {"path": os.path.join(bin_dir, "fake-claude"),
                                                "permissionMode": ""}}, protocol)
    rows = []

    def call(name, args):
        r = s.call("tools/call", {"name": name, "arguments": args})["result"]
        if r.get("isError"):
            raise RuntimeError(json.dumps(r["structuredContent"]))
        text = "".join(c["text"] for c in r["content"] if c["type"] == "text")
        sc = json.dumps(r["structuredContent"], separators=(",", ":"), ensure_ascii=False)
        rows.append((name, len(text.encode()), len(sc.encode()), len(s.last_line.encode())))
        return r["structuredContent"]

    try:
        job = call("claude_start", {"prompt": prompt, "workFolder": work})["jobId"]
        done = call("claude_wait", {"jobIds": [job], "timeoutSec": 30})
        if not done["done"]:
            raise RuntimeError("the job did not end within 30 s")
        call("claude_check", {"jobId": job})
    finally:
        s.close()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin_dir")
    ap.add_argument("--answer", type=int, default=4096)
    ap.add_argument("--transcript", type=int, default=50000)
    o = ap.parse_args()
    o.bin_dir = os.path.abspath(o.bin_dir)
    answer = ("the answer " * (o.answer // 11 + 1))[: o.answer].strip()
    prompt = "output %d\nsay %s" % (o.transcript, answer)
    root = tempfile.mkdtemp(prefix="cj-context-cost-")
    try:
        print("%-12s %-14s %12s %18s %12s" % ("protocol", "call", "text block", "structuredContent",
                                               "reply line"))
        for protocol in ("2025-03-26", "2025-06-18"):
            rows = measure(o.bin_dir, root, protocol, prompt)
            for name, text, sc, line in rows:
                print("%-12s %-14s %12d %18d %12d" % (protocol, name, text, sc, line))
            print("%-12s %-14s %12d %18d %12d" % (protocol, "total", sum(r[1] for r in rows),
                                                   sum(r[2] for r in rows), sum(r[3] for r in rows)))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
