"""boto3's generate_presigned_post for edge-sse: prints the forms (url and fields) as JSON.

Usage: presigned_post.py ACCESS_KEY_ID SECRET_ACCESS_KEY REQUESTS_JSON
REQUESTS_JSON is a list of {endpoint, bucket, key, signature_version, fields}; signature_version is
"default" (boto3's own choice) or a botocore signature version such as s3v4. Every field given is
also a condition of the policy, as boto3 requires. Prints the list of forms in the same order.
"""
import json
import sys

import boto3
from botocore.config import Config

access_key, secret_key, requests_json = sys.argv[1:4]
forms = []
for r in json.loads(requests_json):
    version = r["signature_version"]
    config = Config(s3={"addressing_style": "path"}, **({} if version == "default" else {"signature_version": version}))
    s3 = boto3.client(
        "s3",
        endpoint_url=r["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config,
    )
    conditions = [{name: value} for name, value in r["fields"].items()] + [["content-length-range", 1, 1 << 20]]
    forms.append(s3.generate_presigned_post(r["bucket"], r["key"], Fields=r["fields"], Conditions=conditions, ExpiresIn=600))
print(json.dumps(forms))
