//! Sharing as a specification: launch permissions agree with the listings, outside
//! sharing is rare, drawn from a small pool that never holds a configured account, and
//! mutations move it without touching what configured accounts see.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::caller::Caller;
use crate::config::{FakeConfig, FakeRegion, Faults};
use crate::describe_images;
use crate::request::DescribeRequest;

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";

fn config(accounts: &[&str]) -> FakeConfig {
    FakeConfig {
        seed: 17,
        accounts: accounts.iter().map(|a| a.to_string()).collect(),
        regions: vec![
            FakeRegion {
                name: "us-east-1".into(),
                enabled: true,
                opted_in: Vec::new(),
            },
            FakeRegion {
                name: "eu-west-1".into(),
                enabled: true,
                opted_in: Vec::new(),
            },
        ],
        owned_per_account_region: 2_000,
        amazon_per_region: 100,
        marketplace_per_region: 10,
        faults: Faults::default(),
        unknown_member_rate: 0.0,
    }
}

fn world() -> World {
    World::new(&config(&[A, B, C]))
}

/// `(image, permissions)` of every image `account` owns in the first region.
fn permissions_of(world: &World, account: u16) -> Vec<(&Entry, Vec<LaunchPermission>)> {
    let region = &world.regions[0];
    let owner = world.owner(account).unwrap();
    region.catalogs[usize::from(account)]
        .entries
        .iter()
        .map(|e| (e, launch_permissions(world, region, owner, e)))
        .collect()
}

#[test]
fn launch_permissions_agree_with_public_and_shared_listings() {
    let world = world();
    let region = &world.regions[0];
    let pool: BTreeSet<&str> = world
        .outsiders
        .accounts
        .iter()
        .map(String::as_str)
        .collect();
    let (mut public, mut shared) = (0, 0);
    for (entry, permissions) in permissions_of(&world, 0) {
        let all = permissions
            .iter()
            .any(|p| p.group.as_deref() == Some("all"));
        assert_eq!(all, entry.traits.public, "{entry:?}");
        public += usize::from(all);
        for permission in &permissions {
            let set = [
                &permission.group,
                &permission.user_id,
                &permission.organization_arn,
                &permission.organizational_unit_arn,
            ];
            assert_eq!(set.iter().filter(|m| m.is_some()).count(), 1);
        }
        let users: BTreeSet<&str> = permissions
            .iter()
            .filter_map(|p| p.user_id.as_deref())
            .collect();
        // A configured account has a permission exactly when DescribeImages shares the
        // image with it.
        for (ordinal, account) in [(1u16, B), (2u16, C)] {
            let viewer = Caller::new(&world, account);
            let visible =
                describe_images::visible(&world, region, &viewer, &world.owners[0], entry);
            let seed = world.entry_seed(region.ordinal, 0, entry);
            let granted = world.shared_with(seed, entry.traits, ordinal);
            assert_eq!(users.contains(account), granted, "{entry:?}");
            if granted && entry.traits.lifecycle != Lifecycle::Disabled {
                assert!(visible);
            }
            shared += usize::from(granted);
        }
        assert!(!users.contains(A), "the owner is never listed");
        for user in users.iter().filter(|u| ![B, C].contains(u)) {
            assert!(
                pool.contains(user),
                "{user} is neither configured nor an outsider"
            );
        }
    }
    assert!(
        public > 20 && shared > 100,
        "{public} public, {shared} shared"
    );
}

#[test]
fn outside_sharing_is_rare_and_reuses_a_small_pool() {
    let world = world();
    let pool = &world.outsiders.accounts;
    assert_eq!(pool.len(), FakeResources::default().external_accounts);
    assert!(pool.iter().all(|id| crate::caller::is_account_id(id)));
    assert_eq!(pool.iter().collect::<BTreeSet<_>>().len(), pool.len());
    let available = world.regions[0].catalogs[0]
        .entries
        .iter()
        .filter(|e| e.traits.lifecycle == Lifecycle::Available)
        .count();
    let shared = shared_outside(&world, A, "us-east-1");
    let mut per_outsider: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut with_users, mut with_organizations) = (0, 0);
    for (id, permissions) in &shared {
        assert!(id.starts_with("ami-0"), "{id}");
        let users: Vec<&str> = permissions
            .iter()
            .filter_map(|p| p.user_id.as_deref())
            .collect();
        assert!(users.len() <= 3, "{users:?}");
        for user in &users {
            *per_outsider.entry(user).or_default() += 1;
        }
        with_users += usize::from(!users.is_empty());
        let organization = permissions
            .iter()
            .find(|p| p.group.is_none() && p.user_id.is_none());
        if let Some(p) = organization {
            with_organizations += 1;
            let arn = p
                .organization_arn
                .as_ref()
                .or(p.organizational_unit_arn.as_ref());
            assert!(arn.unwrap().starts_with("arn:aws:organizations::"), "{p:?}");
        }
        assert!(permissions.iter().all(|p| p.group.is_none()));
    }
    // About 5% and 1% of some 1,900 available images.
    let users_share = with_users as f64 / available as f64;
    assert!((0.03..0.07).contains(&users_share), "{users_share}");
    assert!(
        (5..45).contains(&with_organizations),
        "{with_organizations}"
    );
    // Several images share each outsider.
    assert!(per_outsider.len() <= pool.len());
    assert!(per_outsider.values().all(|n| *n >= 3), "{per_outsider:?}");
}

