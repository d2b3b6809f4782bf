//! EBS snapshots and DescribeSnapshots. An account's snapshots in a region are those
//! its registered images were made from (each image's root, unless it was registered
//! from an earlier image's root snapshot, and its data volume), those that outlived the
//! image they were made for (kept by their owner, in use by another image, or of an
//! image in the Recycle Bin), and orphans (backups nobody registered).
//!
//! A snapshot is identified by a [`SnapshotKey`]: the index of the image it was made
//! for and the mapping's slot, or an orphan's serial. The snapshots of registered
//! images are never stored (they follow from the catalog); the others are the estate's
//! `retained` keys. Listing merges the two in key order, so a page costs its size.

use amiq_image::{EbsBlockDevice, Tag};

use super::caller::{Caller, is_account_id};
use super::catalog::{Lifecycle, Owner, Region, World};
use super::dice::{Dice, mix};
use super::estate::Estate;
use super::filter::{FieldFilter, tag_texts};
use super::generate::{Fixed, fixed, root_origin};
use super::ids::{
    ImageKey, ImageKind, ResourceKind, hex_id, image_id, is_well_formed, parse_resource_id,
    resource_id,
};
use super::paging::{Binding, Page, all_pages};
use super::request::{ApiError, Params, check_max_results};
use super::timestamp::{instant, iso8601};
use super::token::Position;
use super::xml::{element, flag, number, opt, response, set, tag_set};

/// The `MaxResults` DescribeSnapshots accepts ("between 5 and 1,000", as the API
/// reference long put it and the fake enforces).
pub const SNAPSHOTS_MAX_RESULTS: std::ops::RangeInclusive<i32> = 5..=1000;

/// The device an account's image maps its data volume to.
pub(crate) const DATA_DEVICE: &str = "/dev/sdf";
/// Orphans' serials start here, after every image index a catalog uses.
pub(crate) const ORPHAN_BASE: u32 = 0xE000_0000;

const SALT: u64 = 0x736e_6170;
const GIB: i64 = 1 << 30;

/// Which of an image's volumes a snapshot is of, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Slot {
    Root = 0,
    Data = 1,
    Orphan = 2,
}

/// What a snapshot is of: `(index, slot)`, ordered as listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SnapshotKey {
    pub index: u32,
    pub slot: Slot,
}

impl SnapshotKey {
    /// Packed so that packed keys order as keys do.
    pub(crate) fn pack(self) -> u64 {
        (u64::from(self.index) << 2) | self.slot as u64
    }

    pub(crate) fn unpack(packed: u64) -> Option<SnapshotKey> {
        let slot = match packed & 3 {
            0 => Slot::Root,
            1 => Slot::Data,
            2 => Slot::Orphan,
            _ => return None,
        };
        Some(SnapshotKey {
            index: (packed >> 2) as u32,
            slot,
        })
    }
}

/// Packs a snapshot's coordinates (owner ordinals below 2^14) for its id.
fn block(region: u16, owner: u16, key: SnapshotKey) -> u64 {
    (u64::from(region) << 48)
        | (u64::from(owner & 0x3fff) << 34)
        | ((key.slot as u64) << 32)
        | u64::from(key.index)
}

/// `snap-0…`: the id of the snapshot `key` of `owner` in `region`.
pub(crate) fn snapshot_id(world_seed: u64, region: u16, owner: u16, key: SnapshotKey) -> String {
    resource_id(
        world_seed,
        ResourceKind::Snapshot,
        block(region, owner, key),
    )
}

/// `vol-0…`: the volume the snapshot was taken of.
fn volume_id(world_seed: u64, region: u16, owner: u16, key: SnapshotKey) -> String {
    resource_id(world_seed, ResourceKind::Volume, block(region, owner, key))
}

/// What DescribeSnapshots returns for one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub snapshot_id: String,
    pub volume_id: String,
    /// GiB.
    pub volume_size: i32,
    /// Absent for older snapshots, as EC2 leaves it.
    pub full_snapshot_size_in_bytes: Option<i64>,
    /// `standard` or `archive`.
    pub storage_tier: String,
    pub start_time: String,
    pub encrypted: bool,
    pub kms_key_id: Option<String>,
    pub description: Option<String>,
    /// `pending` (of an image still pending) or `completed`.
    pub state: String,
    pub progress: String,
    pub owner_id: String,
    pub tags: Option<Vec<Tag>>,
}

/// Describes one account's snapshots in one region, in key order.
pub(crate) struct Lister<'a> {
    world: &'a World,
    region: &'a Region,
    account: &'a Owner,
    estate: &'a Estate,
}

