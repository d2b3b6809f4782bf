//! Who may launch an account's image: everyone when it is public, the configured
//! accounts it is shared with (`generate::shared_with`, which the listings follow) and,
//! drawn here, accounts and organizations outside the configured set, which no
//! configured account's listings see. DescribeImageAttribute (`launchPermission`) tells
//! all of them to the owner; AMI usage reports count what the outside accounts run.
//!
//! Outside sharing is a function of the image's coordinates, so nothing is stored for
//! an image as generated: about [`FakeResources::external_share_rate`] of an account's
//! available images are shared with one to three accounts of a small pool (several
//! images share the same outsiders), about
//! [`FakeResources::external_organization_share_rate`] with an organization or one of
//! its OUs. Only available images are shared, as with the configured accounts. A
//! mutation unshares some images and shares others; what it did is kept in the owner's
//! estate as an [`OutsideChange`] per image (a few numbers), with a count of the
//! changes in how the outsiders use the image, which their drawn usage follows.
//!
//! The outsiders are fixed by the seed: a pool of twelve-digit ids that are never a
//! configured account's (nor Amazon's or the Marketplace's), and two organizations of
//! three OUs each, whose management accounts are outside the configured set too (and
//! outside the pool: they appear only in the ARNs).
//!
//! [`FakeResources::external_share_rate`]: crate::FakeResources::external_share_rate
//! [`FakeResources::external_organization_share_rate`]: crate::FakeResources::external_organization_share_rate

use std::collections::HashSet;

use super::catalog::{Entry, Lifecycle, Owner, OwnerKind, Region, World};
use super::config::FakeResources;
use super::dice::{Dice, mix};
use super::estate::{Estate, portion};
use super::ids::{ImageKey, ImageKind, image_id};

/// Salts of the streams outside sharing draws from.
mod salt {
    pub const POOL: u64 = 0x6f75_7470;
    pub const ORGANIZATIONS: u64 = 0x6f72_6773;
    pub const SHARE: u64 = 0x6f73_6872;
    pub const WHO: u64 = 0x6f77_686f;
    pub const ORGANIZATION: u64 = 0x6f6f_7267;
    pub const GRANT: u64 = 0x6f67_7261;
    pub const USAGE: u64 = 0x6f75_7365;
    pub const MUTATE: u64 = 0x6f6d_7574;
}

/// Organizations images may be shared with, and the OUs of each.
const ORGANIZATIONS: usize = 2;
const UNITS_PER_ORGANIZATION: usize = 3;
/// Share of the images a mutation shares outside that also go to an organization.
const GRANTED_ORGANIZATION: f64 = 0.2;

/// One entry of an image's launch permissions (DescribeImageAttribute
/// `launchPermission`): exactly one member is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LaunchPermission {
    /// `all`: the image is public.
    pub group: Option<String>,
    /// An account the image is shared with.
    pub user_id: Option<String>,
    /// `arn:aws:organizations::<management account>:organization/o-…`.
    pub organization_arn: Option<String>,
    /// `arn:aws:organizations::<management account>:ou/o-…/ou-…`.
    pub organizational_unit_arn: Option<String>,
}

impl LaunchPermission {
    fn group(group: &str) -> LaunchPermission {
        LaunchPermission {
            group: Some(group.into()),
            ..LaunchPermission::default()
        }
    }

    fn user(id: &str) -> LaunchPermission {
        LaunchPermission {
            user_id: Some(id.into()),
            ..LaunchPermission::default()
        }
    }
}

/// An organization outside the configured set.
#[derive(Debug, Clone)]
pub(crate) struct Organization {
    pub arn: String,
    /// The ARNs of its OUs.
    pub units: Vec<String>,
}

/// The accounts and organizations outside the configured set, and how often images are
/// shared with them.
#[derive(Debug, Clone)]
pub(crate) struct Outsiders {
    /// The pool images are shared with: distinct twelve-digit ids.
    pub accounts: Vec<String>,
    pub organizations: Vec<Organization>,
    /// See [`FakeResources::external_share_rate`].
    pub share_rate: f64,
    /// See [`FakeResources::external_organization_share_rate`].
    pub organization_rate: f64,
}

