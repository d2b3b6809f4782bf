//! Estates as a specification: what a world starts with, and what a mutation changes.

use std::collections::{BTreeSet, HashMap};

use super::*;
use crate::config::{FakeConfig, FakeRegion, Faults};

const A: &str = "111111111111";

fn config() -> FakeConfig {
    FakeConfig {
        seed: 5,
        accounts: vec![A.into(), "222222222222".into()],
        regions: vec![FakeRegion {
            name: "us-east-1".into(),
            enabled: true,
            opted_in: Vec::new(),
        }],
        owned_per_account_region: 300,
        amazon_per_region: 200,
        marketplace_per_region: 20,
        faults: Faults::default(),
        unknown_member_rate: 0.0,
    }
}

fn world() -> World {
    World::new(&config())
}

#[test]
fn a_small_world_has_a_few_of_everything() {
    let world = world();
    let estate = &world.regions[0].estates[0];
    let defaults = FakeResources::default();
    assert_eq!(
        estate.instances.len(),
        defaults.instances_per_account_region
    );
    assert_eq!(
        estate.launch_templates.len(),
        defaults.launch_templates_per_account_region
    );
    assert!(!estate.parameters.is_empty() && !estate.recipes.is_empty());
    assert_eq!(
        estate.recycle_bin.len(),
        defaults.recycle_bin_per_account_region
    );
    let owners: BTreeSet<u16> = estate.instances.iter().map(|i| i.image.owner).collect();
    // Own images, another account's, Amazon's.
    assert!(owners.len() >= 3, "{owners:?}");
    assert!(estate.instances.iter().any(|i| i.image.index >= PRIOR_BASE));
    assert!(
        estate
            .launch_templates
            .iter()
            .any(|t| t.versions.len() > DEFAULT_DEPTH as usize)
    );
}

const DEFAULT_DEPTH: u32 = crate::launch_templates::DEFAULT_VERSION_DEPTH;

#[test]
fn some_images_share_a_root_snapshot_with_an_earlier_one() {
    let world = world();
    let region = &world.regions[0];
    let account = &world.owners[0];
    let mut users: HashMap<u32, usize> = HashMap::new();
    for entry in &region.catalogs[0].entries {
        let origin = root_origin(world.seed, region.ordinal, account, entry.index);
        assert!(origin <= entry.index && entry.index - origin <= SHARE_REACH);
        // The origin reuses none itself.
        assert_eq!(
            root_origin(world.seed, region.ordinal, account, origin),
            origin
        );
        *users.entry(origin).or_default() += 1;
    }
    let shared = users.values().filter(|n| **n > 1).count();
    assert!((10..80).contains(&shared), "{shared}");
}

#[test]
fn mutations_are_deterministic_and_keep_the_bins_sorted() {
    let mut a = world();
    let mut b = world();
    for seed in 0..4 {
        a.mutate(0.6, seed);
        b.mutate(0.6, seed);
    }
    let (ea, eb) = (&a.regions[0].estates[0], &b.regions[0].estates[0]);
    assert_eq!(ea.instances, eb.instances);
    assert_eq!(ea.retained, eb.retained);
    assert_eq!(ea.recycle_bin, eb.recycle_bin);
    assert!(ea.recycle_bin.windows(2).all(|w| w[0].index < w[1].index));
    assert!(ea.retained.windows(2).all(|w| w[0] < w[1]));
    assert!(ea.next_instance > 12);
}

#[test]
fn a_snapshot_in_use_is_never_deleted() {
    let mut world = world();
    for seed in 0..6 {
        world.mutate(0.9, seed);
        let region = &world.regions[0];
        let account = &world.owners[0];
        let estate = &region.estates[0];
        let catalog = &region.catalogs[0];
        for entry in &catalog.entries {
            let origin = root_origin(world.seed, region.ordinal, account, entry.index);
            if origin == entry.index {
                continue;
            }
            let key = SnapshotKey {
                index: origin,
                slot: Slot::Root,
            };
            let alive =
                catalog.get(origin).is_some() || estate.retained.binary_search(&key.pack()).is_ok();
            assert!(
                alive,
                "the root snapshot of {origin} is gone, {} uses it",
                entry.index
            );
        }
    }
}

#[test]
fn the_instances_of_an_image_are_found_by_index_before_and_after_mutations() {
    let mut world = world();
    let scan = |estate: &Estate| {
        let mut by_image: HashMap<ImageRef, Vec<u32>> = HashMap::new();
        for (at, instance) in estate.instances.iter().enumerate() {
            by_image.entry(instance.image).or_default().push(at as u32);
        }
        by_image
    };
    for seed in 0..3 {
        let estate = &world.regions[0].estates[0];
        let expected = scan(estate);
        assert!(!expected.is_empty());
        for (image, positions) in &expected {
            assert_eq!(estate.instances_of(*image), positions.as_slice());
        }
        let missing = ImageRef {
            owner: 0,
            index: u32::MAX,
        };
        assert!(estate.instances_of(missing).is_empty());
        // Built before the mutation, the index must not outlive it.
        world.mutate(0.9, seed);
    }
}
