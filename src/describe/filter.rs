//! DescribeImages filters, compiled to SQL over the caller's view of an image.
//!
//! The rules (README "Filters"): names and values are
//! case-sensitive; the values of one filter are ORed and filters are ANDed; `*` matches
//! any run of characters, `?` zero or one character (switchable to exactly one), and a
//! backslash makes the next character literal; booleans match the text `true` or
//! `false`; each `block-device-mapping.*` filter is satisfied by any one mapping,
//! independently of the others.
//!
//! Values never become SQL text: a value without wildcards is bound as a parameter and
//! compared for equality, one with wildcards becomes a regular expression (every
//! literal character escaped) bound as a parameter of `regexp_full_match`.

use super::ApiError;

/// Every filter name DescribeImages documents (aws-sdk-ec2 1.274), besides `tag:<key>`.
pub const FILTER_NAMES: [&str; 52] = [
    "architecture",
    "block-device-mapping.delete-on-termination",
    "block-device-mapping.device-name",
    "block-device-mapping.snapshot-id",
    "block-device-mapping.volume-size",
    "block-device-mapping.volume-type",
    "block-device-mapping.encrypted",
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
    "state",
    "state-reason-code",
    "state-reason-message",
    "sriov-net-support",
    "tag-key",
    "virtualization-type",
];

/// At most this many filters in one request.
pub const MAX_FILTERS: usize = 50;
/// At most this many values in one filter.
pub const MAX_VALUES: usize = 200;
/// At most this many characters in one value.
pub const MAX_VALUE_CHARS: usize = 255;

/// How `?` in a filter value matches. AWS documents both readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum QuestionMark {
    /// Zero or one character (AWS's current user guide: `prod?` matches `prod`, `prods`).
    #[default]
    ZeroOrOne,
    /// Exactly one character (older SDK documentation).
    ExactlyOne,
}

/// One filter of a request: a name and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

impl Filter {
    pub fn new(name: impl Into<String>, values: &[&str]) -> Filter {
        Filter {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }
}

/// Checks names and limits as EC2 does, before anything runs.
pub fn validate(filters: &[Filter]) -> Result<(), ApiError> {
    if filters.len() > MAX_FILTERS {
        return Err(ApiError::new(
            "FilterLimitExceeded",
            format!(
                "The request has {} filters; at most {MAX_FILTERS} are allowed",
                filters.len()
            ),
        ));
    }
    for f in filters {
        let known = FILTER_NAMES.contains(&f.name.as_str())
            || f.name.strip_prefix("tag:").is_some_and(|k| !k.is_empty());
        if !known {
            return Err(ApiError::invalid_value(format!(
                "The filter '{}' is invalid",
                f.name
            )));
        }
        if f.values.is_empty() {
            return Err(ApiError::invalid_value(format!(
                "The filter '{}' has no values; give at least one value",
                f.name
            )));
        }
        if f.values.len() > MAX_VALUES {
            return Err(ApiError::new(
                "FilterLimitExceeded",
                format!(
                    "The filter '{}' has {} values; at most {MAX_VALUES} are allowed",
                    f.name,
                    f.values.len()
                ),
            ));
        }
        if let Some(long) = f
            .values
            .iter()
            .find(|v| v.chars().count() > MAX_VALUE_CHARS)
        {
            return Err(ApiError::invalid_value(format!(
                "A value of the filter '{}' is {} characters long; at most {MAX_VALUE_CHARS} are allowed",
                f.name,
                long.chars().count()
            )));
        }
    }
    Ok(())
}

/// Where a filter looks: the version (content every viewer shares) or the caller's
/// own view (tags, ImageAllowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Version,
    View,
}

/// Which side of the row `name` reads.
pub fn side(name: &str) -> Side {
    if name.starts_with("tag:") || name == "tag-key" || name == "image-allowed" {
        Side::View
    } else {
        Side::Version
    }
}

/// A piece of SQL with its `?` parameters, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sql {
    pub text: String,
    pub params: Vec<String>,
}

