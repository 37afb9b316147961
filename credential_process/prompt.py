"""The MFA code: from --mfa-code, credential_process_mfa_process, the terminal,
or a desktop dialog, in that order; otherwise fail at once.

Never stdout or stderr: the SDK that runs us reads stdout as JSON and captures
stderr (botocore shows it only on failure), and Node and Java leave stdin an
open pipe that nobody writes.  The controlling terminal (/dev/tty; CONIN$ and
CONOUT$ on Windows) reaches the person whatever the SDK did with those three.
"""

import os
import shutil
import subprocess
import sys

from credential_process import budget, helper_command
from credential_process.errors import NeedsPersonError
from credential_process.markers import in_background_refresh
from credential_process.options import MFA_CODE, PREFIX

MFA_PROCESS_TIMEOUT = 60  # ykman waiting for a touch, pass decrypting with gpg-agent
ASK_TIMEOUT = 300  # a person at a terminal or a dialog


def mfa_code(options, serial):
    """The current code of MFA device ``serial`` for the profile in ``options``."""
    if options.mfa_code:
        return options.mfa_code
    if options.mfa_process:
        output = helper_command.run(options.mfa_process, f"{PREFIX}mfa_process", MFA_PROCESS_TIMEOUT)
        return _checked(output, f"{PREFIX}mfa_process")
    if in_background_refresh():  # detached, nobody is there: never a terminal or a dialog
        raise NeedsPersonError(f"a background refresh of {options.profile} cannot ask for an MFA code")
    mode = options.mfa_prompt or "auto"
    question = f"MFA code for {serial} (profile {options.profile}): "
    answer = None
    # A person gets ASK_TIMEOUT, or what is left of the call's time budget.
    if mode in ("auto", "terminal"):
        answer = ask_terminal(question, budget.limit(ASK_TIMEOUT))
    if answer is None and mode in ("auto", "dialog"):
        answer = ask_dialog(question, budget.limit(ASK_TIMEOUT))
    if answer is None:
        raise NeedsPersonError(_nobody_to_ask(options.profile, mode))
    return _checked(answer, "the MFA code typed")


def _checked(code, source):
    code = code.strip()
    if not MFA_CODE.match(code):
        raise NeedsPersonError(f"{source} is not a 6-digit MFA code")
    return code


def _nobody_to_ask(profile, mode):
    pinned = "" if mode == "auto" else f" ({PREFIX}mfa_prompt = {mode})"
    return (
        f"MFA code needed for {profile} but no terminal, dialog or {PREFIX}mfa_process "
        f"is available{pinned}: run 'credential-process --profile {profile} --mfa-code CODE' "
        f"once to start the MFA session, or set {PREFIX}mfa_process to a command that prints the code"
    )


def ask_terminal(question, timeout):
    """The line typed on the controlling terminal, or None when there is none."""
    terminal = helper_command.open_terminal()
    if terminal is None:
        return None
    reader, writer = terminal
    try:
        writer.write(question)
        writer.flush()
        line = _read_line(reader, timeout)
        if line is None:
            writer.write("\n")
            writer.flush()
            raise NeedsPersonError(f"no MFA code was typed within {timeout:.0f} s")
        return line
    finally:
        reader.close()
        writer.close()


def _read_line(reader, timeout):
    if os.name == "nt":  # select() does not take console handles
        return reader.readline()
    import select

    ready, _, _ = select.select([reader], [], [], timeout)
    return reader.readline() if ready else None


def ask_dialog(question, timeout):
    """The text typed into a desktop dialog, or None when no dialog can be shown."""
    argv = _dialog_argv(question)
    if argv is None:
        return None
    try:
        completed = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            timeout=timeout, env=helper_command.helper_environment(),
        )
    except subprocess.TimeoutExpired:
        raise NeedsPersonError(f"the MFA dialog got no answer within {timeout:.0f} s") from None
    except OSError:
        return None
    if completed.returncode != 0:
        raise NeedsPersonError("the MFA dialog was cancelled")
    return completed.stdout.decode("utf-8", "replace")


def _dialog_argv(question):
    title = "AWS MFA"
    if sys.platform == "darwin":
        if not shutil.which("osascript"):
            return None
        script = (
            f'display dialog "{_applescript_text(question)}" default answer "" '
            f'with title "{title}" with hidden answer'
        )
        return ["osascript", "-e", script, "-e", "text returned of result"]
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    if shutil.which("zenity"):
        return ["zenity", "--entry", "--title", title, "--text", question]
    if shutil.which("kdialog"):
        return ["kdialog", "--title", title, "--inputbox", question]
    return None


def _applescript_text(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')

