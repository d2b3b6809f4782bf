//! The fake world's state: per region, one catalog per owner, each a compact list of
//! entries. An entry is 12 bytes (index, revision, traits); the image itself is rendered
//! from it on demand, which is what lets a million images fit in a few tens of MB.
//!
//! Invariant: a catalog's entries are sorted by index, and new images get indices above
//! every index ever used. Page positions (`NextToken`) are image indices, so a page
//! sequence stays consistent while mutations remove or append entries in between.
//!
//! The one thing an image cannot know from its own seeds is whether it is the newest of
//! its kind, which decides the public SSM parameter that resolves to it: each catalog
//! keeps those indices, recomputed whenever its entries change.
//!
//! Beside the catalogs, each enabled region keeps one `Estate` per configured account:
//! what the account has there besides images (see `estate`). The world also knows the
//! outsiders its images may be shared with (see `sharing`).

use std::collections::{HashMap, HashSet};

use super::caller::Caller;
use super::config::{AMAZON_OWNER_ID, FakeConfig, FakeRegion, FakeResources, MARKETPLACE_OWNER_ID};
use super::dice::{Dice, mix};
use super::estate::{self, Estate};
use super::generate::{Places, revision_seed, ssm_candidate, traits};
use super::request::ApiError;
use super::sharing::{self, Outsiders};
use super::usage_reports;

/// What kind of publisher owns a catalog; decides the families of images in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnerKind {
    /// One of the configured accounts: private images, a few shared or public.
    Account,
    /// Alias `amazon`: Amazon Linux, Windows and the like, all public.
    Amazon,
    /// Alias `aws-marketplace`: vendor images with product codes, all public.
    Marketplace,
}

/// An image owner. Its ordinal is its position in `World::owners` and in each region's
/// catalogs; configured accounts come first, in config order.
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub ordinal: u16,
    pub id: String,
    pub kind: OwnerKind,
}

impl Owner {
    /// The `imageOwnerAlias` EC2 reports (absent for ordinary accounts).
    pub(crate) fn alias(&self) -> Option<&'static str> {
        match self.kind {
            OwnerKind::Account => None,
            OwnerKind::Amazon => Some("amazon"),
            OwnerKind::Marketplace => Some("aws-marketplace"),
        }
    }
}

/// The life-cycle state of an image, as far as visibility needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    Available,
    Pending,
    Failed,
    Disabled,
}

/// What the visibility rules need to know about an image without rendering it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Traits {
    pub lifecycle: Lifecycle,
    pub public: bool,
    /// Its DeprecationTime is in the past (generated times are either before mid-2025
    /// or after 2030, so this does not drift with the clock).
    pub deprecated: bool,
}

/// One image of a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub index: u32,
    /// Bumped by a modification; the rendered content depends on it.
    pub revision: u32,
    pub traits: Traits,
}

/// The images one owner has in one region.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub entries: Vec<Entry>,
    /// The index the next image gets: above every index ever used.
    pub next_index: u32,
    /// Indices of the images a public SSM parameter resolves to, ascending.
    latest: Vec<u32>,
}

impl Catalog {
    /// Whether a public SSM parameter resolves to the image at `index` now.
    pub(crate) fn is_latest(&self, index: u32) -> bool {
        self.latest.binary_search(&index).is_ok()
    }

    /// The position of the first entry whose index is `index` or above.
    pub(crate) fn position_of(&self, index: u32) -> usize {
        self.entries.partition_point(|e| e.index < index)
    }

    pub(crate) fn get(&self, index: u32) -> Option<&Entry> {
        self.entries
            .get(self.position_of(index))
            .filter(|e| e.index == index)
    }
}

/// One region and its catalogs (none when the region is not enabled for any account).
#[derive(Debug, Clone)]
pub(crate) struct Region {
    pub name: String,
    pub ordinal: u16,
    /// Enabled for at least one account: it has catalogs and estates.
    pub enabled: bool,
    /// `None` when the region needs no opt-in; else the owner ordinals of the accounts
    /// that opted in to it, the only ones it serves.
    pub opted_in: Option<Vec<u16>>,
    /// Indexed by owner ordinal.
    pub catalogs: Vec<Catalog>,
    /// Indexed by account ordinal (the configured accounts are the first owners).
    pub estates: Vec<Estate>,
}