#[test]
fn the_pool_never_holds_a_configured_account() {
    let plain = world();
    let drawn: Vec<&str> = plain
        .outsiders
        .accounts
        .iter()
        .map(String::as_str)
        .collect();
    // Configure the first two outsiders the seed draws: the pool must step around them.
    let taken = World::new(&config(&[drawn[0], drawn[1], A]));
    let pool = &taken.outsiders.accounts;
    assert_eq!(pool.len(), drawn.len());
    assert!(
        !pool.iter().any(|id| id == drawn[0] || id == drawn[1]),
        "{pool:?}"
    );
    assert_eq!(pool[..drawn.len() - 2], plain.outsiders.accounts[2..]);
    for organization in &taken.outsiders.organizations {
        for configured in [drawn[0], drawn[1], A] {
            assert!(
                !organization.arn.contains(configured),
                "{}",
                organization.arn
            );
        }
    }
}

#[test]
fn no_outside_sharing_at_zero_rates() {
    let resources = FakeResources {
        external_share_rate: 0.0,
        external_organization_share_rate: 0.0,
        ..FakeResources::default()
    };
    let mut world = World::with_resources(&config(&[A, B]), &resources);
    assert!(shared_outside(&world, A, "us-east-1").is_empty());
    world.mutate(0.9, 3);
    assert!(shared_outside(&world, A, "us-east-1").is_empty());
}

/// Every image of `caller`'s view of the first region, as DescribeImages lists them
/// with the given `ExecutableBy` (all pages).
fn listing(world: &World, caller: &str, executable_by: &[&str]) -> Vec<String> {
    let caller = Caller::new(world, caller);
    let mut request = DescribeRequest {
        executable_users: executable_by.iter().map(|s| s.to_string()).collect(),
        include_deprecated: true,
        ..DescribeRequest::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = describe_images::page(world, &caller, "us-east-1", &request).unwrap();
        ids.extend(page.images.into_iter().filter_map(|i| i.image_id));
        match page.next_token {
            Some(token) => request.next_token = Some(token),
            None => return ids,
        }
    }
}

#[test]
fn outside_sharing_leaves_the_configured_listings_alone() {
    let none = FakeResources {
        external_share_rate: 0.0,
        external_organization_share_rate: 0.0,
        ..FakeResources::default()
    };
    let lots = FakeResources {
        external_share_rate: 0.5,
        external_organization_share_rate: 0.2,
        ..FakeResources::default()
    };
    let quiet = World::with_resources(&config(&[A, B]), &none);
    let busy = World::with_resources(&config(&[A, B]), &lots);
    assert!(shared_outside(&busy, A, "us-east-1").len() > 500);
    for (caller, executable_by) in [(B, vec![]), (B, vec!["self"]), (A, vec!["all"])] {
        assert_eq!(
            listing(&quiet, caller, &executable_by),
            listing(&busy, caller, &executable_by),
            "{caller} {executable_by:?}"
        );
    }
}

#[test]
fn mutations_share_and_unshare_outside_deterministically() {
    let mut a = world();
    let mut b = world();
    let before: BTreeMap<String, Vec<LaunchPermission>> =
        shared_outside(&a, A, "us-east-1").into_iter().collect();
    a.mutate(0.3, 11);
    b.mutate(0.3, 11);
    let after: BTreeMap<String, Vec<LaunchPermission>> =
        shared_outside(&a, A, "us-east-1").into_iter().collect();
    assert_eq!(
        after,
        shared_outside(&b, A, "us-east-1").into_iter().collect()
    );
    let registered: BTreeSet<String> = {
        let region = &a.regions[0];
        region.catalogs[0]
            .entries
            .iter()
            .map(|e| {
                let key = ImageKey {
                    region: 0,
                    owner: 0,
                    index: e.index,
                };
                image_id(a.seed, ImageKind::Machine, key)
            })
            .collect()
    };
    let unshared = before
        .keys()
        .filter(|id| registered.contains(*id) && !after.contains_key(*id))
        .count();
    let newly = after.keys().filter(|id| !before.contains_key(*id)).count();
    assert!(
        unshared >= 2 && newly >= 2,
        "{unshared} unshared, {newly} newly shared"
    );
    // The estate keeps only what the mutation changed, for registered images.
    let changes = &a.regions[0].estates[0].outside;
    assert!(
        !changes.is_empty() && changes.len() < 100,
        "{}",
        changes.len()
    );
    assert!(changes.windows(2).all(|w| w[0].index < w[1].index));
    assert!(changes.iter().any(|c| c.usage > 0));
}

#[test]
fn outside_usage_is_drawn_small_and_follows_the_usage_count() {
    let world = world();
    let mut differs = 0;
    let mut nothing = 0;
    for index in 0..400 {
        let (instances, templates) = outside_usage(&world, 0, 0, index, 0, 1);
        assert!(instances <= 3 && templates.len() <= 2);
        assert!(templates.iter().all(|d| (1..=40).contains(d)));
        nothing += usize::from(instances == 0 && templates.is_empty());
        assert_eq!(
            (instances, templates.clone()),
            outside_usage(&world, 0, 0, index, 0, 1)
        );
        differs += usize::from((instances, templates) != outside_usage(&world, 0, 0, index, 1, 1));
    }
    assert!((70..200).contains(&nothing), "{nothing}");
    assert!(differs > 150, "{differs}");
}
