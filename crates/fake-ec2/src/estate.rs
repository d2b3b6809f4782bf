//! What an account has in a region besides its images: instances, launch templates, SSM
//! parameters, Image Builder recipes, snapshots that outlived their images, its Recycle
//! Bin, its image settings, what mutations did to its images' sharing outside the
//! configured accounts, and its AMI usage reports. Compact like the catalogs: a resource is a few numbers
//! (a serial, the image it names, a state), and everything a call shows of it is
//! derived from seeds when it is described.
//!
//! Resources name images by [`ImageRef`], which stays valid after the image is gone:
//! an instance keeps the revision EC2 last knew, so DescribeInstanceImageMetadata can
//! still describe a deregistered image.

use std::collections::HashMap;

use super::catalog::{Catalog, Entry, Lifecycle, Owner, OwnerKind, Region, Removed, World};
use super::config::FakeResources;
use super::dice::{Dice, mix};
use super::generate::{PRIOR_BASE, SHARE_REACH, creation, fixed, root_origin};
use super::ids::{ImageKey, ImageKind};
use super::instances::{Instance, InstanceState};
use super::launch_templates::LaunchTemplate;
use super::parameters::Parameter;
use super::recipes::Recipe;
use super::recycle_bin::BinEntry;
use super::settings::SettingsRevisions;
use super::sharing::OutsideChange;
use super::snapshots::{DATA_DEVICE, ORPHAN_BASE, Slot, SnapshotKey};
use super::timestamp::instant;
use super::usage_reports::Report;

const DAY: i64 = 86_400;

/// Salts of the streams estates draw from.
mod salt {
    pub const GENERATE: u64 = 0x6573_7461;
    pub const MUTATE: u64 = 0x6d75_7461;
}

/// An image a resource names: its owner's ordinal and its index in that owner's catalog
/// of the resource's region. The image may have been deregistered since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ImageRef {
    pub owner: u16,
    pub index: u32,
}

impl ImageRef {
    pub(crate) fn key(self, region: u16) -> ImageKey {
        ImageKey {
            region,
            owner: self.owner,
            index: self.index,
        }
    }
}

/// One account's resources in one region.
#[derive(Debug, Clone, Default)]
pub(crate) struct Estate {
    /// Ascending by serial; terminated ones stay until the next mutation (EC2 shows
    /// recently terminated instances for a while).
    pub instances: Vec<Instance>,
    pub next_instance: u32,
    /// Ascending by serial.
    pub launch_templates: Vec<LaunchTemplate>,
    pub next_launch_template: u32,
    /// Ascending by serial.
    pub parameters: Vec<Parameter>,
    pub next_parameter: u32,
    /// Ascending by serial; a new version of a recipe is a new recipe of the same name.
    pub recipes: Vec<Recipe>,
    pub next_recipe: u32,
    /// Snapshots that outlived the image they were made for, and orphans: packed
    /// [`SnapshotKey`]s, ascending. The snapshots of registered images are not stored:
    /// they follow from the catalog.
    pub retained: Vec<u64>,
    pub next_orphan: u32,
    /// Ascending by image index.
    pub recycle_bin: Vec<BinEntry>,
    /// The retention period of the account's Recycle Bin rule for images here.
    pub retention_days: u32,
    pub settings: SettingsRevisions,
    /// What mutations did to the outside sharing of the account's images, ascending by
    /// image index (see `sharing`).
    pub outside: Vec<OutsideChange>,
    /// The account's AMI usage reports here, ascending by serial; expired ones are
    /// deleted by the next mutation.
    pub usage_reports: Vec<Report>,
    pub next_report: u32,
    /// Where each image's instances are in `instances`, built when first asked for
    /// (DescribeImageReferences asks about ten images a call: a scan per call made the
    /// endpoint the benchmark's bottleneck, docs/decisions/0010-cleanup-at-scale.md) and
    /// dropped by `mutate`.
    pub instances_by_image: std::sync::OnceLock<HashMap<ImageRef, Vec<u32>>>,
}