impl Region {
    /// Whether `caller` may call EC2 here: the region is enabled for its account.
    pub(crate) fn enabled_for(&self, caller: &Caller) -> bool {
        self.enabled && self.opted_in_by(caller.ordinal)
    }

    /// Whether the account of this owner ordinal (`None`: an account the fake does not
    /// know) can use the region as far as opt-in goes.
    pub(crate) fn opted_in_by(&self, owner: Option<u16>) -> bool {
        match &self.opted_in {
            None => true,
            Some(accounts) => owner.is_some_and(|o| accounts.contains(&o)),
        }
    }

    /// What `account` (an owner ordinal) has here besides images, if it is a configured
    /// account and the region is enabled.
    pub(crate) fn estate(&self, account: Option<u16>) -> Option<&Estate> {
        self.estates.get(usize::from(account?))
    }
}

/// Whether `region` is enabled for some configured account, and so has images.
fn served(region: &FakeRegion, config: &FakeConfig) -> bool {
    region.enabled || region.opted_in.iter().any(|a| config.accounts.contains(a))
}

/// Everything the fake serves.
#[derive(Debug, Clone)]
pub(crate) struct World {
    pub seed: u64,
    pub owners: Vec<Owner>,
    pub regions: Vec<Region>,
    /// What a copy's source is chosen from (see `generate::fixed`).
    pub places: Places,
    /// See [`FakeConfig::unknown_member_rate`].
    pub unknown_member_rate: f64,
    /// See [`FakeResources::recycle_bin_rate`].
    pub recycle_bin_rate: f64,
    /// [`FakeResources::share_rate`] in millionths.
    pub share_per_million: u32,
    /// The accounts and organizations outside the configured set images are shared
    /// with (see `sharing`).
    pub outsiders: Outsiders,
    /// See [`FakeResources::usage_report_pending_polls`].
    pub usage_report_pending_polls: u32,
    /// See [`FakeResources::usage_reports_on_wall_clock`].
    pub usage_reports_on_wall_clock: bool,
    /// Mutations so far: the fake's clock. Mutation `n` happens on day `n` after
    /// [`crate::timestamp::instant::Y2025_10`], when everything generated at the start
    /// had already happened, so times stay deterministic and never run backwards.
    pub clock: u32,
}

/// What one mutation removed from a region's catalogs, for the estates to follow.
#[derive(Debug, Clone, Default)]
pub(crate) struct Removed {
    /// `(owner ordinal, entry as it was)`, in catalog order.
    pub images: Vec<(u16, Entry)>,
}

/// What one mutation did, summed over every catalog.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MutationSummary {
    pub added: usize,
    pub deregistered: usize,
    pub modified: usize,
}

impl World {
    /// The world of `config` with the default [`FakeResources`].
    #[cfg(test)]
    pub(crate) fn new(config: &FakeConfig) -> World {
        World::with_resources(config, &FakeResources::default())
    }

