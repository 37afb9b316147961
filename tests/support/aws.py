"""IAM fixtures on a moto server: an admin user for auth-enforced servers and
per-test "worlds" (a user with keys plus a role it can assume).

moto facts this relies on (moto 5.2, checked by tests/test_support_smoke.py):
  * account id is 123456789012;
  * with auth enforced every request, IAM setup included, must be SigV4-signed
    by a known IAM user whose policy allows the action; unknown key ->
    InvalidClientTokenId (403), wrong secret -> SignatureDoesNotMatch (403),
    user without a policy -> AccessDenied (403);
  * /moto-api/reset wipes IAM too (the admin!) but leaves auth enforced:
    use `bootstrap_admin(url)` afterwards.
"""
from __future__ import annotations

import json
import textwrap
import uuid
from dataclasses import dataclass
from typing import Optional

import boto3
from botocore.config import Config

from .moto import enforce_auth, relax_auth

__all__ = ["Creds", "AwsWorld", "client", "bootstrap_admin", "create_world", "ALLOW_ALL", "ACCOUNT_ID"]

ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_REGION = "us-east-1"

ALLOW_ALL = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
})

TRUST_ANYONE = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}],
})


@dataclass(frozen=True)
class Creds:
    access_key_id: str
    secret_access_key: str
    session_token: Optional[str] = None


def client(service: str, url: str, creds: Optional[Creds] = None, region: str = DEFAULT_REGION,
           retries: int = 1, **config):
    """A boto3 client for `service` at `url` with explicit credentials (never the
    environment's). retries = total attempts (1: no retry)."""
    creds = creds or Creds("testing", "testing")
    botocore_config = Config(retries={"total_max_attempts": retries, "mode": "standard"}, **config)
    return boto3.session.Session().client(
        service, endpoint_url=url, region_name=region,
        aws_access_key_id=creds.access_key_id, aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token, config=botocore_config,
    )


def bootstrap_admin(url: str, name: Optional[str] = None, enforce: bool = True) -> Creds:
    """With auth relaxed, create an IAM user allowed `*` with an access key;
    then (enforce=True) turn auth enforcement on. Returns the admin's keys."""
    relax_auth(url)
    name = name or f"admin-{uuid.uuid4().hex[:10]}"
    iam = client("iam", url)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    if enforce:
        enforce_auth(url)
    return Creds(key["AccessKeyId"], key["SecretAccessKey"])


@dataclass(frozen=True)
class AwsWorld:
    """One test's IAM universe on a moto server."""
    server_url: str
    user_name: str
    user_arn: str
    access_key_id: str
    secret_access_key: str
    role_name: str
    role_arn: str
    account_id: str
    auth_enforced: bool
    region: str = DEFAULT_REGION

    @property
    def creds(self) -> Creds:
        return Creds(self.access_key_id, self.secret_access_key)

    def client(self, service: str, url: Optional[str] = None, creds: Optional[Creds] = None, **kw):
        """boto3 client signed with this world's user (or `creds`), at `url`
        (default: the moto server itself)."""
        return client(service, url or self.server_url, creds or self.creds, region=self.region, **kw)

    def assume_role(self, url: Optional[str] = None, session_name: str = "test-session", **kw) -> Creds:
        response = self.client("sts", url).assume_role(RoleArn=self.role_arn, RoleSessionName=session_name, **kw)
        session = response["Credentials"]
        return Creds(session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])

    def credentials_ini(self, profile: str = "base") -> str:
        """A ~/.aws/credentials section holding this world's user keys."""
        return textwrap.dedent(f"""\
            [{profile}]
            aws_access_key_id = {self.access_key_id}
            aws_secret_access_key = {self.secret_access_key}
            """)

    def make_role(self, name: Optional[str] = None, admin: Optional[Creds] = None,
                  max_session_duration: int = 43200) -> str:
        """Create another assumable role (allow-all policy); returns its ARN."""
        name = name or f"role-{uuid.uuid4().hex[:12]}"
        iam = client("iam", self.server_url, admin or self.creds)
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_ANYONE,
                              MaxSessionDuration=max_session_duration)["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
        return arn


def create_world(url: str, admin: Optional[Creds] = None, auth_enforced: bool = False,
                 prefix: str = "t", max_session_duration: int = 43200) -> AwsWorld:
    """Create a uniquely named user (allow-all inline policy + access key) and
    role (trust: anyone in AWS; allow-all inline policy). `admin` signs the
    setup calls (needed when auth is enforced)."""
    tag = uuid.uuid4().hex[:12]
    user_name, role_name = f"{prefix}-user-{tag}", f"{prefix}-role-{tag}"
    iam = client("iam", url, admin)
    user = iam.create_user(UserName=user_name)["User"]
    iam.put_user_policy(UserName=user_name, PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=TRUST_ANYONE,
                           MaxSessionDuration=max_session_duration)["Role"]
    iam.put_role_policy(RoleName=role_name, PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
    account = client("sts", url, admin).get_caller_identity()["Account"]
    return AwsWorld(
        server_url=url, user_name=user_name, user_arn=user["Arn"],
        access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
        role_name=role_name, role_arn=role["Arn"], account_id=account, auth_enforced=auth_enforced,
    )
