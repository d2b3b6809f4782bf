//! Query-protocol requests: form parameters as the SDKs send them (`Owner.1`,
//! `Filter.1.Name`, `Filter.1.Value.1`…), the DescribeImages request they spell, and the
//! errors the endpoint answers with.

use std::collections::BTreeMap;

/// A DescribeImages request, as the fake's truth (`FakeEc2::describe`) and its HTTP
/// front end both take it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeRequest {
    /// `Owner.N`: account ids, `self`, `amazon`, `aws-marketplace`, `aws-backup-vault`.
    pub owners: Vec<String>,
    /// `ExecutableBy.N`: `self`, `all` or account ids.
    pub executable_users: Vec<String>,
    /// `ImageId.N`.
    pub image_ids: Vec<String>,
    pub include_deprecated: bool,
    pub include_disabled: bool,
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
    /// `(Filter.N.Name, [Filter.N.Value.M…])`.
    pub filters: Vec<(String, Vec<String>)>,
}

/// An error answer, with the HTTP status and code EC2 (or STS) uses for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({status}): {message}")]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid_value(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "InvalidParameterValue", message)
    }

    pub(crate) fn auth_failure() -> ApiError {
        ApiError::new(
            401,
            "AuthFailure",
            "AWS was not able to validate the provided access credentials",
        )
    }
}

/// The decoded parameters of one request (query string and form body together).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: BTreeMap<String, String>,
}

impl Params {
    /// Adds the pairs of an `application/x-www-form-urlencoded` text.
    pub(crate) fn extend_from_form(&mut self, form: &[u8]) {
        for pair in form.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let mut halves = pair.splitn(2, |&b| b == b'=');
            let key = percent_decode(halves.next().unwrap_or_default());
            let value = percent_decode(halves.next().unwrap_or_default());
            self.pairs.insert(key, value);
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs.get(key).map(String::as_str)
    }

