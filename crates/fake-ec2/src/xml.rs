//! The wire format: EC2 Query XML, written straight into a String (no DOM), without
//! newlines or indentation as EC2 sends it since 2025. Element names are the
//! `locationName`s of the EC2 model, checked against what `aws-sdk-ec2` reads
//! (`protocol_serde/shape_image.rs` and friends). Note the three EbsBlockDevice members
//! without a locationName, which the SDK reads capitalised: `VolumeInitializationRate`,
//! `AvailabilityZoneId`, `EbsCardIndex`.
//!
//! An image's `unknown_members` are written verbatim at the end of the element their
//! path names (`""` the item, `blockDeviceMapping/2/ebs` the second mapping's `ebs`, and
//! likewise `productCodes/N`, `blockDeviceMapping/N`, `stateReason`, `tagSet/N`,
//! `imageWatermarkSet/N`, `scanResults`, `instanceTypeSpecification` and its
//! `supportedInstanceTypeSet/N`, `unsupportedInstanceTypeSet/N`); a member whose element
//! is absent is not written.

use std::fmt::Write;

use amiq_image::{BlockDeviceMapping, EbsBlockDevice, Image, UnknownMember};

use super::request::ApiError;

pub(crate) const EC2_NAMESPACE: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";
pub(crate) const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub(crate) const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Appends `text` with XML's special characters escaped.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    let special = |b: u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\r');
    if !text.bytes().any(special) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A raw CR would be normalised away by the client's parser.
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// `<name>text</name>`.
pub(crate) fn element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape_into(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

pub(crate) fn opt(out: &mut String, name: &str, value: &Option<String>) {
    if let Some(v) = value {
        element(out, name, v);
    }
}

pub(crate) fn opt_bool(out: &mut String, name: &str, value: Option<bool>) {
    if let Some(v) = value {
        element(out, name, if v { "true" } else { "false" });
    }
}

pub(crate) fn opt_int(out: &mut String, name: &str, value: Option<i32>) {
    if let Some(v) = value {
        number(out, name, v);
    }
}

/// `<name>value</name>` for a number.
pub(crate) fn number(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "<{name}>{value}</{name}>");
}

/// `<name>true</name>` or `false`.
pub(crate) fn flag(out: &mut String, name: &str, value: bool) {
    element(out, name, if value { "true" } else { "false" });
}

/// A list element that is always there: `<name/>` when empty.
pub(crate) fn set<T>(
    out: &mut String,
    name: &str,
    items: &[T],
    mut item: impl FnMut(&mut String, &T),
) {
    if items.is_empty() {
        let _ = write!(out, "<{name}/>");
        return;
    }
    let _ = write!(out, "<{name}>");
    for i in items {
        out.push_str("<item>");
        item(out, i);
        out.push_str("</item>");
    }
    let _ = write!(out, "</{name}>");
}

/// A `tagSet` (absent, empty or with items), as every EC2 resource writes it.
pub(crate) fn tag_set(out: &mut String, tags: &Option<Vec<amiq_image::Tag>>) {
    list(out, "tagSet", tags, |out, _, t| {
        opt(out, "key", &t.key);
        opt(out, "value", &t.value);
    });
}

/// A whole answer of `action`: the declaration, `<{action}Response>` with the request
/// id, what `body` writes, and `nextToken` when there is one.
pub(crate) fn response(
    action: &str,
    request_id: &str,
    next_token: Option<&str>,
    body: impl FnOnce(&mut String),
) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str(DECLARATION);
    let _ = write!(out, r#"<{action}Response xmlns="{EC2_NAMESPACE}">"#);
    element(&mut out, "requestId", request_id);
    body(&mut out);
    if let Some(token) = next_token {
        element(&mut out, "nextToken", token);
    }
    let _ = write!(out, "</{action}Response>");
    out
}

