"""In-process tests of the credentials endpoint of exec --server."""

import json
import urllib.error
import urllib.request

from credential_process import output
from credential_process.container_server import CredentialsServer
from credential_process.errors import ConfigError

CREDENTIALS = {
    "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s3cr3t/+=", "SessionToken": "tok+/=",
    "Expiration": "2030-01-01T00:00:00Z", "AccountId": "123456789012",
}


def fetch(url, token=None):
    request = urllib.request.Request(url, headers={"Authorization": token} if token is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_server_checks_token_and_path_and_answers_each_time():
    calls = []

    def answer():
        calls.append(1)
        return output.container_json(CREDENTIALS)

    with CredentialsServer(answer) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/credentials")
        assert fetch(server.url)[0] == 401
        assert fetch(server.url, "Bearer " + server.token)[0] == 403
        assert fetch(server.url, server.token[:-1])[0] == 403
        assert fetch(server.url.replace("/credentials", "/other"), server.token)[0] == 404
        assert calls == []
        status, document = fetch(server.url, server.token)
        assert status == 200
        assert document == {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s3cr3t/+=", "Token": "tok+/=",
                            "Expiration": "2030-01-01T00:00:00Z", "AccountId": "123456789012"}
        assert fetch(server.url, server.token)[0] == 200
        assert len(calls) == 2


def test_server_reports_failures_without_secrets(capsys):
    def answer():
        raise ConfigError("no way: " + "A" * 40)

    with CredentialsServer(answer) as server:
        status, document = fetch(server.url, server.token)
    assert status == 500 and "no way" in document["Message"] and "A" * 40 not in document["Message"]
    assert "A" * 40 not in capsys.readouterr().err


def test_tokens_differ_between_servers():
    first, second = CredentialsServer(lambda: "{}"), CredentialsServer(lambda: "{}")
    try:
        assert first.token != second.token and len(first.token) >= 40
    finally:
        first.stop()
        second.stop()
