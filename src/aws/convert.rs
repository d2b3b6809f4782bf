//! SDK values to plain [`Image`]s. Enums keep their wire string (`as_str()`), so an
//! SDK that does not know a value (`windows` arrives as `Unknown("windows")`) loses
//! nothing. Members are moved, not copied.

use aws_sdk_ec2::types as sdk;

use amiq_image::{
    BlockDeviceMapping, EbsBlockDevice, Image, ImageWatermark, InstanceTypeItem,
    InstanceTypeSpecification, ProductCode, ScanResults, StateReason, Tag,
};

fn wire<T: AsRef<str>>(value: Option<T>) -> Option<String> {
    value.map(|v| v.as_ref().to_string())
}

/// Converts one SDK image.
pub fn image_from_sdk(i: sdk::Image) -> Image {
    let sdk::Image {
        platform_details,
        usage_operation,
        block_device_mappings,
        description,
        ena_support,
        hypervisor,
        image_owner_alias,
        name,
        root_device_name,
        root_device_type,
        sriov_net_support,
        state_reason,
        tags,
        virtualization_type,
        boot_mode,
        tpm_support,
        deprecation_time,
        imds_support,
        source_instance_id,
        deregistration_protection,
        last_launched_time,
        image_allowed,
        source_image_id,
        source_image_region,
        free_tier_eligible,
        public_ssm_parameter_name,
        image_watermarks,
        scan_results,
        instance_type_specification,
        image_id,
        image_location,
        state,
        owner_id,
        creation_date,
        public,
        product_codes,
        architecture,
        image_type,
        kernel_id,
        ramdisk_id,
        platform,
        ..
    } = i;
    Image {
        image_id,
        image_location,
        state: wire(state),
        owner_id,
        creation_date,
        public,
        product_codes: product_codes.map(|v| {
            v.into_iter()
                .map(|p| ProductCode {
                    product_code_id: p.product_code_id,
                    product_code_type: wire(p.product_code_type),
                })
                .collect()
        }),
        architecture: wire(architecture),
        image_type: wire(image_type),
        kernel_id,
        ramdisk_id,
        platform: wire(platform),
        platform_details,
        usage_operation,
        block_device_mappings: block_device_mappings
            .map(|v| v.into_iter().map(block_device_mapping).collect()),
        description,
        ena_support,
        hypervisor: wire(hypervisor),
        image_owner_alias,
        name,
        root_device_name,
        root_device_type: wire(root_device_type),
        sriov_net_support,
        state_reason: state_reason.map(|r| StateReason {
            code: r.code,
            message: r.message,
        }),
        tags: tags.map(|v| {
            v.into_iter()
                .map(|t| Tag {
                    key: t.key,
                    value: t.value,
                })
                .collect()
        }),
        virtualization_type: wire(virtualization_type),
        boot_mode: wire(boot_mode),
        tpm_support: wire(tpm_support),
        deprecation_time,
        imds_support: wire(imds_support),
        source_instance_id,
        deregistration_protection,
        last_launched_time,
        image_allowed,
        source_image_id,
        source_image_region,
        free_tier_eligible,
        public_ssm_parameter_name,
        image_watermarks: image_watermarks.map(|v| {
            v.into_iter()
                .map(|w| ImageWatermark {
                    watermark_key: w.watermark_key,
                    source_image_region: w.source_image_region,
                    source_image_id: w.source_image_id,
                    source_image_creation_time: time(w.source_image_creation_time),
                    watermark_creation_time: time(w.watermark_creation_time),
                })
                .collect()
        }),
        scan_results: scan_results.map(|r| ScanResults {
            highest_finding_severity_label: wire(r.highest_finding_severity_label),
            finding_scan_date: time(r.finding_scan_date),
            informational_fix_available_since: time(r.informational_fix_available_since),
            low_fix_available_since: time(r.low_fix_available_since),
            medium_fix_available_since: time(r.medium_fix_available_since),
            high_fix_available_since: time(r.high_fix_available_since),
            critical_fix_available_since: time(r.critical_fix_available_since),
        }),
        instance_type_specification: instance_type_specification.map(|s| {
            InstanceTypeSpecification {
                supported_instance_types: instance_types(s.supported_instance_types),
                unsupported_instance_types: instance_types(s.unsupported_instance_types),
            }
        }),
        // The SDK's deserializer drops what it does not know.
        unknown_members: None,
    }
}

/// The SDK parsed the timestamp; its RFC 3339 text is the closest to the wire's.
fn time(t: Option<aws_smithy_types::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
}

fn instance_types(items: Option<Vec<sdk::InstanceTypeItem>>) -> Option<Vec<InstanceTypeItem>> {
    items.map(|v| {
        v.into_iter()
            .map(|i| InstanceTypeItem {
                instance_type: i.instance_type,
            })
            .collect()
    })
}

fn block_device_mapping(m: sdk::BlockDeviceMapping) -> BlockDeviceMapping {
    BlockDeviceMapping {
        device_name: m.device_name,
        virtual_name: m.virtual_name,
        no_device: m.no_device,
        ebs: m.ebs.map(|e| EbsBlockDevice {
            delete_on_termination: e.delete_on_termination,
            iops: e.iops,
            snapshot_id: e.snapshot_id,
            volume_size: e.volume_size,
            volume_type: wire(e.volume_type),
            kms_key_id: e.kms_key_id,
            throughput: e.throughput,
            outpost_arn: e.outpost_arn,
            availability_zone: e.availability_zone,
            encrypted: e.encrypted,
            volume_initialization_rate: e.volume_initialization_rate,
            availability_zone_id: e.availability_zone_id,
            ebs_card_index: e.ebs_card_index,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_enum_values_keep_their_wire_text() {
        let sdk_image = sdk::Image::builder()
            .image_id("ami-1")
            .platform(sdk::PlatformValues::from("windows"))
            .set_tags(Some(vec![]))
            .build();
        let image = image_from_sdk(sdk_image);
        assert_eq!(image.platform.as_deref(), Some("windows"));
        assert_eq!(image.tags, Some(vec![]));
        assert_eq!(image.product_codes, None);
    }
}