/// The SQL predicate of one filter. Versions are aliased `v`, views `w`.
pub fn predicate(filter: &Filter, question_mark: QuestionMark) -> Sql {
    let mut params = Vec::new();
    let target = target(&filter.name, &mut params);
    let text = match target {
        Target::Scalar(column) => {
            let tests = matchers(&filter.values, question_mark, &column, &mut params);
            format!("({tests})")
        }
        Target::List(list) => {
            let tests = matchers(&filter.values, question_mark, "item", &mut params);
            format!("(len(list_filter({list}, lambda item: {tests})) > 0)")
        }
        Target::Ever(column) => {
            let tests = matchers(
                &filter.values,
                question_mark,
                &format!("h.{column}"),
                &mut params,
            );
            format!(
                "(EXISTS (SELECT 1 FROM image_versions h WHERE h.region = v.region \
                 AND h.image_id = v.image_id AND h.valid_from <= a.t AND ({tests})))"
            )
        }
    };
    Sql { text, params }
}

/// What a filter name compares: one column, each element of a list, or a column of
/// any version of the image valid up to the instant asked about.
enum Target {
    Scalar(String),
    List(String),
    Ever(String),
}

fn target(name: &str, params: &mut Vec<String>) -> Target {
    let scalar = |c: &str| Target::Scalar(c.to_string());
    let flag = |c: &str| Target::Scalar(format!("CAST({c} AS VARCHAR)"));
    let watermarks = |field: &str| {
        Target::List(format!(
            "list_transform(v.image_watermarks, lambda watermark: {field})"
        ))
    };
    let mappings = |field: &str| {
        Target::List(format!(
            "list_transform(v.block_device_mappings, lambda mapping: {field})"
        ))
    };
    match name {
        "architecture" => scalar("v.architecture"),
        "creation-date" => scalar("v.creation_date"),
        "description" => scalar("v.description"),
        "ena-support" => flag("v.ena_support"),
        "free-tier-eligible" => flag("v.free_tier_eligible"),
        "hypervisor" => scalar("v.hypervisor"),
        "image-allowed" => flag("g.image_allowed"),
        "image-id" => scalar("v.image_id"),
        "image-type" => scalar("v.image_type"),
        "is-public" => flag("v.public"),
        "kernel-id" => scalar("v.kernel_id"),
        "manifest-location" => scalar("v.image_location"),
        "name" => scalar("v.name"),
        "owner-alias" => scalar("v.image_owner_alias"),
        "owner-id" => scalar("v.owner_id"),
        "platform" => scalar("v.platform"),
        "ramdisk-id" => scalar("v.ramdisk_id"),
        "root-device-name" => scalar("v.root_device_name"),
        "root-device-type" => scalar("v.root_device_type"),
        "source-image-id" => scalar("v.source_image_id"),
        "source-image-region" => scalar("v.source_image_region"),
        "source-instance-id" => scalar("v.source_instance_id"),
        "state" => scalar("v.state"),
        "state-reason-code" => scalar("v.state_reason.code"),
        "state-reason-message" => scalar("v.state_reason.message"),
        "sriov-net-support" => scalar("v.sriov_net_support"),
        "virtualization-type" => scalar("v.virtualization_type"),
        "boot-mode" => scalar("v.boot_mode"),
        // Timestamps match the API's text, wildcards and all, as `creation-date` does:
        // the SDK documents them as ISO 8601 text and nothing more.
        "scan-result.critical-fix-available-since" => {
            scalar("v.scan_results.critical_fix_available_since")
        }
        "scan-result.finding-scan-date" => scalar("v.scan_results.finding_scan_date"),
        "scan-result.high-fix-available-since" => scalar("v.scan_results.high_fix_available_since"),
        "scan-result.highest-finding-severity-label" => {
            scalar("v.scan_results.highest_finding_severity_label")
        }
        "scan-result.informational-fix-available-since" => {
            scalar("v.scan_results.informational_fix_available_since")
        }
        "scan-result.low-fix-available-since" => scalar("v.scan_results.low_fix_available_since"),
        "scan-result.medium-fix-available-since" => {
            scalar("v.scan_results.medium_fix_available_since")
        }
        "image-watermark.source-image-creation-time" => {
            watermarks("watermark.source_image_creation_time")
        }
        "image-watermark.source-image-id" => watermarks("watermark.source_image_id"),
        "image-watermark.source-image-region" => watermarks("watermark.source_image_region"),
        "image-watermark.watermark-creation-time" => watermarks("watermark.watermark_creation_time"),
        "image-watermark.watermark-key" => watermarks("watermark.watermark_key"),
        "instance-type-specification.supported-instance-type" => Target::List(
            "list_transform(v.instance_type_specification.supported_instance_types, lambda t: t.instance_type)".into(),
        ),
        "instance-type-specification.unsupported-instance-type" => Target::List(
            "list_transform(v.instance_type_specification.unsupported_instance_types, lambda t: t.instance_type)".into(),
        ),
        // EC2 returns every AMI ever associated with the parameter: every version the
        // store kept up to the instant asked about counts (docs/decisions/0001-image-shape.md).
        "public-ssm-parameter-name" => Target::Ever("public_ssm_parameter_name".into()),
        "product-code" => Target::List(
            "list_transform(v.product_codes, lambda code: code.product_code_id)".to_string(),
        ),
        "product-code.type" => Target::List(
            "list_transform(v.product_codes, lambda code: code.product_code_type)".to_string(),
        ),
        "tag-key" => Target::List("list_transform(g.tags, lambda tag: tag.key)".to_string()),
        "block-device-mapping.device-name" => mappings("mapping.device_name"),
        "block-device-mapping.snapshot-id" => mappings("mapping.ebs.snapshot_id"),
        "block-device-mapping.volume-type" => mappings("mapping.ebs.volume_type"),
        "block-device-mapping.volume-size" => mappings("CAST(mapping.ebs.volume_size AS VARCHAR)"),
        "block-device-mapping.encrypted" => mappings("CAST(mapping.ebs.encrypted AS VARCHAR)"),
        "block-device-mapping.delete-on-termination" => {
            mappings("CAST(mapping.ebs.delete_on_termination AS VARCHAR)")
        }
        tag => {
            // validate() has admitted only `tag:<key>` here; the key is bound.
            params.push(tag.strip_prefix("tag:").unwrap_or_default().to_string());
            Target::List("list_transform(list_filter(g.tags, lambda tag: tag.key = ?), lambda tag: tag.value)".into())
        }
    }
}

