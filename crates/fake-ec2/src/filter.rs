//! DescribeImages filters, matched against the image as the caller sees it. Values of
//! one filter are ORed, filters are ANDed, names and values are case-sensitive.
//!
//! Choices, from the API reference: `?` matches zero or one character (AWS's current
//! user guide; switch with [`QUESTION_MARK`]); a backslash escapes `*`, `?` and `\`;
//! each `block-device-mapping.*` filter is satisfied by any mapping, independently of
//! the other such filters. Timestamps are matched as the API's text, wildcards and all
//! (`2021-09-29T*`); a list member matches when any of its entries does.

use amiq_image::Image;

use super::request::ApiError;

/// How `?` in a filter value matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionMark {
    ZeroOrOne,
    ExactlyOne,
}

/// The fake's reading of `?`; AWS documents both.
pub const QUESTION_MARK: QuestionMark = QuestionMark::ZeroOrOne;

/// Every filter name the DescribeImages reference lists (aws-sdk-ec2 1.274), besides
/// `tag:<key>`. The fake keeps its own list, so that it checks amiq rather than echoes it.
pub(crate) const FILTER_NAMES: [&str; 52] = [
    "architecture",
    "block-device-mapping.delete-on-termination",
    "block-device-mapping.device-name",
    "block-device-mapping.encrypted",
    "block-device-mapping.snapshot-id",
    "block-device-mapping.volume-size",
    "block-device-mapping.volume-type",
    "boot-mode",
    "creation-date",
    "description",
    "ena-support",
    "free-tier-eligible",
    "hypervisor",
    "image-allowed",
    "image-id",
    "image-type",
    "image-watermark.source-image-creation-time",
    "image-watermark.source-image-id",
    "image-watermark.source-image-region",
    "image-watermark.watermark-creation-time",
    "image-watermark.watermark-key",
    "instance-type-specification.supported-instance-type",
    "instance-type-specification.unsupported-instance-type",
    "is-public",
    "kernel-id",
    "manifest-location",
    "name",
    "owner-alias",
    "owner-id",
    "platform",
    "product-code",
    "product-code.type",
    "public-ssm-parameter-name",
    "ramdisk-id",
    "root-device-name",
    "root-device-type",
    "scan-result.critical-fix-available-since",
    "scan-result.finding-scan-date",
    "scan-result.high-fix-available-since",
    "scan-result.highest-finding-severity-label",
    "scan-result.informational-fix-available-since",
    "scan-result.low-fix-available-since",
    "scan-result.medium-fix-available-since",
    "source-image-id",
    "source-image-region",
    "source-instance-id",
    "sriov-net-support",
    "state",
    "state-reason-code",
    "state-reason-message",
    "tag-key",
    "virtualization-type",
];

/// One parsed filter: a name and its compiled value patterns.
#[derive(Debug, Clone)]
pub struct Filter {
    name: String,
    patterns: Vec<Pattern>,
}

impl Filter {
    /// The filter EC2 would apply for `Name=name,Values=values`, or EC2's error for it.
    pub fn parse(name: &str, values: &[String]) -> Result<Filter, ApiError> {
        if !(FILTER_NAMES.contains(&name)
            || name.strip_prefix("tag:").is_some_and(|k| !k.is_empty()))
        {
            return Err(ApiError::invalid_value(format!(
                "The filter '{name}' is invalid"
            )));
        }
        if values.is_empty() {
            return Err(ApiError::invalid_value(format!(
                "The filter '{name}' has no values; give at least one value"
            )));
        }
        Ok(Filter {
            name: name.to_string(),
            patterns: values.iter().map(|v| Pattern::compile(v)).collect(),
        })
    }

    /// Whether EC2 would return `image` under this filter.
    pub fn matches(&self, image: &Image) -> bool {
        let mut found = false;
        candidates(&self.name, image, &mut |text| {
            found = found || self.patterns.iter().any(|p| p.matches(text));
        });
        found
    }
}

/// A filter of a call about other resources than images: a name of the call's own list
/// (or `tag:<key>`), values matched as for images.
#[derive(Debug, Clone)]
pub(crate) struct FieldFilter {
    pub name: String,
    patterns: Vec<Pattern>,
}

