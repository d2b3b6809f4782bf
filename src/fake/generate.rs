//! Renders an image from its coordinates. `(seed, region, owner, index)` fixes what never
//! changes about an image (id, name, architecture, disks, creation date); the revision
//! fixes what a modification changes (description, tags, deprecation time, state); the
//! viewer fixes what EC2 shows per caller (tags, last launch, `imageAllowed`).

use crate::image::{BlockDeviceMapping, EbsBlockDevice, Image, ProductCode, StateReason, Tag};

use super::caller::Caller;
use super::catalog::{Entry, Lifecycle, Owner, OwnerKind, Region, Traits};
use super::dice::{Dice, mix, mix_text};
use super::families::{Blueprint, Family};
use super::ids::{ImageKey, hex_id, image_id, short_id};
use super::timestamp::{Civil, instant, iso8601};

/// Salts that keep the different streams derived from one seed apart.
mod salt {
    pub const BASE: u64 = 1;
    pub const REVISION: u64 = 2;
    pub const TRAITS: u64 = 3;
    pub const SHARE: u64 = 4;
    pub const CONTENT: u64 = 5;
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
/// account with `ordinal`: about 10% per other account, only for available images.
pub(crate) fn shared_with(revision_seed: u64, traits: Traits, ordinal: u16) -> bool {
    traits.lifecycle == Lifecycle::Available
        && mix(revision_seed, &[salt::SHARE, ordinal.into()]) % 1000 < 100
}

/// Where an image is rendered and for whom.
pub(crate) struct Scene<'a> {
    pub world_seed: u64,
    pub region: &'a Region,
    /// Names of every configured region, for `sourceImageRegion`.
    pub region_names: &'a [&'a str],
    pub owner: &'a Owner,
    pub viewer: &'a Caller,
}

/// The image as DescribeImages shows it to the scene's viewer.
pub(crate) fn render(scene: &Scene, entry: &Entry) -> Image {
    let owner = scene.owner;
    let key = ImageKey {
        region: scene.region.ordinal,
        owner: owner.ordinal,
        index: entry.index,
    };
    let base = base_seed(scene.world_seed, key.region, key.owner, key.index);
    let revision = mix(base, &[salt::REVISION, entry.revision.into()]);
    let mut dice = Dice::new(base);
    let family = Family::pick(owner.kind, &mut dice);
    let (from, to) = family.created_between();
    let created = dice.range(from, to);
    let millis = dice.below(1000);
    let blueprint = Blueprint::design(
        family,
        &mut dice,
        Civil::from_unix(created),
        entry.index,
        owner.ordinal,
    );
    let is_owner = scene.viewer.ordinal == Some(owner.ordinal);
    let legacy = family == Family::LegacyPv;
    let instance_store = legacy && blueprint.name.ends_with("-s3");

    let image_location = match (instance_store, owner.alias()) {
        (true, _) => format!(
            "amzn-ami-{}/{}.manifest.xml",
            scene.region.name,
            blueprint.name.trim_end_matches("-s3")
        ),
        (false, Some(alias)) => format!("{alias}/{}", blueprint.name),
        (false, None) => format!("{}/{}", owner.id, blueprint.name),
    };
    let block_device_mappings = disks(&mut dice, &blueprint, owner, instance_store, scene.region);
    let product_codes = match family {
        Family::Ubuntu | Family::Rhel | Family::Debian | Family::Appliance => {
            Some(vec![product_code(&mut dice)])
        }
        Family::Custom(_) if dice.chance(0.05) => Some(vec![product_code(&mut dice)]),
        _ => None,
    };
    let source = (matches!(family, Family::Custom(_)) && dice.chance(0.15)).then(|| {
        (
            hex_id("ami-0", dice.next_u64()),
            scene.region_names[dice.below(scene.region_names.len() as u64) as usize].to_string(),
        )
    });
    let source_instance_id = (matches!(family, Family::Custom(_)) && dice.chance(0.5))
        .then(|| hex_id("i-0", dice.next_u64()));

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

    Image {
        image_id: Some(image_id(scene.world_seed, key)),
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
    }
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

/// One to four mappings: the root volume (EBS, or instance store for legacy images),
/// perhaps data volumes, ephemeral disks and a suppressed device.
fn disks(
    dice: &mut Dice,
    blueprint: &Blueprint,
    owner: &Owner,
    instance_store: bool,
    region: &Region,
) -> Vec<BlockDeviceMapping> {
    let mut mappings = Vec::with_capacity(4);
    let custom = owner.kind == OwnerKind::Account;
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
            owner,
            region,
        )),
        ..Default::default()
    });
    if custom && dice.chance(0.3) {
        let size = *dice.pick(&[50, 100, 500, 1024]);
        mappings.push(BlockDeviceMapping {
            device_name: Some("/dev/sdf".into()),
            ebs: Some(volume(dice, size, custom, owner, region)),
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

fn volume(
    dice: &mut Dice,
    size: i32,
    custom: bool,
    owner: &Owner,
    region: &Region,
) -> EbsBlockDevice {
    let volume_type = dice.weighted(&[(45, "gp3"), (45, "gp2"), (10, "io1")]);
    let encrypted = custom && dice.chance(0.4);
    EbsBlockDevice {
        delete_on_termination: Some(!custom || dice.chance(0.9)),
        iops: match volume_type {
            "gp3" => Some(3000),
            "io1" => Some(dice.range(1, 16) as i32 * 1000),
            _ => None,
        },
        snapshot_id: Some(hex_id("snap-0", dice.next_u64())),
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
    use super::*;
    use crate::fake::catalog::World;
    use crate::fake::config::FakeConfig;

    fn render_all(world: &World, viewer: &Caller) -> Vec<Image> {
        let names: Vec<&str> = world.regions.iter().map(|r| r.name.as_str()).collect();
        let region = &world.regions[0];
        let mut out = Vec::new();
        for owner in &world.owners {
            let scene = Scene {
                world_seed: world.seed,
                region,
                region_names: &names,
                owner,
                viewer,
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
        let ids: std::collections::HashSet<_> = a.iter().map(|i| i.image_id.clone()).collect();
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
        assert!(images.iter().all(|i| (1..=4).contains(&mappings(i))));
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
        let names = ["us-east-1"];
        let region = &world.regions[0];
        for owner in &world.owners {
            let scene = Scene {
                world_seed: world.seed,
                region,
                region_names: &names,
                owner,
                viewer: &viewer,
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
}
