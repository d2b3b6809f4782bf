//! What a question needs from the store, and whether the store has it.
//!
//! A request needs listings: `Owners=self` the caller's `owned` listing of the region,
//! `Owners=amazon` the region's `amazon` catalog, `ExecutableUsers=self` the caller's
//! `shared` listing, no Owners and no ExecutableUsers everything the caller may launch
//! (`owned`, `shared` and `public`), and so on. Each needed listing must have completed
//! in the last sync of it before the as-of instant; otherwise the answer may be missing
//! images and a warning says which listing and why.

use chrono::{DateTime, Utc};

use super::{DescribeError, DescribeRequest, is_account_id};
use crate::store::{Store, selection};

/// One listing's state at the as-of instant.
#[derive(Debug, Clone)]
struct Listing {
    account_id: String,
    region: String,
    scope: String,
    catalog: bool,
    /// The last attempt before the instant: completed, or failed with this error.
    failed: Option<(i64, String)>,
}

/// The warnings for `request` at `as_of`: one line per needed listing that was never
/// synced or whose last sync before `as_of` failed.
pub fn check(
    store: &Store,
    request: &DescribeRequest,
    caller: Option<&str>,
    as_of: DateTime<Utc>,
) -> Result<Vec<String>, DescribeError> {
    let listings = listings_at(store, as_of)?;
    let mut callers: Vec<String> = match caller {
        Some(c) => vec![c.to_string()],
        None => distinct(listings.iter().map(|l| l.account_id.clone())),
    };
    if let Some(ou) = &request.ou {
        let (_, members) = selection::resolve_ou(store, ou, as_of)?;
        callers.retain(|c| members.contains(c));
    }
    let regions: Vec<String> = match &request.region {
        Some(r) => vec![r.clone()],
        None => distinct(listings.iter().map(|l| l.region.clone())),
    };
    if callers.is_empty() || regions.is_empty() {
        return Ok(vec![format!(
            "nothing was synced before {} in this store: the answer is empty; run `amiq sync`",
            as_of.to_rfc3339()
        )]);
    }
    let mut warnings = Vec::new();
    for c in &callers {
        for r in &regions {
            for need in needs(request, c) {
                if let Some(problem) = need.problem(&listings, c, r) {
                    warnings.push(problem);
                }
            }
        }
    }
    const SHOWN: usize = 20;
    if warnings.len() > SHOWN {
        let more = warnings.len() - SHOWN;
        warnings.truncate(SHOWN);
        warnings.push(format!("... and {more} more listings missing"));
    }
    Ok(warnings)
}

fn distinct(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = items.collect();
    v.sort();
    v.dedup();
    v
}

/// The last attempt of every listing finished at or before `as_of`.
fn listings_at(store: &Store, as_of: DateTime<Utc>) -> Result<Vec<Listing>, DescribeError> {
    let sql = "SELECT account_id, region, scope, bool_or(catalog),
                      arg_max(status, finished_at), arg_max(run_id, finished_at),
                      arg_max(coalesce(error, ''), finished_at)
               FROM sync_partitions
               WHERE finished_at <= make_timestamp(?::BIGINT)::TIMESTAMPTZ
               GROUP BY account_id, region, scope";
    let mut stmt = store
        .connection()
        .prepare(sql)
        .map_err(|e| store.error(e))?;
    let rows = stmt
        .query_map([as_of.timestamp_micros()], |r| {
            let status: String = r.get(4)?;
            Ok(Listing {
                account_id: r.get(0)?,
                region: r.get(1)?,
                scope: r.get(2)?,
                catalog: r.get(3)?,
                // A skipped listing (a region not enabled) has nothing to miss.
                failed: (status == "failed")
                    .then(|| (r.get(5).unwrap_or(0), r.get(6).unwrap_or_default())),
            })
        })
        .map_err(|e| store.error(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store.error(e))?;
    Ok(rows)
}

/// A listing a question needs, with the alternatives that would do instead.
struct Need {
    /// What the answer would miss, for the warning.
    what: String,
    /// Any one of these scopes, completed, satisfies the need.
    scopes: Vec<String>,
    /// The account whose listing it must be (None: the caller's, or a catalog).
    account: Option<String>,
}

impl Need {
    fn new(what: impl Into<String>, scopes: &[&str]) -> Need {
        Need {
            what: what.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            account: None,
        }
    }

    /// None when satisfied; otherwise the warning.
    fn problem(&self, listings: &[Listing], caller: &str, region: &str) -> Option<String> {
        let account = self.account.as_deref().unwrap_or(caller);
        let candidates: Vec<&Listing> = listings
            .iter()
            .filter(|l| l.region == region && self.scopes.contains(&l.scope))
            .filter(|l| l.account_id == account || (l.catalog && self.account.is_none()))
            .collect();
        if candidates.iter().any(|l| l.failed.is_none()) {
            return None;
        }
        let scopes = self
            .scopes
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        Some(match candidates.first() {
            None => format!(
                "incomplete answer: {} of account {account} in {region} are missing: scope {scopes} was never synced for it (add it to `scopes` and run `amiq sync`)",
                self.what
            ),
            Some(l) => {
                let (run, error) = l.failed.clone().unwrap_or_default();
                format!(
                    "incomplete answer: {} of account {account} in {region} may be missing or stale: the last sync of scope `{}` (run {run}) failed: {error}",
                    self.what, l.scope
                )
            }
        })
    }
}

/// The listings `request` needs for `caller`.
fn needs(request: &DescribeRequest, caller: &str) -> Vec<Need> {
    let mut needs = Vec::new();
    for owner in &request.owners {
        needs.push(match owner.as_str() {
            "self" => Need::new("owned images", &["owned"]),
            "amazon" => Need::new("images owned by amazon", &["amazon", "public"]),
            "aws-marketplace" => Need::new("marketplace images", &["marketplace", "public"]),
            "aws-backup-vault" => Need::new("backup vault images", &["backup-vault"]),
            id if id == caller => Need::new("owned images", &["owned", &format!("owner:{id}")]),
            id => Need::new(format!("images owned by {id}"), &[&format!("owner:{id}")]),
        });
    }
    if request.owners.is_empty() {
        for user in &request.executable_users {
            match user.as_str() {
                "all" => needs.push(Need::new("public images", &["public"])),
                "self" => needs.push(Need::new("images shared with it", &["shared"])),
                id if id == caller => needs.push(Need::new("images shared with it", &["shared"])),
                _ => {}
            }
        }
        if request.executable_users.is_empty() {
            needs.push(Need::new("owned images", &["owned"]));
            needs.push(Need::new("images shared with it", &["shared"]));
            needs.push(Need::new("public images", &["public"]));
        }
    }
    for user in &request.executable_users {
        if is_account_id(user) && user != caller {
            needs.push(Need {
                what: format!("images shared with {user}"),
                scopes: vec!["shared".into()],
                account: Some(user.clone()),
            });
        }
    }
    needs
}