impl Estate {
    /// The positions in `instances` of the instances launched from `image`, ascending.
    pub(crate) fn instances_of(&self, image: ImageRef) -> &[u32] {
        self.instances_by_image
            .get_or_init(|| {
                let mut by_image: HashMap<ImageRef, Vec<u32>> = HashMap::new();
                for (at, instance) in self.instances.iter().enumerate() {
                    by_image.entry(instance.image).or_default().push(at as u32);
                }
                by_image
            })
            .get(&image)
            .map_or(&[], Vec::as_slice)
    }

    /// The estate `account` starts with in `region`, whose catalogs are all generated.
    pub(crate) fn generate(
        world: &World,
        region: &Region,
        account: &Owner,
        resources: &FakeResources,
    ) -> Estate {
        let mut dice = Dice::new(mix(
            world.seed,
            &[
                salt::GENERATE,
                region.ordinal.into(),
                account.ordinal.into(),
            ],
        ));
        let prior = 2 * resources.recycle_bin_per_account_region as u32;
        let picker = Picker {
            world,
            region,
            account,
            prior,
        };
        let mut estate = Estate {
            retention_days: *dice.pick(&[7, 10, 14, 30]),
            ..Estate::default()
        };
        // Images deregistered before the start: every other one still in the Bin, the
        // snapshots of all of them kept.
        for n in 0..prior {
            let index = PRIOR_BASE + n;
            if n % 2 == 0 {
                let span = estate.retention_days as i64 * DAY - 3_600;
                let entered = instant::Y2025_10 - dice.range(3_600, span);
                estate.recycle_bin.push(BinEntry {
                    index,
                    revision: 0,
                    entered: entered as u32,
                });
            }
            for key in image_snapshot_keys(world, region, account, index) {
                estate.retained.push(key.pack());
            }
        }
        for _ in 0..resources.orphan_snapshots_per_account_region {
            estate.add_orphan();
        }
        for _ in 0..resources.instances_per_account_region {
            let serial = estate.next_instance;
            estate.next_instance += 1;
            if let Some(instance) = picker.instance(&mut dice, serial, None) {
                estate.instances.push(instance);
            }
        }
        for _ in 0..resources.launch_templates_per_account_region {
            let serial = estate.next_launch_template;
            estate.next_launch_template += 1;
            estate
                .launch_templates
                .push(picker.launch_template(&mut dice, serial));
        }
        for _ in 0..resources.ssm_parameters_per_account_region {
            let serial = estate.next_parameter;
            estate.next_parameter += 1;
            if let Some(image) = picker.parameter_image(&mut dice) {
                estate.parameters.push(Parameter { serial, image });
            }
        }
        for _ in 0..resources.image_recipes_per_account_region {
            let serial = estate.next_recipe;
            estate.next_recipe += 1;
            if let Some(image) = picker.recipe_image(&mut dice) {
                estate.recipes.push(Recipe::first(serial, image));
            }
        }
        estate.retained.sort_unstable();
        estate.retained.dedup();
        estate
    }

    fn add_orphan(&mut self) {
        let key = SnapshotKey {
            index: ORPHAN_BASE + self.next_orphan,
            slot: Slot::Orphan,
        };
        self.next_orphan += 1;
        self.retain(key);
    }

    fn retain(&mut self, key: SnapshotKey) {
        let packed = key.pack();
        if let Err(at) = self.retained.binary_search(&packed) {
            self.retained.insert(at, packed);
        }
    }

