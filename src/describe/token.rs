//! `NextToken` of a local answer: the last image returned and the instant answered,
//! bound to the request that produced it.
//!
//! A later page continues after that image and answers from the same instant, so pages
//! stay consistent while syncs land in between. A token from another request, or any
//! garbage, is refused with `InvalidParameterValue`, as EC2 refuses it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ApiError, DescribeRequest};

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub as_of: DateTime<Utc>,
    /// The last image returned.
    pub after: RowKey,
}

/// An image's place in an answer, whose order is caller, region, image id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowKey {
    pub caller: String,
    pub region: String,
    pub image_id: String,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    v: u8,
    t: i64,
    a: (String, String, String),
    f: String,
}

const VERSION: u8 = 1;

/// Everything in the request but the page size and the token itself.
pub fn fingerprint(request: &DescribeRequest) -> u64 {
    let text = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{:?}|{:?}",
        request.account,
        request.region,
        request.ou,
        request.owners,
        request.executable_users,
        request.image_ids,
        request.filters,
        request.include_deprecated,
        request.include_disabled,
        request.as_of,
        request.question_mark,
    );
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

pub fn encode(position: &Position, fingerprint: u64) -> String {
    let wire = Wire {
        v: VERSION,
        t: position.as_of.timestamp_micros(),
        a: (
            position.after.caller.clone(),
            position.after.region.clone(),
            position.after.image_id.clone(),
        ),
        f: format!("{fingerprint:016x}"),
    };
    let json = serde_json::to_vec(&wire).expect("a token serializes");
    URL_SAFE_NO_PAD.encode(json)
}

pub fn decode(token: &str, fingerprint: u64) -> Result<Position, ApiError> {
    let invalid = || {
        ApiError::invalid_value(format!(
            "Invalid value '{token}' for nextToken: it was not issued for this request. \
             Repeat the request without a token to start again."
        ))
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| invalid())?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if wire.v != VERSION || wire.f != format!("{fingerprint:016x}") {
        return Err(invalid());
    }
    let as_of = DateTime::from_timestamp_micros(wire.t).ok_or_else(invalid)?;
    let (caller, region, image_id) = wire.a;
    Ok(Position {
        as_of,
        after: RowKey {
            caller,
            region,
            image_id,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::Filter;

    #[test]
    fn tokens_round_trip_and_bind_to_their_request() {
        let request = DescribeRequest {
            filters: vec![Filter::new("name", &["x*"])],
            ..DescribeRequest::default()
        };
        let position = Position {
            as_of: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            after: RowKey {
                caller: "1".into(),
                region: "us-east-1".into(),
                image_id: "ami-12345678".into(),
            },
        };
        let token = encode(&position, fingerprint(&request));
        assert_eq!(decode(&token, fingerprint(&request)).unwrap(), position);

        let other = DescribeRequest {
            filters: vec![Filter::new("name", &["y*"])],
            ..DescribeRequest::default()
        };
        let err = decode(&token, fingerprint(&other)).unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
        for garbage in ["", "abc", "!!!", "eyJ2IjoyfQ"] {
            assert!(decode(garbage, fingerprint(&request)).is_err(), "{garbage}");
        }
        // The page size is not part of the request a token is bound to.
        let bigger = DescribeRequest {
            max_results: Some(50),
            ..request.clone()
        };
        assert!(decode(&token, fingerprint(&bigger)).is_ok());
    }
}
