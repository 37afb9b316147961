"""The sign-in: a person approves in a browser, and we get a token.

Two ways, as the AWS CLI v2 does them:
- authorization code with PKCE (RFC 7636) and a loopback redirect (RFC 8252):
  we listen on 127.0.0.1 at a random port, open the browser on the authorize
  URL, and take the code from the redirect whose ``state`` is ours;
- device code (RFC 8628), where no browser can open here: the person opens
  the verification URL anywhere and compares the code shown.

Single flight: whoever signs in holds the sign-in lock (a file beside our
cache entries) for the whole sign-in, at most MAX_SECONDS.  A credential_process
call starts the sign-in in a detached process (``sso login --for-caller``), so
that an SDK killing its caller (Go, after 60 s) does not abandon the browser
tab, and every other process waits on that lock instead of opening another.
What to do is written on the terminal (/dev/tty), never on stdout.
"""

import base64
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import filelock

from credential_process import helper_command, sts
from credential_process.cache.files import default_folder
from credential_process.private_files import UnsafeFolder, ensure_private_folder
from credential_process.errors import AwsError, ConfigError, NeedsPersonError
from credential_process.sso import browser, oidc, token_cache

MAX_SECONDS = 600  # a sign-in, and so the lock it holds, never outlives 10 minutes
STARTED = b"started"
BUSY = b"busy"


# -- locks ---------------------------------------------------------------------
def lock_path(session, what):
    """The lock file (never a secret in it) of one sso-session: "token" or "signin"."""
    folder = default_folder()
    try:
        ensure_private_folder(folder)
    except (OSError, UnsafeFolder) as error:
        # Without a lock every caller would open its own browser tab: refuse instead.
        raise ConfigError(f"cannot use the cache folder for the sign-in lock: {error}") from None
    return os.path.join(folder, f"sso-{session.key}.{what}.lock")


def lock(session, what, timeout):
    try:
        return filelock.FileLock(lock_path(session, what), timeout=timeout, mode=0o600)
    except OSError as error:
        raise ConfigError(f"cannot use the sign-in lock: {error}") from None


def in_progress(session):
    """True when another process holds the sign-in lock."""
    probe = lock(session, "signin", 0)
    try:
        probe.acquire()
    except filelock.Timeout:
        return True
    probe.release()
    return False


def wait_for(session, timeout):
    """Wait until no sign-in is in progress; False when ``timeout`` ran out first."""
    waiter = lock(session, "signin", max(timeout, 0))
    try:
        waiter.acquire()
    except filelock.Timeout:
        return False
    waiter.release()
    return True


# -- what a credential_process call does ---------------------------------------
def person_reachable():
    """A browser can open, or a terminal can show a device code."""
    if browser.can_open():
        return True
    terminal = helper_command.open_terminal()
    if terminal is None:
        return False
    for handle in terminal:
        handle.close()
    return True


