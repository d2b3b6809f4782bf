//! DescribeImages semantics: which images a caller sees for a request, in which order,
//! and how they are cut into pages.
//!
//! Visibility: caller C sees image I owned by O iff O == C, or I is public, or I is
//! shared with C; a disabled (or pending, failed) image only by its owner. Then:
//! `Owners` picks catalogs; `ExecutableBy` keeps public (`all`) or explicitly shared
//! (`self`, an account id) images, ORed; `IncludeDeprecated=false` hides images deprecated
//! in the past unless the caller owns them or names them; `IncludeDisabled=false` hides
//! disabled ones; filters apply to the image as the caller sees it.
//!
//! Order: catalogs by owner ordinal (configured accounts, `amazon`, `aws-marketplace`),
//! entries by index. A page scans forward from its token's position and examines a
//! bounded number of entries, so a page costs the same at the end of a million-image
//! catalog as at its start, and a very selective request may get short or empty pages
//! with a token, as EC2's can.

use amiq_image::Image;

use super::caller::{Caller, is_account_id};
use super::catalog::{Entry, Lifecycle, Owner, OwnerKind, Region, World};
use super::dice::mix_text;
use super::filter::Filter;
use super::generate::{Scene, image_kind, render};
use super::ids::{ImageKey, is_well_formed_image_id, parse_image_id};
use super::request::{ApiError, DescribeRequest, check_max_results};
use super::token::{self, Position};

/// The smallest and largest `MaxResults` DescribeImages accepts.
pub const MAX_RESULTS_RANGE: std::ops::RangeInclusive<i32> = 5..=1000;

/// Entries a page may examine per requested result before it returns short.
const SCAN_BUDGET_PER_RESULT: usize = 50;
const MIN_SCAN_BUDGET: usize = 10_000;

/// One response's worth of images.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    pub images: Vec<Image>,
    pub next_token: Option<String>,
}

/// Who may launch an image, as `ExecutableBy` asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Launcher {
    Everyone,
    /// Images with a launch permission for this account (`None`: an account the fake
    /// does not know, which nothing is shared with).
    Account(Option<u16>),
}

/// A validated request, ready to scan.
struct Query<'a> {
    world: &'a World,
    region: &'a Region,
    caller: &'a Caller,
    /// Owner ordinals to scan, ascending.
    owners: Vec<u16>,
    launchers: Option<Vec<Launcher>>,
    filters: Vec<Filter>,
    include_deprecated: bool,
    include_disabled: bool,
    fingerprint: u64,
}

/// The page of `request` for `caller` in `region`.
pub(crate) fn page(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &DescribeRequest,
) -> Result<Page, ApiError> {
    let region = world.region_for(region, caller)?;
    if !request.image_ids.is_empty() && request.max_results.is_some() {
        return Err(ApiError::new(
            400,
            "InvalidParameterCombination",
            "The parameter imageIdSet cannot be used with the parameter maxResults",
        ));
    }
    check_max_results(request.max_results, MAX_RESULTS_RANGE)?;
    let query = Query::new(world, region, caller, request)?;
    if request.image_ids.is_empty() {
        query.scan(request)
    } else {
        query.named(&request.image_ids)
    }
}

impl<'a> Query<'a> {
    fn new(
        world: &'a World,
        region: &'a Region,
        caller: &'a Caller,
        request: &DescribeRequest,
    ) -> Result<Query<'a>, ApiError> {
        let malformed = |id: &str| {
            ApiError::new(
                400,
                "InvalidUserID.Malformed",
                format!("Invalid user id: \"{id}\""),
            )
        };
        let by_kind = |kind: OwnerKind| {
            world
                .owners
                .iter()
                .find(|o| o.kind == kind)
                .map(|o| o.ordinal)
        };
        let mut owners = Vec::new();
        for owner in &request.owners {
            let ordinal = match owner.as_str() {
                "self" => caller.ordinal,
                "amazon" => by_kind(OwnerKind::Amazon),
                "aws-marketplace" => by_kind(OwnerKind::Marketplace),
                "aws-backup-vault" => None,
                id if is_account_id(id) => world.owner_by_id(id).map(|o| o.ordinal),
                id => return Err(malformed(id)),
            };
            owners.extend(ordinal);
        }
        if request.owners.is_empty() {
            owners = world.owners.iter().map(|o| o.ordinal).collect();
        }
        owners.sort_unstable();
        owners.dedup();

