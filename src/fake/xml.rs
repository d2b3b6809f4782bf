//! The wire format: EC2 Query XML, written straight into a String (no DOM), without
//! newlines or indentation as EC2 sends it since 2025. Element names are the
//! `locationName`s of the EC2 model, checked against what `aws-sdk-ec2` reads
//! (`protocol_serde/shape_image.rs` and friends). Note the three EbsBlockDevice members
//! without a locationName, which the SDK reads capitalised: `VolumeInitializationRate`,
//! `AvailabilityZoneId`, `EbsCardIndex`.

use std::fmt::Write;

use crate::image::{BlockDeviceMapping, EbsBlockDevice, Image};

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

fn opt(out: &mut String, name: &str, value: &Option<String>) {
    if let Some(v) = value {
        element(out, name, v);
    }
}

fn opt_bool(out: &mut String, name: &str, value: Option<bool>) {
    if let Some(v) = value {
        element(out, name, if v { "true" } else { "false" });
    }
}

fn opt_int(out: &mut String, name: &str, value: Option<i32>) {
    if let Some(v) = value {
        let _ = write!(out, "<{name}>{v}</{name}>");
    }
}

/// A list element: `<name/>` when empty, `<name><item>…</item>…</name>` otherwise,
/// nothing when absent.
fn list<T>(
    out: &mut String,
    name: &str,
    items: &Option<Vec<T>>,
    mut item: impl FnMut(&mut String, &T),
) {
    let Some(items) = items else { return };
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

/// One `<item>` of `imagesSet`, members in the model's order.
pub(crate) fn write_image(out: &mut String, image: &Image) {
    out.push_str("<item>");
    opt(out, "imageId", &image.image_id);
    opt(out, "imageLocation", &image.image_location);
    opt(out, "imageState", &image.state);
    opt(out, "imageOwnerId", &image.owner_id);
    opt(out, "creationDate", &image.creation_date);
    opt_bool(out, "isPublic", image.public);
    list(out, "productCodes", &image.product_codes, |out, p| {
        opt(out, "productCode", &p.product_code_id);
        opt(out, "type", &p.product_code_type);
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
        write_mapping,
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
        out.push_str("</stateReason>");
    }
    list(out, "tagSet", &image.tags, |out, t| {
        opt(out, "key", &t.key);
        opt(out, "value", &t.value);
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
    out.push_str("</item>");
}

fn write_mapping(out: &mut String, mapping: &BlockDeviceMapping) {
    opt(out, "deviceName", &mapping.device_name);
    opt(out, "virtualName", &mapping.virtual_name);
    if let Some(ebs) = &mapping.ebs {
        out.push_str("<ebs>");
        write_ebs(out, ebs);
        out.push_str("</ebs>");
    }
    opt(out, "noDevice", &mapping.no_device);
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
    use crate::image::Tag;

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
    fn responses_have_no_newlines() {
        let body = describe_images_response("r-1", &[Image::default()], Some("t"));
        assert!(!body.contains('\n'));
        assert!(body.ends_with("<nextToken>t</nextToken></DescribeImagesResponse>"));
        let error = ec2_error(&ApiError::new(400, "X", "a < b"), "r-2");
        assert!(error.contains("<Code>X</Code><Message>a &lt; b</Message>"));
    }
}
