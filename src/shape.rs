//! The EC2 `Image` shape, declared once: every member's API name (the AWS CLI's JSON
//! key), its XML element name, its store column, its type, and who is shown it.
//!
//! The Arrow schema, the store's column lists, the content and view hashes, the AWS
//! CLI's key order and the JSON member names come from this table; the XML reader, the
//! `Image` struct and the SQL files are checked against it by name in tests
//! (`shape::tests`, `store::tests`, `aws::images_xml::tests`). Adding a member EC2
//! added is an edit here, in `image.rs` and the reader, a numbered migration, and tests
//! (ARCHITECTURE.md, "Adding a member").
//!
//! Members are in the order of the EC2 model (aws-sdk-ec2 1.274, `types/_image.rs`),
//! which is the order the AWS CLI prints them in.

/// What a member holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// The API's ISO-8601 text, stored as it came, beside a typed `<column>_ts`.
    Time,
    Bool,
    Int,
    Struct(&'static [Member]),
    /// A list of structs (`<xml>` holds `item` elements).
    List(&'static [Member]),
}

/// Who is shown a member the same way: the store keeps what every viewer is shown once
/// per version, and what depends on the viewer once per sighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    ByEveryone,
    ByViewer,
}

/// One member of a shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The model's member name, the AWS CLI's JSON key: `BlockDeviceMappings`.
    pub api: &'static str,
    /// The element name in EC2's XML: `blockDeviceMapping`.
    pub xml: &'static str,
    /// The column (or struct field) in Arrow and the store: `block_device_mappings`.
    pub column: &'static str,
    pub kind: Kind,
    pub seen: Seen,
}

const fn m(api: &'static str, xml: &'static str, column: &'static str, kind: Kind) -> Member {
    Member {
        api,
        xml,
        column,
        kind,
        seen: Seen::ByEveryone,
    }
}

const fn viewer(api: &'static str, xml: &'static str, column: &'static str, kind: Kind) -> Member {
    Member {
        api,
        xml,
        column,
        kind,
        seen: Seen::ByViewer,
    }
}

use Kind::{Bool, Int, List, Struct, Text, Time};

/// The `Image` shape.
pub const IMAGE: &[Member] = &[
    m(
        "PlatformDetails",
        "platformDetails",
        "platform_details",
        Text,
    ),
    m("UsageOperation", "usageOperation", "usage_operation", Text),
    m(
        "BlockDeviceMappings",
        "blockDeviceMapping",
        "block_device_mappings",
        List(BLOCK_DEVICE_MAPPING),
    ),
    m("Description", "description", "description", Text),
    m("EnaSupport", "enaSupport", "ena_support", Bool),
    m("Hypervisor", "hypervisor", "hypervisor", Text),
    m(
        "ImageOwnerAlias",
        "imageOwnerAlias",
        "image_owner_alias",
        Text,
    ),
    m("Name", "name", "name", Text),
    m("RootDeviceName", "rootDeviceName", "root_device_name", Text),
    m("RootDeviceType", "rootDeviceType", "root_device_type", Text),
    m(
        "SriovNetSupport",
        "sriovNetSupport",
        "sriov_net_support",
        Text,
    ),
    m(
        "StateReason",
        "stateReason",
        "state_reason",
        Struct(STATE_REASON),
    ),
    viewer("Tags", "tagSet", "tags", List(TAG)),
    m(
        "VirtualizationType",
        "virtualizationType",
        "virtualization_type",
        Text,
    ),
    m("BootMode", "bootMode", "boot_mode", Text),
    m("TpmSupport", "tpmSupport", "tpm_support", Text),
    m(
        "DeprecationTime",
        "deprecationTime",
        "deprecation_time",
        Time,
    ),
    m("ImdsSupport", "imdsSupport", "imds_support", Text),
    m(
        "SourceInstanceId",
        "sourceInstanceId",
        "source_instance_id",
        Text,
    ),
    m(
        "DeregistrationProtection",
        "deregistrationProtection",
        "deregistration_protection",
        Text,
    ),
    viewer(
        "LastLaunchedTime",
        "lastLaunchedTime",
        "last_launched_time",
        Time,
    ),
    viewer("ImageAllowed", "imageAllowed", "image_allowed", Bool),
    m("SourceImageId", "sourceImageId", "source_image_id", Text),
    m(
        "SourceImageRegion",
        "sourceImageRegion",
        "source_image_region",
        Text,
    ),
    m(
        "FreeTierEligible",
        "freeTierEligible",
        "free_tier_eligible",
        Bool,
    ),
    m(
        "PublicSsmParameterName",
        "publicSsmParameterName",
        "public_ssm_parameter_name",
        Text,
    ),
    m(
        "ImageWatermarks",
        "imageWatermarkSet",
        "image_watermarks",
        List(IMAGE_WATERMARK),
    ),
    // Shown to every account that can use the AMI (aws-sdk-ec2's documentation).
    m(
        "ScanResults",
        "scanResults",
        "scan_results",
        Struct(SCAN_RESULTS),
    ),
    m(
        "InstanceTypeSpecification",
        "instanceTypeSpecification",
        "instance_type_specification",
        Struct(INSTANCE_TYPE_SPECIFICATION),
    ),
    m("ImageId", "imageId", "image_id", Text),
    m("ImageLocation", "imageLocation", "image_location", Text),
    m("State", "imageState", "state", Text),
    m("OwnerId", "imageOwnerId", "owner_id", Text),
    m("CreationDate", "creationDate", "creation_date", Time),
    m("Public", "isPublic", "public", Bool),
    m(
        "ProductCodes",
        "productCodes",
        "product_codes",
        List(PRODUCT_CODE),
    ),
    m("Architecture", "architecture", "architecture", Text),
    m("ImageType", "imageType", "image_type", Text),
    m("KernelId", "kernelId", "kernel_id", Text),
    m("RamdiskId", "ramdiskId", "ramdisk_id", Text),
    m("Platform", "platform", "platform", Text),
];