/// A list element: `<name/>` when empty, `<name><item>…</item>…</name>` otherwise,
/// nothing when absent. `item` gets each item's 1-based number, as paths count them.
fn list<T>(
    out: &mut String,
    name: &str,
    items: &Option<Vec<T>>,
    mut item: impl FnMut(&mut String, usize, &T),
) {
    let Some(items) = items else { return };
    if items.is_empty() {
        let _ = write!(out, "<{name}/>");
        return;
    }
    let _ = write!(out, "<{name}>");
    for (n, i) in items.iter().enumerate() {
        out.push_str("<item>");
        item(out, n + 1, i);
        out.push_str("</item>");
    }
    let _ = write!(out, "</{name}>");
}

/// Writes the unknown members whose path is `path()`; the path is only built when the
/// image has unknown members at all, so ordinary images pay nothing.
fn unknown(out: &mut String, members: &[UnknownMember], path: impl FnOnce() -> String) {
    if members.is_empty() {
        return;
    }
    let path = path();
    for member in members.iter().filter(|m| m.path == path) {
        out.push_str(&member.xml);
    }
}

/// One `<item>` of `imagesSet`, members in the model's order.
pub(crate) fn write_image(out: &mut String, image: &Image) {
    let extra = image.unknown_members.as_deref().unwrap_or_default();
    out.push_str("<item>");
    opt(out, "imageId", &image.image_id);
    opt(out, "imageLocation", &image.image_location);
    opt(out, "imageState", &image.state);
    opt(out, "imageOwnerId", &image.owner_id);
    opt(out, "creationDate", &image.creation_date);
    opt_bool(out, "isPublic", image.public);
    list(out, "productCodes", &image.product_codes, |out, n, p| {
        opt(out, "productCode", &p.product_code_id);
        opt(out, "type", &p.product_code_type);
        unknown(out, extra, || format!("productCodes/{n}"));
    });
    opt(out, "architecture", &image.architecture);
    opt(out, "imageType", &image.image_type);
    opt(out, "kernelId", &image.kernel_id);
    opt(out, "ramdiskId", &image.ramdisk_id);
    opt(out, "platform", &image.platform);
    opt(out, "platformDetails", &image.platform_details);
    opt(out, "usageOperation", &image.usage_operation);
    list(
        out,
        "blockDeviceMapping",
        &image.block_device_mappings,
        |out, n, mapping| write_mapping(out, n, mapping, extra),
    );
    opt(out, "description", &image.description);
    opt_bool(out, "enaSupport", image.ena_support);
    opt(out, "hypervisor", &image.hypervisor);
    opt(out, "imageOwnerAlias", &image.image_owner_alias);
    opt(out, "name", &image.name);
    opt(out, "rootDeviceName", &image.root_device_name);
    opt(out, "rootDeviceType", &image.root_device_type);
    opt(out, "sriovNetSupport", &image.sriov_net_support);
    if let Some(reason) = &image.state_reason {
        out.push_str("<stateReason>");
        opt(out, "code", &reason.code);
        opt(out, "message", &reason.message);
        unknown(out, extra, || "stateReason".into());
        out.push_str("</stateReason>");
    }
    list(out, "tagSet", &image.tags, |out, n, t| {
        opt(out, "key", &t.key);
        opt(out, "value", &t.value);
        unknown(out, extra, || format!("tagSet/{n}"));
    });
    opt(out, "virtualizationType", &image.virtualization_type);
    opt(out, "bootMode", &image.boot_mode);
    opt(out, "tpmSupport", &image.tpm_support);
    opt(out, "deprecationTime", &image.deprecation_time);
    opt(out, "imdsSupport", &image.imds_support);
    opt(out, "sourceInstanceId", &image.source_instance_id);
    opt(
        out,
        "deregistrationProtection",
        &image.deregistration_protection,
    );
    opt(out, "lastLaunchedTime", &image.last_launched_time);
    opt_bool(out, "imageAllowed", image.image_allowed);
    opt(out, "sourceImageId", &image.source_image_id);
    opt(out, "sourceImageRegion", &image.source_image_region);
    opt_bool(out, "freeTierEligible", image.free_tier_eligible);
    opt(
        out,
        "publicSsmParameterName",
        &image.public_ssm_parameter_name,
    );
    let watermarks = &image.image_watermarks;
    list(out, "imageWatermarkSet", watermarks, |out, n, w| {
        opt(out, "watermarkKey", &w.watermark_key);
        opt(out, "sourceImageRegion", &w.source_image_region);
        opt(out, "sourceImageId", &w.source_image_id);
        opt(
            out,
            "sourceImageCreationTime",
            &w.source_image_creation_time,
        );
        opt(out, "watermarkCreationTime", &w.watermark_creation_time);
        unknown(out, extra, || format!("imageWatermarkSet/{n}"));
    });
    if let Some(scan) = &image.scan_results {
        out.push_str("<scanResults>");
        opt(
            out,
            "highestFindingSeverityLabel",
            &scan.highest_finding_severity_label,
        );
        opt(out, "findingScanDate", &scan.finding_scan_date);
        opt(
            out,
            "informationalFixAvailableSince",
            &scan.informational_fix_available_since,
        );
        opt(out, "lowFixAvailableSince", &scan.low_fix_available_since);
        opt(
            out,
            "mediumFixAvailableSince",
            &scan.medium_fix_available_since,
        );
        opt(out, "highFixAvailableSince", &scan.high_fix_available_since);
        opt(
            out,
            "criticalFixAvailableSince",
            &scan.critical_fix_available_since,
        );
        unknown(out, extra, || "scanResults".into());
        out.push_str("</scanResults>");
    }
    if let Some(spec) = &image.instance_type_specification {
        let at = "instanceTypeSpecification";
        out.push_str("<instanceTypeSpecification>");
        for (name, types) in [
            ("supportedInstanceTypeSet", &spec.supported_instance_types),
            (
                "unsupportedInstanceTypeSet",
                &spec.unsupported_instance_types,
            ),
        ] {
            list(out, name, types, |out, n, t| {
                opt(out, "instanceType", &t.instance_type);
                unknown(out, extra, || format!("{at}/{name}/{n}"));
            });
        }
        unknown(out, extra, || at.into());
        out.push_str("</instanceTypeSpecification>");
    }
    unknown(out, extra, String::new);
    out.push_str("</item>");
}

