//! `NextToken`: where the next page starts, bound to the request that produced it.
//!
//! A token is opaque to clients (URL-safe base64) and holds the position (owner
//! ordinal, image index) plus a fingerprint of the request. A token from another request,
//! another caller or region, or any garbage is refused with `InvalidParameterValue`,
//! which is what a client that mixes up its paginators would get from EC2.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::dice::mix;
use super::request::ApiError;

const VERSION: u8 = 1;
const LEN: usize = 1 + 2 + 4 + 8 + 4;

/// Where a page starts: the first image at or after `index` in the catalog of `owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub owner: u16,
    pub index: u32,
}

pub(crate) fn encode(position: Position, fingerprint: u64) -> String {
    let mut bytes = Vec::with_capacity(LEN);
    bytes.push(VERSION);
    bytes.extend_from_slice(&position.owner.to_le_bytes());
    bytes.extend_from_slice(&position.index.to_le_bytes());
    bytes.extend_from_slice(&fingerprint.to_le_bytes());
    bytes.extend_from_slice(&check(position, fingerprint).to_le_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn decode(token: &str, fingerprint: u64) -> Result<Position, ApiError> {
    let invalid = || {
        ApiError::invalid_value(format!(
            "Invalid value '{token}' for nextToken: it was not issued for this request. \
             Repeat the request without NextToken to start again."
        ))
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    if bytes.len() != LEN || bytes[0] != VERSION {
        return Err(invalid());
    }
    let position = Position {
        owner: u16::from_le_bytes([bytes[1], bytes[2]]),
        index: u32::from_le_bytes(bytes[3..7].try_into().unwrap_or_default()),
    };
    let carried = u64::from_le_bytes(bytes[7..15].try_into().unwrap_or_default());
    let checked = u32::from_le_bytes(bytes[15..19].try_into().unwrap_or_default());
    if carried != fingerprint || checked != check(position, fingerprint) {
        return Err(invalid());
    }
    Ok(position)
}

fn check(position: Position, fingerprint: u64) -> u32 {
    mix(fingerprint, &[position.owner.into(), position.index.into()]) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_only_for_their_request() {
        let p = Position {
            owner: 3,
            index: 4000,
        };
        let token = encode(p, 77);
        assert_eq!(decode(&token, 77), Ok(p));
        assert_eq!(
            decode(&token, 78).unwrap_err().code,
            "InvalidParameterValue"
        );
        for garbage in ["", "!!!", "AAAA", &token[..token.len() - 1]] {
            assert!(decode(garbage, 77).is_err(), "{garbage}");
        }
        let mut tampered = URL_SAFE_NO_PAD.decode(&token).unwrap();
        tampered[3] ^= 1;
        assert!(decode(&URL_SAFE_NO_PAD.encode(tampered), 77).is_err());
    }
}
