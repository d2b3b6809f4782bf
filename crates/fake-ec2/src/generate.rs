//! Renders an image from its coordinates. `(seed, region, owner, index)` fixes what never
//! changes about an image (id, kind, name, architecture, disks, creation date, watermarks,
//! the image a copy was made from); the revision fixes what a modification changes
//! (description, tags, deprecation time, state, scan results, instance types); the viewer
//! fixes what EC2 shows per caller (tags, last launch, `imageAllowed`); the catalog says
//! whether the image is the one a public SSM parameter resolves to.
//!
//! Members added after the first catalogs draw from streams of their own, so the members
//! that were there before come out as they always did.

use amiq_image::{
    BlockDeviceMapping, EbsBlockDevice, Image, ImageWatermark, InstanceTypeItem,
    InstanceTypeSpecification, ProductCode, ScanResults, StateReason, Tag, UnknownMember,
};

use super::caller::Caller;
use super::catalog::{Entry, Lifecycle, Owner, OwnerKind, Region, Traits};
use super::dice::{Dice, mix, mix_text};
use super::families::{Blueprint, Family};
use super::ids::{ImageKey, ImageKind, hex_id, image_id, short_id};
use super::snapshots::{DATA_DEVICE, Slot, SnapshotKey, snapshot_id};
use super::timestamp::{Civil, instant, iso8601};

/// Salts that keep the different streams derived from one seed apart.
mod salt {
    pub const BASE: u64 = 1;
    pub const REVISION: u64 = 2;
    pub const TRAITS: u64 = 3;
    pub const SHARE: u64 = 4;
    pub const CONTENT: u64 = 5;
    pub const KIND: u64 = 6;
    pub const WATERMARKS: u64 = 7;
    pub const SCAN: u64 = 8;
    pub const INSTANCE_TYPES: u64 = 9;
    pub const UNKNOWN: u64 = 10;
    pub const SHARED_ROOT: u64 = 11;
}

/// Shares of the Amazon catalog that are kernel and RAM disk images, per thousand.
const KERNELS_PER_MILLE: u64 = 6;
const RAMDISKS_PER_MILLE: u64 = 3;
/// Share of owned images Amazon Inspector has scanned.
const SCANNED: f64 = 0.35;
/// Share of machine images whose owner said which instance types fit them.
const WITH_INSTANCE_TYPES: f64 = 0.1;
/// Share of an account's images, per thousand, that want to be registered from the
/// root snapshot of an image registered just before (several AMIs from one snapshot).
const SHARED_ROOT_PER_MILLE: u64 = 120;
/// How far back the image whose root snapshot is reused may be; also how far after an
/// image the images that may reuse its root snapshot are.
pub(crate) const SHARE_REACH: u32 = 3;
/// Indices from here up are images an account deregistered before the world began:
/// never in a catalog, still named by instances, the Recycle Bin and their snapshots.
pub(crate) const PRIOR_BASE: u32 = 0xF000_0000;
/// Share of an account's images that are copies (CopyImage) of another image.
const COPIES: f64 = 0.15;
/// How far back among its owner's images a copy's source may be, in the source's
/// region.
const SOURCE_REACH: u32 = 8;
/// How many of Amazon's images a copy made from one of them tries.
const AMAZON_REACH: u32 = 64;

/// What choosing a copy's source needs to know of the world: every configured region
/// (a copy's source is in an enabled one) and how many images Amazon had in each at
/// the start. Fixed by the config, so a source never changes.
#[derive(Debug, Clone)]
pub(crate) struct Places {
    /// Name and whether it is enabled, by region ordinal.
    pub regions: Vec<(String, bool)>,
    /// Amazon's owner ordinal and its initial catalog size per enabled region.
    pub amazon: (u16, u32),
}

impl Places {
    /// The enabled region a draw of `pick` (below the number of regions) lands on: that
    /// region, or the next enabled one after it (there are no images in the others).
    fn enabled_from(&self, pick: usize) -> Option<u16> {
        let n = self.regions.len();
        (0..n)
            .map(|k| (pick + k) % n)
            .find(|&r| self.regions[r].1)
            .map(|r| r as u16)
    }

    pub(crate) fn name(&self, region: u16) -> &str {
        &self.regions[usize::from(region)].0
    }
}

/// The seed of what never changes about an image.
fn base_seed(world_seed: u64, region: u16, owner: u16, index: u32) -> u64 {
    mix(
        world_seed,
        &[salt::BASE, region.into(), owner.into(), index.into()],
    )
}

/// The seed of one revision of an image: everything else derives from it.
pub(crate) fn revision_seed(
    world_seed: u64,
    region: u16,
    owner: u16,
    index: u32,
    revision: u32,
) -> u64 {
    mix(
        base_seed(world_seed, region, owner, index),
        &[salt::REVISION, revision.into()],
    )
}

/// The visibility-relevant facts of one revision, stored in the catalog entry.
pub(crate) fn traits(kind: OwnerKind, revision_seed: u64) -> Traits {
    let mut dice = Dice::new(mix(revision_seed, &[salt::TRAITS]));
    match kind {
        OwnerKind::Account => {
            let lifecycle = dice.weighted(&[
                (960, Lifecycle::Available),
                (15, Lifecycle::Disabled),
                (10, Lifecycle::Failed),
                (15, Lifecycle::Pending),
            ]);
            let public = dice.chance(0.05) && lifecycle == Lifecycle::Available;
            Traits {
                lifecycle,
                public,
                deprecated: dice.chance(0.05),
            }
        }
        OwnerKind::Amazon | OwnerKind::Marketplace => Traits {
            lifecycle: Lifecycle::Available,
            public: true,
            deprecated: dice.chance(if kind == OwnerKind::Amazon {
                0.15
            } else {
                0.05
            }),
        },
    }
}

/// Whether an account's image (one revision of it) has a launch permission for the
/// account with `ordinal`: `per_million` of the available images per other account.
pub(crate) fn shared_with(
    revision_seed: u64,
    traits: Traits,
    ordinal: u16,
    per_million: u32,
) -> bool {
    let draw = mix(revision_seed, &[salt::SHARE, ordinal.into()]);
    // The low three digits first: at the default 10% the images shared are those a
    // draw of `% 1000 < 100` picked before the rate could be set.
    let roll = (draw % 1000) * 1000 + (draw / 1000) % 1000;
    traits.lifecycle == Lifecycle::Available && roll < u64::from(per_million)
}

/// What an image is, from its seed alone (no rendering), so that a named lookup can
/// check an id's prefix: a few of Amazon's images are kernels and RAM disks.
pub(crate) fn image_kind(world_seed: u64, key: ImageKey, owner: OwnerKind) -> ImageKind {
    if owner != OwnerKind::Amazon {
        return ImageKind::Machine;
    }
    let base = base_seed(world_seed, key.region, key.owner, key.index);
    match mix(base, &[salt::KIND]) % 1000 {
        roll if roll < KERNELS_PER_MILLE => ImageKind::Kernel,
        roll if roll < KERNELS_PER_MILLE + RAMDISKS_PER_MILLE => ImageKind::Ramdisk,
        _ => ImageKind::Machine,
    }
}