/// Mapping `n` (1-based) of an image whose unknown members are `extra`.
fn write_mapping(
    out: &mut String,
    n: usize,
    mapping: &BlockDeviceMapping,
    extra: &[UnknownMember],
) {
    opt(out, "deviceName", &mapping.device_name);
    opt(out, "virtualName", &mapping.virtual_name);
    if let Some(ebs) = &mapping.ebs {
        out.push_str("<ebs>");
        write_ebs(out, ebs);
        unknown(out, extra, || format!("blockDeviceMapping/{n}/ebs"));
        out.push_str("</ebs>");
    }
    opt(out, "noDevice", &mapping.no_device);
    unknown(out, extra, || format!("blockDeviceMapping/{n}"));
}

fn write_ebs(out: &mut String, ebs: &EbsBlockDevice) {
    opt_bool(out, "deleteOnTermination", ebs.delete_on_termination);
    opt_int(out, "iops", ebs.iops);
    opt(out, "snapshotId", &ebs.snapshot_id);
    opt_int(out, "volumeSize", ebs.volume_size);
    opt(out, "volumeType", &ebs.volume_type);
    opt(out, "kmsKeyId", &ebs.kms_key_id);
    opt_int(out, "throughput", ebs.throughput);
    opt(out, "outpostArn", &ebs.outpost_arn);
    opt(out, "availabilityZone", &ebs.availability_zone);
    opt_bool(out, "encrypted", ebs.encrypted);
    opt_int(
        out,
        "VolumeInitializationRate",
        ebs.volume_initialization_rate,
    );
    opt(out, "AvailabilityZoneId", &ebs.availability_zone_id);
    opt_int(out, "EbsCardIndex", ebs.ebs_card_index);
}