        let launchers = if request.executable_users.is_empty() {
            None
        } else {
            let mut launchers = Vec::new();
            for user in &request.executable_users {
                launchers.push(match user.as_str() {
                    "all" => Launcher::Everyone,
                    "self" => Launcher::Account(caller.ordinal),
                    id if is_account_id(id) => Launcher::Account(
                        world
                            .owner_by_id(id)
                            .filter(|o| o.kind == OwnerKind::Account)
                            .map(|o| o.ordinal),
                    ),
                    id => return Err(malformed(id)),
                });
            }
            Some(launchers)
        };

        if request.filters.len() > 50 {
            return Err(ApiError::invalid_value(
                "The request has more than 50 filters; use at most 50",
            ));
        }
        let filters = request
            .filters
            .iter()
            .map(|(name, values)| Filter::parse(name, values))
            .collect::<Result<Vec<_>, _>>()?;

        Ok(Query {
            world,
            region,
            caller,
            owners,
            launchers,
            filters,
            include_deprecated: request.include_deprecated,
            include_disabled: request.include_disabled,
            fingerprint: fingerprint(caller, &region.name, request),
        })
    }

    /// Pages through the owners' catalogs from the token's position.
    fn scan(&self, request: &DescribeRequest) -> Result<Page, ApiError> {
        let start = match &request.next_token {
            Some(t) => token::decode(t, self.fingerprint)?,
            None => Position { owner: 0, index: 0 },
        };
        let limit = request.max_results.map(|m| m as usize);
        let budget = limit.map_or(usize::MAX, |m| {
            (m * SCAN_BUDGET_PER_RESULT).max(MIN_SCAN_BUDGET)
        });
        let mut page = Page {
            images: Vec::with_capacity(limit.unwrap_or(256).min(1000)),
            next_token: None,
        };
        let mut examined = 0;
        for &ordinal in self.owners.iter().filter(|&&o| o >= start.owner) {
            let owner = &self.world.owners[ordinal as usize];
            let entries = &self.region.catalogs[ordinal as usize].entries;
            let from = if ordinal == start.owner {
                self.region.catalogs[ordinal as usize].position_of(start.index)
            } else {
                0
            };
            for entry in &entries[from..] {
                if examined == budget {
                    page.next_token = Some(self.token(ordinal, entry.index));
                    return Ok(page);
                }
                examined += 1;
                if let Some(image) = self.admit(owner, entry, false) {
                    page.images.push(image);
                    if Some(page.images.len()) == limit {
                        let next = Position {
                            owner: ordinal,
                            index: entry.index + 1,
                        };
                        if self.has_more(next) {
                            page.next_token = Some(self.token(next.owner, next.index));
                        }
                        return Ok(page);
                    }
                }
            }
        }
        Ok(page)
    }

    /// Answers an `ImageId` list: every id must exist and be visible to the caller
    /// (else `InvalidAMIID.NotFound`); owners, launchers and filters still apply.
    fn named(&self, ids: &[String]) -> Result<Page, ApiError> {
        if let Some(bad) = ids.iter().find(|id| !is_well_formed_image_id(id)) {
            return Err(ApiError::new(
                400,
                "InvalidAMIID.Malformed",
                format!("Invalid id: \"{bad}\" (expecting \"ami-...\")"),
            ));
        }
        let mut found: Vec<(ImageKey, &Entry)> = Vec::new();
        let mut missing = Vec::new();
        for id in ids {
            // A well-formed id whose prefix is not what the image is does not exist.
            let entry = parse_image_id(self.world.seed, id)
                .filter(|(_, key)| key.region == self.region.ordinal)
                .and_then(|(kind, key)| {
                    let owner = self.world.owners.get(key.owner as usize)?;
                    let catalog = self.region.catalogs.get(key.owner as usize)?;
                    let entry = catalog.get(key.index)?;
                    let same_kind = image_kind(self.world.seed, key, owner.kind) == kind;
                    (same_kind && self.visible(owner, entry)).then_some((key, entry))
                });
            match entry {
                Some(hit) => found.push(hit),
                None => missing.push(id.as_str()),
            }
        }
        match missing.as_slice() {
            [] => {}
            [one] => {
                return Err(ApiError::new(
                    400,
                    "InvalidAMIID.NotFound",
                    format!("The image id '[{one}]' does not exist"),
                ));
            }
            many => {
                return Err(ApiError::new(
                    400,
                    "InvalidAMIID.NotFound",
                    format!("The image ids '[{}]' do not exist", many.join(", ")),
                ));
            }
        }
        found.sort_by_key(|(key, _)| *key);
        found.dedup_by_key(|(key, _)| *key);
        let images = found
            .into_iter()
            .filter(|(key, _)| self.owners.binary_search(&key.owner).is_ok())
            .filter_map(|(key, entry)| {
                self.admit(&self.world.owners[key.owner as usize], entry, true)
            })
            .collect();
        Ok(Page {
            images,
            next_token: None,
        })
    }

    /// The image as the caller sees it, if the request returns it. Cheap checks on the
    /// entry come first; only candidates are rendered.
    fn admit(&self, owner: &Owner, entry: &Entry, named: bool) -> Option<Image> {
        let traits = entry.traits;
        let own = self.caller.ordinal == Some(owner.ordinal);
        if !self.visible(owner, entry)
            || (traits.lifecycle == Lifecycle::Disabled && !self.include_disabled)
            || (traits.deprecated && !self.include_deprecated && !own && !named)
        {
            return None;
        }
        if let Some(launchers) = &self.launchers {
            let seed = self
                .world
                .entry_seed(self.region.ordinal, owner.ordinal, entry);
            let launches = |launcher: &Launcher| match *launcher {
                Launcher::Everyone => traits.public,
                Launcher::Account(Some(account)) => {
                    owner.kind == OwnerKind::Account
                        && account != owner.ordinal
                        && self.world.shared_with(seed, traits, account)
                }
                Launcher::Account(None) => false,
            };
            if !launchers.iter().any(launches) {
                return None;
            }
        }
        let scene = Scene {
            world_seed: self.world.seed,
            region: self.region,
            places: &self.world.places,
            owner,
            viewer: self.caller,
            unknown_member_rate: self.world.unknown_member_rate,
        };
        let image = render(&scene, entry);
        self.filters
            .iter()
            .all(|f| f.matches(&image))
            .then_some(image)
    }

    /// Whether the caller may see the image at all.
    fn visible(&self, owner: &Owner, entry: &Entry) -> bool {
        visible(self.world, self.region, self.caller, owner, entry)
    }

    /// Whether any entry is left to scan at or after `next`.
    fn has_more(&self, next: Position) -> bool {
        self.owners.iter().filter(|&&o| o >= next.owner).any(|&o| {
            let catalog = &self.region.catalogs[o as usize];
            let from = if o == next.owner {
                catalog.position_of(next.index)
            } else {
                0
            };
            from < catalog.entries.len()
        })
    }

    fn token(&self, owner: u16, index: u32) -> String {
        token::encode(Position { owner, index }, self.fingerprint)
    }
}