    /// `Prefix.1`, `Prefix.2`… in numeric order (gaps allowed).
    pub(crate) fn list(&self, prefix: &str) -> Vec<String> {
        let mut items: Vec<(u32, String)> = self
            .pairs
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(prefix)?.strip_prefix('.')?.parse().ok()?;
                Some((n, v.clone()))
            })
            .collect();
        items.sort_by_key(|(n, _)| *n);
        items.into_iter().map(|(_, v)| v).collect()
    }

    pub(crate) fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::invalid_value(format!(
                "Invalid value '{v}' for {key}; expected true or false"
            ))),
        }
    }

    /// The numbers N of the keys `{prefix}.N{suffix}`, ascending.
    pub(crate) fn numbers(&self, prefix: &str, suffix: &str) -> Vec<u32> {
        let mut numbers: Vec<u32> = self
            .pairs
            .keys()
            .filter_map(|k| {
                k.strip_prefix(prefix)?
                    .strip_prefix('.')?
                    .strip_suffix(suffix)?
                    .parse()
                    .ok()
            })
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    /// The numbers N of the keys `{prefix}.N` and `{prefix}.N.…`, ascending: the members
    /// of a list of structures, whichever of their fields are given.
    pub(crate) fn indices(&self, prefix: &str) -> Vec<u32> {
        let mut numbers: Vec<u32> = self
            .pairs
            .keys()
            .filter_map(|k| {
                let rest = k.strip_prefix(prefix)?.strip_prefix('.')?;
                rest.split('.').next()?.parse().ok()
            })
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    /// `MaxResults`, if given.
    pub(crate) fn max_results(&self) -> Result<Option<i32>, ApiError> {
        match self.get("MaxResults") {
            None => Ok(None),
            Some(v) => Ok(Some(v.parse::<i32>().map_err(|_| {
                ApiError::invalid_value(format!(
                    "Invalid value '{v}' for maxResults; expected an integer"
                ))
            })?)),
        }
    }

    /// The DescribeImages request these parameters spell.
    pub(crate) fn describe_request(&self) -> Result<DescribeRequest, ApiError> {
        Ok(DescribeRequest {
            owners: self.list("Owner"),
            executable_users: self.list("ExecutableBy"),
            image_ids: self.list("ImageId"),
            include_deprecated: self.flag("IncludeDeprecated")?,
            include_disabled: self.flag("IncludeDisabled")?,
            max_results: self.max_results()?,
            next_token: self.get("NextToken").map(String::from),
            filters: self.filters(),
        })
    }

    /// `(Filter.N.Name, [Filter.N.Value.M…])`, in the order of N.
    pub(crate) fn filters(&self) -> Vec<(String, Vec<String>)> {
        let mut filter_numbers: Vec<u32> = self
            .pairs
            .keys()
            .filter_map(|k| {
                k.strip_prefix("Filter.")?
                    .strip_suffix(".Name")?
                    .parse()
                    .ok()
            })
            .collect();
        filter_numbers.sort_unstable();
        filter_numbers
            .into_iter()
            .map(|n| {
                let name = self
                    .get(&format!("Filter.{n}.Name"))
                    .unwrap_or_default()
                    .to_string();
                (name, self.list(&format!("Filter.{n}.Value")))
            })
            .collect()
    }
}

/// EC2's refusal of a `MaxResults` outside `range`.
pub(crate) fn check_max_results(
    max: Option<i32>,
    range: std::ops::RangeInclusive<i32>,
) -> Result<(), ApiError> {
    match max {
        Some(max) if !range.contains(&max) => {
            let bound = if max < *range.start() {
                format!("greater than {}", range.start())
            } else {
                format!("less than {}", range.end())
            };
            Err(ApiError::invalid_value(format!(
                "Value ( {max} ) for parameter maxResults is invalid. Expecting a value {bound}."
            )))
        }
        _ => Ok(()),
    }
}

fn percent_decode(bytes: &[u8]) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_sdk_sends() {
        let mut params = Params::default();
        params.extend_from_form(
            b"Action=DescribeImages&Version=2016-11-15&Owner.1=self&Owner.2=amazon\
              &ExecutableBy.1=all&Filter.1.Name=name&Filter.1.Value.1=al2023-%2A&Filter.1.Value.2=a%2Bb\
              &Filter.10.Name=tag%3AOwner&Filter.10.Value.1=J%C3%B6rg+M\
              &Filter.2.Name=state&Filter.2.Value.1=available&MaxResults=1000&NextToken=abc-_\
              &IncludeDeprecated=true",
        );
        let request = params.describe_request().unwrap();
        assert_eq!(request.owners, ["self", "amazon"]);
        assert_eq!(request.executable_users, ["all"]);
        assert_eq!(request.max_results, Some(1000));
        assert_eq!(request.next_token.as_deref(), Some("abc-_"));
        assert!(request.include_deprecated && !request.include_disabled);
        assert_eq!(
            request.filters,
            vec![
                (
                    "name".to_string(),
                    vec!["al2023-*".to_string(), "a+b".to_string()]
                ),
                ("state".to_string(), vec!["available".to_string()]),
                ("tag:Owner".to_string(), vec!["Jörg M".to_string()]),
            ]
        );
    }

    #[test]
    fn rejects_malformed_numbers_and_flags() {
        let mut params = Params::default();
        params.extend_from_form(b"MaxResults=lots");
        assert_eq!(
            params.describe_request().unwrap_err().code,
            "InvalidParameterValue"
        );
        let mut params = Params::default();
        params.extend_from_form(b"IncludeDisabled=maybe");
        assert!(params.describe_request().is_err());
    }

    #[test]
    fn indices_name_the_members_of_a_list_of_structures() {
        let mut params = Params::default();
        params.extend_from_form(
            b"ResourceType.2.ResourceType=ec2%3AInstance&ResourceType.10.ResourceTypeOption.1.OptionName=version-depth\
              &ResourceTypes.3.ResourceType=x&ResourceType.x.ResourceType=y",
        );
        assert_eq!(params.indices("ResourceType"), [2, 10]);
        assert_eq!(params.indices("ResourceType.10.ResourceTypeOption"), [1]);
        assert!(params.indices("Filter").is_empty());
    }

    #[test]
    fn percent_decoding_tolerates_stray_percent_signs() {
        assert_eq!(percent_decode(b"100%"), "100%");
        assert_eq!(percent_decode(b"%zz%41"), "%zzA");
    }
}
