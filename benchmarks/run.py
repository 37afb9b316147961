"""Side-by-side speed of credential-process and what a user would run instead.

    .venv/bin/python benchmarks/run.py [--hits 30] [--colds 10] [--herd 64] [--requests 200]
                                       [--only hits,stock-pip,keyring,eks,cold,flows,herd,server]

Everything is measured in this one run, on this machine, with this interpreter:
a local moto server on 127.0.0.1 behind the counting proxy of tests/support
(STS calls are counted there), a throwaway HOME, and the rows of rows.py by
group (``--only`` picks some, for a quick look):

  hits       the development venv: python -c pass, the editable install's hit,
             boto3 and AWS CLI v2 through it, AWS CLI v2 on its own cache
  stock-pip  `pip install .` into a fresh venv by the current pip, and by the
             pip `python3 -m venv` brings (older than 23.3): each hit beside
             that venv's python -c pass
  keyring    credential_process_cache = keyring on gnome-keyring's Secret
             Service (private D-Bus bus), beside the file-store hit
  eks        a cached `eks token` (kubectl runs it before every command) of a
             normal install, beside `aws eks get-token` (AWS CLI v1 on its own
             cached role) and that venv's python -c pass
  cold       AssumeRole: the tool, botocore's own assume-role provider, a bare
             boto3 script
  flows      GetSessionToken with MFA, AssumeRole over the cached MFA session,
             AssumeRoleWithWebIdentity, AssumeRoleWithSAML: each beside a bare
             boto3 script making the same call
  herd       64 cold callers at once: the STS calls the proxy saw
  server     exec --server: one credential request from a keep-alive client

Timed samples are interleaved (one of each command per round), so a noisy
neighbour slows all rows alike.  Medians with p10-p90; peak RSS by GNU time.
Bytecode is written once first (PYTHONDONTWRITEBYTECODE is removed from the
children's environment), as a normal install has it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

import rows as groups  # noqa: E402
from support.moto import MotoServer  # noqa: E402
from support.proxy import StsProxy  # noqa: E402
from timing import GNU_TIME, herd, interleaved, load_average, peak_rss_kib, summary  # noqa: E402

SERVER_TARGET_MS = 5.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=30, help="rounds of hit timings (default 30)")
    parser.add_argument("--colds", type=int, default=10, help="rounds of cold timings (default 10)")
    parser.add_argument("--herd", type=int, default=64, help="parallel cold callers (default 64)")
    parser.add_argument("--requests", type=int, default=200, help="requests to exec --server (default 200)")
    parser.add_argument("--only", default=",".join(groups.GROUPS),
                        help=f"comma-separated groups of rows (default all: {','.join(groups.GROUPS)})")
    options = parser.parse_args()
    options.only = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = sorted(set(options.only) - set(groups.GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; known: {', '.join(groups.GROUPS)}")

    workdir = Path(tempfile.mkdtemp(prefix="cp-bench-"))
    server = MotoServer().start()
    proxy = StsProxy(server.url).start()
    bench = None
    try:
        bench = groups.Bench(workdir, server, proxy)
        return measure(options, bench)
    finally:
        if bench is not None:
            bench.close()
        proxy.stop()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def measure(options, bench):
    load_before = load_average()
    hits, colds = {}, {}
    for name, make in groups.HIT_GROUPS.items():
        if name in options.only:
            hits.update(make(bench))

    wall, cpu, rss, herds, requests = {}, {}, {}, {}, None
    if hits:
        bench.proxy.reset_counts()
        for name, row in hits.items():  # bytecode written, caches warm; a broken command stops here
            groups.check(row.argv, row.env, name)
        wall, cpu = interleaved(hits, options.hits)
        calls = sum(bench.proxy.count(action) for action in ("AssumeRole", "GetSessionToken"))
        if calls:
            bench.notes.append(f"WARNING: {calls} STS calls during the hit timings")
        rss = {name: peak_rss_kib(row.argv, row.env) for name, row in hits.items()}
        if not os.access(GNU_TIME, os.X_OK):
            bench.notes.append(f"peak RSS not measured: {GNU_TIME} (Debian package time) is missing")
    # The cold groups empty the caches: made only once the hits are timed.
    for name, make in groups.COLD_GROUPS.items():
        if name in options.only:
            colds.update(make(bench))
    if colds:
        cold_wall, cold_cpu = interleaved(colds, options.colds)
        wall.update(cold_wall)
        cpu.update(cold_cpu)
    if "herd" in options.only:
        bench.clear_cache()
        herds = {
            "credential-process cold": herd(bench.tool("dev"), bench.env, options.herd, bench.proxy),
            "boto3 GetCallerIdentity via botocore assume-role provider": herd(
                bench.script(groups.BOTO3_WHOAMI.format(profile="sdkrole")), bench.env, options.herd, bench.proxy),
        }
    if "server" in options.only:
        requests = groups.server(bench, options.requests)
    bench.notes.append(f"load average before / after: {load_before} / {load_average()}")
    print_table(options, {**hits, **colds}, wall, cpu, rss, herds, requests, bench.notes)
    return 0


# -- the table -----------------------------------------------------------------------------
def ms(value):
    return f"{value * 1000:.0f}" if value >= 0.1 else f"{value * 1000:.1f}"


def cell(samples):
    middle, low, high = summary(samples)
    return f"{ms(middle)} ({ms(low)}-{ms(high)})"


def ratio_of(wall, name, base):
    return summary(wall[name])[0] / summary(wall[base])[0]


def print_table(options, rows, wall, cpu, rss, herds, requests, notes):
    """One table; each row's ratio is to its own baseline, measured in the same rounds."""
    print(f"credential-process benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{options.hits} hit rounds, {options.colds} cold rounds, herd of {options.herd}, "
          f"{options.requests} endpoint requests; groups {','.join(options.only)}; "
          "times in ms: median (p10-p90)\n")
    header = ("command", "wall", "CPU", "ratio (wall)", "peak RSS")
    widths = (72, 17, 6, 58, 8)

    def line(cells):
        print("| " + " | ".join(f"{text:<{width}}" for text, width in zip(cells, widths)) + " |")

    line(header)
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for name, row in rows.items():
        relation = f"{ratio_of(wall, name, row.baseline):.2f}x {row.baseline}" if row.baseline else "-"
        peak = f"{rss[name] // 1024} MiB" if rss.get(name) else ""
        line((name, cell(wall[name]), ms(summary(cpu[name])[0]), relation, peak))
    for name, (calls, failures, seconds) in herds.items():
        outcome = f"{calls} STS calls" + (f", {failures} failed" if failures else "")
        line((f"herd: {options.herd} x {name}", f"{ms(seconds)} in all", "", outcome, ""))
    if requests:
        line(("exec --server: one credential request (keep-alive client)", cell(requests), "", "-", ""))
    print()
    for name, row in rows.items():
        if row.target is not None:
            value = ratio_of(wall, name, row.baseline)
            print(f"target: {name} / {row.baseline} = {value:.2f} (target {row.target}): "
                  f"{'met' if value <= row.target else 'NOT met'}")
    file_hits = [name for name in rows if name.startswith("credential-process hit, file store (pip")]
    if groups.KEYRING_HIT in rows and file_hits:
        print(f"info: {groups.KEYRING_HIT} / {file_hits[0]} = {ratio_of(wall, groups.KEYRING_HIT, file_hits[0]):.2f}")
    eks_hit = "credential-process eks token hit (pip install .)"
    if eks_hit in rows and groups.AWS_EKS_GET_TOKEN in rows:
        print(f"info: {groups.AWS_EKS_GET_TOKEN} / {eks_hit} = {ratio_of(wall, groups.AWS_EKS_GET_TOKEN, eks_hit):.1f}")
    if herds:
        calls = herds["credential-process cold"][0]
        print(f"target: herd of {options.herd} cold callers -> {calls} STS call(s) (target 1): "
              f"{'met' if calls == 1 else 'NOT met'}")
    if requests:
        median = summary(requests)[0] * 1000
        print(f"target: exec --server request median = {median:.2f} ms (target {SERVER_TARGET_MS} ms): "
              f"{'met' if median <= SERVER_TARGET_MS else 'NOT met'}")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    sys.exit(main())
