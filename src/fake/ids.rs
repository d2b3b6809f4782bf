//! Resource ids. An image id is a keyed permutation of where the image lives (region,
//! owner, index): it looks random like a real `ami-0…` id, differs per seed, and decodes
//! back, so an `ImageId` lookup is a binary search instead of a scan of every catalog.

use std::fmt::Write;

use super::dice::mix;

/// Where an image lives in the fake world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ImageKey {
    pub region: u16,
    pub owner: u16,
    pub index: u32,
}

/// `ami-0` followed by 16 hex digits: the 17-digit form EC2 has used since 2018.
pub(crate) fn image_id(seed: u64, key: ImageKey) -> String {
    let block = (u64::from(key.region) << 48) | (u64::from(key.owner) << 32) | u64::from(key.index);
    hex_id("ami-0", feistel(seed, block, false))
}

/// Decodes an id made by [`image_id`] with the same seed; `None` for any other id.
pub(crate) fn parse_image_id(seed: u64, id: &str) -> Option<ImageKey> {
    let hex = id.strip_prefix("ami-0")?;
    if hex.len() != 16 {
        return None;
    }
    let block = feistel(seed, u64::from_str_radix(hex, 16).ok()?, true);
    Some(ImageKey {
        region: (block >> 48) as u16,
        owner: (block >> 32) as u16,
        index: block as u32,
    })
}

/// Whether `id` has the shape EC2 accepts for an image id (`ami-` and 8 or 17 hex).
pub(crate) fn is_well_formed_image_id(id: &str) -> bool {
    id.strip_prefix("ami-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// A resource id such as `snap-0…` or `i-0…` from a seed.
pub(crate) fn hex_id(prefix: &str, value: u64) -> String {
    let mut s = String::with_capacity(prefix.len() + 16);
    s.push_str(prefix);
    let _ = write!(s, "{value:016x}");
    s
}

/// A legacy 8-digit id such as `aki-1a2b3c4d`.
pub(crate) fn short_id(prefix: &str, value: u64) -> String {
    let mut s = String::with_capacity(prefix.len() + 8);
    s.push_str(prefix);
    let _ = write!(s, "{:08x}", value as u32);
    s
}

/// A four-round Feistel network over 64 bits, keyed by the seed: a bijection.
fn feistel(seed: u64, block: u64, decrypt: bool) -> u64 {
    let (mut left, mut right) = ((block >> 32) as u32, block as u32);
    let round_key =
        |round: u64, half: u32| mix(seed, &[0x0fe1_57e1, round, u64::from(half)]) as u32;
    if decrypt {
        for round in (0..4).rev() {
            (left, right) = (right ^ round_key(round, left), left);
        }
    } else {
        for round in 0..4 {
            (left, right) = (right, left ^ round_key(round, right));
        }
    }
    (u64::from(left) << 32) | u64::from(right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_ids_round_trip_and_look_real() {
        let key = ImageKey {
            region: 2,
            owner: 5,
            index: 123_456,
        };
        let id = image_id(9, key);
        assert!(id.starts_with("ami-0") && id.len() == 21, "{id}");
        assert!(is_well_formed_image_id(&id));
        assert_eq!(parse_image_id(9, &id), Some(key));
        assert_ne!(parse_image_id(10, &id), Some(key));
        assert_ne!(image_id(10, key), id);
    }

    #[test]
    fn malformed_ids_are_recognised() {
        for bad in [
            "ami-",
            "ami-xyz",
            "ami-0123456789abcdef",
            "i-0123456789abcdef0",
            "",
        ] {
            assert!(!is_well_formed_image_id(bad), "{bad}");
        }
        assert!(is_well_formed_image_id("ami-1a2b3c4d"));
    }
}