impl FieldFilter {
    /// Every filter of a request, or EC2's error for the first it refuses.
    pub(crate) fn parse_all(
        filters: &[(String, Vec<String>)],
        known: &[&str],
    ) -> Result<Vec<FieldFilter>, ApiError> {
        if filters.len() > 50 {
            return Err(ApiError::invalid_value(
                "The request has more than 50 filters; use at most 50",
            ));
        }
        filters
            .iter()
            .map(|(name, values)| FieldFilter::parse(name, values, known))
            .collect()
    }

    fn parse(name: &str, values: &[String], known: &[&str]) -> Result<FieldFilter, ApiError> {
        if !(known.contains(&name) || name.strip_prefix("tag:").is_some_and(|k| !k.is_empty())) {
            return Err(ApiError::invalid_value(format!(
                "The filter '{name}' is invalid"
            )));
        }
        if values.is_empty() {
            return Err(ApiError::invalid_value(format!(
                "The filter '{name}' has no values; give at least one value"
            )));
        }
        Ok(FieldFilter {
            name: name.to_string(),
            patterns: values.iter().map(|v| Pattern::compile(v)).collect(),
        })
    }

    /// Whether any of the texts the filter looks at matches any of its values.
    pub(crate) fn matches<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> bool {
        texts
            .into_iter()
            .any(|t| self.patterns.iter().any(|p| p.matches(t)))
    }

    /// The tag key of a `tag:<key>` filter.
    pub(crate) fn tag_key(&self) -> Option<&str> {
        self.name.strip_prefix("tag:")
    }
}

/// The texts a `tag:<key>` or `tag-key` filter looks at in `tags`; `None` for another
/// filter.
pub(crate) fn tag_texts<'a>(
    filter: &FieldFilter,
    tags: &'a Option<Vec<amiq_image::Tag>>,
) -> Option<Vec<&'a str>> {
    let tags = tags.iter().flatten();
    if let Some(key) = filter.tag_key() {
        return Some(
            tags.filter(|t| t.key.as_deref() == Some(key))
                .filter_map(|t| t.value.as_deref())
                .collect(),
        );
    }
    (filter.name == "tag-key").then(|| tags.filter_map(|t| t.key.as_deref()).collect())
}

