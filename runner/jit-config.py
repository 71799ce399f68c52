#!/usr/bin/env python3
"""Takes this runner's JIT config out of SSM Parameter Store: reads the SecureString named by the
first argument (decrypted) with the task role's credentials, deletes it, and writes the value to
stdout. Standard library only (the image has no AWS CLI): SigV4 signing, the ECS container
credentials endpoint, and the SDKs' endpoint variables (AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL).

Exit codes: 0 ok; 78 the parameter cannot be used (missing, access denied, bad setup);
69 SSM or the credentials endpoint did not answer after retries. The value is never logged."""
import datetime
import hashlib
import hmac
import http.client as http_client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

EX_UNAVAILABLE = 69
EX_CONFIG = 78
ECS_CREDENTIALS_HOST = "http://169.254.170.2"
ATTEMPTS = 4


class Refused(Exception):
    """An answer that no retry changes."""


class Unavailable(Exception):
    """No answer, or one worth retrying (throttling, 5xx)."""


def fail(code, message):
    print(f"runner-jit-config: {message}", file=sys.stderr)
    sys.exit(code)


def http(request, timeout=5):
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError, http_client.HTTPException) as error:
        raise Unavailable(f"{request.full_url}: {error}") from None


def credentials():
    """The task role's credentials from the ECS container credentials endpoint (RELATIVE_URI on ECS, FULL_URI elsewhere)."""
    relative = os.environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    full = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if not relative and not full:
        if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
            return {"AccessKeyId": os.environ["AWS_ACCESS_KEY_ID"], "SecretAccessKey": os.environ["AWS_SECRET_ACCESS_KEY"], "Token": os.environ.get("AWS_SESSION_TOKEN")}
        raise Refused("no task role credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not set (the task definition needs a task role)")
    url = ECS_CREDENTIALS_HOST + relative if relative else full
    request = urllib.request.Request(url)
    token = os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    token_file = os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    if token_file:
        with open(token_file, encoding="utf-8") as handle:
            token = handle.read().strip()
    if token:
        request.add_header("Authorization", token)
    status, body = http(request)
    if status != 200:
        raise (Unavailable if status >= 500 else Refused)(f"the credentials endpoint {url} answered {status}")
    found = parse_json(body, f"the credentials endpoint {url}")
    if not found.get("AccessKeyId") or not found.get("SecretAccessKey"):
        raise Refused("the credentials endpoint answered without AccessKeyId/SecretAccessKey")
    return found


def endpoint(region):
    url = os.environ.get("AWS_ENDPOINT_URL_SSM") or os.environ.get("AWS_ENDPOINT_URL")
    if url:
        return url.rstrip("/")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://ssm.{region}.{suffix}"


def signed(url, region, creds, target, payload):
    """A SigV4-signed JSON 1.1 POST (service ssm)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    parsed = urllib.parse.urlsplit(url)
    path = parsed.path or "/"
    headers = {"content-type": "application/x-amz-json-1.1", "host": parsed.netloc, "x-amz-date": amz_date, "x-amz-target": f"AmazonSSM.{target}"}
    if creds.get("Token"):
        headers["x-amz-security-token"] = creds["Token"]
    names = sorted(headers)
    canonical = "\n".join(["POST", path, "", "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names), hashlib.sha256(payload).hexdigest()])
    scope = f"{day}/{region}/ssm/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + creds["SecretAccessKey"]).encode()
    for part in (day, region, "ssm", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={creds['AccessKeyId']}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    return urllib.request.Request(f"{parsed.scheme}://{parsed.netloc}{path}", data=payload, headers=headers, method="POST")


def parse_json(raw, what):
    """The answer's JSON object; a proxy's HTML page or a cut-off body is an answer worth retrying."""
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise Unavailable(f"{what} answered with a body that is not JSON") from None
    if not isinstance(answer, dict):
        raise Unavailable(f"{what} answered with JSON that is not an object")
    return answer


def call(url, region, creds, target, body):
    status, raw = http(signed(url, region, creds, target, json.dumps(body).encode()))
    if status >= 500:
        raise Unavailable(f"SSM {target} answered {status}")
    answer = parse_json(raw, f"SSM {target} ({status})")
    if status == 200:
        return answer
    kind = str(answer.get("__type", "")).split("#")[-1]
    message = f"SSM {target} answered {status} {kind}: {answer.get('message') or answer.get('Message') or ''}".strip()
    if status >= 500 or kind in ("ThrottlingException", "TooManyUpdates", "InternalServerError"):
        raise Unavailable(message)
    raise Refused(message)


def with_retries(action):
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return action()
        except Unavailable as error:
            if attempt == ATTEMPTS:
                raise
            print(f"runner-jit-config: {error}; retrying", file=sys.stderr)
            time.sleep(0.5 * 2 ** (attempt - 1))
    return None


def main():
    if len(sys.argv) != 2 or not sys.argv[1].startswith("/"):
        fail(EX_CONFIG, "usage: runner-jit-config /<path>/<name> (the SSM parameter holding the JIT config)")
    name = sys.argv[1]
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        fail(EX_CONFIG, "AWS_REGION is not set (Fargate sets it; set it for a local run)")
    url = endpoint(region)
    try:
        creds = with_retries(credentials)
        value = with_retries(lambda: call(url, region, creds, "GetParameter", {"Name": name, "WithDecryption": True})).get("Parameter", {}).get("Value")
        if not isinstance(value, str) or not value:
            raise Refused("GetParameter answered without a value")
        try:
            # Single use: gone before the listener starts, so nothing (a job step included) can read it again.
            with_retries(lambda: call(url, region, creds, "DeleteParameter", {"Name": name}))
        except Refused as error:
            if "ParameterNotFound" not in str(error):
                raise
    except Refused as error:
        fail(EX_CONFIG, f"cannot take the JIT config from {name}: {error}")
    except Unavailable as error:
        fail(EX_UNAVAILABLE, f"cannot reach SSM for {name}: {error}")
    sys.stdout.write(value)


if __name__ == "__main__":
    main()
