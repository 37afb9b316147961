"""``keys``: long-term IAM keys kept in the OS keyring instead of ~/.aws/credentials."""

import getpass
import os
import time

from credential_process.errors import AwsError, ConfigError, CredentialProcessError, NeedsPersonError
from credential_process.stderr import notice

DESCRIPTION = (
    "keep long-term IAM keys in the OS keyring (add, list, remove, import, rotate); "
    "a profile uses them with credential_process_source_keyring = NAME"
)
KEY_FIELDS = ("aws_access_key_id", "aws_secret_access_key")
VERIFY_SECONDS = 60  # how long a new key may take to work (IAM propagates in seconds)


def add_arguments(parser):
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="store keys typed on the terminal (or from the environment)")
    add.add_argument("name", help="the name profiles use: credential_process_source_keyring = NAME")
    add.add_argument("--env", action="store_true",
                     help="take the keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    add.add_argument("--replace", action="store_true", help="overwrite keys already stored under NAME")
    actions.add_parser("list", help="names, masked key IDs and dates of the stored keys")
    remove = actions.add_parser("remove", help="delete stored keys and the sessions cached from them")
    remove.add_argument("name")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    imported = actions.add_parser("import", help="move a profile's keys from ~/.aws/credentials into the keyring")
    imported.add_argument("profile", help="the section of the credentials file")
    imported.add_argument("--name", help="the name to store them under (default: the profile's)")
    imported.add_argument("--replace", action="store_true", help="overwrite keys already stored under NAME")
    imported.add_argument("--remove-plaintext", action="store_true",
                          help="then delete them from the credentials file (a 0600 backup is kept)")
    rotate = actions.add_parser("rotate", help="replace stored keys with a new IAM access key")
    rotate.add_argument("name")
    rotate.add_argument("--profile", help="a profile whose region and endpoint settings IAM and STS calls use")


def run(args):
    return {"add": _add, "list": _list, "remove": _remove, "import": _import, "rotate": _rotate}[args.action](args)


# -- add / list / remove / import ----------------------------------------------------
def _add(args):
    from credential_process.os_keyring import iam_keys

    name = iam_keys.check_name(args.name)
    if args.env:
        access_key_id = os.environ.get("AWS_ACCESS_KEY_ID")
        secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
        if not access_key_id or not secret:
            raise ConfigError("--env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
        if os.environ.get("AWS_SESSION_TOKEN"):
            raise ConfigError("AWS_SESSION_TOKEN is set: those are temporary credentials; "
                              "store long-term IAM user keys only")
    else:
        access_key_id, secret = _ask_for_keys()
    _store(name, access_key_id, secret, args.replace)
    return 0


def _store(name, access_key_id, secret, replace):
    from credential_process.os_keyring import backend as keyring_backend
    from credential_process.os_keyring import iam_keys

    iam_keys.check_access_key_id(access_key_id)  # before anything is touched
    iam_keys.check_secret_access_key(secret)
    existing = iam_keys.load(name)
    if existing is not None and not replace:
        raise ConfigError(f"keys named {name!r} are already stored ({iam_keys.mask(existing['AccessKeyId'])}): "
                          "pass --replace to overwrite them, or choose another name")
    record = iam_keys.store(name, access_key_id, secret)
    if existing is not None:
        clear_sessions_of(name)
    print(f"stored keys {name!r} ({iam_keys.mask(record['AccessKeyId'])}) in the keyring "
          f"({keyring_backend.backend_name()})")
    print(config_hint(name))


def config_hint(name):
    return (
        "Use them as a profile's base credentials in ~/.aws/config, for example:\n\n"
        f"[profile {name}-role]\n"
        f"credential_process = credential-process --profile {name}-role\n"
        "credential_process_role_arn = arn:aws:iam::123456789012:role/YOUR-ROLE\n"
        f"credential_process_source_keyring = {name}"
    )


def _ask_for_keys():
    """The key ID (shown as typed) and the secret (hidden), from the terminal only."""
    access_key_id = _ask_terminal("AWS access key ID: ", "keys add needs a terminal to ask for the keys; "
                                  "in scripts use --env with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    # getpass reads /dev/tty itself (the console on Windows) with echo off.
    secret = getpass.getpass("AWS secret access key (not shown): ")
    return access_key_id, secret.strip()


def _ask_terminal(question, why):
    """The line typed on the controlling terminal; NeedsPersonError(why) without one."""
    from credential_process.helper_command import open_terminal

    terminal = open_terminal()
    if terminal is None:
        raise NeedsPersonError(why)
    reader, writer = terminal
    try:
        writer.write(question)
        writer.flush()
        return reader.readline().strip()
    finally:
        reader.close()
        writer.close()


def _confirm(question):
    answer = _ask_terminal(f"{question} [y/N] ", "no terminal to confirm on: pass --yes")
    return answer.lower() in ("y", "yes")


def _list(args):
    from credential_process.os_keyring import iam_keys

    rows = iam_keys.listing()
    if not rows:
        print("no keys stored; add some with: credential-process keys add NAME")
    for name, masked, added in rows:
        print(f"{name:<24} {masked:<14} added {added}")
    return 0


def _remove(args):
    from credential_process.os_keyring import iam_keys

    record = iam_keys.load(args.name)
    if record is None:
        iam_keys.remove(args.name)  # drop a stale index row, if any
        raise ConfigError(f"no keys named {args.name!r} in the keyring")
    masked = iam_keys.mask(record["AccessKeyId"])
    if not args.yes and not _confirm(f"Delete keys {args.name!r} ({masked}) from the keyring?"):
        print("nothing deleted")
        return 0
    iam_keys.remove(args.name)
    cleared = clear_sessions_of(args.name)
    print(f"deleted keys {args.name!r} ({masked}) and {cleared} cached session(s) made with them")
    return 0


def _import(args):
    from credential_process import inifile
    from credential_process.os_keyring import iam_keys
    from credential_process.aws_config import credentials_path, read_ini

    path = credentials_path()
    parser = read_ini(path)
    if not parser.has_section(args.profile):
        raise ConfigError(f"there is no [{args.profile}] section in {path}")
    section = dict(parser.items(args.profile))
    if "aws_session_token" in section:
        raise ConfigError(f"[{args.profile}] in {path} holds temporary credentials (aws_session_token): "
                          "only long-term IAM user keys can be imported")
    if not all(section.get(key) for key in KEY_FIELDS):
        raise ConfigError(f"[{args.profile}] in {path} has no aws_access_key_id and aws_secret_access_key")
    name = args.name or args.profile
    # Before anything changes: who would lose their base credentials.
    switched = _profiles_to_switch(parser, args.profile) if args.remove_plaintext else []
    _store(name, section["aws_access_key_id"], section["aws_secret_access_key"], args.replace)
    if not args.remove_plaintext:
        print(f"the keys are still in {path}: run again with --remove-plaintext to delete them there")
        return 0
    stored = iam_keys.load(name)
    if stored is None or (stored["AccessKeyId"], stored["SecretAccessKey"]) != (
            section["aws_access_key_id"].strip(), section["aws_secret_access_key"].strip()):
        raise ConfigError(f"the keyring did not give back the keys just stored: {path} left as it was")
    if switched:
        _switch_to_keyring(switched, args.profile, name)
    backup = inifile.remove_keys(path, args.profile, KEY_FIELDS)
    print(f"removed the keys from [{args.profile}] in {path}; the old file is kept as {backup} "
          "(it holds the keys in plain text: delete it once you are done)")
    return 0


def _profiles_to_switch(credentials, profile):
    """The profiles whose credential_process_source_profile is ``profile`` and
    that would have no base credentials once its keys are removed; refuses
    (nothing changed) when botocore's own source_profile uses them, since
    botocore cannot read the keyring."""
    from credential_process import dependents
    from credential_process.aws_config import config_path, profile_sections, read_ini

    profiles = profile_sections(read_ini(config_path()))
    remaining = {name: dict(credentials.items(name)) for name in credentials.sections()}
    remaining[profile] = {key: value for key, value in remaining[profile].items() if key not in KEY_FIELDS}
    if dependents.has_credentials(profile, profiles, remaining):
        return []  # the profile keeps another source (a process, SSO, a role): nobody is left without
    ours, botocores = dependents.dependents(profile, profiles)
    if botocores:
        raise ConfigError(
            f"not importing: profile(s) {_names(botocores)} in {config_path()} take their credentials from "
            f"[{profile}] through botocore's source_profile, which cannot read the keyring; "
            f"serve them with credential-process (credential_process_source_keyring) first, "
            f"or import without --remove-plaintext"
        )
    return ours


def _switch_to_keyring(profiles, source, name):
    from credential_process import inifile
    from credential_process.aws_config import config_path, section_name

    key = f"credential_process_source_keyring = {name}"
    backup = inifile.replace_key(config_path(), [section_name(profile) for profile in profiles],
                                 "credential_process_source_profile", "credential_process_source_keyring", name)
    print(f"profile(s) {_names(profiles)} took their base credentials from [{source}]: "
          f"their credential_process_source_profile = {source} is now {key} in {config_path()} "
          f"(the old file is kept as {backup})")


def _names(profiles):
    return ", ".join(repr(profile) for profile in profiles)


# -- rotate ----------------------------------------------------------------------------
def _rotate(args):
    """The old key is deleted in IAM at the end, so whatever else holds it (other
    stored names, sections of the credentials file) gets the new one too, or, when
    a step fails, nothing changes anywhere."""
    from credential_process import sts
    from credential_process.os_keyring import iam_keys

    old = iam_keys.load(args.name)
    if old is None:
        raise ConfigError(f"no keys named {args.name!r} in the keyring")
    # Found before IAM is touched: an unreadable credentials file refuses here.
    holders = {name: iam_keys.load(name) for name in iam_keys.names_holding(old["AccessKeyId"])}
    holders[args.name] = old
    sections = _credentials_sections_holding(old["AccessKeyId"])
    settings = _profile_settings(args.profile)
    old_credentials = _credentials(old)
    # Whose key it is: GetCallerIdentity needs no permission and no MFA.
    identity, _ = sts.call(sts.client(settings, old_credentials), "GetCallerIdentity")
    signing = _signing_credentials(settings, old_credentials)
    user = _user_name(identity["Arn"])
    iam_old = sts.client(settings, signing, service="iam")
    created, _ = sts.call(iam_old, "CreateAccessKey", **user)
    new = created["AccessKey"]
    new_credentials = _credentials(new)
    updated = []
    try:
        _wait_until_working(settings, new_credentials, identity["Arn"])
        for name in [args.name] + sorted(set(holders) - {args.name}):
            iam_keys.store(name, new["AccessKeyId"], new["SecretAccessKey"])
            updated.append(name)
        backup = _replace_in_credentials_file(sections, new)
    except (CredentialProcessError, KeyboardInterrupt) as error:
        _put_back(updated, holders)
        _undo_new_key(iam_old, new["AccessKeyId"], user, error)
        raise
    cleared = sum(clear_sessions_of(name) for name in updated)
    print(f"rotated keys {args.name!r}: {iam_keys.mask(old['AccessKeyId'])} -> "
          f"{iam_keys.mask(new['AccessKeyId'])}; {cleared} cached session(s) cleared")
    if updated[1:]:
        print(f"the stored keys {', '.join(map(repr, updated[1:]))} held the same key: they hold the new one too")
    if sections:
        from credential_process.aws_config import credentials_path

        print(f"{', '.join(f'[{section}]' for section in sections)} in {credentials_path()} held the same key: "
              f"they hold the new one too; the old file is kept as {backup} (it holds the old key: delete it)")
    try:
        sts.call(sts.client(settings, signing if settings.mfa_serial else new_credentials, service="iam"),
                 "DeleteAccessKey", AccessKeyId=old["AccessKeyId"], **user)
    except AwsError as error:
        raise AwsError(f"the new key is stored, but the old key {old['AccessKeyId']} could not be deleted "
                       f"({error}); delete it yourself: aws iam delete-access-key "
                       f"--access-key-id {old['AccessKeyId']}") from None
    print(f"deleted the old key {old['AccessKeyId']} in IAM")
    return 0


def _credentials_sections_holding(access_key_id):
    """The sections of the credentials file whose aws_access_key_id is this key."""
    from credential_process.aws_config import credentials_path, read_ini

    parser = read_ini(credentials_path())
    return [section for section in parser.sections()
            if parser.get(section, "aws_access_key_id", fallback="").strip() == access_key_id]


def _replace_in_credentials_file(sections, new):
    """Both key lines of each section replaced where they stand; the backup's path."""
    if not sections:
        return None
    from credential_process import inifile
    from credential_process.aws_config import credentials_path

    mapping = {"aws_access_key_id": new["AccessKeyId"], "aws_secret_access_key": new["SecretAccessKey"]}
    try:
        return inifile.update_sections(credentials_path(), {section: (mapping, ()) for section in sections})
    except OSError as error:
        raise ConfigError(f"cannot rewrite {credentials_path()}: {error.strerror or error}") from None


def _put_back(names, records):
    """A later step failed: the names already given the new key get their old one again."""
    from credential_process.os_keyring import iam_keys

    for name in names:
        try:
            iam_keys.store(name, records[name]["AccessKeyId"], records[name]["SecretAccessKey"])
        except CredentialProcessError as error:
            notice(f"the old key could not be stored again under {name!r} "
                   f"({error}): store it again with 'credential-process keys add {name} --replace'")


def _profile_settings(profile):
    """The named profile's options (region, endpoint, MFA device), or none at all."""
    from credential_process import aws_config, options

    if not profile:
        defaults = {spec.attribute: spec.default for spec in options.SPECS}
        return options.Options(None, aws_config.config_path(), {}, defaults)
    return options.load(profile)


def _signing_credentials(settings, credentials):
    """The stored key itself, or its MFA session when the profile names an MFA device
    (IAM refuses session credentials obtained without MFA)."""
    if not settings.mfa_serial:
        return credentials
    from credential_process.flows.get_session_token import mfa_session

    return mfa_session(settings, credentials)["credentials"]


def _credentials(record):
    return {"AccessKeyId": record["AccessKeyId"], "SecretAccessKey": record["SecretAccessKey"]}


def _user_name(arn):
    """{"UserName": name} for an IAM user ARN; {} (the caller) for anything else."""
    resource = arn.split(":", 5)[-1]
    return {"UserName": resource.rsplit("/", 1)[-1]} if resource.startswith("user/") else {}


def _wait_until_working(settings, credentials, expected_arn):
    """GetCallerIdentity with the new key until it works (IAM is eventually consistent)."""
    from credential_process import sts

    deadline = time.monotonic() + VERIFY_SECONDS
    pause = 1
    while True:
        try:
            identity, _ = sts.call(sts.client(settings, credentials), "GetCallerIdentity")
            break
        except AwsError as error:
            if time.monotonic() + pause > deadline:
                raise AwsError(f"the new key did not work within {VERIFY_SECONDS} s: {error}") from None
            time.sleep(pause)
            pause = min(pause * 2, 5)
    if identity["Arn"] != expected_arn:
        raise AwsError(f"the new key belongs to {identity['Arn']}, not {expected_arn}")


def _undo_new_key(iam_client, access_key_id, user, cause):
    """Storing failed: delete the new key, so the old one stays the only one."""
    from credential_process import sts

    try:
        sts.call(iam_client, "DeleteAccessKey", AccessKeyId=access_key_id, **user)
    except AwsError as error:
        notice(f"the new key {access_key_id} could not be deleted either "
               f"({error}); delete it yourself: aws iam delete-access-key --access-key-id {access_key_id}")
        return
    notice(f"rotation undone: the new key {access_key_id} was deleted "
           f"after: {cause}; the stored key is unchanged")


# -- cached sessions ----------------------------------------------------------------------
def clear_sessions_of(name):
    """Delete the cached sessions made from keys ``name``, in every store, and
    those made from them in turn (profiles whose source profile was cleared)."""
    from credential_process.commands.cache import cached_entries

    sources, seen, cleared = [["keyring", name]], set(), 0
    while sources:
        source = sources.pop()
        for store, key, entry in list(cached_entries()):
            if entry.get("source") == source:
                store.delete(key)
                cleared += 1
                if entry.get("profile") not in seen:
                    seen.add(entry.get("profile"))
                    sources.append(["profile", entry.get("profile")])
    return cleared