impl Outsiders {
    /// The outsiders of a world whose owners have the ids `taken`.
    pub(crate) fn generate(seed: u64, taken: &[&str], resources: &FakeResources) -> Outsiders {
        let mut used: HashSet<String> = taken.iter().map(|id| id.to_string()).collect();
        let mut draw = 0u64;
        let mut fresh = || loop {
            let id = format!("{:012}", mix(seed, &[salt::POOL, draw]) % 1_000_000_000_000);
            draw += 1;
            if used.insert(id.clone()) {
                return id;
            }
        };
        let accounts: Vec<String> = (0..resources.external_accounts).map(|_| fresh()).collect();
        let organizations = (0..ORGANIZATIONS)
            .map(|n| {
                let management = fresh();
                let mut dice = Dice::new(mix(seed, &[salt::ORGANIZATIONS, n as u64]));
                let id = format!("o-{}", alphanumeric(&mut dice, 10));
                let units = (0..UNITS_PER_ORGANIZATION)
                    .map(|_| {
                        let unit = format!(
                            "ou-{}-{}",
                            alphanumeric(&mut dice, 4),
                            alphanumeric(&mut dice, 8)
                        );
                        format!("arn:aws:organizations::{management}:ou/{id}/{unit}")
                    })
                    .collect();
                Organization {
                    arn: format!("arn:aws:organizations::{management}:organization/{id}"),
                    units,
                }
            })
            .collect();
        Outsiders {
            accounts,
            organizations,
            share_rate: resources.external_share_rate,
            organization_rate: resources.external_organization_share_rate,
        }
    }
}

/// Lowercase letters and digits, as organization and OU ids have them.
fn alphanumeric(dice: &mut Dice, len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..len).map(|_| *dice.pick(ALPHABET) as char).collect()
}

/// What a mutation did to the outside sharing of one of the estate's account's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutsideChange {
    pub index: u32,
    pub grant: Grant,
    /// How often the outsiders' use of the image has changed.
    pub usage: u32,
}

/// An image's outside sharing, as the last mutation that touched it left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// As generated.
    Drawn,
    /// Shared with nobody outside.
    Revoked,
    /// Shared with the outsiders grant draw `n` picks.
    Granted(u32),
}

/// An image's sharing outside the configured accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outside {
    /// Positions in the pool of outside accounts, ascending.
    pub accounts: Vec<u16>,
    /// `(organization, OU)`: the whole organization when the OU is `None`.
    pub organization: Option<(u16, Option<u16>)>,
    /// See [`OutsideChange::usage`].
    pub usage: u32,
}

impl Outside {
    pub(crate) fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.organization.is_none()
    }
}

/// The outside sharing of the image `entry` of `owner` in `region`, as the owner's
/// estate has it now: none for an image that is not available or not an account's.
pub(crate) fn outside(world: &World, region: &Region, owner: &Owner, entry: &Entry) -> Outside {
    if owner.kind != OwnerKind::Account || entry.traits.lifecycle != Lifecycle::Available {
        return Outside::default();
    }
    let change = region
        .estate(Some(owner.ordinal))
        .and_then(|e| e.outside_change(entry.index));
    drawn(world, region.ordinal, owner.ordinal, entry.index, change)
}

fn drawn(
    world: &World,
    region: u16,
    owner: u16,
    index: u32,
    change: Option<&OutsideChange>,
) -> Outside {
    let outsiders = &world.outsiders;
    let base = mix(
        world.seed,
        &[salt::SHARE, region.into(), owner.into(), index.into()],
    );
    let (grant, usage) = change.map_or((Grant::Drawn, 0), |c| (c.grant, c.usage));
    let (shared, organization, seed) = match grant {
        Grant::Drawn => (
            Dice::new(base).chance(outsiders.share_rate),
            Dice::new(mix(base, &[salt::ORGANIZATION])).chance(outsiders.organization_rate),
            base,
        ),
        Grant::Revoked => {
            return Outside {
                usage,
                ..Outside::default()
            };
        }
        Grant::Granted(draw) => {
            let seed = mix(base, &[salt::GRANT, draw.into()]);
            let organization =
                Dice::new(mix(seed, &[salt::ORGANIZATION])).chance(GRANTED_ORGANIZATION);
            (true, organization, seed)
        }
    };
    let mut accounts = Vec::new();
    let pool = outsiders.accounts.len();
    if shared && pool > 0 {
        let mut dice = Dice::new(mix(seed, &[salt::WHO]));
        let count = (1 + dice.below(3) as usize).min(pool);
        while accounts.len() < count {
            let who = dice.below(pool as u64) as u16;
            if !accounts.contains(&who) {
                accounts.push(who);
            }
        }
        accounts.sort_unstable();
    }
    let organizations = &outsiders.organizations;
    let organization = (organization && !organizations.is_empty()).then(|| {
        let mut dice = Dice::new(mix(seed, &[salt::ORGANIZATION, 1]));
        let at = dice.below(organizations.len() as u64) as usize;
        let units = organizations[at].units.len();
        let unit = (units > 0 && dice.chance(0.5)).then(|| dice.below(units as u64) as u16);
        (at as u16, unit)
    });
    Outside {
        accounts,
        organization,
        usage,
    }
}

