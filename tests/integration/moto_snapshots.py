"""Creates EBS snapshots in moto for the snapshots dataset test and prints what
DescribeSnapshots OwnerIds=self returns to each account.

Usage: moto_snapshots.py ENDPOINT ACCOUNT... > truth.json

Each account (reached through STS AssumeRole, as amiq reaches it) gets a few volumes in
us-east-1, each snapshotted (one twice), with tags on some; prints
{"<account>": [snapshot, ...]} with times as ISO text.
"""

import json
import sys

from moto_session import ec2_client

endpoint, accounts = sys.argv[1], sys.argv[2:]
REGION = "us-east-1"


def session(account):
    return ec2_client(endpoint, account, REGION)


truth = {}
for n, account in enumerate(accounts):
    ec2 = session(account)
    for i in range(3 + n):
        volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8 * (i + 1), Encrypted=i % 2 == 1)
        tags = [{"ResourceType": "snapshot", "Tags": [{"Key": "team", "Value": f"t{i}"}]}] if i % 2 == 0 else []
        ec2.create_snapshot(VolumeId=volume["VolumeId"], Description=f"snapshot {i} of {account}", TagSpecifications=tags)
        if i == 0:
            ec2.create_snapshot(VolumeId=volume["VolumeId"], Description="again")
    snapshots = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]
    truth[account] = json.loads(json.dumps(snapshots, default=str))
print(json.dumps(truth))
