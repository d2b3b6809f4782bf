-- DescribeImages, answered from the store: the images of the answer, with all their
-- members, from describe_views (views.sql), in the answer's order, each with its
-- position there (src/describe/found.rs may leave the ORDER BY out and put the images
-- in order itself).
SELECT w.caller, w.region, w.image_id,
       -- The Image shape's members in the order of the EC2 model (and of the AWS CLI's
       -- output, src/shape.rs: a test checks the list); NULL members are left out of
       -- the JSON by the caller, which also names and orders the members of the nested
       -- ones (image_json::ec2_members).
       {
           'PlatformDetails': v.platform_details,
           'UsageOperation': v.usage_operation,
           'BlockDeviceMappings': v.block_device_mappings,
           'Description': v.description,
           'EnaSupport': v.ena_support,
           'Hypervisor': v.hypervisor,
           'ImageOwnerAlias': v.image_owner_alias,
           'Name': v.name,
           'RootDeviceName': v.root_device_name,
           'RootDeviceType': v.root_device_type,
           'SriovNetSupport': v.sriov_net_support,
           'StateReason': v.state_reason,
           'Tags': w.tags,
           'VirtualizationType': v.virtualization_type,
           'BootMode': v.boot_mode,
           'TpmSupport': v.tpm_support,
           'DeprecationTime': v.deprecation_time,
           'ImdsSupport': v.imds_support,
           'SourceInstanceId': v.source_instance_id,
           'DeregistrationProtection': v.deregistration_protection,
           'LastLaunchedTime': w.last_launched_time,
           'ImageAllowed': w.image_allowed,
           'SourceImageId': v.source_image_id,
           'SourceImageRegion': v.source_image_region,
           'FreeTierEligible': v.free_tier_eligible,
           'PublicSsmParameterName': v.public_ssm_parameter_name,
           'ImageWatermarks': v.image_watermarks,
           'ScanResults': v.scan_results,
           'InstanceTypeSpecification': v.instance_type_specification,
           'ImageId': v.image_id,
           'ImageLocation': v.image_location,
           'State': v.state,
           'OwnerId': v.owner_id,
           'CreationDate': v.creation_date,
           'Public': v.public,
           'ProductCodes': v.product_codes,
           'Architecture': v.architecture,
           'ImageType': v.image_type,
           'KernelId': v.kernel_id,
           'RamdiskId': v.ramdisk_id,
           'Platform': v.platform,
           -- What the reader did not know: put back in place by image_json::image.
           'UnknownMembers': v.unknown_members
       } AS image,
       w.pos
FROM describe_views w
JOIN image_versions v ON v.rowid = w.version_row
-- pos is the answer's order (caller, region, image id): one integer to sort by.
ORDER BY pos