    fn forget(&mut self, key: SnapshotKey) -> bool {
        match self.retained.binary_search(&key.pack()) {
            Ok(at) => {
                self.retained.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// What mutations did to the outside sharing of the account's image at `index`.
    pub(crate) fn outside_change(&self, index: u32) -> Option<&OutsideChange> {
        self.outside
            .binary_search_by_key(&index, |c| c.index)
            .ok()
            .map(|at| &self.outside[at])
    }

    pub(crate) fn in_recycle_bin(&self, index: u32) -> bool {
        self.recycle_bin
            .binary_search_by_key(&index, |e| e.index)
            .is_ok()
    }
}

/// The snapshots the image at `index` of `account` made when it was registered: its
/// root (unless it reused another image's) and its data volume, if any.
pub(crate) fn image_snapshot_keys(
    world: &World,
    region: &Region,
    account: &Owner,
    index: u32,
) -> Vec<SnapshotKey> {
    let mut keys = Vec::with_capacity(2);
    if root_origin(world.seed, region.ordinal, account, index) == index {
        keys.push(SnapshotKey {
            index,
            slot: Slot::Root,
        });
    }
    let fixed = fixed(world.seed, region, &world.places, account, index);
    if fixed
        .block_device_mappings
        .iter()
        .any(|m| m.device_name.as_deref() == Some(DATA_DEVICE))
    {
        keys.push(SnapshotKey {
            index,
            slot: Slot::Data,
        });
    }
    keys
}

/// Picks the images resources name, from one region's catalogs.
struct Picker<'a> {
    world: &'a World,
    region: &'a Region,
    account: &'a Owner,
    /// Images deregistered before the start (indices from `PRIOR_BASE`).
    prior: u32,
}

/// Where an image an instance is launched from comes from.
enum Source {
    Own,
    Shared,
    Amazon,
    Prior,
}

impl Picker<'_> {
    fn catalog(&self, owner: u16) -> Option<&Catalog> {
        self.region.catalogs.get(usize::from(owner))
    }

    /// One of the account's registered images; `recent` picks among the newest tenth
    /// (what a pipeline just built), `launchable` only available ones.
    fn own(&self, dice: &mut Dice, recent: bool, launchable: bool) -> Option<(ImageRef, u32)> {
        let entries = &self.catalog(self.account.ordinal)?.entries;
        if entries.is_empty() {
            return None;
        }
        let from = if recent {
            entries.len() - (entries.len() / 10).max(1)
        } else {
            0
        };
        for _ in 0..20 {
            let entry = &entries[from + dice.below((entries.len() - from) as u64) as usize];
            if !launchable || entry.traits.lifecycle == Lifecycle::Available {
                return Some((self.reference(self.account.ordinal, entry), entry.revision));
            }
        }
        None
    }

    /// An available image another account shared with this one.
    fn shared(&self, dice: &mut Dice) -> Option<(ImageRef, u32)> {
        let others: Vec<&Owner> = self
            .world
            .owners
            .iter()
            .filter(|o| o.kind == OwnerKind::Account && o.ordinal != self.account.ordinal)
            .collect();
        if others.is_empty() {
            return None;
        }
        for _ in 0..40 {
            let owner = *dice.pick(&others);
            let entries = &self.catalog(owner.ordinal)?.entries;
            if entries.is_empty() {
                continue;
            }
            let entry = dice.pick(entries);
            let seed = self
                .world
                .entry_seed(self.region.ordinal, owner.ordinal, entry);
            if self
                .world
                .shared_with(seed, entry.traits, self.account.ordinal)
                && !entry.traits.public
            {
                return Some((self.reference(owner.ordinal, entry), entry.revision));
            }
        }
        None
    }

    /// An available machine image of Amazon's.
    fn amazon(&self, dice: &mut Dice) -> Option<(ImageRef, u32)> {
        let owner = self
            .world
            .owners
            .iter()
            .find(|o| o.kind == OwnerKind::Amazon)?;
        let entries = &self.catalog(owner.ordinal)?.entries;
        if entries.is_empty() {
            return None;
        }
        for _ in 0..20 {
            let entry = dice.pick(entries);
            let key = ImageKey {
                region: self.region.ordinal,
                owner: owner.ordinal,
                index: entry.index,
            };
            let machine =
                super::generate::image_kind(self.world.seed, key, owner.kind) == ImageKind::Machine;
            if machine && entry.traits.lifecycle == Lifecycle::Available {
                return Some((self.reference(owner.ordinal, entry), entry.revision));
            }
        }
        None
    }

    /// One of the account's images deregistered before the start.
    fn prior(&self, dice: &mut Dice) -> Option<(ImageRef, u32)> {
        (self.prior > 0).then(|| {
            let index = PRIOR_BASE + dice.below(self.prior.into()) as u32;
            let image = ImageRef {
                owner: self.account.ordinal,
                index,
            };
            (image, 0)
        })
    }

    fn reference(&self, owner: u16, entry: &Entry) -> ImageRef {
        ImageRef {
            owner,
            index: entry.index,
        }
    }

    /// An instance with `serial`, launched at `now` (a mutation) or at some time before
    /// the start. The serial spreads the sources so that a handful of instances already
    /// has each: half from the account's images, a fifth each from shared ones and
    /// Amazon's, a tenth from images deregistered before the start.
    fn instance(&self, dice: &mut Dice, serial: u32, now: Option<i64>) -> Option<Instance> {
        let source = match serial % 10 {
            1 | 5 => Source::Shared,
            2 | 7 => Source::Amazon,
            3 if now.is_none() => Source::Prior,
            _ => Source::Own,
        };
        let picked = match source {
            Source::Own => self.own(dice, now.is_some(), true),
            Source::Shared => self.shared(dice),
            Source::Amazon => self.amazon(dice),
            Source::Prior => self.prior(dice),
        };
        let (image, revision) = picked
            .or_else(|| self.own(dice, false, true))
            .or_else(|| self.amazon(dice))?;
        let owner = self.world.owner(image.owner)?;
        let (created, _) = creation(self.world.seed, self.region.ordinal, owner, image.index);
        let (launched, state) = match now {
            Some(now) => {
                let state = if dice.chance(0.3) {
                    InstanceState::Pending
                } else {
                    InstanceState::Running
                };
                (now + dice.range(60, 80_000), state)
            }
            None => {
                let from = (created + 3_600).max(instant::Y2023_03);
                let launched = dice.range(from, instant::Y2025_10.max(from));
                let state = dice.weighted(&[
                    (70, InstanceState::Running),
                    (16, InstanceState::Stopped),
                    (3, InstanceState::Pending),
                    (3, InstanceState::Stopping),
                    (3, InstanceState::ShuttingDown),
                    (5, InstanceState::Terminated),
                ]);
                (launched, state)
            }
        };
        Some(Instance {
            serial,
            image,
            remembered: revision,
            launched: launched as u32,
            state,
        })
    }

    /// A launch template of one to a few dozen versions, each naming an image of the
    /// account's (newer images in later versions) or Amazon's, or none. The serial
    /// spreads the shapes: every fourth template has more versions than
    /// DescribeImageReferences checks by default, every third a default version older
    /// than its latest.
    fn launch_template(&self, dice: &mut Dice, serial: u32) -> LaunchTemplate {
        let count = match serial % 4 {
            0 => 1 + dice.below(3),
            1 => 2 + dice.below(4),
            2 => 12 + dice.below(10),
            _ => 1 + dice.below(8),
        } as u32;
        let mut versions: Vec<Option<ImageRef>> = (0..count)
            .map(|_| self.version_image(dice, false))
            .collect();
        versions.sort_by_key(|v| v.map(|r| (r.owner != self.account.ordinal, r.index)));
        let default_version = if serial % 3 == 1 && count > 1 {
            1 + dice.below(u64::from(count - 1)) as u32
        } else {
            count
        };
        LaunchTemplate {
            serial,
            default_version,
            versions,
        }
    }

    /// What a launch template version names: mostly one of the account's images, now
    /// and then Amazon's, sometimes none (the instance's image is given at launch).
    fn version_image(&self, dice: &mut Dice, recent: bool) -> Option<ImageRef> {
        match dice.below(10) {
            0 => None,
            1 => self.amazon(dice).map(|(r, _)| r),
            _ => self
                .own(dice, recent, false)
                .or_else(|| self.amazon(dice))
                .map(|(r, _)| r),
        }
    }

    fn parameter_image(&self, dice: &mut Dice) -> Option<ImageRef> {
        let picked = if dice.chance(0.25) {
            self.amazon(dice)
        } else {
            let recent = dice.chance(0.5);
            self.own(dice, recent, false)
        };
        picked.or_else(|| self.amazon(dice)).map(|(r, _)| r)
    }

    fn recipe_image(&self, dice: &mut Dice) -> Option<ImageRef> {
        let picked = if dice.chance(0.3) {
            self.amazon(dice)
        } else {
            self.own(dice, false, false)
        };
        picked.or_else(|| self.amazon(dice)).map(|(r, _)| r)
    }
}

/// A count of `len * share`, rounded up or down at random so that small estates change
/// too, in proportion.
pub(crate) fn portion(dice: &mut Dice, len: usize, share: f64) -> usize {
    let exact = len as f64 * share;
    let whole = exact.floor();
    whole as usize + usize::from(dice.chance(exact - whole))
}

/// Lets every estate follow a mutation of the catalogs (`removed`, per region) and
/// change on its own: deregistered images go to the Recycle Bin or not, their
/// snapshots are deleted where EC2 allows it and the owner did, instances keep what
/// EC2 knew of their image; about `churn / 3` of the instances change state, are
/// terminated or launched, launch templates get versions, parameters and recipes move
/// to newer images; the image settings flip now and then. Deterministic for the seed.
pub(crate) fn mutate(world: &mut World, removed: &[Removed], churn: f64, seed: u64) {
    let now = instant::Y2025_10 + i64::from(world.clock) * DAY;
    let mut estates: Vec<Vec<Estate>> = world
        .regions
        .iter_mut()
        .map(|r| std::mem::take(&mut r.estates))
        .collect();
    let world_view: &World = world;
    for ((region, estates), removed) in world_view.regions.iter().zip(&mut estates).zip(removed) {
        let gone: HashMap<ImageRef, u32> = removed
            .images
            .iter()
            .map(|(owner, entry)| {
                let image = ImageRef {
                    owner: *owner,
                    index: entry.index,
                };
                (image, entry.revision)
            })
            .collect();
        for (ordinal, estate) in estates.iter_mut().enumerate() {
            let Some(account) = world_view.owner(ordinal as u16) else {
                continue;
            };
            let mut dice = Dice::new(mix(
                seed,
                &[salt::MUTATE, region.ordinal.into(), account.ordinal.into()],
            ));
            let picker = Picker {
                world: world_view,
                region,
                account,
                prior: 0,
            };
            let follow = Follow {
                world: world_view,
                region,
                account,
                now,
            };
            follow.deregistrations(estate, &mut dice, &removed.images);
            follow.instances(estate, &mut dice, &picker, &gone, churn);
            follow.references(estate, &mut dice, &picker, churn);
            if dice.chance(churn / 3.0) {
                estate.add_orphan();
            }
            estate.settings.mutate(&mut dice, churn);
        }
    }
    for (region, estates) in world.regions.iter_mut().zip(estates) {
        region.estates = estates;
    }
}

/// One estate following one mutation.
struct Follow<'a> {
    world: &'a World,
    region: &'a Region,
    account: &'a Owner,
    now: i64,
}

