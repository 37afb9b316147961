"""Cache-hit cost: credential_process_cache = file against = keyring.

Starts a private Secret Service (gnome-keyring-daemon on its own D-Bus bus),
writes one fresh entry into each store (no STS needed for a hit), then runs
the installed command N times per store and prints the median wall time.

    .venv/bin/python benchmarks/keyring_cache_hit.py [N]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.secret_service import SecretService  # noqa: E402

TOOL = str(Path(sys.executable).parent / "credential-process")
ENTRY_CREDENTIALS = {"AccessKeyId": "ASIABENCHMARKBENCHMA", "SecretAccessKey": "s" * 40,
                     "SessionToken": "t" * 800, "Expiration": "2099-01-01T00:00:00Z"}


def main(runs):
    with tempfile.TemporaryDirectory() as folder, SecretService(Path(folder) / "service") as service:
        home = Path(folder) / "home"
        (home / ".aws").mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CREDENTIAL_PROCESS_"))}
        env.update(HOME=str(home), AWS_CONFIG_FILE=str(home / ".aws" / "config"),
                   DBUS_SESSION_BUS_ADDRESS=service.address, XDG_DATA_HOME=str(home / "data"))
        profiles = {"file-hit": "file", "keyring-hit": "keyring"}
        (home / ".aws" / "config").write_text("".join(
            f"[profile {name}]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/{name}\n"
            f"credential_process_source_profile = base\ncredential_process_cache = {cache}\n\n"
            for name, cache in profiles.items()))
        seed = ("import time\nfrom credential_process import options\n"
                "from credential_process.cache import entry, open_store\n"
                f"for name in {list(profiles)!r}:\n"
                "    o = options.load(name)\n"
                f"    e = entry.make_entry(o, {ENTRY_CREDENTIALS!r}, 4070908800, 3600, 0)\n"
                "    open_store(o.cache).save(entry.cache_key(o), e)\n")
        subprocess.run([sys.executable, "-c", seed], env=env, check=True)
        for name in profiles:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                result = subprocess.run([TOOL, "--profile", name], env=env, capture_output=True, text=True)
                times.append(time.perf_counter() - start)
                assert result.returncode == 0 and "ASIABENCHMARK" in result.stdout, result.stderr
            print(f"{name:<12} median {statistics.median(times) * 1000:6.1f} ms  "
                  f"min {min(times) * 1000:6.1f} ms  ({runs} runs)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
