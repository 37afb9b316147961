"""End to end on this machine, no AWS account: a local STS (moto) on loopback,
a throwaway config, and a real AWS CLI getting role credentials through
credential-process.  Prints the cold and the cached timing."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
TOOL = BIN / "credential-process"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(port):
    server = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("moto server did not start")


def make_role(url):
    import boto3

    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="AKIADEMODEMODEMO0000", aws_secret_access_key="demo" * 10)
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    return iam.create_role(RoleName="Demo", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def aws_cli():
    """The AWS CLI v2 when installed (Debian's awscli), else v1 from the venv."""
    if Path("/usr/bin/aws").exists():
        return ["/usr/bin/aws"]
    return [sys.executable, "-m", "awscli"]


def timed(command, env):
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr}")
    return result.stdout, elapsed


def main():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_moto(port)
    home = Path(tempfile.mkdtemp(prefix="credential-process-demo-"))
    try:
        role_arn = make_role(url)
        (home / "config").write_text(
            "[profile base]\nregion = us-east-1\n\n"
            "[profile dev]\nregion = us-east-1\n"
            f"credential_process = {TOOL} --profile dev\n"
            f"credential_process_role_arn = {role_arn}\n"
            "credential_process_source_profile = base\n")
        (home / "credentials").write_text(
            "[base]\naws_access_key_id = AKIADEMODEMODEMO0000\n"
            f"aws_secret_access_key = {'demo' * 10}\n")
        env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
        env.update(HOME=str(home), AWS_CONFIG_FILE=str(home / "config"),
                   AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
                   CREDENTIAL_PROCESS_CACHE_DIR=str(home / "cache"), AWS_ENDPOINT_URL_STS=url)
        print(f"local STS (moto) at {url}; config in {home / 'config'}:\n")
        print((home / "config").read_text())
        identity, cli_ms = timed(aws_cli() + ["--profile", "dev", "sts", "get-caller-identity",
                                              "--endpoint-url", url, "--output", "json"], env)
        print(f"aws --profile dev sts get-caller-identity ->\n{identity}")
        _, cold_ms = timed([str(TOOL), "--profile", "other-entry", "--role-arn", role_arn,
                            "--source-profile", "base"], env)
        hits = sorted(timed([str(TOOL), "--profile", "dev"], env)[1] for _ in range(9))
        print(f"credential-process cold (AssumeRole against the local STS): {cold_ms:.0f} ms")
        print(f"credential-process cached (median of 9): {hits[4]:.0f} ms")
        print(f"the whole AWS CLI call above: {cli_ms:.0f} ms")
    finally:
        server.terminate()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