/// Calls `each` with every text of `image` the filter `name` looks at.
fn candidates(name: &str, image: &Image, each: &mut dyn FnMut(&str)) {
    let mut text = |value: &Option<String>| {
        if let Some(v) = value {
            each(v)
        }
    };
    let flag = |value: Option<bool>| value.map(|b| b.to_string());
    let mappings = image.block_device_mappings.iter().flatten();
    let ebs = mappings.clone().filter_map(|m| m.ebs.as_ref());
    let watermarks = image.image_watermarks.iter().flatten();
    let scan = image.scan_results.iter();
    let types = image.instance_type_specification.iter();
    match name {
        "architecture" => text(&image.architecture),
        "boot-mode" => text(&image.boot_mode),
        "public-ssm-parameter-name" => text(&image.public_ssm_parameter_name),
        "creation-date" => text(&image.creation_date),
        "description" => text(&image.description),
        "ena-support" => text(&flag(image.ena_support)),
        "free-tier-eligible" => text(&flag(image.free_tier_eligible)),
        "hypervisor" => text(&image.hypervisor),
        "image-allowed" => text(&flag(image.image_allowed)),
        "image-id" => text(&image.image_id),
        "image-type" => text(&image.image_type),
        "is-public" => text(&flag(image.public)),
        "kernel-id" => text(&image.kernel_id),
        "manifest-location" => text(&image.image_location),
        "name" => text(&image.name),
        "owner-alias" => text(&image.image_owner_alias),
        "owner-id" => text(&image.owner_id),
        "platform" => text(&image.platform),
        "ramdisk-id" => text(&image.ramdisk_id),
        "root-device-name" => text(&image.root_device_name),
        "root-device-type" => text(&image.root_device_type),
        "source-image-id" => text(&image.source_image_id),
        "source-image-region" => text(&image.source_image_region),
        "source-instance-id" => text(&image.source_instance_id),
        "state" => text(&image.state),
        "state-reason-code" => text(&image.state_reason.as_ref().and_then(|r| r.code.clone())),
        "state-reason-message" => {
            text(&image.state_reason.as_ref().and_then(|r| r.message.clone()))
        }
        "sriov-net-support" => text(&image.sriov_net_support),
        "virtualization-type" => text(&image.virtualization_type),
        "product-code" => image
            .product_codes
            .iter()
            .flatten()
            .for_each(|p| text(&p.product_code_id)),
        "product-code.type" => image
            .product_codes
            .iter()
            .flatten()
            .for_each(|p| text(&p.product_code_type)),
        "tag-key" => image.tags.iter().flatten().for_each(|t| text(&t.key)),
        "block-device-mapping.device-name" => mappings.for_each(|m| text(&m.device_name)),
        "block-device-mapping.snapshot-id" => ebs.for_each(|e| text(&e.snapshot_id)),
        "block-device-mapping.volume-type" => ebs.for_each(|e| text(&e.volume_type)),
        "block-device-mapping.volume-size" => {
            ebs.for_each(|e| text(&e.volume_size.map(|s| s.to_string())))
        }
        "block-device-mapping.encrypted" => ebs.for_each(|e| text(&flag(e.encrypted))),
        "block-device-mapping.delete-on-termination" => {
            ebs.for_each(|e| text(&flag(e.delete_on_termination)))
        }
        "image-watermark.source-image-creation-time" => {
            watermarks.for_each(|w| text(&w.source_image_creation_time))
        }
        "image-watermark.source-image-id" => watermarks.for_each(|w| text(&w.source_image_id)),
        "image-watermark.source-image-region" => {
            watermarks.for_each(|w| text(&w.source_image_region))
        }
        "image-watermark.watermark-creation-time" => {
            watermarks.for_each(|w| text(&w.watermark_creation_time))
        }
        "image-watermark.watermark-key" => watermarks.for_each(|w| text(&w.watermark_key)),
        "scan-result.critical-fix-available-since" => {
            scan.for_each(|s| text(&s.critical_fix_available_since))
        }
        "scan-result.finding-scan-date" => scan.for_each(|s| text(&s.finding_scan_date)),
        "scan-result.high-fix-available-since" => {
            scan.for_each(|s| text(&s.high_fix_available_since))
        }
        "scan-result.highest-finding-severity-label" => {
            scan.for_each(|s| text(&s.highest_finding_severity_label))
        }
        "scan-result.informational-fix-available-since" => {
            scan.for_each(|s| text(&s.informational_fix_available_since))
        }
        "scan-result.low-fix-available-since" => {
            scan.for_each(|s| text(&s.low_fix_available_since))
        }
        "scan-result.medium-fix-available-since" => {
            scan.for_each(|s| text(&s.medium_fix_available_since))
        }
        "instance-type-specification.supported-instance-type" => types
            .flat_map(|t| t.supported_instance_types.iter().flatten())
            .for_each(|t| text(&t.instance_type)),
        "instance-type-specification.unsupported-instance-type" => types
            .flat_map(|t| t.unsupported_instance_types.iter().flatten())
            .for_each(|t| text(&t.instance_type)),
        tag => {
            let key = tag.strip_prefix("tag:").unwrap_or_default();
            image
                .tags
                .iter()
                .flatten()
                .filter(|t| t.key.as_deref() == Some(key))
                .for_each(|t| text(&t.value));
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `*`: any run of characters.
    Any,
    /// `?`: see [`QUESTION_MARK`].
    Optional,
}

/// A filter value compiled for matching.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
}

impl Pattern {
    pub(crate) fn compile(value: &str) -> Pattern {
        let mut tokens = Vec::with_capacity(value.len());
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '\\' => Token::Literal(chars.next().unwrap_or('\\')),
                '*' => Token::Any,
                '?' => Token::Optional,
                c => Token::Literal(c),
            });
        }
        Pattern { tokens }
    }

    /// Runs the pattern as an NFA over the text: linear in text × pattern, no
    /// backtracking blow-up on values like `*a*a*a*`.
    pub(crate) fn matches(&self, text: &str) -> bool {
        let n = self.tokens.len();
        let mut states = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        states[0] = true;
        self.close(&mut states);
        for c in text.chars() {
            next.iter_mut().for_each(|s| *s = false);
            for (i, token) in self.tokens.iter().enumerate() {
                if !states[i] {
                    continue;
                }
                match *token {
                    Token::Any => next[i] = true,
                    Token::Optional => next[i + 1] = true,
                    Token::Literal(l) if l == c => next[i + 1] = true,
                    Token::Literal(_) => {}
                }
            }
            self.close(&mut next);
            std::mem::swap(&mut states, &mut next);
            if !states.contains(&true) {
                return false;
            }
        }
        states[n]
    }

    /// Follows the moves that consume nothing: `*` and (zero-or-one) `?` may match empty.
    fn close(&self, states: &mut [bool]) {
        for (i, token) in self.tokens.iter().enumerate() {
            let empty_ok = match token {
                Token::Any => true,
                Token::Optional => QUESTION_MARK == QuestionMark::ZeroOrOne,
                Token::Literal(_) => false,
            };
            if states[i] && empty_ok {
                states[i + 1] = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use amiq_image::{
        ImageWatermark, InstanceTypeItem, InstanceTypeSpecification, ScanResults, Tag,
    };

    #[test]
    fn wildcards_follow_the_user_guide() {
        let table = [
            ("prod?", "prod", true),
            ("prod?", "prods", true),
            ("prod?", "prodss", false),
            (
                "al2023-*-x86_64",
                "al2023-ami-2023.6-kernel-6.1-x86_64",
                true,
            ),
            ("al2023-*-x86_64", "al2023-ami-arm64", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("\\*amazon\\?\\\\", "*amazon?\\", true),
            ("\\*amazon\\?\\\\", "xamazon?\\", false),
            ("2021-09-29T*", "2021-09-29T11:04:43.305Z", true),
            ("Windows_*", "windows_server", false),
            (
                "*a*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
            ),
        ];
        for (pattern, text, expected) in table {
            assert_eq!(
                Pattern::compile(pattern).matches(text),
                expected,
                "{pattern:?} on {text:?}"
            );
        }
    }

    #[test]
    fn filters_read_the_right_member() {
        let image = Image {
            name: Some("acme-web".into()),
            public: Some(false),
            tags: Some(vec![Tag {
                key: Some("env".into()),
                value: Some("prod".into()),
            }]),
            ..Default::default()
        };
        let filter = |name: &str, value: &str| Filter::parse(name, &[value.to_string()]).unwrap();
        assert!(filter("name", "acme-*").matches(&image));
        assert!(filter("is-public", "false").matches(&image));
        assert!(!filter("is-public", "true").matches(&image));
        assert!(filter("tag:env", "prod").matches(&image));
        assert!(!filter("tag:team", "*").matches(&image));
        assert!(filter("tag-key", "e?v").matches(&image));
        assert!(!filter("owner-alias", "*").matches(&image));
    }

    fn image_with_the_newer_members() -> Image {
        let parameter = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        let text = |s: &str| Some(s.to_string());
        let item = |s: &str| InstanceTypeItem {
            instance_type: text(s),
        };
        Image {
            boot_mode: text("uefi-preferred"),
            public_ssm_parameter_name: text(parameter),
            image_watermarks: Some(vec![
                ImageWatermark {
                    watermark_key: text("111111111111:approvedAmi"),
                    source_image_region: text("eu-west-1"),
                    source_image_id: text("ami-0aaaaaaaaaaaaaaaa"),
                    source_image_creation_time: text("2025-03-04T05:06:07.000Z"),
                    watermark_creation_time: text("2025-03-05T08:00:00.123Z"),
                },
                ImageWatermark {
                    watermark_key: text("222222222222:golden*image"),
                    ..Default::default()
                },
            ]),
            scan_results: Some(ScanResults {
                highest_finding_severity_label: text("high"),
                finding_scan_date: text("2025-08-01T10:00:00.000Z"),
                informational_fix_available_since: text("2025-06-01T00:00:00.000Z"),
                low_fix_available_since: text("2025-06-02T00:00:00.000Z"),
                medium_fix_available_since: text("2025-06-03T00:00:00.000Z"),
                high_fix_available_since: text("2025-06-04T00:00:00.000Z"),
                critical_fix_available_since: None,
            }),
            instance_type_specification: Some(InstanceTypeSpecification {
                supported_instance_types: Some(vec![item("m7i.large"), item("t3.*")]),
                unsupported_instance_types: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_newer_filters_match_their_members_text() {
        let image = image_with_the_newer_members();
        let table = [
            ("boot-mode", "uefi-preferred", true),
            ("boot-mode", "uefi", false),
            (
                "public-ssm-parameter-name",
                "/aws/service/ami-amazon-linux-latest/*",
                true,
            ),
            ("public-ssm-parameter-name", "*windows*", false),
            (
                "image-watermark.source-image-creation-time",
                "2025-03-04T*",
                true,
            ),
            (
                "image-watermark.source-image-creation-time",
                "2025-03-05T*",
                false,
            ),
            (
                "image-watermark.source-image-id",
                "ami-0aaaaaaaaaaaaaaaa",
                true,
            ),
            ("image-watermark.source-image-id", "ami-0b*", false),
            ("image-watermark.source-image-region", "eu-west-?", true),
            ("image-watermark.source-image-region", "us-*", false),
            (
                "image-watermark.watermark-creation-time",
                "2025-03-05T08:00:00.123Z",
                true,
            ),
            (
                "image-watermark.watermark-creation-time",
                "2025-03-04*",
                false,
            ),
            ("image-watermark.watermark-key", "*:approvedAmi", true),
            (
                "image-watermark.watermark-key",
                "222222222222:golden\\*image",
                true,
            ),
            (
                "image-watermark.watermark-key",
                "222222222222:golden-image",
                false,
            ),
            ("scan-result.highest-finding-severity-label", "high", true),
            (
                "scan-result.highest-finding-severity-label",
                "critical",
                false,
            ),
            ("scan-result.finding-scan-date", "2025-08-01T*", true),
            ("scan-result.finding-scan-date", "2025-08-02T*", false),
            (
                "scan-result.informational-fix-available-since",
                "2025-06-01T00:00:00.000Z",
                true,
            ),
            (
                "scan-result.informational-fix-available-since",
                "2025-06-02*",
                false,
            ),
            ("scan-result.low-fix-available-since", "2025-06-02*", true),
            ("scan-result.low-fix-available-since", "2025-06-01*", false),
            ("scan-result.medium-fix-available-since", "*-06-03T*", true),
            ("scan-result.medium-fix-available-since", "*-06-04T*", false),
            (
                "scan-result.high-fix-available-since",
                "2025-06-04T00:00:00.000Z",
                true,
            ),
            (
                "scan-result.high-fix-available-since",
                "2025-06-04T00:00:00Z",
                false,
            ),
            ("scan-result.critical-fix-available-since", "*", false),
            (
                "instance-type-specification.supported-instance-type",
                "m7i.large",
                true,
            ),
            (
                "instance-type-specification.supported-instance-type",
                "t3.\\*",
                true,
            ),
            (
                "instance-type-specification.supported-instance-type",
                "t3.micro",
                false,
            ),
            (
                "instance-type-specification.unsupported-instance-type",
                "*",
                false,
            ),
        ];
        for (name, value, expected) in table {
            let filter = Filter::parse(name, &[value.to_string()]).unwrap();
            assert_eq!(filter.matches(&image), expected, "{name} = {value:?}");
            // Absent members match nothing, not even `*`.
            let anything = Filter::parse(name, &["*".to_string()]).unwrap();
            assert!(!anything.matches(&Image::default()), "{name}");
        }
        let names: std::collections::BTreeSet<&str> = table.iter().map(|row| row.0).collect();
        assert_eq!(names.len(), 16);
        assert!(names.iter().all(|name| FILTER_NAMES.contains(name)));
    }

    #[test]
    fn every_documented_name_is_accepted() {
        assert_eq!(FILTER_NAMES.len(), 52);
        for name in FILTER_NAMES {
            assert!(Filter::parse(name, &["*".to_string()]).is_ok(), "{name}");
        }
        assert!(Filter::parse("scan-result", &["*".to_string()]).is_err());
        assert!(Filter::parse("image-watermark.*", &["*".to_string()]).is_err());
    }

    #[test]
    fn unknown_filters_are_refused_by_name() {
        let err = Filter::parse("colour", &["red".into()]).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        assert!(err.message.contains("'colour'"));
        assert!(Filter::parse("tag:", &["x".into()]).is_err());
        assert!(Filter::parse("name", &[]).is_err());
    }
}
