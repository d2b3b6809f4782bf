"""Prepares a moto organization for the organization discovery test and prints what
moto says about it.

Usage: moto_organization.py ENDPOINT [ROLE_NAME] > truth.json

With the base credentials (moto's account 123456789012, which becomes the management
account) it creates an organization with the OUs Root/Production/Payments and
Root/Development, five member accounts spread over the root and those OUs (one at
depth 2), and closes dev-sandbox (moto makes it SUSPENDED at once). Every active
account, the management one included, gets one or two images per region, made through
STS AssumeRole into ROLE_NAME (default Inventory), as amiq reaches it. Prints
{"management": id, "root_id": "r-..",
 "ous": {ou id: {"name", "path", "path_ids"}},
 "accounts": [{"id", "name", "email", "status", "state", "joined_method", "joined",
               "parent_id", "ou_path", "ou_path_ids"}, ...] (what ListAccounts lists,
               with the parent ListParents names, in id order),
 "owned": {"<account>/<region>": [sorted ids DescribeImages Owners=self returns]}}.
"""

import json
import sys

import boto3

endpoint = sys.argv[1]
role = sys.argv[2] if len(sys.argv) > 2 else "Inventory"
REGIONS = ["us-east-1", "eu-west-1"]
BASE = dict(endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing")
# (name, parent OU name or None for the root); dev-sandbox is closed afterwards.
MEMBERS = [
    ("prod-web", "Production"),
    ("payments-api", "Payments"),
    ("dev-sandbox", "Development"),
    ("dev-data", "Development"),
    ("root-tools", None),
]
CLOSED = {"dev-sandbox"}


def ec2_client(account, region):
    sts = boto3.client("sts", region_name=region, **BASE)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="organization"
    )["Credentials"]
    return boto3.client(
        "ec2", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def pages(method, key, **args):
    return [item for page in org.get_paginator(method).paginate(**args) for item in page[key]]


org = boto3.client("organizations", region_name="us-east-1", **BASE)
org.create_organization(FeatureSet="ALL")
management = org.describe_organization()["Organization"]["MasterAccountId"]
root_id = pages("list_roots", "Roots")[0]["Id"]
ou_ids = {None: root_id}
for name, parent in [("Production", None), ("Development", None), ("Payments", "Production")]:
    unit = org.create_organizational_unit(ParentId=ou_ids[parent], Name=name)
    ou_ids[name] = unit["OrganizationalUnit"]["Id"]

active = [management]
for name, parent in MEMBERS:
    status = org.create_account(AccountName=name, Email=f"{name}@example.com", RoleName=role)
    account = status["CreateAccountStatus"]["AccountId"]  # moto: SUCCEEDED at once
    if parent:
        org.move_account(
            AccountId=account, SourceParentId=root_id, DestinationParentId=ou_ids[parent]
        )
    if name in CLOSED:
        org.close_account(AccountId=account)
    else:
        active.append(account)

for n, account in enumerate(active):
    for r, region in enumerate(REGIONS):
        ec2 = ec2_client(account, region)
        base = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        for i in range(1 + (n + r) % 2):
            inst = ec2.run_instances(ImageId=base, MinCount=1, MaxCount=1)["Instances"][0]
            ec2.create_image(InstanceId=inst["InstanceId"], Name=f"org-{account[-4:]}-{region}-{i}")

# The tree as moto lists it: every OU's path by name and by id, from the root.
places = {root_id: ("Root", root_id)}
ous, todo = {}, [root_id]
while todo:
    parent = todo.pop()
    units = pages("list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent)
    for unit in units:
        base, base_ids = places[parent]
        path, path_ids = f"{base}/{unit['Name']}", f"{base_ids}/{unit['Id']}"
        places[unit["Id"]] = (path, path_ids)
        ous[unit["Id"]] = {"name": unit["Name"], "path": path, "path_ids": path_ids}
        todo.append(unit["Id"])

accounts = []
for a in sorted(pages("list_accounts", "Accounts"), key=lambda a: a["Id"]):
    parent = org.list_parents(ChildId=a["Id"])["Parents"][0]["Id"]
    accounts.append({
        "id": a["Id"], "name": a["Name"], "email": a["Email"],
        "status": a.get("Status"), "state": a.get("State"),
        "joined_method": a.get("JoinedMethod"),
        "joined": a["JoinedTimestamp"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "parent_id": parent, "ou_path": places[parent][0], "ou_path_ids": places[parent][1],
    })

owned = {}
for account in active:
    for region in REGIONS:
        images = ec2_client(account, region).describe_images(Owners=["self"])["Images"]
        owned[f"{account}/{region}"] = sorted(i["ImageId"] for i in images)

truth = {"management": management, "root_id": root_id, "ous": ous, "accounts": accounts}
json.dump({**truth, "owned": owned}, sys.stdout)
