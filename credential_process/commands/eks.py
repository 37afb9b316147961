"""EKS: ``eks token`` for kubectl's exec plugin, ``eks kubeconfig`` to set kubectl up.

kubectl runs ``eks token`` before every command, so a cached token is served
like the plain credentials call (cache/shortcut.py): ``run_plain`` needs
neither argparse nor the options nor JSON when the shortcut answers; the
imports are inside the functions for that.
"""

import sys

DESCRIPTION = (
    "EKS: 'eks token' prints the ExecCredential kubectl asks its exec plugin for (cached while more "
    "than a minute of it remains); 'eks kubeconfig' adds a cluster, a user running 'eks token' and "
    "a context to the kubeconfig (aws eks update-kubeconfig without the AWS CLI)"
)


def add_arguments(parser):
    actions = parser.add_subparsers(dest="action", metavar="{token,kubeconfig}")
    actions.required = True
    token = actions.add_parser("token", help="print an ExecCredential for kubectl")
    token.add_argument("--debug", action="store_true", help="explain failures in full (secrets redacted)")
    token.add_argument("--cluster-name", required=True, help="the EKS cluster's name")
    token.add_argument("--profile", help="the profile whose credentials sign the token")
    token.add_argument("--role-arn", help="sign with this role, assumed with the profile's credentials")
    kubeconfig = actions.add_parser("kubeconfig", help="merge the cluster into the kubeconfig")
    kubeconfig.add_argument("--debug", action="store_true", help="explain failures in full (secrets redacted)")
    kubeconfig.add_argument("--cluster-name", required=True, help="the EKS cluster's name")
    kubeconfig.add_argument("--profile", help="the profile that calls EKS and signs the tokens")
    kubeconfig.add_argument("--region", help="the cluster's region (default: the profile's)")
    kubeconfig.add_argument("--kubeconfig", metavar="PATH",
                            help="the file to update (default: the first of $KUBECONFIG, else ~/.kube/config)")
    kubeconfig.add_argument("--alias", metavar="CONTEXT", help="the context's name (default: the cluster's ARN)")


def is_plain_token(argv):
    """True for ``token ...`` (after ``eks``) that the shortcut may serve: what
    the arguments mean is the full path's business (argparse), as a record is
    only ever written by the full path for these exact arguments."""
    return bool(argv) and argv[0] == "token" and "--debug" not in argv


def run_plain(argv, parse):
    """``eks token ...``: from the plain-call shortcut when it can be, else
    ``run(parse())``, recording the call for the shortcut."""
    from credential_process.cache.shortcut import PlainCall

    call = PlainCall(("eks", *argv))  # before anything is read (cache/shortcut.py)
    answer = call.serve()
    if answer is None:
        return run(parse(), call)
    _write(answer)
    return 0


def run(args, call=None):
    from credential_process import any_profile, aws_config, eks

    cluster = eks.check_cluster_name(args.cluster_name)
    # Any profile the SDKs can resolve; long-term keys sign as they are (as aws eks get-token does).
    options = any_profile.load(aws_config.resolve_profile_name(args.profile))
    if args.action == "token":
        return print_token(options, cluster, args.role_arn, call)
    return write_kubeconfig(options, cluster, args)


def print_token(options, cluster, role_arn, call=None):
    import json

    from credential_process import eks

    entry = eks.token_entry(options, cluster, role_arn)
    api_version = eks.exec_api_version()
    printed = json.dumps(eks.exec_credential(entry["token"], api_version)).encode()
    if call is not None:
        call.remember(options, eks.token_key(options, cluster, role_arn), printed, form=api_version)
    _write(printed)
    return 0


def _write(answer):
    # One write, so kubectl never reads half a document.
    sys.stdout.buffer.write(answer + b"\n")
    sys.stdout.flush()


def write_kubeconfig(options, cluster, args):
    from credential_process import eks
    from credential_process.commands import own_command
    from credential_process.resolver import get_entry

    credentials = get_entry(options)["credentials"]
    found = eks.describe_cluster(options, credentials, cluster, args.region)
    path = eks.kubeconfig_path(args.kubeconfig)
    user_exec = eks.token_command(own_command(), cluster, options.profile)
    context = eks.update_kubeconfig(path, found, user_exec, args.alias)
    sys.stdout.write(f"context {context!r} for EKS cluster {cluster!r} written to {path}\n")
    return 0
