"""The ``[sso-session NAME]`` section of the config file (what ``aws configure
sso`` writes): start URL, region and registration scopes of one sign-in."""

import hashlib

from credential_process.errors import ConfigError
from credential_process.aws_config import config_path, read_ini

DEFAULT_SCOPES = ("sso:account:access",)


class SsoSession:
    def __init__(self, name, start_url, region, scopes, token_store="file"):
        self.name = name
        # Where the token is kept (sso/token_cache.py): "file" or "keyring".
        self.token_store = token_store
        self.start_url = start_url
        self.region = region
        # sso:account:access is what makes CreateToken hand out a refresh token,
        # so it is always asked for, beside the scopes the section lists.
        self.scopes = tuple(scopes) + tuple(scope for scope in DEFAULT_SCOPES if scope not in scopes)

    @property
    def key(self):
        """The token file's name, as botocore's SSOTokenLoader derives it."""
        return hashlib.sha1(self.name.encode("utf-8")).hexdigest()

    def login_command(self):
        store = " --token-store keyring" if self.token_store == "keyring" else ""
        return f"credential-process sso login --sso-session {self.name}{store}"


def load(name, path=None, token_store="file"):
    path = path or config_path()
    parser = read_ini(path)
    section = f"sso-session {name}"
    if not parser.has_section(section):
        raise ConfigError(f"there is no [{section}] section in {path}")
    values = dict(parser.items(section))
    missing = [key for key in ("sso_start_url", "sso_region") if not values.get(key, "").strip()]
    if missing:
        raise ConfigError(f"[{section}] in {path} sets no {' nor '.join(missing)}")
    scopes = [scope.strip() for scope in values.get("sso_registration_scopes", "").split(",") if scope.strip()]
    return SsoSession(name, values["sso_start_url"].strip(), values["sso_region"].strip(), scopes,
                      token_store)


def session_names(path=None):
    prefix = "sso-session "
    return [section[len(prefix):].strip() for section in read_ini(path or config_path()).sections()
            if section.startswith(prefix)]
