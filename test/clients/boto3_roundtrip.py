"""boto3 at its default settings against edge-sse: the calls an application makes, in one run.

Usage: boto3_roundtrip.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY WORKDIR. Prints one line per
step; exits non-zero (with a traceback) on the first failure.
"""
import hashlib
import os
import sys
import urllib.error
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, access_key, secret_key, workdir = sys.argv[1:5]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id=access_key,
    aws_secret_access_key=secret_key,
)
bucket = "boto3-bucket"


def step(name):
    print(name, flush=True)


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response["Error"]
        return
    raise AssertionError(f"expected {code}")


s3.create_bucket(Bucket=bucket)
step("create_bucket")

body = os.urandom(100_000)
put = s3.put_object(Bucket=bucket, Key="docs/a.bin", Body=body, Metadata={"colour": "blue"})
assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), put
assert put["ServerSideEncryption"] == "AES256"
got = s3.get_object(Bucket=bucket, Key="docs/a.bin")
assert got["Body"].read() == body and got["Metadata"] == {"colour": "blue"}
assert "ContentEncoding" not in got, got  # stored without one: none reported
assert s3.get_object(Bucket=bucket, Key="docs/a.bin", Range="bytes=10-19")["Body"].read() == body[10:20]
step("put_object/get_object/range")

big = os.path.join(workdir, "big.bin")
with open(big, "wb") as f:
    f.write(os.urandom(20 * 1024 * 1024))
s3.upload_file(big, bucket, "big.bin")  # multipart above 8 MiB
s3.download_file(bucket, "big.bin", big + ".out")
with open(big, "rb") as a, open(big + ".out", "rb") as b:
    assert a.read() == b.read()
assert s3.head_object(Bucket=bucket, Key="big.bin")["ETag"].endswith('-3"')
step("upload_file/download_file (multipart)")

key = os.urandom(32)
s3.put_object(Bucket=bucket, Key="ssec", Body=b"customer", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
assert s3.get_object(Bucket=bucket, Key="ssec", SSECustomerAlgorithm="AES256", SSECustomerKey=key)["Body"].read() == b"customer"
expect_error("400", s3.head_object, Bucket=bucket, Key="ssec")
step("SSE-C")

kms = s3.put_object(Bucket=bucket, Key="kms", Body=b"kms", ServerSideEncryption="aws:kms", SSEKMSKeyId="test-key")
assert kms["SSEKMSKeyId"] == "test-key"
assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"kms"
step("SSE-KMS")

s3.copy_object(Bucket=bucket, Key="copy.bin", CopySource={"Bucket": bucket, "Key": "docs/a.bin"})
assert s3.get_object(Bucket=bucket, Key="copy.bin")["Body"].read() == body
step("copy_object")

url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "docs/a.bin"}, ExpiresIn=60)
assert "AWSAccessKeyId=" in url, url  # boto3's default presigner signs with SigV2
assert urllib.request.urlopen(url).read() == body
# SigV2 is accepted only for presigned GET/HEAD (ALLOW_SIGV2_HEADERS unset): not for PUT, not in headers.
put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "docs/a.bin"}, ExpiresIn=60)
try:
    urllib.request.urlopen(urllib.request.Request(put_url, data=b"replaced", method="PUT"))
    raise AssertionError("presigned SigV2 PUT accepted")
except urllib.error.HTTPError as e:
    assert e.code == 400 and b"<Code>InvalidRequest</Code>" in e.read()
v2_headers = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id=access_key,
    aws_secret_access_key=secret_key,
    config=Config(signature_version="s3", retries={"max_attempts": 1}),
)
expect_error("InvalidRequest", v2_headers.get_object, Bucket=bucket, Key="docs/a.bin")
assert s3.get_object(Bucket=bucket, Key="docs/a.bin")["Body"].read() == body
step("presigned url")

keys = sorted(o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}) for o in page.get("Contents", []))
assert keys == ["big.bin", "copy.bin", "docs/a.bin", "kms", "ssec"], keys
v1 = s3.list_objects(Bucket=bucket, Delimiter="/")
assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["docs/"]
step("list_objects_v2/list_objects")

expect_error("NoSuchKey", s3.get_object, Bucket=bucket, Key="missing")
deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
assert sorted(d["Key"] for d in deleted["Deleted"]) == keys
s3.delete_bucket(Bucket=bucket)
step("delete_objects/delete_bucket")
