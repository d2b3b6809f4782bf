"""Prepares a moto server for the sync test and prints what it returns.

Usage: prepare.py ENDPOINT ACCOUNT... > truth.json

For every account (reached through STS AssumeRole, as amiq reaches it) and region it
creates a few images from running instances (with tags), shares the first account's
first image with the second account, then lists every scope amiq syncs and prints
{"<account>/<region>/<scope>": [image, ...]} as JSON.
"""

import json
import sys

from moto_session import ec2_client

endpoint, accounts = sys.argv[1], sys.argv[2:]
REGIONS = ["us-east-1", "eu-west-1"]


def session(account, region):
    return ec2_client(endpoint, account, region)


created = {}
for account in accounts:
    for region in REGIONS:
        ec2 = session(account, region)
        base = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ids = []
        for n in range(3):
            inst = ec2.run_instances(ImageId=base, MinCount=1, MaxCount=1)["Instances"][0]
            image = ec2.create_image(
                InstanceId=inst["InstanceId"],
                Name=f"acme-{account[-4:]}-{region}-web-{n}",
                Description=f"web tier build {n}, with a comma & an <angle>",
                TagSpecifications=[
                    {
                        "ResourceType": "image",
                        "Tags": [
                            {"Key": "team", "Value": "web"},
                            {"Key": "quote\"d", "Value": "ünïcödé = *?"},
                        ],
                    }
                ],
            )
            ids.append(image["ImageId"])
        created[(account, region)] = ids

for region in REGIONS:
    owner = session(accounts[0], region)
    owner.modify_image_attribute(
        ImageId=created[(accounts[0], region)][0],
        LaunchPermission={"Add": [{"UserId": accounts[1]}]},
    )

SCOPES = {
    "owned": dict(Owners=["self"]),
    "shared": dict(ExecutableUsers=["self"]),
    "amazon": dict(Owners=["amazon"]),
}
truth = {}
for account in accounts:
    for region in REGIONS:
        ec2 = session(account, region)
        for scope, args in SCOPES.items():
            images = ec2.describe_images(IncludeDeprecated=True, IncludeDisabled=True, **args)[
                "Images"
            ]
            truth[f"{account}/{region}/{scope}"] = images
json.dump(truth, sys.stdout, default=str)