/// `subject` against every value, ORed: equality for plain values, a regular
/// expression for values with wildcards.
fn matchers(
    values: &[String],
    question_mark: QuestionMark,
    subject: &str,
    params: &mut Vec<String>,
) -> String {
    let mut plain = Vec::new();
    let mut regexes = Vec::new();
    for value in values {
        match Wildcard::parse(value) {
            Wildcard::Literal(text) => plain.push(text),
            pattern => regexes.push(pattern.regex(question_mark)),
        }
    }
    let mut sql = Vec::new();
    match plain.len() {
        0 => {}
        1 => sql.push(format!("{subject} = ?")),
        // DuckDB answers `IN` on a struct's field with every row (docs/decisions/0016-in-on-struct-fields.md).
        n if is_struct_field(subject) => sql.push(vec![format!("{subject} = ?"); n].join(" OR ")),
        n => sql.push(format!("{subject} IN ({})", vec!["?"; n].join(", "))),
    }
    sql.extend(
        regexes
            .iter()
            .map(|_| format!("regexp_full_match({subject}, ?)")),
    );
    params.extend(plain);
    params.extend(regexes);
    sql.join(" OR ")
}

/// Whether `subject` is a field of a struct column (`v.state_reason.message`).
fn is_struct_field(subject: &str) -> bool {
    subject.matches('.').count() > 1
}

/// A filter value read as a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wildcard {
    /// No wildcard: the text itself (escapes resolved).
    Literal(String),
    Pattern(Vec<Piece>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Char(char),
    Any,
    Optional,
}