/// The launch permissions of the image `entry` of `owner` in `region`, in the order
/// DescribeImageAttribute lists them: `group=all` if it is public, the configured
/// accounts it is shared with (by ordinal), then the outside accounts, organization and
/// OU.
pub(crate) fn launch_permissions(
    world: &World,
    region: &Region,
    owner: &Owner,
    entry: &Entry,
) -> Vec<LaunchPermission> {
    let mut permissions = Vec::new();
    if entry.traits.public {
        permissions.push(LaunchPermission::group("all"));
    }
    if owner.kind == OwnerKind::Account {
        let seed = world.entry_seed(region.ordinal, owner.ordinal, entry);
        let shared = world.owners.iter().filter(|o| {
            o.kind == OwnerKind::Account
                && o.ordinal != owner.ordinal
                && world.shared_with(seed, entry.traits, o.ordinal)
        });
        permissions.extend(shared.map(|o| LaunchPermission::user(&o.id)));
    }
    permissions.extend(outside_permissions(
        world,
        &outside(world, region, owner, entry),
    ));
    permissions
}

/// The launch permissions an outside sharing grants.
pub(crate) fn outside_permissions(world: &World, outside: &Outside) -> Vec<LaunchPermission> {
    let outsiders = &world.outsiders;
    let mut permissions: Vec<LaunchPermission> = outside
        .accounts
        .iter()
        .map(|&who| LaunchPermission::user(&outsiders.accounts[usize::from(who)]))
        .collect();
    if let Some((at, unit)) = outside.organization {
        let organization = &outsiders.organizations[usize::from(at)];
        permissions.push(match unit {
            None => LaunchPermission {
                organization_arn: Some(organization.arn.clone()),
                ..LaunchPermission::default()
            },
            Some(unit) => LaunchPermission {
                organizational_unit_arn: Some(organization.units[usize::from(unit)].clone()),
                ..LaunchPermission::default()
            },
        });
    }
    permissions
}

/// The images `account` owns in `region` that are shared outside the configured
/// accounts, in catalog order, each with those launch permissions only.
pub(crate) fn shared_outside(
    world: &World,
    account: &str,
    region: &str,
) -> Vec<(String, Vec<LaunchPermission>)> {
    let (Some(region), Some(owner)) = (
        world.region(region).filter(|r| r.enabled),
        world
            .owner_by_id(account)
            .filter(|o| o.kind == OwnerKind::Account),
    ) else {
        return Vec::new();
    };
    let Some(catalog) = region.catalogs.get(usize::from(owner.ordinal)) else {
        return Vec::new();
    };
    catalog
        .entries
        .iter()
        .filter_map(|entry| {
            let outside = outside(world, region, owner, entry);
            (!outside.is_empty()).then(|| {
                let key = ImageKey {
                    region: region.ordinal,
                    owner: owner.ordinal,
                    index: entry.index,
                };
                (
                    image_id(world.seed, ImageKind::Machine, key),
                    outside_permissions(world, &outside),
                )
            })
        })
        .collect()
}