    pub(crate) fn with_resources(config: &FakeConfig, resources: &FakeResources) -> World {
        let mut owners: Vec<Owner> = config
            .accounts
            .iter()
            .map(|id| (id.clone(), OwnerKind::Account))
            .chain([
                (AMAZON_OWNER_ID.to_string(), OwnerKind::Amazon),
                (MARKETPLACE_OWNER_ID.to_string(), OwnerKind::Marketplace),
            ])
            .enumerate()
            .map(|(ordinal, (id, kind))| Owner {
                ordinal: ordinal as u16,
                id,
                kind,
            })
            .collect();
        owners.shrink_to_fit();
        let amazon = owners
            .iter()
            .find(|o| o.kind == OwnerKind::Amazon)
            .map_or(0, |o| o.ordinal);
        let places = Places {
            regions: config
                .regions
                .iter()
                .map(|r| (r.name.clone(), served(r, config)))
                .collect(),
            amazon: (amazon, config.amazon_per_region as u32),
        };
        let taken: Vec<&str> = owners.iter().map(|o| o.id.as_str()).collect();
        let outsiders = Outsiders::generate(config.seed, &taken, resources);
        let mut world = World {
            seed: config.seed,
            owners,
            regions: Vec::new(),
            places,
            unknown_member_rate: config.unknown_member_rate,
            recycle_bin_rate: resources.recycle_bin_rate,
            share_per_million: (resources.share_rate.clamp(0.0, 1.0) * 1e6).round() as u32,
            outsiders,
            usage_report_pending_polls: resources.usage_report_pending_polls,
            usage_reports_on_wall_clock: resources.usage_reports_on_wall_clock,
            clock: 0,
        };
        for (ordinal, region) in config.regions.iter().enumerate() {
            let ordinal = ordinal as u16;
            let opted_in = (!region.enabled).then(|| {
                world
                    .owners
                    .iter()
                    .filter(|o| region.opted_in.contains(&o.id))
                    .map(|o| o.ordinal)
                    .collect::<Vec<u16>>()
            });
            let enabled = served(region, config);
            let catalogs = if enabled {
                world
                    .owners
                    .iter()
                    .map(|owner| {
                        let size = match owner.kind {
                            // An account that did not opt in owns nothing here.
                            OwnerKind::Account
                                if opted_in
                                    .as_ref()
                                    .is_some_and(|o| !o.contains(&owner.ordinal)) =>
                            {
                                0
                            }
                            OwnerKind::Account => config.owned_per_account_region,
                            OwnerKind::Amazon => config.amazon_per_region,
                            OwnerKind::Marketplace => config.marketplace_per_region,
                        };
                        let mut catalog = Catalog {
                            entries: Vec::with_capacity(size),
                            next_index: 0,
                            latest: Vec::new(),
                        };
                        world.append(&mut catalog, ordinal, owner, size);
                        catalog.latest = latest(world.seed, ordinal, owner, &catalog.entries);
                        catalog
                    })
                    .collect()
            } else {
                Vec::new()
            };
            world.regions.push(Region {
                name: region.name.clone(),
                ordinal,
                enabled,
                opted_in,
                catalogs,
                estates: Vec::new(),
            });
        }
        // Estates name images of every catalog of their region: generated once all are.
        for position in 0..world.regions.len() {
            let region = &world.regions[position];
            let estates = if region.enabled {
                world
                    .owners
                    .iter()
                    .filter(|o| o.kind == OwnerKind::Account)
                    .map(|account| {
                        if region.opted_in_by(Some(account.ordinal)) {
                            Estate::generate(&world, region, account, resources)
                        } else {
                            Estate::default()
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            world.regions[position].estates = estates;
        }
        // Reports count every estate's resources: made once all are.
        usage_reports::generate(&mut world, resources.usage_report_rate);
        world
    }

    pub(crate) fn owner(&self, ordinal: u16) -> Option<&Owner> {
        self.owners.get(usize::from(ordinal))
    }

    pub(crate) fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.name == name)
    }

    /// The region `caller` asks about, or EC2's AuthFailure when the region is not
    /// enabled for its account (or does not exist).
    pub(crate) fn region_for(&self, name: &str, caller: &Caller) -> Result<&Region, ApiError> {
        self.region(name)
            .filter(|r| r.enabled_for(caller))
            .ok_or_else(ApiError::auth_failure)
    }

    pub(crate) fn owner_by_id(&self, id: &str) -> Option<&Owner> {
        self.owners.iter().find(|o| o.id == id)
    }

    /// Whether the entry of this seed is shared with the configured account `ordinal`.
    pub(crate) fn shared_with(&self, entry_seed: u64, traits: Traits, ordinal: u16) -> bool {
        crate::generate::shared_with(entry_seed, traits, ordinal, self.share_per_million)
    }

    /// The seed every rendered value of an entry derives from.
    pub(crate) fn entry_seed(&self, region: u16, owner: u16, entry: &Entry) -> u64 {
        revision_seed(self.seed, region, owner, entry.index, entry.revision)
    }

    fn append(&self, catalog: &mut Catalog, region: u16, owner: &Owner, count: usize) {
        for _ in 0..count {
            let index = catalog.next_index;
            catalog.next_index += 1;
            catalog.entries.push(self.entry(region, owner, index, 0));
        }
    }

    fn entry(&self, region: u16, owner: &Owner, index: u32, revision: u32) -> Entry {
        let seed = revision_seed(self.seed, region, owner.ordinal, index, revision);
        Entry {
            index,
            revision,
            traits: traits(owner.kind, seed),
        }
    }

    /// Modifies, deregisters and adds about `churn / 3` of every catalog each, then lets
    /// every estate follow (see `estate::mutate`), outside sharing change (see
    /// `sharing::mutate`) and usage reports expire or fail (see `usage_reports::follow`).
    pub(crate) fn mutate(&mut self, churn: f64, seed: u64) -> MutationSummary {
        let mut summary = MutationSummary::default();
        let churn = churn.clamp(0.0, 1.5);
        let owners = self.owners.clone();
        let mut regions = std::mem::take(&mut self.regions);
        let mut removed = vec![Removed::default(); regions.len()];
        for (region, removed) in regions.iter_mut().zip(&mut removed) {
            for (catalog, owner) in region.catalogs.iter_mut().zip(&owners) {
                let each = (catalog.entries.len() as f64 * churn / 3.0).round() as usize;
                let mut dice = Dice::new(mix(seed, &[region.ordinal.into(), owner.ordinal.into()]));
                let chosen = distinct_positions(&mut dice, catalog.entries.len(), 2 * each);
                let (modify, remove) = chosen.split_at(each.min(chosen.len()));
                for &position in modify {
                    let old = catalog.entries[position];
                    catalog.entries[position] =
                        self.entry(region.ordinal, owner, old.index, old.revision + 1);
                }
                let remove: HashSet<usize> = remove.iter().copied().collect();
                let mut gone: Vec<usize> = remove.iter().copied().collect();
                gone.sort_unstable();
                removed.images.extend(
                    gone.into_iter()
                        .map(|position| (owner.ordinal, catalog.entries[position])),
                );
                let mut position = 0;
                catalog.entries.retain(|_| {
                    position += 1;
                    !remove.contains(&(position - 1))
                });
                self.append(catalog, region.ordinal, owner, each);
                catalog.latest = latest(self.seed, region.ordinal, owner, &catalog.entries);
                summary.modified += modify.len();
                summary.deregistered += remove.len();
                summary.added += each;
            }
        }
        self.regions = regions;
        self.clock += 1;
        estate::mutate(self, &removed, churn, seed);
        sharing::mutate(self, churn, seed);
        usage_reports::follow(self);
        summary
    }

    /// Number of images in enabled regions.
    pub(crate) fn image_count(&self) -> usize {
        self.regions
            .iter()
            .flat_map(|r| &r.catalogs)
            .map(|c| c.entries.len())
            .sum()
    }
}

/// Per public SSM parameter, the newest image published under it that is available and
/// not deprecated (ties go to the higher index). Only Amazon publishes parameters.
fn latest(world_seed: u64, region: u16, owner: &Owner, entries: &[Entry]) -> Vec<u32> {
    if owner.kind != OwnerKind::Amazon {
        return Vec::new();
    }
    let mut newest: HashMap<String, (i64, u32)> = HashMap::new();
    let current = entries
        .iter()
        .filter(|e| e.traits.lifecycle == Lifecycle::Available && !e.traits.deprecated);
    for entry in current {
        if let Some((parameter, created)) = ssm_candidate(world_seed, region, owner, entry.index) {
            let best = newest.entry(parameter).or_insert((created, entry.index));
            *best = (*best).max((created, entry.index));
        }
    }
    let mut latest: Vec<u32> = newest.into_values().map(|(_, index)| index).collect();
    latest.sort_unstable();
    latest
}

/// `count` distinct positions below `len` (fewer if `len` is smaller), in draw order
/// (Floyd's algorithm: no shuffle of the whole catalog).
fn distinct_positions(dice: &mut Dice, len: usize, count: usize) -> Vec<usize> {
    let count = count.min(len);
    let mut seen = HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    for j in len - count..len {
        let t = dice.below(j as u64 + 1) as usize;
        let pick = if seen.contains(&t) { j } else { t };
        seen.insert(pick);
        out.push(pick);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FakeRegion, Faults};

    fn config() -> FakeConfig {
        FakeConfig {
            seed: 3,
            accounts: vec!["111111111111".into(), "222222222222".into()],
            regions: vec![
                FakeRegion {
                    name: "us-east-1".into(),
                    enabled: true,
                    opted_in: Vec::new(),
                },
                FakeRegion {
                    name: "me-central-1".into(),
                    enabled: false,
                    opted_in: Vec::new(),
                },
            ],
            owned_per_account_region: 600,
            amazon_per_region: 900,
            marketplace_per_region: 300,
            faults: Faults::default(),
            unknown_member_rate: 0.0,
        }
    }

    #[test]
    fn catalogs_have_the_configured_sizes() {
        let world = World::new(&config());
        let sizes: Vec<usize> = world.regions[0]
            .catalogs
            .iter()
            .map(|c| c.entries.len())
            .collect();
        assert_eq!(sizes, vec![600, 600, 900, 300]);
        assert!(world.regions[1].catalogs.is_empty());
        assert_eq!(world.image_count(), 2400);
    }

    #[test]
    fn mutation_counts_follow_churn_and_are_deterministic() {
        let mut a = World::new(&config());
        let mut b = World::new(&config());
        let summary = a.mutate(0.03, 7);
        // 1% each of 600 + 600 + 900 + 300 images.
        assert_eq!(
            summary,
            MutationSummary {
                added: 24,
                deregistered: 24,
                modified: 24
            }
        );
        assert_eq!(b.mutate(0.03, 7), summary);
        assert_eq!(
            a.regions[0].catalogs[0].entries,
            b.regions[0].catalogs[0].entries
        );
        assert_eq!(a.image_count(), 2400);
        let catalog = &a.regions[0].catalogs[0];
        assert!(catalog.entries.windows(2).all(|w| w[0].index < w[1].index));
        assert_eq!(
            catalog.entries.iter().filter(|e| e.revision == 1).count(),
            6
        );
        assert_eq!(catalog.entries.last().unwrap().index, 605);
    }

    #[test]
    fn only_amazon_publishes_parameters_and_mutations_keep_them_current() {
        let mut world = World::new(&config());
        let amazon = 2;
        let latest = |world: &World| world.regions[0].catalogs[amazon].latest.clone();
        let before = latest(&world);
        assert!(!before.is_empty());
        assert!(before.windows(2).all(|w| w[0] < w[1]));
        for (ordinal, catalog) in world.regions[0].catalogs.iter().enumerate() {
            let others = ordinal != amazon;
            assert_eq!(catalog.latest.is_empty(), others, "owner {ordinal}");
        }
        world.mutate(0.6, 9);
        let after = latest(&world);
        assert_ne!(after, before, "new and deregistered images move parameters");
        let catalog = &world.regions[0].catalogs[amazon];
        for index in &after {
            let entry = catalog.get(*index).expect("a listed image");
            assert!(!entry.traits.deprecated);
        }
    }

    #[test]
    fn distinct_positions_are_distinct() {
        let mut dice = Dice::new(1);
        let mut picks = distinct_positions(&mut dice, 50, 50);
        picks.sort();
        assert_eq!(picks, (0..50).collect::<Vec<_>>());
        assert_eq!(distinct_positions(&mut dice, 3, 10).len(), 3);
    }
}