/// The public SSM parameter an image of Amazon's is published under while it is the
/// newest of its kind, and its creation time: what the catalog ranks to find the image
/// each parameter resolves to.
pub(crate) fn ssm_candidate(
    world_seed: u64,
    region: u16,
    owner: &Owner,
    index: u32,
) -> Option<(String, i64)> {
    let key = ImageKey {
        region,
        owner: owner.ordinal,
        index,
    };
    if owner.kind != OwnerKind::Amazon
        || image_kind(world_seed, key, owner.kind) != ImageKind::Machine
    {
        return None;
    }
    let base = base_seed(world_seed, region, owner.ordinal, index);
    let origin = Origin::draw(base, owner, index);
    Some((origin.blueprint.ssm_parameter?, origin.created))
}

/// Where an image is rendered and for whom.
pub(crate) struct Scene<'a> {
    pub world_seed: u64,
    pub region: &'a Region,
    /// The world's regions and Amazon's catalogs, for a copy's source.
    pub places: &'a Places,
    pub owner: &'a Owner,
    pub viewer: &'a Caller,
    /// See `FakeConfig::unknown_member_rate`.
    pub unknown_member_rate: f64,
}

/// The image as DescribeImages shows it to the scene's viewer.
pub(crate) fn render(scene: &Scene, entry: &Entry) -> Image {
    let key = ImageKey {
        region: scene.region.ordinal,
        owner: scene.owner.ordinal,
        index: entry.index,
    };
    let base = base_seed(scene.world_seed, key.region, key.owner, key.index);
    let mut image = match image_kind(scene.world_seed, key, scene.owner.kind) {
        ImageKind::Machine => machine(scene, entry, key, base),
        kind => boot_image(scene, entry, key, kind, base),
    };
    if scene.unknown_member_rate > 0.0 {
        let mut dice = Dice::new(mix(base, &[salt::UNKNOWN]));
        if dice.chance(scene.unknown_member_rate) {
            let mappings = image.block_device_mappings.as_deref().unwrap_or_default();
            image.unknown_members = Some(unknown_members(&mut dice, mappings));
        }
    }
    image
}

/// The index of the image whose root snapshot the image at `index` was registered
/// from: its own, or for some of an account's images that of an image up to
/// [`SHARE_REACH`] before it that does not itself reuse one (so the snapshot it names
/// is always an image's own). Images of `amazon` and `aws-marketplace` and images from
/// before the world began never reuse one. Cheap: two hashes, no rendering.
pub(crate) fn root_origin(world_seed: u64, region: u16, owner: &Owner, index: u32) -> u32 {
    if owner.kind != OwnerKind::Account || index >= PRIOR_BASE {
        return index;
    }
    let wants = |at: u32| {
        let roll = mix(
            base_seed(world_seed, region, owner.ordinal, at),
            &[salt::SHARED_ROOT],
        );
        (roll % 1000 < SHARED_ROOT_PER_MILLE).then_some(1 + ((roll >> 32) % 3) as u32)
    };
    match wants(index) {
        Some(back) if back <= index && wants(index - back).is_none() => index - back,
        _ => index,
    }
}

/// What an image's entry in an ancestry tells of it: its `creationDate` and, for a
/// copy, `(sourceImageId, sourceImageRegion)`. Fixed by where the image lives, so the
/// same once it is deregistered.
pub(crate) fn lineage(
    world_seed: u64,
    region: &Region,
    places: &Places,
    owner: &Owner,
    index: u32,
) -> (String, Option<(String, String)>) {
    let key = ImageKey {
        region: region.ordinal,
        owner: owner.ordinal,
        index,
    };
    match image_kind(world_seed, key, owner.kind) {
        ImageKind::Machine => {
            let fixed = fixed(world_seed, region, places, owner, index);
            (iso8601(fixed.created, fixed.millis), fixed.source)
        }
        kind => {
            let base = base_seed(world_seed, key.region, key.owner, key.index);
            let (_, _, created, millis) = boot_file(kind, base);
            (iso8601(created, millis), None)
        }
    }
}

/// When a machine image was created and for which architecture: what an instance
/// launched from it needs (its type, a launch time after the image).
pub(crate) fn creation(
    world_seed: u64,
    region: u16,
    owner: &Owner,
    index: u32,
) -> (i64, &'static str) {
    let origin = Origin::draw(
        base_seed(world_seed, region, owner.ordinal, index),
        owner,
        index,
    );
    (origin.created, origin.blueprint.architecture)
}

/// What never changes about a machine image, the shared root snapshot adopted: what
/// the renderer starts from, and what a snapshot of the image tells.
pub(crate) struct Fixed {
    pub family: Family,
    pub created: i64,
    pub millis: u64,
    pub blueprint: Blueprint,
    pub instance_store: bool,
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    pub product_codes: Option<Vec<ProductCode>>,
    /// `(sourceImageId, sourceImageRegion)` of a copy: an image of the world, registered
    /// or once registered (see `copy_source`).
    pub source: Option<(String, String)>,
    pub source_instance_id: Option<String>,
}

/// The fixed part of the machine image at `index` of `owner` in `region`.
pub(crate) fn fixed(
    world_seed: u64,
    region: &Region,
    places: &Places,
    owner: &Owner,
    index: u32,
) -> Fixed {
    let base = base_seed(world_seed, region.ordinal, owner.ordinal, index);
    let Origin {
        family,
        created,
        millis,
        blueprint,
        mut dice,
    } = Origin::draw(base, owner, index);
    let instance_store = family == Family::LegacyPv && blueprint.name.ends_with("-s3");
    let site = Site {
        world_seed,
        region,
        owner,
        index,
    };
    let mut block_device_mappings = disks(&mut dice, &blueprint, instance_store, &site);
    let origin = root_origin(world_seed, region.ordinal, owner, index);
    if origin != index {
        adopt_root(&mut block_device_mappings, &donor_root(&site, origin));
    }
    let product_codes = match family {
        Family::Ubuntu | Family::Rhel | Family::Debian | Family::Appliance => {
            Some(vec![product_code(&mut dice)])
        }
        Family::Custom(_) if dice.chance(0.05) => Some(vec![product_code(&mut dice)]),
        _ => None,
    };
    // The draws stay those of the random source ids copies had before they named
    // images of the world, so that everything drawn after them comes out the same.
    let copy = (matches!(family, Family::Custom(_)) && dice.chance(COPIES)).then(|| {
        let draw = dice.next_u64();
        (draw, dice.below(places.regions.len() as u64) as usize)
    });
    let source = copy.and_then(|(draw, pick)| {
        let from = places.enabled_from(pick)?;
        let key = copy_source(world_seed, places, from, owner, index, created, draw)?;
        Some((
            image_id(world_seed, ImageKind::Machine, key),
            places.name(key.region).to_string(),
        ))
    });
    let source_instance_id = (matches!(family, Family::Custom(_)) && dice.chance(0.5))
        .then(|| hex_id("i-0", dice.next_u64()));
    Fixed {
        family,
        created,
        millis,
        blueprint,
        instance_store,
        block_device_mappings,
        product_codes,
        source,
        source_instance_id,
    }
}