/// A whole DescribeImages response.
pub(crate) fn describe_images_response(
    request_id: &str,
    images: &[Image],
    next_token: Option<&str>,
) -> String {
    // Real items are 1.5-3 KB; reserving avoids regrowing a multi-megabyte page.
    let mut out = String::with_capacity(256 + images.len() * 2600);
    out.push_str(DECLARATION);
    let _ = write!(out, r#"<DescribeImagesResponse xmlns="{EC2_NAMESPACE}">"#);
    element(&mut out, "requestId", request_id);
    if images.is_empty() {
        out.push_str("<imagesSet/>");
    } else {
        out.push_str("<imagesSet>");
        for image in images {
            write_image(&mut out, image);
        }
        out.push_str("</imagesSet>");
    }
    if let Some(token) = next_token {
        element(&mut out, "nextToken", token);
    }
    out.push_str("</DescribeImagesResponse>");
    out
}

/// An EC2 error body: `<Response><Errors><Error>…</Error></Errors><RequestID>…`.
pub(crate) fn ec2_error(error: &ApiError, request_id: &str) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(DECLARATION);
    out.push_str("<Response><Errors><Error>");
    element(&mut out, "Code", &error.code);
    element(&mut out, "Message", &error.message);
    out.push_str("</Error></Errors>");
    element(&mut out, "RequestID", request_id);
    out.push_str("</Response>");
    out
}

