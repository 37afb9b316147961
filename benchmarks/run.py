"""Side-by-side speed of credential-process and what a user would run instead.

    .venv/bin/python benchmarks/run.py [--hits 30] [--colds 10] [--herd 64]

Everything is measured in this one run, on this machine, with this interpreter:
a local moto server on 127.0.0.1 behind the counting proxy of tests/support
(STS calls are counted there), a throwaway HOME, and these commands:

  python -c pass          the bare interpreter of the venv (the floor of any hit)
  credential-process      the console script of the editable install (.venv), and
                          of a normal `pip install .` into a fresh venv (no
                          editable-install import hook); hit, cold, herd
  boto3 via the tool      `python -c` boto3 GetCallerIdentity on a profile whose
                          credential_process is this tool (the cost a script sees)
  botocore assume-role    the same, on a role_arn/source_profile profile: botocore's
                          own provider, no cache between processes
  bare boto3 AssumeRole   `python -c` boto3 client, one AssumeRole with static keys
                          (what the cold path is compared with)
  aws v2 export-creds     /usr/bin/aws configure export-credentials (Debian 2.9.19)
  eks token               `credential-process eks token` served from its cache (what kubectl
                          runs before every command), beside `aws eks get-token` (AWS CLI
                          v1 in the venv, on its own cached role: v2 2.9.19 cannot reach a
                          local STS)

Timed samples are interleaved (one of each command per round), so a noisy
neighbour slows all rows alike.  Medians with p10-p90; peak RSS is ru_maxrss of
one hit (os.wait4).  Bytecode is written once first (PYTHONDONTWRITEBYTECODE is
removed from the children's environment), as a normal install has it.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from support.aws import create_world  # noqa: E402
from support.moto import MotoServer  # noqa: E402
from support.proxy import StsProxy  # noqa: E402

VENV_BIN = Path(sys.executable).parent
TOOL = VENV_BIN / "credential-process"
AWS_V2 = "/usr/bin/aws"
GNU_TIME = "/usr/bin/time"

EKS_TOKEN = ["eks", "token", "--cluster-name", "demo", "--profile", "dev"]
AWS_EKS_GET_TOKEN = ["-m", "awscli", "eks", "get-token", "--cluster-name", "demo", "--profile", "sdkrole"]
BOTO3_WHOAMI = "import boto3; boto3.Session(profile_name='{profile}').client('sts').get_caller_identity()"
BOTO3_ASSUME = (
    "import boto3, os; boto3.client('sts', region_name='us-east-1', aws_access_key_id=os.environ['BENCH_KEY'], "
    "aws_secret_access_key=os.environ['BENCH_SECRET']).assume_role("
    "RoleArn=os.environ['BENCH_ROLE'], RoleSessionName='bench')"
)


# -- measuring ---------------------------------------------------------------------
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


def interleaved(commands, rounds, before_each=None):
    """{name: [wall seconds...]}, {name: [CPU seconds...]}: one run of every command per round."""
    wall = {name: [] for name in commands}
    cpu = {name: [] for name in commands}
    for _ in range(rounds):
        for name, (argv, env) in commands.items():
            if before_each:
                before_each(name)
            seconds, cpu_seconds, code = run_once(argv, env)
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
    ordered = sorted(samples)
    tenth = max(0, int(len(ordered) * 0.1))
    return statistics.median(ordered), ordered[tenth], ordered[-1 - tenth]


# -- the world --------------------------------------------------------------------------
def write_home(home, world, tool):
    aws = home / ".aws"
    aws.mkdir(parents=True)
    (aws / "config").write_text(
        f"[profile dev]\nregion = us-east-1\ncredential_process = {tool} --profile dev\n"
        f"credential_process_role_arn = {world.role_arn}\ncredential_process_source_profile = base\n\n"
        f"[profile sdkrole]\nregion = us-east-1\nrole_arn = {world.role_arn}\nsource_profile = base\n"
        "role_session_name = bench\n\n"
        "[profile base]\nregion = us-east-1\n"
    )
    (aws / "credentials").write_text(world.credentials_ini("base"))


def environment(home, world, proxy):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "CREDENTIAL_PROCESS_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        HOME=str(home), AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        CREDENTIAL_PROCESS_CACHE_DIR=str(home / "cache"), AWS_ENDPOINT_URL_STS=proxy.url,
        AWS_EC2_METADATA_DISABLED="true", BENCH_KEY=world.access_key_id,
        BENCH_SECRET=world.secret_access_key, BENCH_ROLE=world.role_arn,
    )
    return env


def plain_install(workdir):
    """credential-process installed the normal way (`pip install .`, no deps) into a new venv."""
    source = workdir / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "credential_process", source / "credential_process",
                    ignore=shutil.ignore_patterns("__pycache__"))
    venv = workdir / "plain-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
                    "--quiet", "--no-deps", "--disable-pip-version-check", str(source)], check=True)
    return venv / "bin"


def clear(folder):
    shutil.rmtree(folder, ignore_errors=True)


# -- the table -----------------------------------------------------------------------------
def ms(value):
    return f"{value * 1000:.0f}" if value >= 0.1 else f"{value * 1000:.1f}"


def cell(samples):
    if not samples:
        return "-"
    middle, low, high = summary(samples)
    return f"{ms(middle)} ({ms(low)}-{ms(high)})"


def ratio(samples, base):
    return f"{summary(samples)[0] / summary(base)[0]:.2f}x" if samples and base else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hits", type=int, default=30, help="rounds of hit timings (default 30)")
    parser.add_argument("--colds", type=int, default=10, help="rounds of cold timings (default 10)")
    parser.add_argument("--herd", type=int, default=64, help="parallel cold callers (default 64)")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="cp-bench-"))
    server = MotoServer().start()
    proxy = StsProxy(server.url).start()
    try:
        return measure(options, workdir, server, proxy)
    finally:
        proxy.stop()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def measure(options, workdir, server, proxy):
    world = create_world(server.url)
    home = workdir / "home"
    write_home(home, world, TOOL)
    env = environment(home, world, proxy)
    cache, cli_cache = home / "cache", home / ".aws" / "cli" / "cache"
    python = str(VENV_BIN / "python")
    plain_bin = plain_install(workdir)
    notes = []

    tool = [str(TOOL), "--profile", "dev"]
    plain_tool = [str(plain_bin / "credential-process"), "--profile", "dev"]
    hits = {
        "python -c pass": ([python, "-c", "pass"], env),
        "python -c pass (plain venv)": ([str(plain_bin / "python"), "-c", "pass"], env),
        "credential-process hit (editable install)": (tool, env),
        "credential-process hit (pip install .)": (plain_tool, env),
        "boto3 GetCallerIdentity via credential-process (hit)": (
            [python, "-c", BOTO3_WHOAMI.format(profile="dev")], env),
        "aws v2 export-credentials --profile dev (via credential-process, hit)": (
            [AWS_V2, "configure", "export-credentials", "--profile", "dev"], env),
        "aws v2 export-credentials --profile sdkrole (its own cache, hit)": (
            [AWS_V2, "configure", "export-credentials", "--profile", "sdkrole"], env),
        "credential-process eks token hit (pip install .)": ([str(plain_bin / "credential-process"), *EKS_TOKEN], env),
        "aws v1 eks get-token --profile sdkrole (its own cache, hit)": ([python, *AWS_EKS_GET_TOKEN], env),
    }
    colds = {
        "credential-process cold": (tool, env),
        "boto3 GetCallerIdentity via botocore assume-role provider": (
            [python, "-c", BOTO3_WHOAMI.format(profile="sdkrole")], env),
        "bare boto3 script, one AssumeRole": ([python, "-c", BOTO3_ASSUME], env),
    }
    # Warm every cache (and write bytecode) once; a broken command stops the run here.
    # The config must be older than the shortcut's 2 s "racy" window for the hits to be recorded.
    time.sleep(max(0.0, os.stat(home / ".aws" / "config").st_mtime + 2.1 - time.time()))
    check(tool, env, "credential-process")
    check([str(TOOL), *EKS_TOKEN], env, "credential-process eks token")  # signs with botocore: not in the plain venv
    check(plain_tool, env, "credential-process (pip install .)")
    if not os.access(AWS_V2, os.X_OK):
        for name in [n for n in hits if n.startswith("aws v2")]:
            del hits[name]
        notes.append(f"aws v2 rows skipped: {AWS_V2} is not installed")
    else:
        # AWS CLI v2 2.9.19 cannot send its own STS calls to a local server (no
        # AWS_ENDPOINT_URL_*, no endpoint_url in the config), so its assume-role
        # cache is filled by AWS CLI v1 (same botocore cache format, same folder).
        check([python, "-m", "awscli", "sts", "get-caller-identity", "--profile", "sdkrole"], env, "aws v1 warm-up")
        check(hits["aws v2 export-credentials --profile sdkrole (its own cache, hit)"][0], env,
              "aws v2 export-credentials on its own cache")
        notes.append("aws v2 (2.9.19) cannot point its own STS calls at a local server: its cold and herd "
                     "rows are not measured; its hit reads the ~/.aws/cli/cache entry AWS CLI v1 wrote")
    for argv, _ in list(hits.values()) + list(colds.values()):
        check(argv, env, " ".join(argv[:3]))
    proxy.reset_counts()
    hit_times, hit_cpu = interleaved(hits, options.hits)
    if proxy.count("AssumeRole"):
        notes.append(f"WARNING: {proxy.count('AssumeRole')} AssumeRole calls during the hit timings")
    hit_rss = {name: peak_rss_kib(argv, env) for name, (argv, env) in hits.items()}
    if GNU_TIME and not os.access(GNU_TIME, os.X_OK):
        notes.append(f"peak RSS not measured: {GNU_TIME} (Debian package time) is missing")

    cold_times, cold_cpu = interleaved(colds, options.colds, before_each=lambda name: (clear(cache), clear(cli_cache)))

    clear(cache)
    herds = {
        "credential-process cold": herd(tool, env, options.herd, proxy),
        "boto3 GetCallerIdentity via botocore assume-role provider": herd(
            [python, "-c", BOTO3_WHOAMI.format(profile="sdkrole")], env, options.herd, proxy),
    }

    print_table(options, {**hit_times, **cold_times}, {**hit_cpu, **cold_cpu}, hit_rss, herds, notes)
    return 0


def print_table(options, wall, cpu, rss, herds, notes):
    """One table; each row's ratio is to its own baseline: a hit to the bare
    interpreter of the same venv, a cold call to the bare boto3 script."""
    baselines = {
        "python -c pass": None, "python -c pass (plain venv)": None,
        "bare boto3 script, one AssumeRole": None,
        "credential-process hit (pip install .)": "python -c pass (plain venv)",
        "credential-process eks token hit (pip install .)": "python -c pass (plain venv)",
        "credential-process cold": "bare boto3 script, one AssumeRole",
        "boto3 GetCallerIdentity via botocore assume-role provider": "bare boto3 script, one AssumeRole",
    }
    print(f"credential-process benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{options.hits} hit rounds, {options.colds} cold rounds, herd of {options.herd}; "
          "times in ms: median (p10-p90)\n")
    header = ("command", "wall", "CPU", "ratio (wall)", "peak RSS")
    widths = (72, 17, 6, 40, 8)
    print("| " + " | ".join(f"{text:<{width}}" for text, width in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for name, samples in wall.items():
        base = baselines.get(name, "python -c pass")
        relation = f"{ratio(samples, wall[base])} {base}" if base else "-"
        peak = f"{rss[name] // 1024} MiB" if rss.get(name) else ""
        row = (name, cell(samples), ms(summary(cpu[name])[0]), relation, peak)
        print("| " + " | ".join(f"{text:<{width}}" for text, width in zip(row, widths)) + " |")
    for name, (calls, failures, seconds) in herds.items():
        outcome = f"{calls} STS calls" + (f", {failures} failed" if failures else "")
        row = (f"herd: {options.herd} x {name}", f"{ms(seconds)} in all", "", outcome, "")
        print("| " + " | ".join(f"{text:<{width}}" for text, width in zip(row, widths)) + " |")
    print()
    targets = (
        ("credential-process hit (editable install)", "python -c pass", 1.5),
        ("credential-process hit (pip install .)", "python -c pass (plain venv)", 1.5),
        ("credential-process eks token hit (pip install .)", "python -c pass (plain venv)", 1.5),
        ("credential-process cold", "bare boto3 script, one AssumeRole", 1.2),
    )
    for name, base, target in targets:
        value = summary(wall[name])[0] / summary(wall[base])[0]
        print(f"target: {name} / {base} = {value:.2f} (target {target}): {'met' if value <= target else 'NOT met'}")
    ours, theirs = "credential-process eks token hit (pip install .)", "aws v1 eks get-token --profile sdkrole (its own cache, hit)"
    print(f"eks token: {ms(summary(wall[ours])[0])} ms, aws eks get-token: {ms(summary(wall[theirs])[0])} ms "
          f"({summary(wall[theirs])[0] / summary(wall[ours])[0]:.0f}x faster)")
    calls = herds["credential-process cold"][0]
    print(f"target: herd of {options.herd} cold callers -> {calls} STS call(s) (target 1): "
          f"{'met' if calls == 1 else 'NOT met'}")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    sys.exit(main())
