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

/// What an image is: DescribeImages lists machine images (AMIs) and the kernel (AKI)
/// and RAM disk (ARI) images paravirtual AMIs boot with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageKind {
    Machine,
    Kernel,
    Ramdisk,
}

impl ImageKind {
    const ALL: [ImageKind; 3] = [ImageKind::Machine, ImageKind::Kernel, ImageKind::Ramdisk];

    /// `ami-`, `aki-` or `ari-`.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            ImageKind::Machine => "ami-",
            ImageKind::Kernel => "aki-",
            ImageKind::Ramdisk => "ari-",
        }
    }

    /// The `imageType` EC2 reports.
    pub(crate) fn image_type(self) -> &'static str {
        match self {
            ImageKind::Machine => "machine",
            ImageKind::Kernel => "kernel",
            ImageKind::Ramdisk => "ramdisk",
        }
    }
}

/// The kind's prefix, `0` and 16 hex digits: the 17-digit form EC2 has used since 2018.
pub(crate) fn image_id(seed: u64, kind: ImageKind, key: ImageKey) -> String {
    let block = (u64::from(key.region) << 48) | (u64::from(key.owner) << 32) | u64::from(key.index);
    let mut id = String::with_capacity(21);
    id.push_str(kind.prefix());
    let _ = write!(id, "0{:016x}", feistel(seed, block, false));
    id
}

/// Decodes an id made by [`image_id`] with the same seed into the kind its prefix names
/// and the key; `None` for any other id (uppercase hex included: EC2's ids are
/// lowercase). Whether the entry at the key is of that kind is the caller's to check.
pub(crate) fn parse_image_id(seed: u64, id: &str) -> Option<(ImageKind, ImageKey)> {
    let kind = ImageKind::ALL
        .into_iter()
        .find(|k| id.starts_with(k.prefix()))?;
    let hex = id[kind.prefix().len()..].strip_prefix('0')?;
    if hex.len() != 16 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let block = feistel(seed, u64::from_str_radix(hex, 16).ok()?, true);
    Some((
        kind,
        ImageKey {
            region: (block >> 48) as u16,
            owner: (block >> 32) as u16,
            index: block as u32,
        },
    ))
}

/// Whether `id` has the shape EC2 accepts for an image id: `ami-`, `aki-` or `ari-` and
/// 8 or 17 hex digits.
pub(crate) fn is_well_formed_image_id(id: &str) -> bool {
    ImageKind::ALL.iter().any(|kind| {
        id.strip_prefix(kind.prefix()).is_some_and(|hex| {
            (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
        })
    })
}

/// What a resource id names, besides images: each kind keys its own permutation, so an
/// instance and a snapshot with the same coordinates get unrelated ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    Instance,
    LaunchTemplate,
    Snapshot,
    Volume,
    ImageUsageReport,
}

impl ResourceKind {
    fn prefix(self) -> &'static str {
        match self {
            ResourceKind::Instance => "i-",
            ResourceKind::LaunchTemplate => "lt-",
            ResourceKind::Snapshot => "snap-",
            ResourceKind::Volume => "vol-",
            ResourceKind::ImageUsageReport => "amiur-",
        }
    }

    fn salt(self) -> u64 {
        match self {
            ResourceKind::Instance => 0x0069_6e73,
            ResourceKind::LaunchTemplate => 0x006c_7470,
            ResourceKind::Snapshot => 0x0073_6e61,
            ResourceKind::Volume => 0x0076_6f6c,
            ResourceKind::ImageUsageReport => 0x616d_6975,
        }
    }
}

/// The kind's prefix, `0` and 16 hex digits, a keyed permutation of `block` (which
/// packs the resource's coordinates), so ids look random, never collide, and decode.
pub(crate) fn resource_id(seed: u64, kind: ResourceKind, block: u64) -> String {
    let mut id = String::with_capacity(kind.prefix().len() + 17);
    id.push_str(kind.prefix());
    let _ = write!(
        id,
        "0{:016x}",
        feistel(mix(seed, &[kind.salt()]), block, false)
    );
    id
}

