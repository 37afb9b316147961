"""Every profile in config-examples/ that uses this tool is valid for it."""

from pathlib import Path

import pytest

from credential_process import any_profile, aws_config
from credential_process import options

EXAMPLES = sorted((Path(__file__).parent.parent / "config-examples").glob("*.ini"))


def served_profiles(path):
    profiles = aws_config.profile_sections(aws_config.read_ini(str(path)))
    return [name for name, section in profiles.items()
            if "credential_process" in section and options.has_our_keys(section)]


# Examples of profiles botocore resolves by itself, for the commands a person runs.
BOTOCORE_EXAMPLES = ("botocore-profiles.ini",)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_profiles_load(path, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    if path.name in BOTOCORE_EXAMPLES:
        names = list(aws_config.profile_sections(aws_config.read_ini(str(path))))
        assert names and not served_profiles(path)
        for name in names:
            assert any_profile.load(name).flow == "botocore"
        # Long-term keys (in the credentials file) with an MFA device: for exec and
        # export, a GetSessionToken session over them, with the profile's device.
        credentials = tmp_path / "credentials"
        credentials.write_text("[static]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\n"
                               "aws_secret_access_key = example\n")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
        session = any_profile.load("static", session=True)
        assert (session.flow, session.source_profile) == ("get-session-token", "static")
        assert session.mfa_serial == "arn:aws:iam::111111111111:mfa/alice"
        return
    names = served_profiles(path)
    assert names, f"{path.name} has no profile served by credential-process"
    for name in names:
        loaded = options.load(name)
        assert loaded.flow


def test_readme_lists_every_key():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for spec in options.SPECS:
        assert f"`{spec.flag}" in readme if spec.flag_only else f"`{spec.key}`" in readme, spec.name