impl Wildcard {
    fn parse(value: &str) -> Wildcard {
        let mut pieces = Vec::with_capacity(value.len());
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            pieces.push(match c {
                // A trailing backslash stands for itself.
                '\\' => Piece::Char(chars.next().unwrap_or('\\')),
                '*' => Piece::Any,
                '?' => Piece::Optional,
                c => Piece::Char(c),
            });
        }
        if pieces.iter().all(|p| matches!(p, Piece::Char(_))) {
            Wildcard::Literal(
                pieces
                    .into_iter()
                    .map(|p| match p {
                        Piece::Char(c) => c,
                        _ => unreachable!(),
                    })
                    .collect(),
            )
        } else {
            Wildcard::Pattern(pieces)
        }
    }

    /// The RE2 expression, for a full match; `(?s)` lets `.` match newlines too.
    fn regex(&self, question_mark: QuestionMark) -> String {
        let mut re = String::from("(?s)");
        match self {
            Wildcard::Literal(text) => re.push_str(&regex_escape(text)),
            Wildcard::Pattern(pieces) => {
                for piece in pieces {
                    match *piece {
                        Piece::Char(c) => re.push_str(&regex_escape(c.encode_utf8(&mut [0; 4]))),
                        Piece::Any => re.push_str(".*"),
                        Piece::Optional => re.push_str(match question_mark {
                            QuestionMark::ZeroOrOne => ".?",
                            QuestionMark::ExactlyOne => ".",
                        }),
                    }
                }
            }
        }
        re
    }
}

/// Escapes every character RE2 gives a meaning to.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_bound_for_equality() {
        let sql = predicate(
            &Filter::new("name", &["a'b", "c;--"]),
            QuestionMark::ZeroOrOne,
        );
        assert_eq!(sql.text, "(v.name IN (?, ?))");
        assert_eq!(sql.params, ["a'b", "c;--"]);
    }

    #[test]
    fn wildcards_become_escaped_regexes_after_the_equalities() {
        let f = Filter::new("name", &["al2023-*", "x", "a.b?"]);
        let sql = predicate(&f, QuestionMark::ZeroOrOne);
        assert_eq!(
            sql.text,
            "(v.name = ? OR regexp_full_match(v.name, ?) OR regexp_full_match(v.name, ?))"
        );
        assert_eq!(sql.params, ["x", "(?s)al2023-.*", "(?s)a\\.b.?"]);
        let one = predicate(&Filter::new("name", &["a?"]), QuestionMark::ExactlyOne);
        assert_eq!(one.params, ["(?s)a."]);
    }

    #[test]
    fn escapes_make_wildcards_literal() {
        assert_eq!(
            Wildcard::parse(r"\*amazon\?\\"),
            Wildcard::Literal(r"*amazon?\".to_string())
        );
        assert_eq!(
            Wildcard::parse(r"ab\"),
            Wildcard::Literal(r"ab\".to_string())
        );
        let mixed = Wildcard::parse(r"\**");
        assert_eq!(mixed.regex(QuestionMark::ZeroOrOne), r"(?s)\*.*");
    }

    #[test]
    fn tag_keys_are_bound_before_values() {
        let sql = predicate(
            &Filter::new("tag:Team's", &["web*"]),
            QuestionMark::ZeroOrOne,
        );
        assert_eq!(sql.params, ["Team's", "(?s)web.*"]);
        assert!(sql.text.contains("tag.key = ?"));
    }

    #[test]
    fn names_and_limits_are_checked_as_ec2_does() {
        let err = validate(&[Filter::new("colour", &["red"])]).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        assert!(err.message.contains("'colour'"));
        assert!(validate(&[Filter::new("tag:", &["x"])]).is_err());
        assert!(validate(&[Filter::new("name", &[])]).is_err());
        let many = vec![Filter::new("name", &["x"]); MAX_FILTERS + 1];
        assert_eq!(validate(&many).unwrap_err().code, "FilterLimitExceeded");
        let values: Vec<String> = (0..=MAX_VALUES).map(|i| i.to_string()).collect();
        let wide = Filter {
            name: "name".into(),
            values,
        };
        assert_eq!(validate(&[wide]).unwrap_err().code, "FilterLimitExceeded");
        let long = "é".repeat(MAX_VALUE_CHARS + 1);
        assert_eq!(
            validate(&[Filter::new("name", &[long.as_str()])])
                .unwrap_err()
                .code,
            "InvalidParameterValue"
        );
        assert!(validate(&[Filter::new("name", &["é".repeat(MAX_VALUE_CHARS).as_str()])]).is_ok());
        for name in FILTER_NAMES {
            assert!(validate(&[Filter::new(name, &["x"])]).is_ok(), "{name}");
        }
    }
}