impl Follow<'_> {
    /// The account's images this mutation deregistered: to the Recycle Bin (at the
    /// configured rate), their snapshots kept or deleted; then the Bin's expired
    /// entries are deleted for good (their snapshots stay, as EC2 leaves them).
    fn deregistrations(&self, estate: &mut Estate, dice: &mut Dice, removed: &[(u16, Entry)]) {
        let own = removed
            .iter()
            .filter(|(owner, _)| *owner == self.account.ordinal);
        for (_, entry) in own {
            let to_bin = dice.chance(self.world.recycle_bin_rate);
            if to_bin {
                let entered = (self.now + dice.range(0, DAY - 1)) as u32;
                let bin_entry = BinEntry {
                    index: entry.index,
                    revision: entry.revision,
                    entered,
                };
                let at = estate
                    .recycle_bin
                    .partition_point(|e| e.index < entry.index);
                estate.recycle_bin.insert(at, bin_entry);
            }
            let mut candidates =
                image_snapshot_keys(self.world, self.region, self.account, entry.index);
            let origin = root_origin(
                self.world.seed,
                self.region.ordinal,
                self.account,
                entry.index,
            );
            if origin != entry.index && !self.registered(origin) {
                candidates.push(SnapshotKey {
                    index: origin,
                    slot: Slot::Root,
                });
            }
            for key in candidates {
                // EC2 refuses to delete a snapshot a registered image (or one in the
                // Recycle Bin) uses; the owner forgets some of the others.
                let keep = to_bin || self.in_use(estate, key) || dice.chance(0.3);
                if keep {
                    estate.retain(key);
                } else {
                    estate.forget(key);
                }
            }
        }
        let now = self.now;
        let days = i64::from(estate.retention_days);
        estate
            .recycle_bin
            .retain(|e| i64::from(e.entered) + days * DAY > now);
    }

    fn registered(&self, index: u32) -> bool {
        self.region
            .catalogs
            .get(usize::from(self.account.ordinal))
            .is_some_and(|c| c.get(index).is_some())
    }

    /// Whether an image other than its own still uses the snapshot: only root
    /// snapshots are reused, by images up to `SHARE_REACH` after theirs, registered, in
    /// the Recycle Bin, or not yet registered (a later mutation may add them).
    fn in_use(&self, estate: &Estate, key: SnapshotKey) -> bool {
        if key.slot != Slot::Root || key.index >= PRIOR_BASE {
            return false;
        }
        let Some(catalog) = self.region.catalogs.get(usize::from(self.account.ordinal)) else {
            return false;
        };
        (key.index + 1..=key.index.saturating_add(SHARE_REACH)).any(|j| {
            root_origin(self.world.seed, self.region.ordinal, self.account, j) == key.index
                && (catalog.get(j).is_some() || j >= catalog.next_index || estate.in_recycle_bin(j))
        })
    }

    /// Terminated instances leave; instances of deregistered images keep the revision
    /// EC2 last knew; some change state, some are terminated, new ones are launched.
    fn instances(
        &self,
        estate: &mut Estate,
        dice: &mut Dice,
        picker: &Picker,
        gone: &HashMap<ImageRef, u32>,
        churn: f64,
    ) {
        estate.instances_by_image = std::sync::OnceLock::new();
        estate
            .instances
            .retain(|i| i.state != InstanceState::Terminated);
        for instance in &mut estate.instances {
            if let Some(revision) = gone.get(&instance.image) {
                instance.remembered = *revision;
            }
        }
        let len = estate.instances.len();
        for _ in 0..portion(dice, len, churn / 3.0) {
            let at = dice.below(len as u64) as usize;
            let instance = &mut estate.instances[at];
            instance.state = instance.state.next(dice);
        }
        for _ in 0..portion(dice, len, churn / 3.0) {
            let at = dice.below(len as u64) as usize;
            estate.instances[at].state = InstanceState::Terminated;
        }
        for _ in 0..portion(dice, len.max(3), churn / 3.0) {
            let serial = estate.next_instance;
            estate.next_instance += 1;
            if let Some(instance) = picker.instance(dice, serial, Some(self.now)) {
                estate.instances.push(instance);
            }
        }
    }

    /// Launch templates get versions naming newer images (some made the default), and
    /// now and then a new template appears; parameters move to newer images; recipes
    /// get new versions.
    fn references(&self, estate: &mut Estate, dice: &mut Dice, picker: &Picker, churn: f64) {
        let share = churn / 3.0;
        let templates = estate.launch_templates.len();
        for _ in 0..portion(dice, templates, share) {
            let at = dice.below(templates as u64) as usize;
            let image = picker.version_image(dice, true);
            let template = &mut estate.launch_templates[at];
            template.versions.push(image);
            if dice.chance(0.5) {
                template.default_version = template.versions.len() as u32;
            }
        }
        if dice.chance(share) {
            let serial = estate.next_launch_template;
            estate.next_launch_template += 1;
            estate
                .launch_templates
                .push(picker.launch_template(dice, serial));
        }
        let parameters = estate.parameters.len();
        for _ in 0..portion(dice, parameters, share) {
            let at = dice.below(parameters as u64) as usize;
            if let Some((image, _)) = picker.own(dice, true, false) {
                estate.parameters[at].image = image;
            }
        }
        let recipes = estate.recipes.len();
        for _ in 0..portion(dice, recipes, share) {
            let at = dice.below(recipes as u64) as usize;
            let Some((image, _)) = picker.own(dice, true, false) else {
                continue;
            };
            let serial = estate.next_recipe;
            estate.next_recipe += 1;
            let next = estate.recipes[at].next_version(serial, image, &estate.recipes);
            estate.recipes.push(next);
        }
    }
}

#[cfg(test)]
mod tests;