/// The root volume the image at `origin` was registered with, as its own disks drew it.
fn donor_root(site: &Site, origin: u32) -> Option<EbsBlockDevice> {
    let base = base_seed(
        site.world_seed,
        site.region.ordinal,
        site.owner.ordinal,
        origin,
    );
    let Origin {
        blueprint,
        mut dice,
        ..
    } = Origin::draw(base, site.owner, origin);
    let donor = Site {
        index: origin,
        ..*site
    };
    let mut mappings = disks(&mut dice, &blueprint, false, &donor);
    mappings.swap_remove(0).ebs
}

/// Makes the root mapping name the donor's snapshot: its id, encryption and key are the
/// snapshot's, and the volume is at least the snapshot's size (EC2 refuses smaller).
fn adopt_root(mappings: &mut [BlockDeviceMapping], donor: &Option<EbsBlockDevice>) {
    let (Some(root), Some(donor)) = (
        mappings.first_mut().and_then(|m| m.ebs.as_mut()),
        donor.as_ref(),
    ) else {
        return;
    };
    root.snapshot_id = donor.snapshot_id.clone();
    root.volume_size = root.volume_size.max(donor.volume_size);
    root.encrypted = donor.encrypted;
    root.kms_key_id = donor.kms_key_id.clone();
}

/// The first draws of a machine image's base stream: its family and creation time.
fn birth(dice: &mut Dice, kind: OwnerKind) -> (Family, i64) {
    let family = Family::pick(kind, dice);
    let (from, to) = family.created_between();
    (family, dice.range(from, to))
}

/// When the machine image at `index` of an owner of `kind` in `region` was created,
/// without drawing the rest of it.
fn created_at(world_seed: u64, region: u16, owner: u16, kind: OwnerKind, index: u32) -> i64 {
    birth(
        &mut Dice::new(base_seed(world_seed, region, owner, index)),
        kind,
    )
    .1
}

/// The image a copy created at `created` was copied from, in region `from`: the
/// nearest of its owner's images up to [`SOURCE_REACH`] before it that was created
/// before it; else one of Amazon's first machine images created before it, from a
/// position `draw` picks ([`AMAZON_REACH`] tries). A source's index is below its
/// copy's, so lineage never loops, and the source was registered in `from` (an owner's
/// catalogs grow alike in every enabled region), perhaps deregistered since; it may be
/// a copy itself: chains of copies, across regions too, ending at an image that is not
/// a copy or at one of Amazon's (a root). Images from before the world began were
/// copied from Amazon's. `None` (the image is no copy after all) only when neither
/// exists. Cheap: a few hashes per candidate, no rendering.
fn copy_source(
    world_seed: u64,
    places: &Places,
    from: u16,
    owner: &Owner,
    index: u32,
    created: i64,
    draw: u64,
) -> Option<ImageKey> {
    let key = |owner: u16, index: u32| ImageKey {
        region: from,
        owner,
        index,
    };
    if index < PRIOR_BASE {
        let own = (index.saturating_sub(SOURCE_REACH)..index)
            .rev()
            .find(|&j| created_at(world_seed, from, owner.ordinal, owner.kind, j) < created);
        if let Some(j) = own {
            return Some(key(owner.ordinal, j));
        }
    }
    let (amazon, count) = places.amazon;
    if count == 0 {
        return None;
    }
    let start = (draw % u64::from(count)) as u32;
    (0..count.min(AMAZON_REACH))
        .map(|k| (start + k) % count)
        .filter(|&j| {
            image_kind(world_seed, key(amazon, j), OwnerKind::Amazon) == ImageKind::Machine
        })
        .find(|&j| created_at(world_seed, from, amazon, OwnerKind::Amazon, j) < created)
        .map(|j| key(amazon, j))
}

/// What never changes about a machine image and the rest derives from, drawn first
/// from its base seed.
struct Origin {
    family: Family,
    created: i64,
    millis: u64,
    blueprint: Blueprint,
    /// The base stream after the blueprint: disks, product codes and the source follow.
    dice: Dice,
}

impl Origin {
    fn draw(base: u64, owner: &Owner, index: u32) -> Origin {
        let mut dice = Dice::new(base);
        let (family, created) = birth(&mut dice, owner.kind);
        let millis = dice.below(1000);
        let blueprint = Blueprint::design(
            family,
            &mut dice,
            Civil::from_unix(created),
            index,
            owner.ordinal,
        );
        Origin {
            family,
            created,
            millis,
            blueprint,
            dice,
        }
    }
}

