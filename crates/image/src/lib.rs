//! The EC2 `Image` shape as plain Rust: what one DescribeImages item says.
//!
//! This is the boundary type of the pipeline, a crate of its own: amiq's `aws` module
//! builds it from EC2's responses, the fake endpoint (`amiq-fake-ec2`) renders it to XML, and
//! amiq's `batch` module turns pages of it into Arrow. Nothing here knows the SDK or
//! DuckDB.
//!
//! Every string is kept exactly as it came on the wire (enum values such as `windows`
//! included), and timestamps keep their original text: the `creation-date` filter
//! matches that text. `None` means the element was absent; `Some(vec![])` means it came
//! as an empty list (`<tagSet/>`), and the two are reproduced as they came.

/// One image as DescribeImages returned it: all 41 members of the API's `Image` shape
/// (aws-sdk-ec2 1.274), and what the reader did not know.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Image {
    pub image_id: Option<String>,
    pub image_location: Option<String>,
    pub state: Option<String>,
    pub owner_id: Option<String>,
    pub creation_date: Option<String>,
    pub public: Option<bool>,
    pub product_codes: Option<Vec<ProductCode>>,
    pub architecture: Option<String>,
    pub image_type: Option<String>,
    pub kernel_id: Option<String>,
    pub ramdisk_id: Option<String>,
    pub platform: Option<String>,
    pub platform_details: Option<String>,
    pub usage_operation: Option<String>,
    pub block_device_mappings: Option<Vec<BlockDeviceMapping>>,
    pub description: Option<String>,
    pub ena_support: Option<bool>,
    pub hypervisor: Option<String>,
    pub image_owner_alias: Option<String>,
    pub name: Option<String>,
    pub root_device_name: Option<String>,
    pub root_device_type: Option<String>,
    pub sriov_net_support: Option<String>,
    pub state_reason: Option<StateReason>,
    pub tags: Option<Vec<Tag>>,
    pub virtualization_type: Option<String>,
    pub boot_mode: Option<String>,
    pub tpm_support: Option<String>,
    pub deprecation_time: Option<String>,
    pub imds_support: Option<String>,
    pub source_instance_id: Option<String>,
    pub deregistration_protection: Option<String>,
    pub last_launched_time: Option<String>,
    pub image_allowed: Option<bool>,
    pub source_image_id: Option<String>,
    pub source_image_region: Option<String>,
    pub free_tier_eligible: Option<bool>,
    pub public_ssm_parameter_name: Option<String>,
    pub image_watermarks: Option<Vec<ImageWatermark>>,
    pub scan_results: Option<ScanResults>,
    pub instance_type_specification: Option<InstanceTypeSpecification>,
    /// Elements of the item that the reader does not know (members EC2 added after
    /// this release), as they came: `None` when there were none.
    pub unknown_members: Option<Vec<UnknownMember>>,
}

/// An element the reader does not know, kept as it came so that nothing EC2 returns
/// is lost: where it stood and its markup.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct UnknownMember {
    /// Where it stood below the image item, by element names and 1-based item numbers:
    /// empty for the item itself, `blockDeviceMapping/1/ebs` inside the first
    /// mapping's `ebs`.
    pub path: String,
    /// The element itself, start tag to end tag, as the response had it.
    pub xml: String,
}

/// One entry of `imageWatermarkSet`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImageWatermark {
    pub watermark_key: Option<String>,
    pub source_image_region: Option<String>,
    pub source_image_id: Option<String>,
    pub source_image_creation_time: Option<String>,
    pub watermark_creation_time: Option<String>,
}

/// The `scanResults` member: Amazon Inspector's findings for the image.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ScanResults {
    pub highest_finding_severity_label: Option<String>,
    pub finding_scan_date: Option<String>,
    pub informational_fix_available_since: Option<String>,
    pub low_fix_available_since: Option<String>,
    pub medium_fix_available_since: Option<String>,
    pub high_fix_available_since: Option<String>,
    pub critical_fix_available_since: Option<String>,
}

/// The `instanceTypeSpecification` member.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct InstanceTypeSpecification {
    pub supported_instance_types: Option<Vec<InstanceTypeItem>>,
    pub unsupported_instance_types: Option<Vec<InstanceTypeItem>>,
}

/// One entry of `supportedInstanceTypeSet` or `unsupportedInstanceTypeSet`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct InstanceTypeItem {
    pub instance_type: Option<String>,
}

/// One entry of `blockDeviceMapping`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct BlockDeviceMapping {
    pub device_name: Option<String>,
    pub virtual_name: Option<String>,
    pub no_device: Option<String>,
    pub ebs: Option<EbsBlockDevice>,
}

/// The `ebs` member of a block device mapping.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct EbsBlockDevice {
    pub delete_on_termination: Option<bool>,
    pub iops: Option<i32>,
    pub snapshot_id: Option<String>,
    pub volume_size: Option<i32>,
    pub volume_type: Option<String>,
    pub kms_key_id: Option<String>,
    pub throughput: Option<i32>,
    pub outpost_arn: Option<String>,
    pub availability_zone: Option<String>,
    pub encrypted: Option<bool>,
    pub volume_initialization_rate: Option<i32>,
    pub availability_zone_id: Option<String>,
    pub ebs_card_index: Option<i32>,
}

/// One entry of `productCodes`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ProductCode {
    pub product_code_id: Option<String>,
    pub product_code_type: Option<String>,
}

/// One entry of `tagSet`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

/// The `stateReason` member.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StateReason {
    pub code: Option<String>,
    pub message: Option<String>,
}