/// An STS error body: `<ErrorResponse><Error><Type>…`.
pub(crate) fn sts_error(error: &ApiError, request_id: &str) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(DECLARATION);
    let _ = write!(out, r#"<ErrorResponse xmlns="{STS_NAMESPACE}"><Error>"#);
    element(
        &mut out,
        "Type",
        if error.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        },
    );
    element(&mut out, "Code", &error.code);
    element(&mut out, "Message", &error.message);
    out.push_str("</Error>");
    element(&mut out, "RequestId", request_id);
    out.push_str("</ErrorResponse>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use amiq_image::{
        ImageWatermark, InstanceTypeItem, InstanceTypeSpecification, ScanResults, Tag,
    };

    #[test]
    fn escapes_markup_and_keeps_the_rest() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>\"d\" 'e' \\ * ? é 🚀\r");
        assert_eq!(
            out,
            "a&amp;b&lt;c&gt;&quot;d&quot; &apos;e&apos; \\ * ? é 🚀&#xD;"
        );
    }

    #[test]
    fn empty_and_absent_lists_differ() {
        let mut out = String::new();
        let image = Image {
            tags: Some(vec![]),
            ..Default::default()
        };
        write_image(&mut out, &image);
        assert_eq!(out, "<item><tagSet/></item>");
        out.clear();
        write_image(&mut out, &Image::default());
        assert_eq!(out, "<item></item>");
        out.clear();
        let image = Image {
            tags: Some(vec![Tag {
                key: Some("k".into()),
                value: Some(String::new()),
            }]),
            ..Default::default()
        };
        write_image(&mut out, &image);
        assert_eq!(
            out,
            "<item><tagSet><item><key>k</key><value></value></item></tagSet></item>"
        );
    }

    #[test]
    fn the_newer_members_follow_free_tier_eligible_in_the_models_order() {
        let image = Image {
            free_tier_eligible: Some(false),
            public_ssm_parameter_name: Some("/aws/service/x".into()),
            image_watermarks: Some(vec![ImageWatermark {
                watermark_key: Some("111111111111:approvedAmi".into()),
                source_image_region: Some("eu-west-1".into()),
                source_image_id: Some("ami-1".into()),
                source_image_creation_time: Some("2025-03-04T05:06:07.000Z".into()),
                watermark_creation_time: Some("2025-03-05T05:06:07.000Z".into()),
            }]),
            scan_results: Some(ScanResults {
                highest_finding_severity_label: Some("high".into()),
                finding_scan_date: Some("2025-08-01T00:00:00.000Z".into()),
                low_fix_available_since: Some("2025-07-01T00:00:00.000Z".into()),
                ..Default::default()
            }),
            instance_type_specification: Some(InstanceTypeSpecification {
                supported_instance_types: Some(vec![InstanceTypeItem {
                    instance_type: Some("t3.*".into()),
                }]),
                unsupported_instance_types: Some(vec![]),
            }),
            ..Default::default()
        };
        let mut out = String::new();
        write_image(&mut out, &image);
        let expected = [
            "<item><freeTierEligible>false</freeTierEligible>",
            "<publicSsmParameterName>/aws/service/x</publicSsmParameterName>",
            "<imageWatermarkSet><item>",
            "<watermarkKey>111111111111:approvedAmi</watermarkKey>",
            "<sourceImageRegion>eu-west-1</sourceImageRegion>",
            "<sourceImageId>ami-1</sourceImageId>",
            "<sourceImageCreationTime>2025-03-04T05:06:07.000Z</sourceImageCreationTime>",
            "<watermarkCreationTime>2025-03-05T05:06:07.000Z</watermarkCreationTime>",
            "</item></imageWatermarkSet>",
            "<scanResults><highestFindingSeverityLabel>high</highestFindingSeverityLabel>",
            "<findingScanDate>2025-08-01T00:00:00.000Z</findingScanDate>",
            "<lowFixAvailableSince>2025-07-01T00:00:00.000Z</lowFixAvailableSince>",
            "</scanResults>",
            "<instanceTypeSpecification><supportedInstanceTypeSet>",
            "<item><instanceType>t3.*</instanceType></item></supportedInstanceTypeSet>",
            "<unsupportedInstanceTypeSet/></instanceTypeSpecification></item>",
        ]
        .concat();
        assert_eq!(out, expected);
        out.clear();
        let absent = Image {
            instance_type_specification: Some(InstanceTypeSpecification::default()),
            image_watermarks: Some(vec![]),
            ..Default::default()
        };
        write_image(&mut out, &absent);
        let spec = "<instanceTypeSpecification></instanceTypeSpecification>";
        assert_eq!(out, format!("<item><imageWatermarkSet/>{spec}</item>"));
    }

    #[test]
    fn unknown_members_are_written_where_their_path_says() {
        let member = |path: &str, xml: &str| UnknownMember {
            path: path.into(),
            xml: xml.into(),
        };
        let image = Image {
            image_id: Some("ami-1".into()),
            block_device_mappings: Some(vec![
                BlockDeviceMapping {
                    device_name: Some("/dev/xvda".into()),
                    ebs: Some(EbsBlockDevice {
                        volume_size: Some(8),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                BlockDeviceMapping {
                    device_name: Some("/dev/sdb".into()),
                    virtual_name: Some("ephemeral0".into()),
                    ..Default::default()
                },
            ]),
            tags: Some(vec![Tag {
                key: Some("k".into()),
                value: Some("v".into()),
            }]),
            unknown_members: Some(vec![
                member("blockDeviceMapping/1/ebs", "<futureEbs>1</futureEbs>"),
                member("blockDeviceMapping/2", "<futureMapping/>"),
                member("tagSet/1", "<futureTag>t</futureTag>"),
                member("", "<futureTop><detail>&amp;</detail></futureTop>"),
                member("blockDeviceMapping/3", "<nowhere/>"),
                member("scanResults", "<nowhere/>"),
            ]),
            ..Default::default()
        };
        let mut out = String::new();
        write_image(&mut out, &image);
        let expected = [
            "<item><imageId>ami-1</imageId><blockDeviceMapping>",
            "<item><deviceName>/dev/xvda</deviceName><ebs><volumeSize>8</volumeSize>",
            "<futureEbs>1</futureEbs></ebs></item>",
            "<item><deviceName>/dev/sdb</deviceName><virtualName>ephemeral0</virtualName>",
            "<futureMapping/></item></blockDeviceMapping>",
            "<tagSet><item><key>k</key><value>v</value><futureTag>t</futureTag></item></tagSet>",
            "<futureTop><detail>&amp;</detail></futureTop></item>",
        ]
        .concat();
        assert_eq!(out, expected);
    }

    #[test]
    fn responses_have_no_newlines() {
        let body = describe_images_response("r-1", &[Image::default()], Some("t"));
        assert!(!body.contains('\n'));
        assert!(body.ends_with("<nextToken>t</nextToken></DescribeImagesResponse>"));
        let error = ec2_error(&ApiError::new(400, "X", "a < b"), "r-2");
        assert!(error.contains("<Code>X</Code><Message>a &lt; b</Message>"));
    }
}