fn machine(scene: &Scene, entry: &Entry, key: ImageKey, base: u64) -> Image {
    let owner = scene.owner;
    let revision = mix(base, &[salt::REVISION, entry.revision.into()]);
    let Fixed {
        family,
        created,
        millis,
        blueprint,
        instance_store,
        block_device_mappings,
        product_codes,
        source,
        source_instance_id,
    } = fixed(
        scene.world_seed,
        scene.region,
        scene.places,
        owner,
        entry.index,
    );
    let is_owner = scene.viewer.ordinal == Some(owner.ordinal);
    let legacy = family == Family::LegacyPv;

    let image_location = match (instance_store, owner.alias()) {
        (true, _) => format!(
            "amzn-ami-{}/{}.manifest.xml",
            scene.region.name,
            blueprint.name.trim_end_matches("-s3")
        ),
        (false, Some(alias)) => format!("{alias}/{}", blueprint.name),
        (false, None) => format!("{}/{}", owner.id, blueprint.name),
    };
    let image_watermarks = source.as_ref().and_then(|source| {
        let mut dice = Dice::new(mix(base, &[salt::WATERMARKS]));
        watermarks(&mut dice, owner, source, created)
    });

    // From here on: what a revision changes.
    let mut dice = Dice::new(mix(revision, &[salt::CONTENT]));
    let (state, state_reason) = match entry.traits.lifecycle {
        Lifecycle::Available => ("available", None),
        Lifecycle::Pending => ("pending", None),
        Lifecycle::Disabled => ("disabled", None),
        Lifecycle::Failed => (
            "failed",
            Some(StateReason {
                code: Some("Server.InternalError".into()),
                message: Some(
                    (*dice.pick(&[
                        "Internal error while creating the snapshot for /dev/xvda",
                        "The instance was stopped before the image was complete",
                        "Snapshot snap-0 & volume \"root\" failed: <timeout>",
                    ]))
                    .into(),
                ),
            }),
        ),
    };
    let deprecation_time = deprecation(&mut dice, owner.kind, entry.traits, created);
    let description = match family {
        Family::Custom(_) => Some(custom_description(&mut dice, &blueprint, entry.revision)),
        _ if dice.chance(0.03) => None,
        _ => Some(blueprint.description.clone()),
    };
    // Owner-only members are drawn for every viewer and then hidden, so the dice stay
    // in step and the members every viewer sees come out the same for all of them.
    let owner_tags = tags(&mut dice, &blueprint.name);
    let tags = if is_owner { owner_tags } else { None };
    let launched = dice.chance(0.6);
    let launched_at = iso8601(dice.range(created, instant::Y2025_10), dice.below(1000));
    let last_launched_time = (is_owner && launched).then_some(launched_at);
    let deregistration_protection = (owner.kind == OwnerKind::Account).then(|| {
        dice.weighted(&[
            (80, "disabled"),
            (10, "enabled-with-cooldown"),
            (10, "enabled-without-cooldown"),
        ])
        .to_string()
    });
    let image_allowed = is_owner || !mix_text(base, &scene.viewer.account).is_multiple_of(10);
    // The image's own: shown to every account that can use the AMI (the API reference).
    let mut dice = Dice::new(mix(revision, &[salt::SCAN]));
    let scanned = owner.kind == OwnerKind::Account
        && matches!(
            entry.traits.lifecycle,
            Lifecycle::Available | Lifecycle::Disabled
        )
        && dice.chance(SCANNED);
    let scan_results = scanned.then(|| scan_results(&mut dice, created));
    let mut dice = Dice::new(mix(revision, &[salt::INSTANCE_TYPES]));
    let instance_type_specification = dice
        .chance(WITH_INSTANCE_TYPES)
        .then(|| instance_types(&mut dice, blueprint.architecture));
    let catalog = scene.region.catalogs.get(owner.ordinal as usize);
    let latest = entry.traits.public && catalog.is_some_and(|c| c.is_latest(entry.index));

    Image {
        image_id: Some(image_id(scene.world_seed, ImageKind::Machine, key)),
        image_location: Some(image_location),
        state: Some(state.into()),
        owner_id: Some(owner.id.clone()),
        creation_date: Some(iso8601(created, millis)),
        public: Some(entry.traits.public),
        product_codes,
        architecture: Some(blueprint.architecture.into()),
        image_type: Some("machine".into()),
        kernel_id: legacy.then(|| short_id("aki-", base)),
        ramdisk_id: (legacy && base.is_multiple_of(2)).then(|| short_id("ari-", base >> 32)),
        platform: family.is_windows().then(|| "windows".into()),
        platform_details: Some(blueprint.platform_details.into()),
        usage_operation: Some(blueprint.usage_operation.into()),
        block_device_mappings: Some(block_device_mappings),
        description,
        ena_support: (!legacy).then_some(true),
        hypervisor: Some("xen".into()),
        image_owner_alias: owner.alias().map(String::from),
        name: Some(blueprint.name),
        root_device_name: Some(blueprint.root_device_name.into()),
        root_device_type: Some(
            if instance_store {
                "instance-store"
            } else {
                "ebs"
            }
            .into(),
        ),
        sriov_net_support: (!legacy).then(|| "simple".into()),
        state_reason,
        tags,
        virtualization_type: Some(if legacy { "paravirtual" } else { "hvm" }.into()),
        boot_mode: blueprint.boot_mode.map(String::from),
        tpm_support: blueprint.tpm_support.map(String::from),
        deprecation_time,
        imds_support: blueprint.imds_support.map(String::from),
        source_instance_id,
        deregistration_protection,
        last_launched_time,
        image_allowed: Some(image_allowed),
        source_image_id: source.as_ref().map(|s| s.0.clone()),
        source_image_region: source.map(|s| s.1),
        free_tier_eligible: Some(blueprint.free_tier_eligible),
        public_ssm_parameter_name: blueprint.ssm_parameter.filter(|_| latest),
        image_watermarks,
        scan_results,
        instance_type_specification,
        unknown_members: None,
    }
}

/// A kernel (`aki-`) or RAM disk (`ari-`) image of the kind paravirtual images booted
/// with: instance store, no block devices, created before 2013 and never changed since.
/// The file a kernel or RAM disk image boots, its description, and when it was created
/// (seconds, milliseconds): the first draws of its base stream.
fn boot_file(kind: ImageKind, base: u64) -> (&'static str, &'static str, i64, u64) {
    const KERNELS: [(&str, &str); 6] = [
        ("pv-grub-hd0_1.05-x86_64.gz", "PV-GRUB release 1.05, 64-bit"),
        ("pv-grub-hd0_1.05-i386.gz", "PV-GRUB release 1.05, 32-bit"),
        (
            "pv-grub-hd00_1.05-x86_64.gz",
            "PV-GRUB release 1.05, 64-bit, hd00",
        ),
        (
            "pv-grub-hd00_1.05-i386.gz",
            "PV-GRUB release 1.05, 32-bit, hd00",
        ),
        ("pv-grub-hd0_1.04-x86_64.gz", "PV-GRUB release 1.04, 64-bit"),
        (
            "ec2-vmlinuz-2.6.21.7-2.fc8xen.i386",
            "Fedora 8 Xen kernel 2.6.21.7",
        ),
    ];
    const RAMDISKS: [(&str, &str); 3] = [
        (
            "ec2-initrd-2.6.21.7-2.fc8xen.i386",
            "Fedora 8 Xen initrd 2.6.21.7",
        ),
        (
            "ec2-initrd-2.6.21.7-2.fc8xen.x86_64",
            "Fedora 8 Xen initrd 2.6.21.7",
        ),
        ("ec2-initrd-2.6.18-xenU-ec2-v1.0.i386", "initrd 2.6.18-xenU"),
    ];
    let mut dice = Dice::new(base);
    let files: &[(&str, &str)] = match kind {
        ImageKind::Kernel => &KERNELS,
        _ => &RAMDISKS,
    };
    let (name, description) = *dice.pick(files);
    let created = dice.range(instant::Y2009, instant::Y2013_06);
    (name, description, created, dice.below(1000))
}

