"""What options.py says when the command line or the config is wrong: the flag
the user typed, and the profile names when none is chosen."""


def test_bad_mfa_code_names_the_flag(home, run_tool):
    home.write_config("[profile dev]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/R\n"
                      "credential_process_mfa_serial = arn:aws:iam::123456789012:mfa/alice\n")
    result = run_tool(["--profile", "dev", "--mfa-code", "12"], home.env)
    assert result.returncode == 2
    assert result.stderr == "credential-process: --mfa-code must be the 6 digits the MFA device shows\n"


def test_no_profile_and_no_default_lists_the_profiles(home, run_tool):
    home.write_config("[profile dev]\ncredential_process_role_arn = arn:aws:iam::123456789012:role/R\n\n"
                      "[profile prod]\nregion = eu-west-1\n")
    for args in ([], ["export"], ["whoami"]):
        result = run_tool(args, home.env)
        assert result.returncode == 2, args
        # (the long temporary path may be redacted as secret-shaped: not compared)
        assert result.stderr.startswith("credential-process: no profile named: give --profile NAME "
                                        "(or set AWS_PROFILE); there is no [default] in "), args
        assert result.stderr.endswith(".aws/config. Profiles there: dev, prod\n"), args
