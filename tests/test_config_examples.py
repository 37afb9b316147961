"""Every profile in config-examples/ that uses this tool is valid for it."""

from pathlib import Path

import pytest

from credential_process import aws_config
from credential_process import options

EXAMPLES = sorted((Path(__file__).parent.parent / "config-examples").glob("*.ini"))


def served_profiles(path):
    profiles = aws_config.profile_sections(aws_config.read_ini(str(path)))
    return [name for name, section in profiles.items() if "credential_process" in section]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_profiles_load(path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    names = served_profiles(path)
    assert names, f"{path.name} has no profile served by credential-process"
    for name in names:
        loaded = options.load(name)
        assert loaded.flow


def test_readme_lists_every_key():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for spec in options.SPECS:
        assert f"`{spec.flag}" in readme if spec.flag_only else f"`{spec.key}`" in readme, spec.name