fn boot_image(scene: &Scene, entry: &Entry, key: ImageKey, kind: ImageKind, base: u64) -> Image {
    let owner = scene.owner;
    let (name, description, created, millis) = boot_file(kind, base);
    let revision = mix(base, &[salt::REVISION, entry.revision.into()]);
    let mut dice = Dice::new(mix(revision, &[salt::CONTENT]));
    let deprecation_time = deprecation(&mut dice, owner.kind, entry.traits, created);
    let description = (!dice.chance(0.03)).then(|| description.to_string());
    let is_owner = scene.viewer.ordinal == Some(owner.ordinal);
    let image_allowed = is_owner || !mix_text(base, &scene.viewer.account).is_multiple_of(10);
    let architecture = if name.contains("x86_64") {
        "x86_64"
    } else {
        "i386"
    };
    let state = match entry.traits.lifecycle {
        Lifecycle::Available => "available",
        Lifecycle::Pending => "pending",
        Lifecycle::Disabled => "disabled",
        Lifecycle::Failed => "failed",
    };
    Image {
        image_id: Some(image_id(scene.world_seed, kind, key)),
        image_location: Some(format!("ec2-public-images/{name}.manifest.xml")),
        state: Some(state.into()),
        owner_id: Some(owner.id.clone()),
        creation_date: Some(iso8601(created, millis)),
        public: Some(entry.traits.public),
        architecture: Some(architecture.into()),
        image_type: Some(kind.image_type().into()),
        platform_details: Some("Linux/UNIX".into()),
        usage_operation: Some("RunInstances".into()),
        block_device_mappings: Some(Vec::new()),
        description,
        hypervisor: Some("xen".into()),
        image_owner_alias: owner.alias().map(String::from),
        name: Some(name.into()),
        root_device_type: Some("instance-store".into()),
        virtualization_type: Some("paravirtual".into()),
        deprecation_time,
        image_allowed: Some(image_allowed),
        free_tier_eligible: Some(false),
        ..Image::default()
    }
}

/// Watermarks a copy carried over from its source: mostly one, sometimes two, an
/// empty set now and then, none for some copies.
fn watermarks(
    dice: &mut Dice,
    owner: &Owner,
    source: &(String, String),
    created: i64,
) -> Option<Vec<ImageWatermark>> {
    const NAMES: [&str; 4] = ["approvedAmi", "golden-image", "cis-level-1", "pci-dss"];
    let count: usize = dice.weighted(&[(15, None), (5, Some(0)), (70, Some(1)), (10, Some(2))])?;
    let first = dice.below(NAMES.len() as u64) as usize;
    let source_created = created - dice.range(3_600, 90 * 86_400);
    let source_created_text = iso8601(source_created, dice.below(1000));
    let marks = (0..count)
        .map(|n| {
            let name = NAMES[(first + n) % NAMES.len()];
            let attached = dice.range(source_created, created);
            ImageWatermark {
                watermark_key: Some(format!("{}:{name}", owner.id)),
                source_image_region: Some(source.1.clone()),
                source_image_id: Some(source.0.clone()),
                source_image_creation_time: Some(source_created_text.clone()),
                watermark_creation_time: Some(iso8601(attached, dice.below(1000))),
            }
        })
        .collect();
    Some(marks)
}

/// Amazon Inspector's summary: always the highest severity and the scan date; a fix
/// date for some of the severities up to the highest, each no later than the scan.
fn scan_results(dice: &mut Dice, created: i64) -> ScanResults {
    const SEVERITIES: [&str; 5] = ["informational", "low", "medium", "high", "critical"];
    let highest = dice.weighted(&[(10, 0usize), (15, 1), (35, 2), (28, 3), (12, 4)]);
    let scanned = dice.range(created.max(instant::Y2025_06), instant::Y2025_10);
    let mut since: [Option<String>; 5] = Default::default();
    for slot in since.iter_mut().take(highest + 1) {
        if dice.chance(0.6) {
            *slot = Some(iso8601(dice.range(created, scanned), dice.below(1000)));
        }
    }
    let [informational, low, medium, high, critical] = since;
    ScanResults {
        highest_finding_severity_label: Some(SEVERITIES[highest].into()),
        finding_scan_date: Some(iso8601(scanned, dice.below(1000))),
        informational_fix_available_since: informational,
        low_fix_available_since: low,
        medium_fix_available_since: medium,
        high_fix_available_since: high,
        critical_fix_available_since: critical,
    }
}

/// The instance types an owner declared fit (or do not fit) the image, names and
/// wildcard patterns as EC2 accepts them: both lists, one of them, now and then an
/// empty one.
fn instance_types(dice: &mut Dice, architecture: &str) -> InstanceTypeSpecification {
    const ARM_FITS: [&str; 6] = [
        "c7g.xlarge",
        "m7g.large",
        "t4g.micro",
        "r7g.*",
        "c8g.2xlarge",
        "m8g.*",
    ];
    const X86_FITS: [&str; 6] = [
        "m7i.large",
        "c7i.xlarge",
        "t3.micro",
        "t3.*",
        "r7i.2xlarge",
        "m6i.*",
    ];
    let (fits, misfits): (&[&str], &[&str]) = match architecture {
        "arm64" => (&ARM_FITS, &["a1.medium", "c6g.metal", "t4g.nano"]),
        "i386" => (
            &["t1.micro", "m1.small", "c1.medium"],
            &["t3.*", "m7i.large"],
        ),
        _ => (&X86_FITS, &["t2.nano", "m5.metal", "p5.48xlarge", "c5.*"]),
    };
    let (supported, unsupported) = match dice.weighted(&[(42, 0u8), (33, 1), (20, 2), (5, 3)]) {
        0 => (types_from(dice, fits), types_from(dice, misfits)),
        1 => (types_from(dice, fits), None),
        2 => (None, types_from(dice, misfits)),
        _ => (types_from(dice, fits), Some(Vec::new())),
    };
    InstanceTypeSpecification {
        supported_instance_types: supported,
        unsupported_instance_types: unsupported,
    }
}

/// One to three neighbouring entries of `from`.
fn types_from(dice: &mut Dice, from: &[&str]) -> Option<Vec<InstanceTypeItem>> {
    let first = dice.below(from.len() as u64) as usize;
    let count = 1 + dice.below((from.len() as u64).min(3)) as usize;
    let items = (0..count)
        .map(|n| InstanceTypeItem {
            instance_type: Some(from[(first + n) % from.len()].into()),
        })
        .collect();
    Some(items)
}

/// Elements EC2 might add one day, in document order: one in the first mapping (in its
/// `ebs` if it has one) and one at the end of the item.
fn unknown_members(dice: &mut Dice, mappings: &[BlockDeviceMapping]) -> Vec<UnknownMember> {
    const IN_ITEM: [&str; 4] = [
        "<futureMember><detail>x</detail></futureMember>",
        "<futureFlag>true</futureFlag>",
        "<futureSet><item><name>a &amp; b</name></item><item><name>c</name></item></futureSet>",
        "<futureEmpty/>",
    ];
    const IN_MAPPING: [&str; 2] = [
        "<futureEbsMember><mode>fast</mode></futureEbsMember>",
        "<futureBurst>250</futureBurst>",
    ];
    let mut members = Vec::with_capacity(2);
    if let Some(first) = mappings.first() {
        let path = if first.ebs.is_some() {
            "blockDeviceMapping/1/ebs"
        } else {
            "blockDeviceMapping/1"
        };
        members.push(UnknownMember {
            path: path.into(),
            xml: (*dice.pick(&IN_MAPPING)).into(),
        });
    }
    members.push(UnknownMember {
        path: String::new(),
        xml: (*dice.pick(&IN_ITEM)).into(),
    });
    members
}

