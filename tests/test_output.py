"""In-process tests of output.py: the export formats' quoting rules, the
credential_process JSON, time left."""

import json

import pytest
from hypothesis import given, strategies as st

from credential_process import output
from credential_process.errors import ConfigError
from credential_process.output import process_json

CREDENTIALS = {
    "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s3cr3t/+=", "SessionToken": "tok+/=",
    "Expiration": "2030-01-01T00:00:00Z", "AccountId": "123456789012",
}
HOSTILE = ["it's", "a\\", "\\'", "$HOME `id` $(id)", "two\nlines", "", "''", "a\\\\'b",
           "%PATH% !x! ^&|<>", "\u2018smart\u2019 \u201aquotes\u201b", "; rm -rf / #", 'say "hi"']


def powershell_unquote(text):
    """Read one PowerShell single-quoted string literal, as its tokenizer does:
    any of ' \u2018 \u2019 \u201a \u201b opens and closes it; two in a row stand
    for the second one."""
    quotes = "'\u2018\u2019\u201a\u201b"
    assert text[0] in quotes
    value, i = [], 1
    while True:
        char = text[i]
        if char in quotes:
            if i + 1 < len(text) and text[i + 1] in quotes:
                value.append(text[i + 1])
                i += 2
                continue
            assert i == len(text) - 1, "text after the closing quote"
            return "".join(value)
        value.append(char)
        i += 1


@given(st.text())
def test_powershell_quoting_round_trips(value):
    assert powershell_unquote(output.powershell_quote(value)) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_powershell_lines(value):
    text = output.render("powershell", dict(CREDENTIALS, SessionToken=value or "x"), region="us-east-1")
    prefix = "$Env:AWS_SESSION_TOKEN = "
    start = text.index(prefix) + len(prefix)
    end = text.index("\n$Env:AWS_CREDENTIAL_EXPIRATION = ")
    assert powershell_unquote(text[start:end]) == (value or "x")
    assert text.startswith("$Env:AWS_ACCESS_KEY_ID = 'ASIAEXAMPLE'\n")
    assert text.endswith("$Env:AWS_DEFAULT_REGION = 'us-east-1'\n")


def test_windows_cmd_plain_values():
    text = output.render("windows-cmd", CREDENTIALS, region="eu-west-1")
    assert text.splitlines() == [
        'set "AWS_ACCESS_KEY_ID=ASIAEXAMPLE"', 'set "AWS_SECRET_ACCESS_KEY=s3cr3t/+="',
        'set "AWS_SESSION_TOKEN=tok+/="', 'set "AWS_CREDENTIAL_EXPIRATION=2030-01-01T00:00:00Z"',
        'set "AWS_REGION=eu-west-1"', 'set "AWS_DEFAULT_REGION=eu-west-1"',
    ]


@pytest.mark.parametrize("bad", ['"', "%", "!", "^", "\n", "\r"])
def test_windows_cmd_refuses_what_it_cannot_carry(bad):
    with pytest.raises(ConfigError) as error:
        output.render("windows-cmd", dict(CREDENTIALS, SecretAccessKey=f"se{bad}cret-value"))
    assert "AWS_SECRET_ACCESS_KEY" in str(error.value) and "cret-value" not in str(error.value)


def test_windows_cmd_keeps_metacharacters_inside_quotes():
    text = output.render("windows-cmd", dict(CREDENTIALS, SessionToken="a&b|c<d>e"))
    assert 'set "AWS_SESSION_TOKEN=a&b|c<d>e"\n' in text


def test_dotenv_is_read_back_by_python_dotenv():
    dotenv = pytest.importorskip("dotenv")
    import io

    values = dict(CREDENTIALS, SessionToken="with space and $dollar", SecretAccessKey="a#b")
    text = output.render("dotenv", values, region="us-west-2")
    read = dotenv.dotenv_values(stream=io.StringIO(text), interpolate=False)
    assert read["AWS_SESSION_TOKEN"] == "with space and $dollar"
    assert read["AWS_SECRET_ACCESS_KEY"] == "a#b"
    assert read["AWS_ACCESS_KEY_ID"] == "ASIAEXAMPLE" and read["AWS_REGION"] == "us-west-2"
    with pytest.raises(ConfigError):
        output.render("dotenv", dict(CREDENTIALS, SessionToken="it's"))


def test_nul_is_refused_everywhere_but_json():
    values = dict(CREDENTIALS, SessionToken="a\0b")
    for name in output.ENVIRONMENT_FORMATS:
        if name == "json":
            assert json.loads(output.render(name, values))["SessionToken"] == "a\0b"
        else:
            with pytest.raises(ConfigError):
                output.render(name, values)


@pytest.mark.parametrize("value", HOSTILE)
def test_posix_quote_is_shlex_readable(value):
    import shlex

    assert shlex.split(output.posix_quote(value)) == [value]


def test_json_format_is_the_credential_process_output():
    document = json.loads(output.render("json", CREDENTIALS))
    assert document["Version"] == 1 and document["SessionToken"] == "tok+/="


def test_time_left():
    assert [output.time_left(s) for s in (-5, 0, 40, 750, 3900)] == ["expired", "expired", "40s", "12m 30s",
                                                                        "1h 05m"]


def test_process_json_shape():
    text = process_json({"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T",
                         "Expiration": "2026-01-01T12:00:00Z", "AccountId": "123456789012"})
    document = json.loads(text)
    assert list(document)[0] == "Version" and document["Version"] == 1
    assert document["Expiration"].endswith("Z")
    assert "AccountId" not in json.loads(process_json({"AccessKeyId": "A", "SecretAccessKey": "S"}))
