"""Registers images in moto and grants launch permissions, for the launch-permissions
dataset test; prints what DescribeImageAttribute launchPermission returns for each.

Usage: moto_launch_permissions.py ENDPOINT ACCOUNT... > truth.json

Each account (reached through STS AssumeRole, as amiq reaches it) registers three
images in us-east-1: one shared with the next account and one outside, one public and
shared with an organization and an OU, one not shared. Prints
{"<account>": {"<image id>": [launch permission, ...]}}.
"""

import json
import sys

from moto_session import ec2_client

endpoint, accounts = sys.argv[1], sys.argv[2:]
REGION = "us-east-1"
ORG = "arn:aws:organizations::123456789012:organization/o-abcdefghij"
OU = "arn:aws:organizations::123456789012:ou/o-abcdefghij/ou-ab12-cdef3456"


def session(account):
    return ec2_client(endpoint, account, REGION)


truth = {}
for n, account in enumerate(accounts):
    ec2 = session(account)
    images = [ec2.register_image(Name=f"img-{account}-{i}")["ImageId"] for i in range(3)]
    other = accounts[(n + 1) % len(accounts)]
    ec2.modify_image_attribute(
        ImageId=images[0],
        LaunchPermission={"Add": [{"UserId": other}, {"UserId": "999999999999"}]},
    )
    ec2.modify_image_attribute(
        ImageId=images[1],
        LaunchPermission={"Add": [{"Group": "all"}, {"OrganizationArn": ORG}, {"OrganizationalUnitArn": OU}]},
    )
    truth[account] = {
        image: ec2.describe_image_attribute(ImageId=image, Attribute="launchPermission")["LaunchPermissions"]
        for image in images
    }
print(json.dumps(truth))