/// Deprecated images got a time in the past; the others mostly one after 2030 (Amazon
/// sets one on every public image), some none.
fn deprecation(dice: &mut Dice, kind: OwnerKind, traits: Traits, created: i64) -> Option<String> {
    let minutes = |secs: i64| secs - secs % 60;
    if traits.deprecated {
        let from = created.max(instant::Y2022) + 86_400;
        let to = instant::Y2025_06_30.max(from);
        Some(iso8601(minutes(dice.range(from, to)), 0))
    } else if kind != OwnerKind::Account || dice.chance(0.7) {
        Some(iso8601(
            minutes(dice.range(instant::Y2030, instant::Y2033)),
            0,
        ))
    } else {
        None
    }
}

fn custom_description(dice: &mut Dice, blueprint: &Blueprint, revision: u32) -> String {
    let base = match blueprint.platform_details {
        "Windows" => "Windows Server 2022",
        "Red Hat Enterprise Linux" => "RHEL 9",
        "SUSE Linux" => "SLES 15 SP6",
        _ => "Amazon Linux 2023",
    };
    let pipeline = 1000 + dice.below(9000) + u64::from(revision);
    match dice.below(4) {
        0 => format!("{} on {base}, pipeline #{pipeline}", blueprint.name),
        1 => format!("Golden image <{base}> built by Jörg & the platform team (#{pipeline})"),
        2 => format!(
            "\"{}\" - hardened: CIS L1, 'no root' (#{pipeline})",
            blueprint.name
        ),
        _ => format!("build {pipeline}: C:\\images\\{} 100% ✓", blueprint.name),
    }
}

/// Tags as the owner sees them: some images carry none (no `tagSet` element), some an
/// empty `tagSet`, most a few with awkward keys and values.
fn tags(dice: &mut Dice, name: &str) -> Option<Vec<Tag>> {
    const AWKWARD: [(&str, &str); 14] = [
        ("env", "prod"),
        ("env", "staging"),
        ("team", "platform & infra"),
        ("cost-center", "CC-0042"),
        ("Owner", "Jörg Müller"),
        ("notes", "<b>\"quoted\"</b> & 'single'"),
        ("path", "C:\\build\\out\\"),
        ("glob", "release-*?"),
        ("csv", "a,b,c"),
        ("kv", "key=value=other"),
        ("empty", ""),
        ("emoji", "🚀 launch"),
        ("日本語キー", "テスト値"),
        ("back\\slash*key?", "tab\there"),
    ];
    let roll = dice.below(10);
    if roll == 0 {
        return None;
    }
    if roll == 1 {
        return Some(Vec::new());
    }
    let tag = |k: &str, v: &str| Tag {
        key: Some(k.into()),
        value: Some(v.into()),
    };
    let mut tags = vec![tag("Name", name)];
    let mut used = 0u32;
    for _ in 0..dice.below(6) {
        let i = dice.below(AWKWARD.len() as u64) as u32;
        let (k, v) = AWKWARD[i as usize];
        // Keys are unique per image, and `env` comes in one value only.
        let slot = if k == "env" { 0 } else { i };
        if used & (1 << slot) == 0 {
            used |= 1 << slot;
            tags.push(tag(k, v));
        }
    }
    tags.push(tag("build", &dice.below(100_000).to_string()));
    Some(tags)
}

fn product_code(dice: &mut Dice) -> ProductCode {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let code: String = (0..25).map(|_| *dice.pick(ALPHABET) as char).collect();
    ProductCode {
        product_code_id: Some(code),
        product_code_type: Some("marketplace".into()),
    }
}

/// Where an image's disks are, for the ids of the snapshots they were made from.
struct Site<'a> {
    world_seed: u64,
    region: &'a Region,
    owner: &'a Owner,
    index: u32,
}

impl Site<'_> {
    fn snapshot_id(&self, slot: Slot) -> String {
        let key = SnapshotKey {
            index: self.index,
            slot,
        };
        snapshot_id(
            self.world_seed,
            self.region.ordinal,
            self.owner.ordinal,
            key,
        )
    }
}

/// One to four mappings: the root volume (EBS, or instance store for legacy images),
/// perhaps data volumes, ephemeral disks and a suppressed device.
fn disks(
    dice: &mut Dice,
    blueprint: &Blueprint,
    instance_store: bool,
    site: &Site,
) -> Vec<BlockDeviceMapping> {
    let mut mappings = Vec::with_capacity(4);
    let custom = site.owner.kind == OwnerKind::Account;
    if instance_store {
        mappings.push(ephemeral(blueprint.root_device_name, 0));
        mappings.push(ephemeral("sdb", 1));
        return mappings;
    }
    mappings.push(BlockDeviceMapping {
        device_name: Some(blueprint.root_device_name.into()),
        ebs: Some(volume(
            dice,
            blueprint.root_volume_gib,
            custom,
            site,
            Slot::Root,
        )),
        ..Default::default()
    });
    if custom && dice.chance(0.3) {
        let size = *dice.pick(&[50, 100, 500, 1024]);
        mappings.push(BlockDeviceMapping {
            device_name: Some(DATA_DEVICE.into()),
            ebs: Some(volume(dice, size, custom, site, Slot::Data)),
            ..Default::default()
        });
    }
    for n in 0..blueprint.ephemeral_disks.min(4 - mappings.len() as u32) {
        let device = if n == 0 { "/dev/sdb" } else { "/dev/sdc" };
        mappings.push(ephemeral(device, n));
    }
    if mappings.len() < 4 && dice.chance(0.05) {
        mappings.push(BlockDeviceMapping {
            device_name: Some("/dev/sdd".into()),
            no_device: Some(String::new()),
            ..Default::default()
        });
    }
    mappings
}

fn ephemeral(device: &str, n: u32) -> BlockDeviceMapping {
    BlockDeviceMapping {
        device_name: Some(device.into()),
        virtual_name: Some(format!("ephemeral{n}")),
        ..Default::default()
    }
}

fn volume(dice: &mut Dice, size: i32, custom: bool, site: &Site, slot: Slot) -> EbsBlockDevice {
    let (owner, region) = (site.owner, site.region);
    let volume_type = dice.weighted(&[(45, "gp3"), (45, "gp2"), (10, "io1")]);
    let encrypted = custom && dice.chance(0.4);
    EbsBlockDevice {
        delete_on_termination: Some(!custom || dice.chance(0.9)),
        iops: match volume_type {
            "gp3" => Some(3000),
            "io1" => Some(dice.range(1, 16) as i32 * 1000),
            _ => None,
        },
        // The id was once drawn here; the draw stays so that what follows is unchanged.
        snapshot_id: Some({
            dice.next_u64();
            site.snapshot_id(slot)
        }),
        volume_size: Some(size),
        volume_type: Some(volume_type.into()),
        kms_key_id: (encrypted && dice.chance(0.7)).then(|| {
            format!(
                "arn:aws:kms:{}:{}:key/{}",
                region.name,
                owner.id,
                uuid_like(dice.next_u64(), dice.next_u64())
            )
        }),
        throughput: (volume_type == "gp3").then(|| *dice.pick(&[125, 125, 250, 1000])),
        encrypted: Some(encrypted),
        volume_initialization_rate: (custom && dice.chance(0.05)).then_some(300),
        ..Default::default()
    }
}

