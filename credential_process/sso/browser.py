"""Which browser may show the sign-in page, and opening it detached.

Not Python's ``webbrowser``: it lets the browser inherit our stdout (which the
SDK reads as JSON) and waits on console browsers (lynx, w3m), so a sign-in
would corrupt the answer or block the loopback listener.  ``BROWSER`` (the
convention webbrowser and xdg-open share: commands separated by the path
separator, ``%s`` for the URL) is honoured first; without it, a browser is
guessed only where one can show a window.
"""

import os
import shlex
import shutil
import subprocess
import sys


def command():
    """The argv (without the URL) of the browser to use, or None when none can open."""
    configured = os.environ.get("BROWSER", "").strip()
    if configured:
        first = configured.split(os.pathsep)[0]
        try:
            return shlex.split(first) or None
        except ValueError:
            return None
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return None  # a browser here would open on a screen the person is not at
    if sys.platform == "darwin":
        return ["open"]
    if os.name == "nt":
        return ["cmd", "/c", "start", ""]
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    for candidate in ("xdg-open", "gio", "sensible-browser"):
        found = shutil.which(candidate)
        if found:
            return [found, "open"] if candidate == "gio" else [found]
    return None


def can_open():
    return command() is not None


def open_url(url):
    """Start the browser on ``url`` without waiting for it; False when none could start."""
    argv = command()
    if argv is None:
        return False
    if any("%s" in part for part in argv):
        argv = [part.replace("%s", url) for part in argv]
    else:
        argv = argv + [url]
    detach = {"start_new_session": True}
    if os.name == "nt":
        detach = {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
    try:
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, close_fds=True, **detach)
    except OSError:
        return False
    return True