/// Whether `caller` may see the image `entry` of `owner` in `region` at all: its own in
/// every state; another owner's if it is public or shared with the caller, unless it is
/// disabled.
pub(crate) fn visible(
    world: &World,
    region: &Region,
    caller: &Caller,
    owner: &Owner,
    entry: &Entry,
) -> bool {
    let traits = entry.traits;
    match caller.ordinal {
        Some(caller) if caller == owner.ordinal => true,
        _ if traits.lifecycle == Lifecycle::Disabled => false,
        _ if traits.public => true,
        Some(caller) => {
            owner.kind == OwnerKind::Account
                && world.shared_with(
                    world.entry_seed(region.ordinal, owner.ordinal, entry),
                    traits,
                    caller,
                )
        }
        None => false,
    }
}

/// What a token is bound to: everything in the request but the page size and position.
fn fingerprint(caller: &Caller, region: &str, r: &DescribeRequest) -> u64 {
    let text = format!(
        "{}|{}|{:?}|{:?}|{:?}|{}|{}|{:?}",
        caller.account,
        region,
        r.owners,
        r.executable_users,
        r.image_ids,
        r.include_deprecated,
        r.include_disabled,
        r.filters
    );
    mix_text(0x706b_656e, &text)
}

#[cfg(test)]
mod tests;
