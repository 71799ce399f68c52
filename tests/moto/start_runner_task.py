"""Starts one runner task in moto for the CLI checks of `npm run test:apply`, as the control plane
would after the seed apply: the fleet's task definition on its cluster, in a subnet of a VPC made
here (the seed's subnet ids are placeholders). Prints {"taskArn": ...}.

Usage: python3 tests/moto/start_runner_task.py <endpoint> <region> <cluster> <runner-id>
"""
import json
import sys

import boto3


def main():
    endpoint, region, cluster, runner_id = sys.argv[1:5]
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    ec2 = session.client("ec2", endpoint_url=endpoint)
    ecs = session.client("ecs", endpoint_url=endpoint)

    # Like the examples' network: a VPC with DNS hostnames, one subnet, its default security group.
    vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.43.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]["GroupId"]

    families = ecs.list_task_definition_families(status="ACTIVE")["families"]
    if len(families) != 1:
        sys.exit(f"expected the fleet's one task definition family, found {families}")
    out = ecs.run_task(
        cluster=cluster,
        taskDefinition=families[0],
        launchType="FARGATE",
        startedBy=runner_id,
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}},
    )
    if out["failures"] or len(out["tasks"]) != 1:
        sys.exit(f"RunTask started no task: {out['failures']}")
    print(json.dumps({"taskArn": out["tasks"][0]["taskArn"]}))


if __name__ == "__main__":
    main()
