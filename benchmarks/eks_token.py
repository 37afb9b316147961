"""How long `credential-process eks token` takes: a cold run (AssumeRole + signing)
and cached runs (what every `kubectl` invocation after the first pays).

    .venv/bin/python benchmarks/eks_token.py [RUNS]

Runs against a local moto server (no AWS account); prints the median and the
slowest wall time of RUNS cached runs, and the modules a cached run imports
that it must not (botocore, yaml, filelock).
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.aws import bootstrap_admin, create_world  # noqa: E402
from support.moto import MotoServer  # noqa: E402
from support.tools import TOOL, HomeDir  # noqa: E402

FORBIDDEN_ON_HIT = ("botocore", "yaml", "filelock")


def timed(command, env):
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr}")
    return elapsed, result


def main(runs=20):
    with MotoServer() as server, tempfile.TemporaryDirectory() as folder:
        admin = bootstrap_admin(server.url, enforce=True)
        world = create_world(server.url, admin=admin, auth_enforced=True)
        home = HomeDir(Path(folder), endpoint_url=server.url)
        home.write_credentials(world.credentials_ini("base"))
        home.write_config(f"[profile base]\nregion = us-east-1\n\n[profile dev]\nregion = us-east-1\n"
                          f"credential_process = {TOOL} --profile dev\n"
                          f"credential_process_role_arn = {world.role_arn}\n"
                          "credential_process_source_profile = base\n")
        command = [TOOL, "eks", "token", "--cluster-name", "demo", "--profile", "dev"]
        cold, _ = timed(command, home.env)
        hits = [timed(command, home.env)[0] for _ in range(runs)]
        _, traced = timed([sys.executable, "-X", "importtime", TOOL, *command[1:]], home.env)
        imported = {line.split("|")[-1].strip().split(".")[0] for line in traced.stderr.splitlines() if "|" in line}
    print(f"cold (AssumeRole at local moto + signing): {cold * 1000:.0f} ms")
    print(f"cached, {runs} runs: median {statistics.median(hits) * 1000:.0f} ms, "
          f"slowest {max(hits) * 1000:.0f} ms")
    bad = sorted(set(FORBIDDEN_ON_HIT) & imported)
    print(f"modules a cached run must not import, imported: {', '.join(bad) or 'none'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
