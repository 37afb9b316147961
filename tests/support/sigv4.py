"""Verify SigV4 query-string (presigned) URLs ourselves.

moto 5.2 cannot serve presigned STS GETs (what EKS tokens are): with no
Authorization header its server routes `GET /?Action=GetCallerIdentity...` to
S3 (ListAllMyBuckets) when auth is off, and answers HTTP 500 when auth is on.
Tests of EKS tokens therefore check the URL's signature with this module.

    params = verify_presigned_url(url, secret, headers={"x-k8s-aws-id": "my-cluster"})
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from typing import Mapping, Optional
from urllib.parse import parse_qsl, quote, urlsplit

__all__ = ["PresignError", "verify_presigned_url"]


class PresignError(AssertionError):
    pass


def _q(s: str) -> str:
    return quote(s, safe="-_.~")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def verify_presigned_url(url: str, secret_access_key: str, headers: Optional[Mapping[str, str]] = None,
                         now: Optional[datetime] = None, max_age: Optional[float] = None) -> dict:
    """Check the SigV4 query signature of `url` with `secret_access_key`.
    `headers`: values of signed headers other than host (e.g. x-k8s-aws-id).
    Checks expiry (X-Amz-Date + X-Amz-Expires, or `max_age` seconds when given)
    against `now`. Returns the query parameters; raises PresignError."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(pairs)
    for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"):
        if k not in params:
            raise PresignError(f"missing {k}")
    if params["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        raise PresignError("unexpected algorithm " + params["X-Amz-Algorithm"])
    _key_id, date, region, service, term = params["X-Amz-Credential"].split("/")
    amz_date = params["X-Amz-Date"]
    if not amz_date.startswith(date) or term != "aws4_request":
        raise PresignError("credential scope does not match X-Amz-Date")
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    hdrs.setdefault("host", parts.netloc)
    signed = params["X-Amz-SignedHeaders"].split(";")
    for h in signed:
        if h not in hdrs:
            raise PresignError(f"signed header {h!r} value not supplied")
    canonical_query = "&".join(
        f"{_q(k)}={_q(v)}" for k, v in sorted(pairs) if k != "X-Amz-Signature")
    canonical_headers = "".join(f"{h}:{' '.join(hdrs[h].split())}\n" for h in signed)
    canonical_request = "\n".join([
        "GET", quote(parts.path or "/", safe="/-_.~"), canonical_query, canonical_headers,
        ";".join(signed), hashlib.sha256(b"").hexdigest(),  # GET: hash of the empty body
    ])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical_request.encode()).hexdigest()])
    k = _hmac(("AWS4" + secret_access_key).encode(), date)
    k = _hmac(_hmac(_hmac(k, region), service), "aws4_request")
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sig, params["X-Amz-Signature"]):
        raise PresignError("signature does not match")
    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    age = max_age if max_age is not None else float(params.get("X-Amz-Expires", 0) or 0)
    now = now or datetime.now(timezone.utc)
    if age and now > signed_at + timedelta(seconds=age):
        raise PresignError(f"expired: signed at {signed_at.isoformat()}, valid {age:.0f}s")
    if now < signed_at - timedelta(minutes=5):
        raise PresignError("signed in the future")
    return params
