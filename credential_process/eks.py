"""EKS: bearer tokens for kubectl, and the kubeconfig entries that ask for them.

A token is what ``aws eks get-token`` and aws-iam-authenticator make: a
presigned STS GetCallerIdentity URL, with the cluster's name signed in as the
``x-k8s-aws-id`` header, base64url-encoded behind ``k8s-aws-v1.``.  The API
server's authenticator replays it to STS and accepts it for 15 minutes after
its X-Amz-Date; we say it expires after 14 (or when the credentials that signed
it do, if sooner) and cache it, because kubectl keeps nothing between runs and
would otherwise sign (and maybe call STS) every time.

The token path down to a cache hit imports only the standard library;
botocore is imported to sign, PyYAML only to write a kubeconfig.
"""

import base64
import json
import os
import re
import time

from credential_process import options as options_module
from credential_process.cache import entry as entry_format
from credential_process.cache import open_store
from credential_process.errors import ConfigError, one_line
from credential_process.output import utc_timestamp

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
URL_EXPIRES = 60  # what aws eks get-token asks for; the authenticator allows 15 minutes anyway
TOKEN_LIFETIME = 14 * 60
V1 = "client.authentication.k8s.io/v1"
V1BETA1 = "client.authentication.k8s.io/v1beta1"
V1ALPHA1 = "client.authentication.k8s.io/v1alpha1"
DEFAULT_API_VERSION = V1BETA1
_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")


# -- tokens -----------------------------------------------------------------------
def check_cluster_name(name):
    if not _CLUSTER_NAME.match(name or ""):
        raise ConfigError(f"{name!r} is not an EKS cluster name (1-100 letters, digits, - and _)")
    return name


def token_entry(options, cluster, role_arn=None):
    """A cache entry holding a token for ``cluster``, fresh from the cache when it can be."""
    from credential_process.cache.single_flight import cached

    if role_arn:
        options_module.SPECS_BY_NAME["role_arn"].parse(role_arn, "--role-arn")
    key = token_key(options, cluster, role_arn)
    return cached(open_store(options.cache), key, options, lambda: _new_token_entry(options, cluster, role_arn))


def token_key(options, cluster, role_arn=None):
    """The cache key of the token for ``cluster`` signed with the profile's credentials (or ``role_arn``'s)."""
    return entry_format.cache_key(options, extra={"eks_token": {"cluster": cluster, "role_arn": role_arn}})


def exec_credential(token, api_version):
    """The ExecCredential document kubectl reads from an exec plugin."""
    return {
        "kind": "ExecCredential",
        "apiVersion": api_version,
        "spec": {},
        "status": entry_format.token_status(token),  # the entry file's answer line (cache/shortcut.py)
    }


def exec_api_version(environ=None):
    """The apiVersion kubectl asked for in KUBERNETES_EXEC_INFO, else v1beta1."""
    raw = (os.environ if environ is None else environ).get("KUBERNETES_EXEC_INFO", "")
    try:
        asked = json.loads(raw).get("apiVersion") if raw else None
    except (ValueError, AttributeError):
        asked = None
    return asked if asked in (V1, V1BETA1, V1ALPHA1) else DEFAULT_API_VERSION


def _new_token_entry(options, cluster, role_arn):
    signer = signing_entry(options, role_arn)
    signed_at = time.time()  # no later than the URL's X-Amz-Date, so never past the real expiry
    token = presigned_token(options, signer["credentials"], cluster)
    # The authenticator replays the URL to STS, which refuses it once the
    # signing credentials have expired, whatever the URL's own window says.
    expires_at = min(signed_at + TOKEN_LIFETIME, credentials_end(signer))
    payload = {
        "token": token,
        "expirationTimestamp": utc_timestamp(expires_at),
    }
    lifetime = max(expires_at - signed_at, 1)
    return entry_format.make_token_entry(options, cluster, payload, expires_at, lifetime, role_arn)


def credentials_end(entry):
    """When a credentials entry expires by the later of our clock and STS's, on our
    clock; never for long-term keys (served by botocore, without an Expiration)."""
    if entry.get("expires_at") is None:
        return float("inf")
    return entry["expires_at"] - max(entry.get("skew", 0), 0)


