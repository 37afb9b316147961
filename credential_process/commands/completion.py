"""completion: shell completion for bash, zsh and fish.

Each script asks this command for its candidates (``completion --complete``
reads the words typed after the program name, the last one being completed,
NUL-separated on stdin, where no word can be mistaken for an option), so subcommands, flags, choices and the profile names of
the current AWS config file are computed in one place, from the parsers
themselves, for all three shells.
"""

import argparse
import sys

from credential_process import commands, flow_table
from credential_process.errors import ConfigError

DESCRIPTION = (
    "print a shell completion script:\n"
    "  bash: source <(credential-process completion bash)     (e.g. in ~/.bashrc)\n"
    "  zsh:  source <(credential-process completion zsh)      (after compinit, in ~/.zshrc)\n"
    "  fish: credential-process completion fish > ~/.config/fish/completions/credential-process.fish"
)
SHELLS = ("bash", "zsh", "fish")

BASH = r"""# bash completion for credential-process
_credential_process() {
    local IFS=$'\n'
    COMPREPLY=($(printf '%s\0' "${COMP_WORDS[@]:1:COMP_CWORD}" |
        command credential-process completion --complete 2>/dev/null))
}
complete -o default -F _credential_process credential-process
"""

ZSH = r"""#compdef credential-process
# zsh completion for credential-process
__credential_process_candidates() {
    reply=("${(@f)$(printf '%s\0' "${(@)words[2,CURRENT]}" |
        command credential-process completion --complete 2>/dev/null)}")
    reply=(${reply:#})
}
_credential_process() {
    local -a reply
    __credential_process_candidates
    if (( ${#reply} )); then
        compadd -Q -- "${reply[@]}"
    else
        _files
    fi
}
if [[ "${funcstack[1]}" == "_credential_process" ]]; then
    _credential_process "$@"
else
    compdef _credential_process credential-process
fi
"""

FISH = r"""# fish completion for credential-process
complete -c credential-process -e
function __credential_process_candidates
    printf '%s\0' (commandline -opc)[2..-1] (commandline -ct) | command credential-process completion --complete 2>/dev/null
end
complete -c credential-process -f -a '(__credential_process_candidates)'
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}


def add_arguments(parser):
    parser.add_argument("shell", nargs="?", choices=SHELLS, help="the shell to print the script for")
    parser.add_argument("--complete", action="store_true", help=argparse.SUPPRESS)


def run(args):
    if args.complete:
        words = sys.stdin.read().split("\0")[:-1]  # every word ends with a NUL
        sys.stdout.write("".join(word + "\n" for word in candidates(words)))
        return 0
    if not args.shell:
        raise ConfigError(f"name a shell: credential-process completion {{{','.join(SHELLS)}}}")
    sys.stdout.write(SCRIPTS[args.shell])
    return 0


def candidates(words):
    """Completions of the last word, given the words typed after the program name."""
    *before, current = words or [""]
    if "--" in before:
        return []  # exec's command: the shell's own completion is better
    before = _joined(before)
    if current == "=" and before and before[-1].startswith("--"):  # bash, the cursor right after "="
        return ["=" + name for name in _values_after(before[-1], before[:-1])]
    if before and before[-1].endswith("=") and before[-1].startswith("--"):
        # bash splits --profile=NAME at "=" (COMP_WORDBREAKS): it completes NAME alone
        flag = before.pop()[:-1]
        return _matching(_values_after(flag, before), current)
    if current.startswith("--") and "=" in current:  # zsh and fish: the whole --flag=NAME
        flag, _, value = current.partition("=")
        return [f"{flag}={name}" for name in _matching(_values_after(flag, before), value)]
    command = before[0] if before and before[0] in commands.COMMANDS else commands.DEFAULT_COMMAND
    parser, _ = commands.build_parser(command)
    if command != commands.DEFAULT_COMMAND:
        before = before[1:]
    elif not before and not current.startswith("-"):
        return _matching(commands.COMMANDS, current)
    parser, expecting, given = _walk(parser, before)
    if expecting is not None:
        return _matching(_values_of(expecting), current)
    if current.startswith("-"):
        return _matching(_flags(parser), current)
    return _matching(_positional_choices(parser, given), current)


def _joined(words):
    """bash's words with "--flag", "=", "value" put back together as "--flag=value"."""
    joined = []
    for word in words:
        if joined and (word == "=" or joined[-1].endswith("=") and joined[-1].startswith("--")):
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def _values_after(flag, before):
    """The values of ``flag`` in the parser that the words ``before`` lead to."""
    command = before[0] if before and before[0] in commands.COMMANDS else commands.DEFAULT_COMMAND
    parser, _ = commands.build_parser(command)
    parser, _, _ = _walk(parser, before[1:] if command != commands.DEFAULT_COMMAND else before)
    action = parser._option_string_actions.get(flag)
    return _values_of(action) if action is not None and action.nargs != 0 else []


def _walk(parser, words):
    """(the parser in effect, the action whose value comes next or None,
    how many positional words were given)."""
    expecting, given = None, 0
    for word in words:
        if expecting is not None:
            expecting = None
            continue
        action = parser._option_string_actions.get(word.partition("=")[0])
        if action is not None:
            expecting = action if action.nargs != 0 and "=" not in word else None
            continue
        for positional in _positionals(parser):
            if isinstance(positional, argparse._SubParsersAction) and word in positional.choices:
                parser = positional.choices[word]
                break
        else:
            given += 1
    return parser, expecting, given


def _values_of(action):
    if action.dest == "profile":
        return profile_names()
    if getattr(action, "completion_values", None):  # a key's choices (commands/_flags.py)
        return list(action.completion_values)
    if action.dest == "opt_method":
        return list(flow_table.NAMES)
    if action.dest == "sso_session":  # sso login|logout|profiles
        from credential_process.sso.session_config import session_names

        try:
            return sorted(session_names())
        except ConfigError:
            return []
    return list(action.choices or ())


def profile_names():
    """The names ``credential-process profiles`` lists: config and credentials files."""
    from credential_process.commands.profiles import profile_names as listed

    try:
        return listed()
    except ConfigError:
        return []


def _positionals(parser):
    return [action for action in parser._actions if not action.option_strings]


def _positional_choices(parser, given=0):
    """Choices of the positionals; the profile names where a PROFILE word comes (exec's
    first word too, before its command)."""
    found = []
    for action in _positionals(parser):
        if action.dest == "profile_name" or action.dest == "command" and given == 0:
            found += profile_names() if given == 0 else []
        else:
            found += list(action.choices or ())
    return found


def _flags(parser):
    return [
        option for action in parser._actions if action.help != argparse.SUPPRESS
        for option in action.option_strings if option.startswith("--")
    ]


def _matching(names, prefix):
    return [name for name in names if name.startswith(prefix)]