impl<'a> Lister<'a> {
    pub(crate) fn new(
        world: &'a World,
        region: &'a Region,
        account: &'a Owner,
        estate: &'a Estate,
    ) -> Lister<'a> {
        Lister {
            world,
            region,
            account,
            estate,
        }
    }

    fn dice(&self, key: SnapshotKey) -> Dice {
        Dice::new(mix(
            self.world.seed,
            &[
                SALT,
                self.region.ordinal.into(),
                self.account.ordinal.into(),
                key.pack(),
            ],
        ))
    }

    /// The snapshots the image at `index` was made with, keyed at or after `from`; the
    /// image's life-cycle if it is registered.
    fn of_image(
        &self,
        index: u32,
        lifecycle: Option<Lifecycle>,
        from: u64,
    ) -> Vec<(SnapshotKey, Snapshot)> {
        let fixed = fixed(
            self.world.seed,
            self.region,
            &self.world.places,
            self.account,
            index,
        );
        let own_root =
            root_origin(self.world.seed, self.region.ordinal, self.account, index) == index;
        let image = image_id(
            self.world.seed,
            ImageKind::Machine,
            ImageKey {
                region: self.region.ordinal,
                owner: self.account.ordinal,
                index,
            },
        );
        let mut out = Vec::with_capacity(2);
        for (n, mapping) in fixed.block_device_mappings.iter().enumerate() {
            let slot = match (n, mapping.device_name.as_deref()) {
                (0, _) if own_root => Slot::Root,
                (_, Some(DATA_DEVICE)) => Slot::Data,
                _ => continue,
            };
            let key = SnapshotKey { index, slot };
            if let (true, Some(ebs)) = (key.pack() >= from, &mapping.ebs) {
                out.push((key, self.of_volume(key, &fixed, ebs, &image, lifecycle)));
            }
        }
        out
    }

    fn of_volume(
        &self,
        key: SnapshotKey,
        fixed: &Fixed,
        ebs: &EbsBlockDevice,
        image: &str,
        lifecycle: Option<Lifecycle>,
    ) -> Snapshot {
        let mut dice = self.dice(key);
        let (seed, region, owner) = (self.world.seed, self.region.ordinal, self.account.ordinal);
        let volume = volume_id(seed, region, owner, key);
        let started = fixed.created - dice.range(120, 1_800);
        let description = match (&fixed.source_instance_id, &fixed.source) {
            (Some(instance), _) => Some(format!(
                "Created by CreateImage({instance}) for {image} from {volume}"
            )),
            (None, Some((source, _))) => Some(format!(
                "Copied for DestinationAmi {image} from SourceAmi {source} for SourceSnapshot {}",
                hex_id("snap-0", dice.next_u64())
            )),
            (None, None) if dice.chance(0.35) => None,
            (None, None) => Some(format!(
                "{} {} volume",
                fixed.blueprint.name,
                if key.slot == Slot::Root {
                    "root"
                } else {
                    "data"
                }
            )),
        };
        let size = ebs.volume_size.unwrap_or(8);
        let (state, progress) = match lifecycle {
            Some(Lifecycle::Pending) => ("pending", format!("{}%", 10 + dice.below(80))),
            _ => ("completed", "100%".to_string()),
        };
        // Only snapshots no registered image uses can be archived.
        let archived = lifecycle.is_none() && dice.chance(0.2);
        Snapshot {
            snapshot_id: ebs.snapshot_id.clone().unwrap_or_default(),
            volume_id: volume,
            volume_size: size,
            full_snapshot_size_in_bytes: full_size(&mut dice, started, size),
            storage_tier: if archived { "archive" } else { "standard" }.into(),
            start_time: iso8601(started, fixed.millis),
            encrypted: ebs.encrypted.unwrap_or(false),
            kms_key_id: ebs.kms_key_id.clone(),
            description,
            state: state.into(),
            progress,
            owner_id: self.account.id.clone(),
            tags: tags(&mut dice, &fixed.blueprint.name, key.slot),
        }
    }

    /// A snapshot no image was registered from.
    fn orphan(&self, key: SnapshotKey) -> Snapshot {
        let mut dice = self.dice(key);
        let (seed, region, owner) = (self.world.seed, self.region.ordinal, self.account.ordinal);
        let volume = volume_id(seed, region, owner, key);
        let size = *dice.pick(&[8, 20, 30, 50, 100, 200, 500, 1000]);
        let started = dice.range(instant::Y2019, instant::Y2025_10);
        let description = match dice.below(5) {
            0 => None,
            1 => Some(format!("Daily backup of {volume}")),
            2 => Some("This snapshot is created by the AWS Backup service.".into()),
            3 => Some("before kernel upgrade & reboot <prod>".into()),
            _ => Some(format!(
                "Created for policy: {} schedule: Default Schedule",
                hex_id("policy-0", dice.next_u64())
            )),
        };
        let encrypted = dice.chance(0.4);
        let kms_key_id = encrypted.then(|| {
            format!(
                "arn:aws:kms:{}:{}:key/{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                self.region.name,
                self.account.id,
                dice.next_u64() >> 32,
                dice.below(0x1_0000),
                dice.below(0x1000),
                dice.below(0x1000),
                dice.next_u64() & 0xffff_ffff_ffff
            )
        });
        let archived = dice.chance(0.25);
        Snapshot {
            snapshot_id: snapshot_id(seed, region, owner, key),
            volume_id: volume,
            volume_size: size,
            full_snapshot_size_in_bytes: full_size(&mut dice, started, size),
            storage_tier: if archived { "archive" } else { "standard" }.into(),
            start_time: iso8601(started, dice.below(1000)),
            encrypted,
            kms_key_id,
            description,
            state: "completed".into(),
            progress: "100%".into(),
            owner_id: self.account.id.clone(),
            tags: tags(&mut dice, "backup", key.slot),
        }
    }

    /// A snapshot of the estate's `retained` list.
    fn retained(&self, key: SnapshotKey) -> Option<Snapshot> {
        match key.slot {
            Slot::Orphan => Some(self.orphan(key)),
            _ => self
                .of_image(key.index, None, key.pack())
                .into_iter()
                .find(|(k, _)| *k == key)
                .map(|(_, s)| s),
        }
    }

    /// Calls `each` with every snapshot keyed at or after `from` (packed), in key order,
    /// while it returns `true`.
    pub(crate) fn walk(&self, from: u64, mut each: impl FnMut(SnapshotKey, Snapshot) -> bool) {
        let entries = self
            .region
            .catalogs
            .get(usize::from(self.account.ordinal))
            .map(|c| &c.entries[c.position_of((from >> 2) as u32)..])
            .unwrap_or_default();
        let retained = &self.estate.retained[self.estate.retained.partition_point(|k| *k < from)..];
        let (mut e, mut r) = (0, 0);
        let mut buffer = std::collections::VecDeque::new();
        loop {
            if buffer.is_empty() && e < entries.len() {
                let entry = &entries[e];
                e += 1;
                buffer.extend(self.of_image(entry.index, Some(entry.traits.lifecycle), from));
                continue;
            }
            let next_retained = retained.get(r).and_then(|k| SnapshotKey::unpack(*k));
            let take_retained = match (buffer.front(), next_retained) {
                (None, None) => return,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((key, _)), Some(k)) => k < *key,
            };
            let (key, snapshot) = if take_retained {
                r += 1;
                let Some(key) = next_retained else { continue };
                match self.retained(key) {
                    Some(snapshot) => (key, snapshot),
                    None => continue,
                }
            } else {
                match buffer.pop_front() {
                    Some(item) => item,
                    None => continue,
                }
            };
            if !each(key, snapshot) {
                return;
            }
        }
    }

    /// The snapshot `key`, if the account has it.
    fn find(&self, key: SnapshotKey) -> Option<Snapshot> {
        if self.estate.retained.binary_search(&key.pack()).is_ok() {
            return self.retained(key);
        }
        let entry = self
            .region
            .catalogs
            .get(usize::from(self.account.ordinal))?
            .get(key.index)?;
        self.of_image(key.index, Some(entry.traits.lifecycle), key.pack())
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| s)
    }
}

