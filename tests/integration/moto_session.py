"""The EC2 client the moto preparation scripts use: an account reached through STS
AssumeRole, as amiq reaches it."""

import boto3


def ec2_client(endpoint, account, region, session_name="prepare"):
    sts = boto3.client(
        "sts", region_name=region, endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/Inventory", RoleSessionName=session_name
    )["Credentials"]
    return boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