/// `BlockDeviceMapping`.
pub const BLOCK_DEVICE_MAPPING: &[Member] = &[
    m("Ebs", "ebs", "ebs", Struct(EBS_BLOCK_DEVICE)),
    m("NoDevice", "noDevice", "no_device", Text),
    m("DeviceName", "deviceName", "device_name", Text),
    m("VirtualName", "virtualName", "virtual_name", Text),
];

/// `EbsBlockDevice`. Three members have no `locationName` in the model and are read
/// capitalised, as the SDK reads them.
pub const EBS_BLOCK_DEVICE: &[Member] = &[
    m(
        "DeleteOnTermination",
        "deleteOnTermination",
        "delete_on_termination",
        Bool,
    ),
    m("Iops", "iops", "iops", Int),
    m("SnapshotId", "snapshotId", "snapshot_id", Text),
    m("VolumeSize", "volumeSize", "volume_size", Int),
    m("VolumeType", "volumeType", "volume_type", Text),
    m("KmsKeyId", "kmsKeyId", "kms_key_id", Text),
    m("Throughput", "throughput", "throughput", Int),
    m("OutpostArn", "outpostArn", "outpost_arn", Text),
    m(
        "AvailabilityZone",
        "availabilityZone",
        "availability_zone",
        Text,
    ),
    m("Encrypted", "encrypted", "encrypted", Bool),
    m(
        "VolumeInitializationRate",
        "VolumeInitializationRate",
        "volume_initialization_rate",
        Int,
    ),
    m(
        "AvailabilityZoneId",
        "AvailabilityZoneId",
        "availability_zone_id",
        Text,
    ),
    m("EbsCardIndex", "EbsCardIndex", "ebs_card_index", Int),
];

/// `StateReason`.
pub const STATE_REASON: &[Member] = &[
    m("Code", "code", "code", Text),
    m("Message", "message", "message", Text),
];

/// `Tag`.
pub const TAG: &[Member] = &[
    m("Key", "key", "key", Text),
    m("Value", "value", "value", Text),
];

/// `ProductCode`.
pub const PRODUCT_CODE: &[Member] = &[
    m("ProductCodeId", "productCode", "product_code_id", Text),
    m("ProductCodeType", "type", "product_code_type", Text),
];

