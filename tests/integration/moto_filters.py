"""Asks moto DescribeImages questions and prints its answers, for the filter test.

Usage: moto_filters.py ENDPOINT ACCOUNT REGION < questions.json > answers.json

Each question is {"owners": [...], "filters": [{"Name": .., "Values": [..]}]}; each
answer is {"ids": [sorted image ids]} or {"error": "<what moto said>"}.
"""

import json
import sys

import boto3

endpoint, account, region = sys.argv[1:4]
BASE = dict(endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing")
sts = boto3.client("sts", region_name=region, **BASE)
creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/Inventory", RoleSessionName="filters")[
    "Credentials"
]
ec2 = boto3.client(
    "ec2",
    region_name=region,
    endpoint_url=endpoint,
    aws_access_key_id=creds["AccessKeyId"],
    aws_secret_access_key=creds["SecretAccessKey"],
    aws_session_token=creds["SessionToken"],
)
answers = []
for q in json.load(sys.stdin):
    try:
        images = ec2.describe_images(Owners=q["owners"], Filters=q["filters"])["Images"]
        answers.append({"ids": sorted(i["ImageId"] for i in images)})
    except Exception as e:  # moto answers 500 for filters it does not implement
        answers.append({"error": str(e).splitlines()[0]})
json.dump(answers, sys.stdout)
