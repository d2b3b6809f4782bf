"""Asks moto DescribeImages questions and prints its answers, for the filter test.

Usage: moto_filters.py ENDPOINT ACCOUNT REGION < questions.json > answers.json

Each question is {"owners": [...], "filters": [{"Name": .., "Values": [..]}]}; each
answer is {"ids": [sorted image ids]} or {"error": "<what moto said>"}.
"""

import json
import sys

from moto_session import ec2_client

endpoint, account, region = sys.argv[1:4]
ec2 = ec2_client(endpoint, account, region, session_name="filters")
answers = []
for q in json.load(sys.stdin):
    try:
        images = ec2.describe_images(Owners=q["owners"], Filters=q["filters"])["Images"]
        answers.append({"ids": sorted(i["ImageId"] for i in images)})
    except Exception as e:  # moto answers 500 for filters it does not implement
        answers.append({"error": str(e).splitlines()[0]})
json.dump(answers, sys.stdout)