def start_detached(session):
    """Start ``sso login --for-caller`` detached; returns once it holds the sign-in
    lock (or found another sign-in holding it), so no second one can start."""
    terminal = helper_command.open_terminal()
    argv = [sys.executable, "-m", "credential_process", "sso", "login",
            "--sso-session", session.name, "--token-store", session.token_store, "--for-caller"]
    detach = {"start_new_session": True}
    if os.name == "nt":
        detach = {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
    try:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            # The person reads the instructions on our terminal, if we have one.
            stderr=terminal[1] if terminal else subprocess.DEVNULL,
            cwd=default_folder(), **detach)
    except OSError as error:
        raise NeedsPersonError(f"could not start the sign-in ({error}): run `{session.login_command()}`") from None
    finally:
        if terminal:
            for handle in terminal:
                handle.close()
    answer = []
    reader = threading.Thread(target=lambda: answer.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(20)
    process.stdout.close()
    if not answer or answer[0].strip() not in (STARTED, BUSY):
        raise NeedsPersonError(f"the sign-in did not start: run `{session.login_command()}`")


def run_for_caller(session):
    """The detached sign-in: hold the lock, tell the caller, sign in, let go."""
    holder = lock(session, "signin", 0)
    try:
        holder.acquire()
    except filelock.Timeout:
        _tell_caller(BUSY)
        return 0
    try:
        _tell_caller(STARTED)
        if token_cache.seconds_left(token_cache.load(session)) > 60:
            return 0  # signed in meanwhile
        if hasattr(signal, "alarm"):
            signal.alarm(MAX_SECONDS + 30)  # whatever hangs, the process ends and the lock is let go
        sign_in(session, writer=sys.stderr)
        return 0
    finally:
        holder.release()


def _tell_caller(word):
    sys.stdout.buffer.write(word + b"\n")
    sys.stdout.flush()
    # The caller reads one line and goes: nothing more may reach that pipe.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


# -- the sign-in itself --------------------------------------------------------
class Dialog:
    """Instructions and the time left, on the terminal (or the stream given)."""

    def __init__(self, writer):
        self.writer = writer
        self.live = hasattr(writer, "isatty") and writer.isatty()

    def say(self, text):
        try:
            self.writer.write(text + "\n")
            self.writer.flush()
        except (OSError, ValueError):
            pass

    def time_left(self, deadline):
        if not self.live:
            return
        left = max(int(deadline - time.time()), 0)
        try:
            self.writer.write(f"\rwaiting for the sign-in: {left // 60}:{left % 60:02d} left ")
            self.writer.flush()
        except (OSError, ValueError):
            self.live = False

    def done(self):
        if self.live:
            self.say("")


def open_dialog(writer=None):
    if writer is not None:
        return Dialog(writer), None
    terminal = helper_command.open_terminal()
    if terminal is None:
        return Dialog(sys.stderr), None
    return Dialog(terminal[1]), terminal


def sign_in(session, use_device_code=None, writer=None, profile=None):
    """Sign in, save the token file and return its record."""
    if use_device_code is None:
        use_device_code = not browser.can_open()
    dialog, terminal = open_dialog(writer)
    deadline = time.time() + MAX_SECONDS
    client = oidc.oidc_client(session, profile)
    try:
        if use_device_code:
            record = _device_code(session, client, dialog, deadline)
        else:
            record = _authorization_code(session, client, dialog, deadline)
    finally:
        dialog.done()
        if terminal:
            for handle in terminal:
                handle.close()
    token_cache.save(session, record)
    dialog.say(f"signed in to {session.start_url} (sso-session {session.name})")
    return record


def _registration_expiry(registered):
    return token_cache.timestamp(registered.get("clientSecretExpiresAt") or time.time() + 86400)


def _authorization_code(session, client, dialog, deadline):
    registered = oidc.register(client, session, for_pkce=True)
    verifier = secrets.token_urlsafe(64)  # 86 characters of the unreserved set (43-128 allowed)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(32)
    listener = _Listener(state)
    try:
        redirect = f"http://127.0.0.1:{listener.port}{oidc.REDIRECT_PATH}"
        url = client.meta.endpoint_url.rstrip("/") + "/authorize?" + urlencode({
            "response_type": "code", "client_id": registered["clientId"], "redirect_uri": redirect,
            "state": state, "code_challenge_method": "S256", "scopes": " ".join(session.scopes),
            "code_challenge": challenge})
        if browser.open_url(url):
            dialog.say(f"Signing in to {session.start_url} in your browser. If it did not open, open:\n{url}")
        else:
            dialog.say(f"Open this address in a browser on this machine to sign in to {session.start_url}:\n{url}")
        code = listener.wait(deadline, dialog)
    finally:
        listener.close()
    answer, _ = sts.call(client, "CreateToken", grantType="authorization_code",
                         clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                         code=code, redirectUri=redirect, codeVerifier=verifier)
    return oidc.token_record(session, answer, registered["clientId"], registered["clientSecret"],
                             _registration_expiry(registered))


def _device_code(session, client, dialog, deadline):
    registered = oidc.register(client, session, for_pkce=False)
    started, _ = sts.call(client, "StartDeviceAuthorization", clientId=registered["clientId"],
                          clientSecret=registered["clientSecret"], startUrl=session.start_url)
    deadline = min(deadline, time.time() + started.get("expiresIn", MAX_SECONDS))
    complete = started.get("verificationUriComplete") or started["verificationUri"]
    dialog.say(f"To sign in to {session.start_url}, open {complete}\n"
               f"(or {started['verificationUri']} and type the code) and check that it shows the code: "
               f"{started['userCode']}")
    if browser.can_open():
        browser.open_url(complete)
    interval = started.get("interval") or 5
    while time.time() < deadline:
        try:
            answer, _ = sts.call(client, "CreateToken", grantType=oidc.DEVICE_GRANT,
                                 clientId=registered["clientId"], clientSecret=registered["clientSecret"],
                                 deviceCode=started["deviceCode"])
        except AwsError as error:
            code = getattr(error, "code", None)
            if code == "SlowDownException":
                interval += 5
            elif code != "AuthorizationPendingException":
                raise
            dialog.time_left(deadline)
            time.sleep(min(interval, max(deadline - time.time(), 0)))
            continue
        return oidc.token_record(session, answer, registered["clientId"], registered["clientSecret"],
                                 _registration_expiry(registered))
    raise NeedsPersonError(f"the sign-in to {session.start_url} was not approved in time")


class _Listener:
    """The loopback redirect target: takes the first callback carrying our state."""

    def __init__(self, state):
        self.state = state
        self.result = {}
        self.ready = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass  # never on our stderr: the SDK shows it as our error

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                if parts.path != oidc.REDIRECT_PATH or query.get("state") != listener.state:
                    self._answer(400, "This is not the sign-in you started.")
                    return
                if query.get("code"):
                    self._answer(200, "Signed in. You can close this tab.")
                else:
                    self._answer(400, "The sign-in was refused.")
                if not listener.ready.is_set():
                    listener.result.update(query)
                    listener.ready.set()

            def _answer(self, status, text):
                body = f"<!doctype html><title>credential-process</title><p>{text}</p>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                       daemon=True)
        self.thread.start()

    def wait(self, deadline, dialog):
        while not self.ready.wait(1):
            if time.time() >= deadline:
                raise NeedsPersonError("the sign-in was not completed in the browser in time")
            dialog.time_left(deadline)
        if not self.result.get("code"):
            reason = self.result.get("error_description") or self.result.get("error") or "no code"
            raise NeedsPersonError(f"the sign-in was refused in the browser: {reason}")
        return self.result["code"]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
