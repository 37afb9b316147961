"""The credentials endpoint of exec --server: in process (token, path, one
answer per request), then facing clients that misbehave through the command
(resets, idle and half requests, too many connections, and a refresh that
fails in a way the tool does not expect): every failure is a JSON answer with
a status, never a traceback."""

import json
import sys
import textwrap
import urllib.error
import urllib.request

from credential_process import output
from credential_process.container_server import CredentialsServer
from credential_process.errors import ConfigError
from support.tools import TOOL

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


# The child talks to the endpoint with raw sockets and prints what it saw.
RAW_CLIENT = textwrap.dedent("""\
    import json, os, socket, struct, sys, time, urllib.error, urllib.parse, urllib.request

    url, token = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    address = (urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port)
    request = f"GET /credentials HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: {token}\\r\\n\\r\\n".encode()

    def reset(sock):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def until_closed(sock, limit):
        # (what the server sent, seconds until it closed), or "open" if it never did.
        sock.settimeout(limit)
        started, data = time.monotonic(), b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return data.decode("latin-1"), round(time.monotonic() - started, 1)
                data += chunk
        except socket.timeout:
            return "open", limit
        except ConnectionResetError:
            return data.decode("latin-1"), "reset"

    def get():
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": token}),
                                        timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    for _ in range(3):  # connect and reset at once
        reset(socket.create_connection(address))
    for _ in range(3):  # ask, and reset before the answer
        sock = socket.create_connection(address)
        sock.sendall(request)
        reset(sock)
    idle = socket.create_connection(address)
    half = socket.create_connection(address)
    half.sendall(request[:request.index(b"Authorization")] + b"Authorization: ")
    report = {"idle": until_closed(idle, 25), "half": until_closed(half, 25)}
    # Many silent connections at once: the server caps its handler threads.
    crowd = [socket.create_connection(address) for _ in range(int(sys.argv[1]))]
    time.sleep(1)
    report["crowded"] = get()
    for sock in crowd:
        sock.close()
    time.sleep(0.5)
    report["after"] = get()[0]
    print(json.dumps(report))
""")


def test_misbehaving_clients_get_json_errors_and_no_traceback(home, aws_world, sts_proxy, run_tool, tmp_path):
    home.write_credentials(aws_world.credentials_ini("base"))
    home.write_config(_role_config(aws_world))
    child = tmp_path / "child.py"
    child.write_text(RAW_CLIENT)
    result = run_tool(["exec", "--server", "--profile", "dev", "--", sys.executable, str(child), "40"],
                      home.env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and result.stderr == "", result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # An idle connection is closed without an answer; a half request gets 408 in JSON.
    assert report["idle"][0] == "" and report["idle"][1] != 25, report
    answer, seconds = report["half"]
    assert seconds != 25 and answer.startswith("HTTP/1.0 408"), report
    assert "Message" in json.loads(answer.split("\r\n\r\n", 1)[1])
    status, document = report["crowded"]
    assert status == 503 and "Message" in document, report
    assert report["after"] == 200


FAILING_CHILD = textwrap.dedent("""\
    import json, os, subprocess, sys, urllib.error, urllib.request

    url, token = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    # The source profile now fails in a way the tool has no error for (a date botocore cannot parse).
    source = json.load(open(sys.argv[2]))
    source["Expiration"] = "garbage"
    json.dump(source, open(sys.argv[2], "w"))
    subprocess.run([sys.argv[1], "cache", "clear", "--profile", "dev"], check=True, capture_output=True)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": token}), timeout=30) as r:
            print(json.dumps([r.status, r.read().decode()]))
    except urllib.error.HTTPError as error:
        print(json.dumps([error.code, error.read().decode()]))
    except Exception as error:
        print(json.dumps([type(error).__name__, str(error)]))
""")


def test_a_refresh_failing_unexpectedly_is_answered_in_json(home, aws_world, sts_proxy, run_tool, tmp_path):
    source = tmp_path / "base.json"
    source.write_text(json.dumps({"Version": 1, "AccessKeyId": aws_world.access_key_id,
                                  "SecretAccessKey": aws_world.secret_access_key}))
    home.write_config(f"[profile base]\ncredential_process = cat {source}\n\n" + _role_config(aws_world, base=False))
    child = tmp_path / "child.py"
    child.write_text(FAILING_CHILD)
    result = run_tool(["exec", "--server", "--profile", "dev", "--", sys.executable, str(child), TOOL, str(source)],
                      home.env, timeout=120)
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 500, (status, body)
    assert "garbage" in json.loads(body)["Message"]
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("credential-process: ")


def _role_config(world, base=True):
    text = (f"[profile dev]\nregion = us-east-1\n"
            f"credential_process_role_arn = {world.role_arn}\n"
            f"credential_process_source_profile = base\n")
    return ("[profile base]\nregion = us-east-1\n\n" + text) if base else text
