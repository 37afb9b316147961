"""The credential_process JSON: Version 1 (an integer) first, then the keys."""

import json

FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId")


def process_json(credentials):
    document = {"Version": 1}
    document.update((name, credentials[name]) for name in FIELDS if credentials.get(name))
    return json.dumps(document)