/// The bytes written to the volume, for snapshots started since 2021 (most of them).
fn full_size(dice: &mut Dice, started: i64, size_gib: i32) -> Option<i64> {
    let fill = dice.range(15, 95);
    (started >= instant::Y2021 && !dice.chance(0.1)).then(|| i64::from(size_gib) * GIB * fill / 100)
}

/// Most snapshots carry no tags, a few an empty set, some a name.
fn tags(dice: &mut Dice, name: &str, slot: Slot) -> Option<Vec<Tag>> {
    match dice.below(10) {
        0..=5 => None,
        6 => Some(Vec::new()),
        _ => {
            let suffix = match slot {
                Slot::Root => "root",
                Slot::Data => "data",
                Slot::Orphan => "volume",
            };
            Some(vec![Tag {
                key: Some("Name".into()),
                value: Some(format!("{name}-{suffix}")),
            }])
        }
    }
}

/// A DescribeSnapshots request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SnapshotsRequest {
    /// `Owner.N`: `self`, account ids, `amazon`.
    pub owners: Vec<String>,
    pub snapshot_ids: Vec<String>,
    /// `RestorableBy.N`: `self`, `all`, account ids.
    pub restorable_by: Vec<String>,
    pub filters: Vec<(String, Vec<String>)>,
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
}