/// `ImageWatermark`.
pub const IMAGE_WATERMARK: &[Member] = &[
    m("WatermarkKey", "watermarkKey", "watermark_key", Text),
    m(
        "SourceImageRegion",
        "sourceImageRegion",
        "source_image_region",
        Text,
    ),
    m("SourceImageId", "sourceImageId", "source_image_id", Text),
    m(
        "SourceImageCreationTime",
        "sourceImageCreationTime",
        "source_image_creation_time",
        Time,
    ),
    m(
        "WatermarkCreationTime",
        "watermarkCreationTime",
        "watermark_creation_time",
        Time,
    ),
];

/// `ScanResults`.
pub const SCAN_RESULTS: &[Member] = &[
    m(
        "HighestFindingSeverityLabel",
        "highestFindingSeverityLabel",
        "highest_finding_severity_label",
        Text,
    ),
    m(
        "FindingScanDate",
        "findingScanDate",
        "finding_scan_date",
        Time,
    ),
    m(
        "InformationalFixAvailableSince",
        "informationalFixAvailableSince",
        "informational_fix_available_since",
        Time,
    ),
    m(
        "LowFixAvailableSince",
        "lowFixAvailableSince",
        "low_fix_available_since",
        Time,
    ),
    m(
        "MediumFixAvailableSince",
        "mediumFixAvailableSince",
        "medium_fix_available_since",
        Time,
    ),
    m(
        "HighFixAvailableSince",
        "highFixAvailableSince",
        "high_fix_available_since",
        Time,
    ),
    m(
        "CriticalFixAvailableSince",
        "criticalFixAvailableSince",
        "critical_fix_available_since",
        Time,
    ),
];

/// `InstanceTypeSpecification`.
pub const INSTANCE_TYPE_SPECIFICATION: &[Member] = &[
    m(
        "SupportedInstanceTypes",
        "supportedInstanceTypeSet",
        "supported_instance_types",
        List(INSTANCE_TYPE_ITEM),
    ),
    m(
        "UnsupportedInstanceTypes",
        "unsupportedInstanceTypeSet",
        "unsupported_instance_types",
        List(INSTANCE_TYPE_ITEM),
    ),
];

/// `InstanceTypeItem`.
pub const INSTANCE_TYPE_ITEM: &[Member] =
    &[m("InstanceType", "instanceType", "instance_type", Text)];

/// The column of elements the reader did not know, beside the members: a list of
/// `(path, xml)`, part of the version (and its content hash) only when present.
pub const UNKNOWN_MEMBERS: &str = "unknown_members";