def signing_entry(options, role_arn=None):
    """The profile's cache entry, or that of ``role_arn`` assumed with its credentials (cached alike)."""
    from credential_process.cache.single_flight import cached
    from credential_process.resolver import get_entry

    entry = get_entry(options)
    if not role_arn:
        return entry
    from credential_process.flows import assume_role

    on_top = role_on_top(options, role_arn)
    base = dict(entry["credentials"], flow=entry_format.flow_of(entry))
    key = entry_format.cache_key(on_top, extra={"on_top_of": options.profile})
    return cached(open_store(options.cache), key, on_top, lambda: assume_role.fetch(on_top, base))


def role_on_top(options, role_arn):
    """Options that assume ``role_arn`` with the profile's own credentials.

    The profile's session keys (policy, tags, duration...) belong to its own
    role, not to this one: they go back to their defaults.
    """
    defaults = {spec.attribute: spec.default for spec in options_module.SPECS if spec.affects_answer}
    return options.replace(**dict(defaults, flow="assume-role", role_arn=role_arn,
                                  source_profile=options.profile))


def presigned_token(options, credentials, cluster):
    from credential_process import sts

    client = sts.client(options, credentials)

    def sign_cluster_name(request, **_ignored):
        request.headers[CLUSTER_ID_HEADER] = cluster

    client.meta.events.register("before-sign.sts.GetCallerIdentity", sign_cluster_name)
    url = client.generate_presigned_url("get_caller_identity", ExpiresIn=URL_EXPIRES, HttpMethod="GET")
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


# -- kubeconfig ---------------------------------------------------------------------
def describe_cluster(options, credentials, cluster, region=None):
    from credential_process import sts

    response, _skew = sts.call(sts.client(options, credentials, service="eks", region=region),
                               "DescribeCluster", name=cluster)
    found = response["cluster"]
    if not found.get("endpoint") or not (found.get("certificateAuthority") or {}).get("data"):
        raise ConfigError(f"EKS cluster {cluster!r} has no endpoint or certificate yet (status {found.get('status')})")
    return found


def kubeconfig_path(requested=None):
    """--kubeconfig, else the first file of KUBECONFIG, else ~/.kube/config."""
    if requested:
        return os.path.abspath(os.path.expanduser(requested))
    listed = [path for path in os.environ.get("KUBECONFIG", "").split(os.pathsep) if path]
    return os.path.abspath(os.path.expanduser(listed[0] if listed else "~/.kube/config"))


def token_command(command, cluster, profile):
    """The kubeconfig user's exec: this tool's eks token, no secret, no environment."""
    return {
        "apiVersion": V1BETA1,
        "command": command,
        "args": ["eks", "token", "--cluster-name", cluster, "--profile", profile],
        "env": None,
    }


def update_kubeconfig(path, cluster, user_exec, alias=None):
    """Merge the cluster, a user running ``user_exec`` and a context into ``path``; keep the rest.

    Entries are named after the cluster's ARN (the context after ``alias``
    when given), as aws eks update-kubeconfig names them.  Returns the context.
    """
    import yaml

    from credential_process.private_files import write_private_file

    path = os.path.realpath(path)  # a symlinked kubeconfig stays a symlink
    document = _read_kubeconfig(path, yaml)
    name = cluster["arn"]
    context = alias or name
    _put(document, "clusters", {"name": name, "cluster": {
        "server": cluster["endpoint"],
        "certificate-authority-data": cluster["certificateAuthority"]["data"],
    }}, path)
    _put(document, "users", {"name": name, "user": {"exec": user_exec}}, path)
    _put(document, "contexts", {"name": context, "context": {"cluster": name, "user": name}}, path)
    document["current-context"] = context
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    write_private_file(folder, path, yaml.safe_dump(document, default_flow_style=False, sort_keys=False).encode())
    return context


def _read_kubeconfig(path, yaml):
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except FileNotFoundError:
        document = None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read the kubeconfig {path}: {one_line(error)}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"{path} is not a kubeconfig (not a YAML mapping): not touching it")
    document.setdefault("apiVersion", "v1")
    document.setdefault("kind", "Config")
    document.setdefault("preferences", {})
    return document


def _put(document, member, entry, path):
    """Replace the entry of the same name in ``document[member]``, or append it."""
    items = document.get(member) or []
    if not isinstance(items, list):
        raise ConfigError(f"{member} in {path} is not a list: not touching the file")
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == entry["name"]:
            items[index] = entry
            break
    else:
        items.append(entry)
    document[member] = items