fn uuid_like(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::catalog::World;
    use crate::config::FakeConfig;

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    fn render_all(world: &World, viewer: &Caller) -> Vec<Image> {
        let region = &world.regions[0];
        let mut out = Vec::new();
        for owner in &world.owners {
            let scene = Scene {
                world_seed: world.seed,
                region,
                places: &world.places,
                owner,
                viewer,
                unknown_member_rate: world.unknown_member_rate,
            };
            out.extend(
                region.catalogs[owner.ordinal as usize]
                    .entries
                    .iter()
                    .map(|e| render(&scene, e)),
            );
        }
        out
    }

    #[test]
    fn rendering_is_deterministic_and_ids_are_unique() {
        let world = World::new(&FakeConfig::demo());
        let viewer = Caller::new(&world, "111111111111");
        let a = render_all(&world, &viewer);
        assert_eq!(a, render_all(&world, &viewer));
        let ids: HashSet<_> = a.iter().map(|i| i.image_id.clone()).collect();
        assert_eq!(ids.len(), a.len());
    }

    #[test]
    fn the_catalog_has_the_variety_clients_must_survive() {
        let world = World::new(&FakeConfig::demo());
        let viewer = Caller::new(&world, "111111111111");
        let images = render_all(&world, &viewer);
        let count = |f: &dyn Fn(&Image) -> bool| images.iter().filter(|i| f(i)).count();
        assert!(count(&|i| i.platform.as_deref() == Some("windows")) > 100);
        assert!(count(&|i| i.virtualization_type.as_deref() == Some("paravirtual")) > 5);
        assert!(count(&|i| i.root_device_type.as_deref() == Some("instance-store")) > 1);
        assert!(count(&|i| i.kernel_id.is_some()) > 5);
        assert!(count(&|i| i.state.as_deref() == Some("disabled")) > 0);
        assert!(count(&|i| i.state_reason.is_some()) > 0);
        assert!(count(&|i| i.tags == Some(vec![])) > 5);
        assert!(count(&|i| i.tags.is_none() && i.owner_id.as_deref() == Some("111111111111")) > 5);
        assert!(count(&|i| i.product_codes.is_some()) > 100);
        assert!(count(&|i| i.source_image_id.is_some()) > 5);
        assert!(count(&|i| i.architecture.as_deref() == Some("i386")) > 0);
        let mappings = |i: &Image| i.block_device_mappings.as_ref().map_or(0, |m| m.len());
        let machine = |i: &Image| i.image_type.as_deref() == Some("machine");
        for image in images.iter().filter(|i| machine(i)) {
            assert!((1..=4).contains(&mappings(image)), "{:?}", image.image_id);
        }
        assert!(
            count(&|i| i
                .block_device_mappings
                .iter()
                .flatten()
                .any(|m| m.no_device.is_some()))
                > 0
        );
        assert!(
            count(&|i| i
                .block_device_mappings
                .iter()
                .flatten()
                .any(|m| m.virtual_name.is_some()))
                > 10
        );
        // Tags and last launch are the owner's alone.
        assert!(
            images
                .iter()
                .filter(|i| i.owner_id.as_deref() != Some("111111111111"))
                .all(|i| i.tags.is_none() && i.last_launched_time.is_none())
        );
        let date = images[0].creation_date.as_deref().unwrap();
        assert_eq!((date.len(), &date[23..]), (24, "Z"));
    }

    #[test]
    fn a_new_revision_changes_what_modifications_change() {
        let world = World::new(&FakeConfig::demo());
        let viewer = Caller::new(&world, "111111111111");
        let region = &world.regions[0];
        for owner in &world.owners {
            let scene = Scene {
                world_seed: world.seed,
                region,
                places: &world.places,
                owner,
                viewer: &viewer,
                unknown_member_rate: 0.0,
            };
            for entry in region.catalogs[owner.ordinal as usize]
                .entries
                .iter()
                .take(50)
            {
                let seed = revision_seed(world.seed, region.ordinal, owner.ordinal, entry.index, 1);
                let next = Entry {
                    revision: 1,
                    traits: traits(owner.kind, seed),
                    ..*entry
                };
                let (a, b) = (render(&scene, entry), render(&scene, &next));
                assert_eq!((&a.image_id, &a.name), (&b.image_id, &b.name));
                assert_ne!(a, b);
            }
        }
    }

    fn of_type<'a>(images: &'a [Image], image_type: &str) -> Vec<&'a Image> {
        images
            .iter()
            .filter(|i| i.image_type.as_deref() == Some(image_type))
            .collect()
    }

    fn assert_boot_images(images: &[&Image], prefix: &str) {
        assert!(!images.is_empty(), "no {prefix} images");
        for image in images {
            let id = image.image_id.as_deref().unwrap();
            assert!(id.starts_with(prefix) && id.len() == 21, "{id}");
            assert_eq!(image.image_owner_alias.as_deref(), Some("amazon"));
            assert_eq!(image.block_device_mappings, Some(vec![]));
            assert_eq!(image.root_device_type.as_deref(), Some("instance-store"));
            assert_eq!(image.virtualization_type.as_deref(), Some("paravirtual"));
            assert!(image.root_device_name.is_none() && image.kernel_id.is_none());
            assert!(image.creation_date.as_deref().unwrap() < "2013-07", "{id}");
        }
    }

    #[test]
    fn a_few_of_amazons_images_are_kernels_and_ramdisks() {
        let world = World::new(&FakeConfig::demo());
        let images = render_all(&world, &Caller::new(&world, A));
        let kernels = of_type(&images, "kernel");
        let ramdisks = of_type(&images, "ramdisk");
        let machines = of_type(&images, "machine");
        assert_boot_images(&kernels, "aki-0");
        assert_boot_images(&ramdisks, "ari-0");
        assert!(kernels.len() + ramdisks.len() < images.len() / 50);
        assert_eq!(
            machines.len() + kernels.len() + ramdisks.len(),
            images.len()
        );
        for image in machines {
            let id = image.image_id.as_deref().unwrap();
            assert!(id.starts_with("ami-0"), "{id}");
        }
    }

    #[test]
    fn each_public_parameter_resolves_to_the_newest_image_of_its_kind() {
        let world = World::new(&FakeConfig::demo());
        let images = render_all(&world, &Caller::new(&world, A));
        let mut parameters = HashSet::new();
        for image in &images {
            if let Some(parameter) = &image.public_ssm_parameter_name {
                assert!(parameter.starts_with("/aws/service/"), "{parameter}");
                assert_eq!(image.image_owner_alias.as_deref(), Some("amazon"));
                assert_eq!(image.public, Some(true));
                assert!(parameters.insert(parameter.clone()), "{parameter} twice");
            }
        }
        // A few percent of Amazon's 1,500 images here.
        let count = parameters.len();
        assert!((15..150).contains(&count), "{count}");
        let default_x86 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        assert!(parameters.contains(default_x86));
        let current = |i: &&Image| i.deprecation_time.as_deref().is_some_and(|t| t > "2026");
        let newest = images
            .iter()
            .filter(|i| {
                let name = i.name.as_deref().unwrap_or_default();
                name.starts_with("al2023-ami-2023.") && name.ends_with("-kernel-6.1-x86_64")
            })
            .filter(current)
            .max_by_key(|i| i.creation_date.clone())
            .unwrap();
        assert_eq!(
            newest.public_ssm_parameter_name.as_deref(),
            Some(default_x86)
        );
    }

    #[test]
    fn copies_carry_their_sources_watermarks() {
        let world = World::new(&FakeConfig::demo());
        let images = render_all(&world, &Caller::new(&world, A));
        let (mut copies, mut marked) = (0, 0);
        for image in &images {
            copies += usize::from(image.source_image_id.is_some());
            if let Some(marks) = &image.image_watermarks {
                assert!(image.source_image_id.is_some(), "{:?}", image.image_id);
                marked += usize::from(!marks.is_empty());
                for mark in marks {
                    assert_eq!(mark.source_image_id, image.source_image_id);
                    assert_eq!(mark.source_image_region, image.source_image_region);
                    let key = mark.watermark_key.as_deref().unwrap();
                    let owner = image.owner_id.as_deref().unwrap();
                    assert!(key.starts_with(owner), "{key}");
                    let source_created = mark.source_image_creation_time.as_deref().unwrap();
                    let attached = mark.watermark_creation_time.as_deref().unwrap();
                    let created = image.creation_date.as_deref().unwrap();
                    assert_eq!((source_created.len(), attached.len()), (24, 24));
                    assert!(source_created[..19] <= attached[..19]);
                    assert!(attached[..19] <= created[..19]);
                }
            }
        }
        assert!(copies > 50, "{copies}");
        assert!(
            marked * 10 > copies * 6 && marked < copies,
            "{marked} of {copies}"
        );
    }

    #[test]
    fn scan_results_are_the_images_and_shown_to_every_viewer() {
        let severities = ["informational", "low", "medium", "high", "critical"];
        let world = World::new(&FakeConfig::demo());
        let as_a = render_all(&world, &Caller::new(&world, A));
        let as_b = render_all(&world, &Caller::new(&world, B));
        let (mut scanned, mut scanned_for_b, mut absent_dates) = (0, 0, 0);
        for (a, b) in as_a.iter().zip(&as_b) {
            assert_eq!(a.scan_results, b.scan_results, "{:?}", a.image_id);
            if a.owner_id.as_deref() == Some(B) {
                scanned_for_b += usize::from(b.scan_results.is_some());
            }
            let Some(scan) = &a.scan_results else {
                continue;
            };
            scanned += usize::from(a.owner_id.as_deref() == Some(A));
            let label = scan.highest_finding_severity_label.as_deref().unwrap();
            let rank = severities.iter().position(|s| *s == label).unwrap();
            let scan_date = scan.finding_scan_date.as_deref().unwrap();
            let since = [
                &scan.informational_fix_available_since,
                &scan.low_fix_available_since,
                &scan.medium_fix_available_since,
                &scan.high_fix_available_since,
                &scan.critical_fix_available_since,
            ];
            for (severity, date) in since.into_iter().enumerate() {
                match date {
                    Some(date) => assert!(severity <= rank && date[..19] <= scan_date[..19]),
                    None => absent_dates += 1,
                }
            }
        }
        // About a third of the 300 images each account owns here.
        assert!((60..150).contains(&scanned), "{scanned}");
        assert!((60..150).contains(&scanned_for_b), "{scanned_for_b}");
        assert!(absent_dates > 0);
    }

    #[test]
    fn some_images_say_which_instance_types_fit() {
        let world = World::new(&FakeConfig::demo());
        let images = render_all(&world, &Caller::new(&world, A));
        let (mut with, mut one_list) = (0, 0);
        for image in &images {
            if let Some(spec) = &image.instance_type_specification {
                with += 1;
                let lists = [
                    &spec.supported_instance_types,
                    &spec.unsupported_instance_types,
                ];
                one_list += usize::from(lists.iter().any(|l| l.is_none()));
                for item in lists.into_iter().flatten().flatten() {
                    let name = item.instance_type.as_deref().unwrap();
                    assert!(name.contains('.'), "{name}");
                }
            }
        }
        // About 10% of the 2,700 images here.
        assert!((150..450).contains(&with), "{with}");
        assert!(one_list > 20 && one_list < with, "{one_list} of {with}");
    }

    #[test]
    fn the_share_rate_picks_its_share_and_the_default_the_images_it_always_picked() {
        let traits = Traits {
            lifecycle: Lifecycle::Available,
            public: false,
            deprecated: false,
        };
        let mut at_rate = 0;
        for seed in 0..100_000u64 {
            let draw = mix(seed, &[salt::SHARE, 7]);
            assert_eq!(shared_with(seed, traits, 7, 100_000), draw % 1000 < 100);
            at_rate += usize::from(shared_with(seed, traits, 7, 1_000));
        }
        assert!((50..150).contains(&at_rate), "{at_rate} of 100,000 at 0.1%");
        let pending = Traits {
            lifecycle: Lifecycle::Pending,
            ..traits
        };
        assert!((0..1000).all(|seed| !shared_with(seed, pending, 7, 1_000_000)));
    }

    #[test]
    fn unknown_members_are_on_the_configured_share_for_every_viewer() {
        let plain = World::new(&FakeConfig::demo());
        let plain_images = render_all(&plain, &Caller::new(&plain, A));
        assert!(plain_images.iter().all(|i| i.unknown_members.is_none()));
        let world = World::new(&FakeConfig {
            unknown_member_rate: 0.3,
            ..FakeConfig::demo()
        });
        let as_a = render_all(&world, &Caller::new(&world, A));
        let as_b = render_all(&world, &Caller::new(&world, B));
        let mut with = 0;
        for (a, b) in as_a.iter().zip(&as_b) {
            assert_eq!(a.unknown_members, b.unknown_members);
            let Some(members) = &a.unknown_members else {
                continue;
            };
            with += 1;
            let last = members.last().unwrap();
            assert_eq!(last.path, "");
            assert!(last.xml.starts_with("<future"), "{}", last.xml);
            let mappings = a.block_device_mappings.as_deref().unwrap_or_default();
            match mappings.first() {
                Some(first) => {
                    let path = if first.ebs.is_some() {
                        "blockDeviceMapping/1/ebs"
                    } else {
                        "blockDeviceMapping/1"
                    };
                    assert_eq!((members.len(), members[0].path.as_str()), (2, path));
                }
                None => assert_eq!(members.len(), 1),
            }
        }
        let share = with as f64 / as_a.len() as f64;
        assert!((0.2..0.4).contains(&share), "{share}");
    }
}