/// What the outside account at pool position `who` runs from the image at `index` of
/// `owner` in `region`, at the image's usage count `usage`: its instances (pending,
/// running, stopping or stopped), and for each of its launch templates that names the
/// image, how many versions back the newest that does is (1: the latest). Often nothing.
pub(crate) fn outside_usage(
    world: &World,
    region: u16,
    owner: u16,
    index: u32,
    usage: u32,
    who: u16,
) -> (u32, Vec<u32>) {
    let mut dice = Dice::new(mix(
        world.seed,
        &[
            salt::USAGE,
            region.into(),
            owner.into(),
            index.into(),
            who.into(),
            usage.into(),
        ],
    ));
    let instances = dice.weighted(&[(50, 0), (20, 1), (15, 2), (15, 3)]);
    let templates = dice.weighted(&[(60, 0), (25, 1), (15, 2)]);
    let depths = (0..templates).map(|_| 1 + dice.below(40) as u32).collect();
    (instances, depths)
}

/// Lets outside sharing follow a mutation (after the catalogs and estates have): in
/// every estate, changes of images no longer registered are dropped; about `churn / 3`
/// of the images shared outside are unshared, as many others shared (unless both rates
/// are zero), and the outsiders' use of about `churn / 3` of them changes.
/// Deterministic for the seed.
pub(crate) fn mutate(world: &mut World, churn: f64, seed: u64) {
    let share = churn / 3.0;
    let mut updates: Vec<(usize, usize, Vec<OutsideChange>)> = Vec::new();
    for (at, region) in world.regions.iter().enumerate() {
        for (ordinal, estate) in region.estates.iter().enumerate() {
            let Some(account) = world.owner(ordinal as u16) else {
                continue;
            };
            let changes = follow(world, region, account, estate, share, seed);
            updates.push((at, ordinal, changes));
        }
    }
    for (region, ordinal, changes) in updates {
        world.regions[region].estates[ordinal].outside = changes;
    }
}

/// The estate's outside changes after one mutation.
fn follow(
    world: &World,
    region: &Region,
    account: &Owner,
    estate: &Estate,
    share: f64,
    seed: u64,
) -> Vec<OutsideChange> {
    let Some(catalog) = region.catalogs.get(usize::from(account.ordinal)) else {
        return Vec::new();
    };
    let mut changes: Vec<OutsideChange> = estate
        .outside
        .iter()
        .filter(|c| catalog.get(c.index).is_some())
        .copied()
        .collect();
    let mut dice = Dice::new(mix(
        seed,
        &[salt::MUTATE, region.ordinal.into(), account.ordinal.into()],
    ));
    let available: Vec<&Entry> = catalog
        .entries
        .iter()
        .filter(|e| e.traits.lifecycle == Lifecycle::Available)
        .collect();
    if available.is_empty() {
        return changes;
    }
    let shared: Vec<u32> = available
        .iter()
        .filter(|e| !outside(world, region, account, e).is_empty())
        .map(|e| e.index)
        .collect();
    if !shared.is_empty() {
        for _ in 0..portion(&mut dice, shared.len(), share) {
            let index = *dice.pick(&shared);
            change_of(&mut changes, index).grant = Grant::Revoked;
        }
        for _ in 0..portion(&mut dice, shared.len(), share) {
            let index = *dice.pick(&shared);
            let change = change_of(&mut changes, index);
            change.usage += 1;
        }
    }
    let outsiders = &world.outsiders;
    if outsiders.share_rate > 0.0 || outsiders.organization_rate > 0.0 {
        for _ in 0..portion(&mut dice, shared.len().max(3), share) {
            for _ in 0..20 {
                let index = dice.pick(&available).index;
                if shared.binary_search(&index).is_err() {
                    let draw = dice.next_u64() as u32;
                    change_of(&mut changes, index).grant = Grant::Granted(draw);
                    break;
                }
            }
        }
    }
    changes
}

/// The change kept for the image at `index`, added as "unchanged" if there is none.
fn change_of(changes: &mut Vec<OutsideChange>, index: u32) -> &mut OutsideChange {
    let at = match changes.binary_search_by_key(&index, |c| c.index) {
        Ok(at) => at,
        Err(at) => {
            changes.insert(
                at,
                OutsideChange {
                    index,
                    grant: Grant::Drawn,
                    usage: 0,
                },
            );
            at
        }
    };
    &mut changes[at]
}

#[cfg(test)]
mod tests;
