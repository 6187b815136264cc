#!/usr/bin/env python3
"""claude_start round trip with and without isolation, over stdio against a built server.

usage: bench/isolation_start.py BIN_DIR [--repeat N] [--files N]
BIN_DIR holds claude-jobs and fake-claude. Prints the median and p90 per case, in ms.
"""
import argparse, json, os, shutil, statistics, subprocess, tempfile, time

from stdio_server import StdioServer


def git(cwd, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b",
               GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@b")
    subprocess.run(["git", "-C", cwd, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def make_repo(path, files):
    os.makedirs(path)
    git(path, "init", "-q")
    for i in range(files):
        sub = os.path.join(path, "d%03d" % (i // 100))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "f%05d.txt" % i), "w") as f:
            f.write("line %d\n" % i * 20)
    git(path, "add", "-A")
    git(path, "commit", "-qm", "init")


def start_server(bin_dir, state):
    return StdioServer(bin_dir, state, {
        "maxConcurrentJobs": 1000, "retentionDays": 0,
        "claude": {"path": os.path.join(bin_dir, "fake-claude"), "permissionMode": ""}})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin_dir")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--files", type=int, default=5000)
    o = ap.parse_args()
    root = tempfile.mkdtemp(prefix="cj-iso-bench-")
    try:
        plain = os.path.join(root, "plain"); os.makedirs(plain)
        small = os.path.join(root, "small"); make_repo(small, 10)
        big = os.path.join(root, "big"); make_repo(big, o.files)
        with open(os.path.join(big, "d000", "f00000.txt"), "a") as f:
            f.write("uncommitted\n")
        cases = [("none, plain folder", plain, {}),
                 ("none, git repo (10 files)", small, {}),
                 ("worktree, git repo (10 files)", small, {"isolation": "worktree"}),
                 ("none, git repo (%d files)" % o.files, big, {}),
                 ("worktree, git repo (%d files)" % o.files, big, {"isolation": "worktree"}),
                 ("worktree + includeUncommitted (%d files)" % o.files, big,
                  {"isolation": "worktree", "includeUncommitted": True}),
                 ("copy, plain folder", plain, {"isolation": "copy"})]
        state = os.path.join(root, "state"); os.makedirs(state)
        s = start_server(o.bin_dir, state)
        print("%-45s %9s %9s" % ("case", "median", "p90"))
        for name, folder, extra in cases:
            samples = []
            for i in range(o.repeat + 1):
                ms = s.tool("claude_start", dict(prompt="say hi", workFolder=folder, **extra))[0]
                if i: samples.append(ms)
            samples.sort()
            print("%-45s %8.1f %8.1f" % (name, statistics.median(samples),
                                        samples[int(len(samples) * 0.9) - 1]))
        s.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
