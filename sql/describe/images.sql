-- DescribeImages, answered from the store: the images of the answer, with all their
-- members, from describe_views (views.sql), in the answer's order.
SELECT w.caller, w.region, w.image_id,
       -- The Image shape's members in the order of the EC2 model (and of the AWS CLI's
       -- output); NULL members are left out of the JSON by the caller.
       {
           'PlatformDetails': v.platform_details,
           'UsageOperation': v.usage_operation,
           'BlockDeviceMappings': list_transform(v.block_device_mappings, lambda mapping: {
               'Ebs': CASE WHEN mapping.ebs IS NULL THEN NULL ELSE {
                   'DeleteOnTermination': mapping.ebs.delete_on_termination,
                   'Iops': mapping.ebs.iops,
                   'SnapshotId': mapping.ebs.snapshot_id,
                   'VolumeSize': mapping.ebs.volume_size,
                   'VolumeType': mapping.ebs.volume_type,
                   'KmsKeyId': mapping.ebs.kms_key_id,
                   'Throughput': mapping.ebs.throughput,
                   'OutpostArn': mapping.ebs.outpost_arn,
                   'AvailabilityZone': mapping.ebs.availability_zone,
                   'Encrypted': mapping.ebs.encrypted,
                   'VolumeInitializationRate': mapping.ebs.volume_initialization_rate,
                   'AvailabilityZoneId': mapping.ebs.availability_zone_id,
                   'EbsCardIndex': mapping.ebs.ebs_card_index} END,
               'NoDevice': mapping.no_device,
               'DeviceName': mapping.device_name,
               'VirtualName': mapping.virtual_name}),
           'Description': v.description,
           'EnaSupport': v.ena_support,
           'Hypervisor': v.hypervisor,
           'ImageOwnerAlias': v.image_owner_alias,
           'Name': v.name,
           'RootDeviceName': v.root_device_name,
           'RootDeviceType': v.root_device_type,
           'SriovNetSupport': v.sriov_net_support,
           'StateReason': CASE WHEN v.state_reason IS NULL THEN NULL ELSE
               {'Code': v.state_reason.code, 'Message': v.state_reason.message} END,
           'Tags': list_transform(w.tags, lambda tag: {'Key': tag.key, 'Value': tag.value}),
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
           'ImageId': v.image_id,
           'ImageLocation': v.image_location,
           'State': v.state,
           'OwnerId': v.owner_id,
           'CreationDate': v.creation_date,
           'Public': v.public,
           'ProductCodes': list_transform(v.product_codes, lambda code: {
               'ProductCodeId': code.product_code_id, 'ProductCodeType': code.product_code_type}),
           'Architecture': v.architecture,
           'ImageType': v.image_type,
           'KernelId': v.kernel_id,
           'RamdiskId': v.ramdisk_id,
           'Platform': v.platform
       } AS image
FROM describe_views w
JOIN image_versions v ON v.rowid = w.version_row
ORDER BY w.caller, w.region, w.image_id