impl SnapshotsRequest {
    pub(crate) fn from_params(params: &Params) -> Result<SnapshotsRequest, ApiError> {
        Ok(SnapshotsRequest {
            owners: params.list("Owner"),
            snapshot_ids: params.list("SnapshotId"),
            restorable_by: params.list("RestorableBy"),
            filters: params.filters(),
            max_results: params.max_results()?,
            next_token: params.get("NextToken").map(String::from),
        })
    }

    /// The caller's own snapshots: owners and restorers that include it (the fake has
    /// no public snapshots, nor any shared with an account).
    fn includes_own(&self, caller: &Caller) -> Result<bool, ApiError> {
        let is_caller = |v: &String| v == "self" || *v == caller.account;
        for owner in &self.owners {
            if !(owner == "self" || owner == "amazon" || is_account_id(owner)) {
                return Err(ApiError::new(
                    400,
                    "InvalidUserID.Malformed",
                    format!("Invalid user id: \"{owner}\""),
                ));
            }
        }
        let by_owner = self.owners.is_empty() || self.owners.iter().any(is_caller);
        let by_restorer = self.restorable_by.is_empty() || self.restorable_by.iter().any(is_caller);
        Ok(by_owner && by_restorer)
    }

    /// What the token binds: everything but the page size and position.
    fn binding(&self) -> SnapshotsRequest {
        SnapshotsRequest {
            max_results: None,
            next_token: None,
            ..self.clone()
        }
    }
}

/// Filter names of DescribeSnapshots besides `tag:<key>`.
const FILTERS: [&str; 13] = [
    "description",
    "encrypted",
    "owner-alias",
    "owner-id",
    "progress",
    "snapshot-id",
    "start-time",
    "status",
    "storage-tier",
    "tag-key",
    "transfer-type",
    "volume-id",
    "volume-size",
];

fn passes(filter: &FieldFilter, s: &Snapshot) -> bool {
    if let Some(texts) = tag_texts(filter, &s.tags) {
        return filter.matches(texts);
    }
    let size = s.volume_size.to_string();
    let text: Option<&str> = match filter.name.as_str() {
        "description" => s.description.as_deref(),
        "encrypted" => Some(if s.encrypted { "true" } else { "false" }),
        "owner-id" => Some(&s.owner_id),
        "progress" => Some(&s.progress),
        "snapshot-id" => Some(&s.snapshot_id),
        "start-time" => Some(&s.start_time),
        "status" => Some(&s.state),
        "storage-tier" => Some(&s.storage_tier),
        "volume-id" => Some(&s.volume_id),
        "volume-size" => Some(&size),
        // No snapshot here has an owner alias or was copied with a transfer type.
        _ => None,
    };
    filter.matches(text)
}

/// The page of DescribeSnapshots for `caller` in `region`.
pub(crate) fn page(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &SnapshotsRequest,
) -> Result<Page<Snapshot>, ApiError> {
    let region = world.region_for(region, caller)?;
    check_max_results(request.max_results, SNAPSHOTS_MAX_RESULTS)?;
    let filters = FieldFilter::parse_all(&request.filters, &FILTERS)?;
    if let Some(bad) = request
        .snapshot_ids
        .iter()
        .find(|id| !is_well_formed(ResourceKind::Snapshot, id))
    {
        return Err(ApiError::new(
            400,
            "InvalidSnapshotID.Malformed",
            format!("Invalid id: \"{bad}\" (expecting \"snap-...\")"),
        ));
    }
    let binding = Binding::new(
        caller,
        &region.name,
        "DescribeSnapshots",
        &request.binding(),
    );
    let start = binding.start(request.next_token.as_deref())?;
    let own = request.includes_own(caller)?;
    let empty = Estate::default();
    let estate = region.estate(caller.ordinal).unwrap_or(&empty);
    let account = caller.ordinal.and_then(|o| world.owner(o));
    let lister = account.map(|account| Lister::new(world, region, account, estate));
    if !request.snapshot_ids.is_empty() {
        return named(
            world,
            region,
            caller,
            lister.as_ref(),
            request,
            &filters,
            own,
        );
    }
    let mut page = Page {
        items: Vec::new(),
        next_token: None,
    };
    let Some(lister) = lister.filter(|_| own) else {
        return Ok(page);
    };
    let limit = request.max_results.map_or(usize::MAX, |m| m as usize);
    let from = (u64::from(start.index) << 2) | u64::from(start.owner);
    let mut last = None;
    lister.walk(from, |key, snapshot| {
        if !filters.iter().all(|f| passes(f, &snapshot)) {
            return true;
        }
        if page.items.len() == limit {
            // One more exists: the page ends before it.
            page.next_token = last.map(|key: SnapshotKey| {
                let next = key.pack() + 1;
                binding.token(Position {
                    owner: (next & 3) as u16,
                    index: (next >> 2) as u32,
                })
            });
            return false;
        }
        last = Some(key);
        page.items.push(snapshot);
        true
    });
    Ok(page)
}

