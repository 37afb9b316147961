"""How benchmarks/run.py measures: one run of a command, interleaved rounds of
many, a herd started at once, peak RSS, and the summary of samples."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

GNU_TIME = "/usr/bin/time"


def run_once(argv, env):
    """(wall seconds, CPU seconds, exit code) of one run, stdout/stderr discarded."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # already reaped
    return elapsed, usage.ru_utime + usage.ru_stime, process.returncode


def peak_rss_kib(argv, env, runs=3):
    """Peak RSS of the command, by GNU time: ru_maxrss of a child forked from this
    (large) process would count the pages it shared with us before exec."""
    if not os.access(GNU_TIME, os.X_OK):
        return None
    peaks = []
    with tempfile.NamedTemporaryFile("r") as report:
        for _ in range(runs):
            subprocess.run([GNU_TIME, "-f", "%M", "-o", report.name, *argv], env=env, check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            report.seek(0)
            peaks.append(int(report.read().split()[-1]))
    return max(peaks)


def check(argv, env, what):
    """Run once with output captured; stop the benchmark if the command does not work."""
    done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


def interleaved(rows, rounds):
    """{name: [wall seconds...]}, {name: [CPU seconds...]}: one run of every row per
    round, each after its own untimed `before` (emptying a cache, say)."""
    wall = {name: [] for name in rows}
    cpu = {name: [] for name in rows}
    for _ in range(rounds):
        for name, row in rows.items():
            if row.before:
                row.before()
            seconds, cpu_seconds, code = run_once(row.argv, row.env)
            if code != 0:
                sys.exit(f"{name} failed during timing (exit {code})")
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    return wall, cpu


def herd(argv, env, count, proxy, action="AssumeRole"):
    """Start `count` copies at once; (STS calls of `action`, failures, seconds until all ended)."""
    proxy.reset_counts()
    start = time.perf_counter()
    processes = [subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(count)]
    failures = sum(1 for process in processes if process.wait(300) != 0)
    return proxy.count(action), failures, time.perf_counter() - start


def summary(samples):
    """(median, p10, p90)."""
    ordered = sorted(samples)
    tenth = max(0, int(len(ordered) * 0.1))
    return statistics.median(ordered), ordered[tenth], ordered[-1 - tenth]


def load_average():
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "?"
