"""--debug on success (credential_process/trace.py): a short trace on stderr of
where the answer came from, with no secret."""

import json

from support.tools import role_config


def test_debug_traces_a_miss_then_a_hit(home, aws_world, sts_proxy, run_tool):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world, region="eu-west-1"))
    first = run_tool("--profile dev --debug", home.env)
    assert first.returncode == 0, first.stderr
    answer = json.loads(first.stdout)
    lines = first.stderr.splitlines()
    assert all(line.startswith("credential-process: debug: ") for line in lines), first.stderr
    text = first.stderr
    assert "profile 'dev': flow assume-role, region eu-west-1, cache file entry " in text
    assert str(home.cache_dir) in text or "<redacted>" in text
    assert "dev: cache miss; waited 0." in text and "s for the lock" in text
    assert f"STS at {sts_proxy.url}: AssumeRole answered in " in text
    second = run_tool("--profile dev --debug", home.env)
    assert second.returncode == 0, second.stderr
    assert f"dev: cache hit, fresh until {answer['Expiration']}" in second.stderr
    assert "answered in" not in second.stderr
    assert sts_proxy.count("AssumeRole") == 1
    for secret in (answer["SecretAccessKey"], answer["SessionToken"], aws_world.secret_access_key):
        assert secret not in first.stderr + second.stderr


def test_no_trace_without_debug(home, aws_world, sts_proxy, run_tool):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(role_config(aws_world))
    result = run_tool("export --profile dev", home.env)
    assert result.returncode == 0 and result.stderr == ""
