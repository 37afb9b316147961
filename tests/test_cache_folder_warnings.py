"""A cache folder open to others (cache/files.py) is said once per run, not once per use."""

import json
import os

from support.tools import role_config


def test_an_open_cache_folder_gives_one_warning_line(home, aws_world, sts_proxy, run_tool):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world))
    home.cache_dir.mkdir(parents=True)
    os.chmod(home.cache_dir, 0o777)
    result = run_tool("--profile dev", home.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0] == (f"credential-process: warning: cache not used, credentials not cached: "
                        f"{home.cache_dir} is writable by other users (mode 777) "
                        "(credential-process doctor says how to fix it)")