/// `SnapshotId.N`: each must be one of the caller's snapshots here.
fn named(
    world: &World,
    region: &Region,
    caller: &Caller,
    lister: Option<&Lister>,
    request: &SnapshotsRequest,
    filters: &[FieldFilter],
    own: bool,
) -> Result<Page<Snapshot>, ApiError> {
    let mut found: Vec<(SnapshotKey, Snapshot)> = Vec::new();
    let mut missing = Vec::new();
    for id in &request.snapshot_ids {
        let snapshot = parse_resource_id(world.seed, ResourceKind::Snapshot, id)
            .filter(|b| (b >> 48) as u16 == region.ordinal)
            .filter(|b| {
                caller
                    .ordinal
                    .is_some_and(|o| ((b >> 34) & 0x3fff) as u16 == o & 0x3fff)
            })
            .and_then(|b| SnapshotKey::unpack((u64::from(b as u32) << 2) | ((b >> 32) & 3)))
            .and_then(|key| Some((key, lister?.find(key)?)));
        match snapshot {
            Some(hit) => found.push(hit),
            None => missing.push(id.as_str()),
        }
    }
    if let Some(first) = missing.first() {
        return Err(ApiError::new(
            400,
            "InvalidSnapshot.NotFound",
            format!("The snapshot '{first}' does not exist."),
        ));
    }
    found.sort_by_key(|(key, _)| *key);
    found.dedup_by_key(|(key, _)| *key);
    let items = found
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| own && filters.iter().all(|f| passes(f, s)))
        .collect();
    Ok(Page {
        items,
        next_token: None,
    })
}

/// Every snapshot `caller` owns in `region`, in the order DescribeSnapshots pages them.
pub(crate) fn all(world: &World, caller: &Caller, region: &str) -> Vec<Snapshot> {
    let mut request = SnapshotsRequest {
        owners: vec!["self".into()],
        max_results: Some(1000),
        ..Default::default()
    };
    all_pages(|token| {
        request.next_token = token;
        page(world, caller, region, &request)
    })
    .unwrap_or_default()
}

/// The whole answer.
pub(crate) fn write(request_id: &str, page: &Page<Snapshot>) -> String {
    response(
        "DescribeSnapshots",
        request_id,
        page.next_token.as_deref(),
        |out| {
            set(out, "snapshotSet", &page.items, write_item);
        },
    )
}

fn write_item(out: &mut String, s: &Snapshot) {
    element(out, "snapshotId", &s.snapshot_id);
    element(out, "volumeId", &s.volume_id);
    element(out, "status", &s.state);
    element(out, "startTime", &s.start_time);
    element(out, "progress", &s.progress);
    element(out, "ownerId", &s.owner_id);
    number(out, "volumeSize", s.volume_size);
    opt(out, "description", &s.description);
    flag(out, "encrypted", s.encrypted);
    opt(out, "kmsKeyId", &s.kms_key_id);
    tag_set(out, &s.tags);
    element(out, "storageTier", &s.storage_tier);
    if let Some(bytes) = s.full_snapshot_size_in_bytes {
        number(out, "fullSnapshotSizeInBytes", bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_pack_in_order() {
        let keys = [
            SnapshotKey {
                index: 0,
                slot: Slot::Root,
            },
            SnapshotKey {
                index: 0,
                slot: Slot::Data,
            },
            SnapshotKey {
                index: 1,
                slot: Slot::Root,
            },
            SnapshotKey {
                index: ORPHAN_BASE,
                slot: Slot::Orphan,
            },
        ];
        for pair in keys.windows(2) {
            assert!(pair[0] < pair[1] && pair[0].pack() < pair[1].pack());
        }
        for key in keys {
            assert_eq!(SnapshotKey::unpack(key.pack()), Some(key));
        }
        assert_eq!(SnapshotKey::unpack(3), None);
    }
}
