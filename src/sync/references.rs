//! Which image ids a references partition asks DescribeImageReferences about: the
//! images its account owns and those shared with it in the region, as this run's owned
//! and shared listings return them (each listing hands its ids over when its fetch
//! ends), or, for a scope this run does not list, as the store last recorded them.
//!
//! Invariant: a references partition asks only once every listing it depends on has
//! completed; if one failed, it fails too (its answer would silently miss images).

use std::collections::HashMap;

use tokio::sync::oneshot;

use crate::plan::{Dataset, Listing, Partition, Scope};
use crate::store::{Store, StoreError};

/// A listing's image ids, or why it did not complete.
type Listed = Result<Vec<String>, String>;

/// The scopes whose images a references partition asks about.
const ASKED_SCOPES: [Scope; 2] = [Scope::Owned, Scope::Shared];

/// Every partition's part in handing over image ids, planned before the run starts.
pub struct ReferenceIds {
    /// Per (account index, region, scope) listing that a references partition waits for.
    senders: HashMap<(usize, String, Scope), oneshot::Sender<Listed>>,
    /// Per (account index, region): what its references partition waits for.
    waits: HashMap<(usize, String), Pending>,
}

impl ReferenceIds {
    /// Plans the hand-overs of `partitions`; reads the store for the scopes this run
    /// does not list.
    pub fn plan(store: &Store, partitions: &[Partition]) -> Result<ReferenceIds, StoreError> {
        let mut senders = HashMap::new();
        let mut waits = HashMap::new();
        for p in partitions {
            if p.listing != Listing::Dataset(Dataset::References) {
                continue;
            }
            let mut pending = Pending::Wait {
                known: Vec::new(),
                listings: Vec::new(),
            };
            for scope in ASKED_SCOPES {
                let listed = partitions.iter().any(|q| {
                    q.account_index == p.account_index
                        && q.region == p.region
                        && q.listing == Listing::Images(scope.clone())
                });
                let Pending::Wait { known, listings } = &mut pending else {
                    unreachable!()
                };
                if listed {
                    let (tx, rx) = oneshot::channel();
                    senders.insert((p.account_index, p.region.clone(), scope.clone()), tx);
                    listings.push((scope, rx));
                } else {
                    known.extend(stored_ids(store, &p.account_id, &p.region, &scope)?);
                }
            }
            waits.insert((p.account_index, p.region.clone()), pending);
        }
        Ok(ReferenceIds { senders, waits })
    }

    /// The part `partition` plays: hand its ids over, wait for others', or neither.
    pub fn take(&mut self, partition: &Partition) -> Pending {
        match &partition.listing {
            Listing::Images(scope) => self
                .senders
                .remove(&(
                    partition.account_index,
                    partition.region.clone(),
                    scope.clone(),
                ))
                .map(Pending::Hand)
                .unwrap_or(Pending::Nothing),
            Listing::Dataset(Dataset::References) => self
                .waits
                .remove(&(partition.account_index, partition.region.clone()))
                .unwrap_or(Pending::Nothing),
            Listing::Dataset(_) => Pending::Nothing,
        }
    }
}

/// The image ids the store's open sightings of `scope` show `account` in `region`.
fn stored_ids(
    store: &Store,
    account: &str,
    region: &str,
    scope: &Scope,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT DISTINCT image_id FROM image_sightings
             WHERE valid_to IS NULL AND viewer_account_id = ? AND region = ? AND scope = ?
             ORDER BY image_id",
        )
        .map_err(|e| store.error(e))?;
    let ids = stmt
        .query_map([account, region, &scope.to_string()], |r| r.get(0))
        .map_err(|e| store.error(e))?
        .collect::<Result<Vec<String>, _>>()
        .map_err(|e| store.error(e))?;
    Ok(ids)
}

/// A partition's part before it fetches.
pub enum Pending {
    Nothing,
    /// An owned or shared listing a references partition waits for.
    Hand(oneshot::Sender<Listed>),
    /// A references partition: ids known now, and the listings still to hand theirs.
    Wait {
        known: Vec<String>,
        listings: Vec<(Scope, oneshot::Receiver<Listed>)>,
    },
}

impl Pending {
    /// Waits for the listings a references partition depends on; the error says which
    /// failed.
    pub async fn wait(self) -> Result<Ids, String> {
        match self {
            Pending::Nothing => Ok(Ids::Nothing),
            Pending::Hand(sender) => Ok(Ids::Hand {
                sender,
                listed: Vec::new(),
            }),
            Pending::Wait {
                mut known,
                listings,
            } => {
                for (scope, receiver) in listings {
                    match receiver.await {
                        Ok(Ok(ids)) => known.extend(ids),
                        Ok(Err(reason)) => {
                            return Err(format!(
                                "not asked: the {scope} images listing it asks about failed ({reason})"
                            ));
                        }
                        Err(_) => {
                            return Err(format!(
                                "not asked: the {scope} images listing it asks about did not complete"
                            ));
                        }
                    }
                }
                known.sort();
                known.dedup();
                Ok(Ids::Asked(known))
            }
        }
    }
}

/// A partition's part while it fetches.
pub enum Ids {
    Nothing,
    /// An owned or shared listing: collects its image ids to hand over.
    Hand {
        sender: oneshot::Sender<Listed>,
        listed: Vec<String>,
    },
    /// A references partition: the ids to ask about.
    Asked(Vec<String>),
}

impl Ids {
    /// Notes a listed image id, if this listing hands its ids over.
    pub fn note(&mut self, image_id: Option<&str>) {
        if let (Ids::Hand { listed, .. }, Some(id)) = (self, image_id) {
            listed.push(id.to_string());
        }
    }

    /// Hands the listing's ids over, or why it failed.
    pub fn finish(self, outcome: Result<(), &str>) {
        if let Ids::Hand { sender, listed } = self {
            let _ = sender.send(outcome.map(|()| listed).map_err(str::to_string));
        }
    }

    /// The ids a references partition asks about.
    pub fn into_asked(self) -> Vec<String> {
        match self {
            Ids::Asked(ids) => ids,
            _ => Vec::new(),
        }
    }
}