/// The member of `shape` stored as `column`.
pub fn by_column(shape: &'static [Member], column: &str) -> Option<&'static Member> {
    shape.iter().find(|m| m.column == column)
}

/// The member of `shape` whose element is `xml`.
pub fn by_xml(shape: &'static [Member], xml: &str) -> Option<&'static Member> {
    shape.iter().find(|m| m.xml == xml)
}

/// Every API name at every depth, in the model's order, each once (its first place):
/// the order the AWS CLI prints an object's keys in.
pub fn api_names() -> Vec<&'static str> {
    fn walk(shape: &'static [Member], out: &mut Vec<&'static str>) {
        for member in shape {
            if !out.contains(&member.api) {
                out.push(member.api);
            }
            match member.kind {
                Struct(inner) | List(inner) => walk(inner, out),
                _ => {}
            }
        }
    }
    let mut out = vec!["Images", "NextToken"];
    walk(IMAGE, &mut out);
    out
}

/// The image's store columns, in the shape's order, each time member followed by its
/// typed `_ts` column.
pub fn columns(seen: Seen) -> Vec<String> {
    let mut out = Vec::new();
    for member in IMAGE.iter().filter(|m| m.seen == seen) {
        out.push(member.column.to_string());
        if member.kind == Time {
            out.push(format!("{}_ts", member.column));
        }
    }
    if seen == Seen::ByEveryone {
        out.push(UNKNOWN_MEMBERS.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_member() -> Vec<(&'static str, &'static Member)> {
        fn walk(
            path: &'static str,
            shape: &'static [Member],
            out: &mut Vec<(&'static str, &'static Member)>,
        ) {
            for member in shape {
                out.push((path, member));
                match member.kind {
                    Struct(inner) | List(inner) => walk(member.api, inner, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk("Image", IMAGE, &mut out);
        out
    }

    #[test]
    fn the_image_shape_has_the_sdks_41_members_and_names_are_unique_per_shape() {
        assert_eq!(IMAGE.len(), 41);
        assert_eq!(BLOCK_DEVICE_MAPPING.len(), 4);
        assert_eq!(EBS_BLOCK_DEVICE.len(), 13);
        for shape in [
            IMAGE,
            BLOCK_DEVICE_MAPPING,
            EBS_BLOCK_DEVICE,
            STATE_REASON,
            TAG,
            PRODUCT_CODE,
            IMAGE_WATERMARK,
            SCAN_RESULTS,
            INSTANCE_TYPE_SPECIFICATION,
            INSTANCE_TYPE_ITEM,
        ] {
            for (i, a) in shape.iter().enumerate() {
                for b in &shape[i + 1..] {
                    assert!(
                        a.api != b.api && a.xml != b.xml && a.column != b.column,
                        "{a:?} and {b:?} share a name"
                    );
                }
            }
        }
    }

    #[test]
    fn columns_are_the_snake_case_of_api_names() {
        // The JSON writer turns nested columns back into API names this way.
        let snake = |api: &str| {
            let mut s = String::new();
            for (i, c) in api.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    s.push('_');
                }
                s.extend(c.to_lowercase());
            }
            s
        };
        for (parent, member) in every_member() {
            assert_eq!(member.column, snake(member.api), "{parent}.{}", member.api);
        }
    }

    /// The field names of a struct, as serde sees them.
    fn fields_of(value: impl serde::Serialize) -> Vec<String> {
        match serde_json::to_value(value).unwrap() {
            serde_json::Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("not a struct: {other}"),
        }
    }

    fn declared(shape: &[Member]) -> Vec<String> {
        shape.iter().map(|m| m.column.to_string()).collect()
    }

    #[test]
    fn the_image_structs_have_the_declared_members_by_name() {
        use amiq_image::*;
        let mut image = declared(IMAGE);
        image.push(UNKNOWN_MEMBERS.to_string());
        let same = |mut a: Vec<String>, mut b: Vec<String>, what: &str| {
            a.sort();
            b.sort();
            assert_eq!(a, b, "{what}: crates/image and src/shape.rs differ");
        };
        same(fields_of(Image::default()), image, "Image");
        same(
            fields_of(BlockDeviceMapping::default()),
            declared(BLOCK_DEVICE_MAPPING),
            "BlockDeviceMapping",
        );
        same(
            fields_of(EbsBlockDevice::default()),
            declared(EBS_BLOCK_DEVICE),
            "EbsBlockDevice",
        );
        same(
            fields_of(StateReason::default()),
            declared(STATE_REASON),
            "StateReason",
        );
        same(fields_of(Tag::default()), declared(TAG), "Tag");
        same(
            fields_of(ProductCode::default()),
            declared(PRODUCT_CODE),
            "ProductCode",
        );
        same(
            fields_of(ImageWatermark::default()),
            declared(IMAGE_WATERMARK),
            "ImageWatermark",
        );
        same(
            fields_of(ScanResults::default()),
            declared(SCAN_RESULTS),
            "ScanResults",
        );
        same(
            fields_of(InstanceTypeSpecification::default()),
            declared(INSTANCE_TYPE_SPECIFICATION),
            "InstanceTypeSpecification",
        );
        same(
            fields_of(InstanceTypeItem::default()),
            declared(INSTANCE_TYPE_ITEM),
            "InstanceTypeItem",
        );
    }

    #[test]
    fn the_key_order_has_each_name_once_images_first() {
        let names = api_names();
        assert_eq!(&names[..3], ["Images", "NextToken", "PlatformDetails"]);
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert!(names.contains(&"CriticalFixAvailableSince"));
    }
}