/// The block an id made by [`resource_id`] with the same seed and kind packs; `None`
/// for any other text.
pub(crate) fn parse_resource_id(seed: u64, kind: ResourceKind, id: &str) -> Option<u64> {
    let hex = id.strip_prefix(kind.prefix())?.strip_prefix('0')?;
    if hex.len() != 16 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let value = u64::from_str_radix(hex, 16).ok()?;
    Some(feistel(mix(seed, &[kind.salt()]), value, true))
}

/// Whether `id` has the shape EC2 accepts for the kind: its prefix and 8 or 17 hex
/// digits.
pub(crate) fn is_well_formed(kind: ResourceKind, id: &str) -> bool {
    id.strip_prefix(kind.prefix()).is_some_and(|hex| {
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
        for kind in ImageKind::ALL {
            let id = image_id(9, kind, key);
            assert!(id.starts_with(kind.prefix()) && id.len() == 21, "{id}");
            assert_eq!(&id[4..5], "0");
            assert!(is_well_formed_image_id(&id));
            assert_eq!(parse_image_id(9, &id), Some((kind, key)));
            assert_ne!(parse_image_id(10, &id), Some((kind, key)));
            assert_ne!(image_id(10, kind, key), id);
        }
        let ami = image_id(9, ImageKind::Machine, key);
        // The hex is the key's whatever the prefix: the lookup checks the entry's kind.
        let aki = ami.replacen("ami-", "aki-", 1);
        assert_eq!(parse_image_id(9, &aki), Some((ImageKind::Kernel, key)));
        let upper = format!("ami-0{}", ami[5..].to_uppercase());
        if upper != ami {
            assert_eq!(parse_image_id(9, &upper), None);
        }
        assert_eq!(parse_image_id(9, "ami-1a2b3c4d"), None);
        assert_eq!(parse_image_id(9, "ami-1123456789abcdef0"), None);
    }

    #[test]
    fn resource_ids_round_trip_per_kind() {
        let block = (3u64 << 48) | (7 << 32) | 99;
        let kinds = [
            ResourceKind::Instance,
            ResourceKind::LaunchTemplate,
            ResourceKind::Snapshot,
            ResourceKind::Volume,
            ResourceKind::ImageUsageReport,
        ];
        for kind in kinds {
            let id = resource_id(5, kind, block);
            assert_eq!(id.len(), kind.prefix().len() + 17, "{id}");
            assert!(is_well_formed(kind, &id));
            assert_eq!(parse_resource_id(5, kind, &id), Some(block));
            assert_ne!(parse_resource_id(6, kind, &id), Some(block));
        }
        let instance = resource_id(5, ResourceKind::Instance, block);
        let snapshot = resource_id(5, ResourceKind::Snapshot, block);
        assert_ne!(instance[2..], snapshot[5..]);
        assert!(!is_well_formed(ResourceKind::Instance, "i-123"));
        assert!(!is_well_formed(
            ResourceKind::Instance,
            "lt-0123456789abcdef0"
        ));
    }

    #[test]
    fn malformed_ids_are_recognised() {
        for bad in [
            "ami-",
            "ami-xyz",
            "ami-0123456789abcdef",
            "aki-0123456789abcdef",
            "ari-1a2b3c4",
            "i-0123456789abcdef0",
            "aka-1a2b3c4d",
            "AMI-1a2b3c4d",
            "aki-1a2b3c4g",
            "",
        ] {
            assert!(!is_well_formed_image_id(bad), "{bad}");
        }
        for good in [
            "ami-1a2b3c4d",
            "aki-1a2b3c4d",
            "ari-1A2B3C4D",
            "aki-0123456789abcdef0",
            "ari-0123456789abcdef0",
        ] {
            assert!(is_well_formed_image_id(good), "{good}");
        }
    }
}
