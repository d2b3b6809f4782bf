//! Which image ids a references or lineage partition asks about. References: the images
//! its account owns and those shared with it in the region; lineage: the owned images
//! that are copies (they name a source image). This run's owned and shared listings
//! hand their ids over when their fetch ends; for a scope this run does not list, the
//! store's open sightings stand in. A lineage partition also learns which copies'
//! chains the store already holds, since a chain never changes: it asks only about new
//! copies.
//!
//! Invariant: such a partition asks only once every listing it depends on has
//! completed; if one failed, it fails too (its answer would silently miss images).

use std::collections::{HashMap, HashSet};

use tokio::sync::oneshot;

use crate::plan::{Dataset, Listing, Partition, Scope};
use crate::store::{Store, StoreError};

/// An image a listing returned: its id, and whether it is a copy of another.
#[derive(Debug, Clone)]
pub struct ListedImage {
    pub id: String,
    pub copy: bool,
}

/// A listing's images (shared by the partitions that wait for them), or why it did not
/// complete.
type Listed = Result<std::sync::Arc<Vec<ListedImage>>, String>;

/// The scopes whose images a partition of `dataset` asks about.
fn asked_scopes(dataset: Dataset) -> &'static [Scope] {
    match dataset {
        Dataset::References => &[Scope::Owned, Scope::Shared],
        Dataset::Lineage => &[Scope::Owned],
        _ => &[],
    }
}

/// Every partition's part in handing over image ids, planned before the run starts.
pub struct AskedIds {
    /// Per (account index, region, scope) listing: the partitions waiting for it.
    senders: HashMap<(usize, String, Scope), Vec<oneshot::Sender<Listed>>>,
    /// Per (account index, region, dataset): what its partition waits for.
    waits: HashMap<(usize, String, Dataset), Pending>,
}

impl AskedIds {
    /// Plans the hand-overs of `partitions`; reads the store for the scopes this run
    /// does not list and for the chains it holds.
    pub fn plan(store: &Store, partitions: &[Partition]) -> Result<AskedIds, StoreError> {
        let mut senders: HashMap<_, Vec<_>> = HashMap::new();
        let mut waits = HashMap::new();
        for p in partitions {
            let Listing::Dataset(dataset) = p.listing else {
                continue;
            };
            if asked_scopes(dataset).is_empty() {
                continue;
            }
            let mut known = Vec::new();
            let mut listings = Vec::new();
            for scope in asked_scopes(dataset) {
                let listed = partitions.iter().any(|q| {
                    q.account_index == p.account_index
                        && q.region == p.region
                        && q.listing == Listing::Images(scope.clone())
                });
                if listed {
                    let (tx, rx) = oneshot::channel();
                    senders
                        .entry((p.account_index, p.region.clone(), scope.clone()))
                        .or_default()
                        .push(tx);
                    listings.push((scope.clone(), rx));
                } else {
                    known.extend(stored_images(store, &p.account_id, &p.region, scope)?);
                }
            }
            let chains = if dataset == Dataset::Lineage {
                stored_chains(store, &p.account_id, &p.region)?
            } else {
                HashSet::new()
            };
            waits.insert(
                (p.account_index, p.region.clone(), dataset),
                Pending::Wait {
                    copies_only: dataset == Dataset::Lineage,
                    known,
                    listings,
                    chains,
                },
            );
        }
        Ok(AskedIds { senders, waits })
    }

    /// The part `partition` plays: hand its ids over, wait for others', or neither.
    pub fn take(&mut self, partition: &Partition) -> Pending {
        let key = |p: &Partition| (p.account_index, p.region.clone());
        match &partition.listing {
            Listing::Images(scope) => {
                let (account, region) = key(partition);
                self.senders
                    .remove(&(account, region, scope.clone()))
                    .map(Pending::Hand)
                    .unwrap_or(Pending::Nothing)
            }
            Listing::Dataset(dataset) => {
                let (account, region) = key(partition);
                self.waits
                    .remove(&(account, region, *dataset))
                    .unwrap_or(Pending::Nothing)
            }
        }
    }
}

/// The images the store's open sightings of `scope` show `account` in `region`.
fn stored_images(
    store: &Store,
    account: &str,
    region: &str,
    scope: &Scope,
) -> Result<Vec<ListedImage>, StoreError> {
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT DISTINCT g.image_id, v.source_image_id IS NOT NULL
             FROM image_sightings g
             JOIN image_versions v ON v.region = g.region AND v.image_id = g.image_id
             WHERE g.valid_to IS NULL AND v.valid_to IS NULL
               AND g.viewer_account_id = ? AND g.region = ? AND g.scope = ?
             ORDER BY 1",
        )
        .map_err(|e| store.error(e))?;
    let images = stmt
        .query_map([account, region, &scope.to_string()], |r| {
            Ok(ListedImage {
                id: r.get(0)?,
                copy: r.get(1)?,
            })
        })
        .map_err(|e| store.error(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store.error(e))?;
    Ok(images)
}

/// The copies of `account` in `region` whose chains the store holds.
fn stored_chains(
    store: &Store,
    account: &str,
    region: &str,
) -> Result<HashSet<String>, StoreError> {
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT DISTINCT image_id FROM lineage_history
             WHERE valid_to IS NULL AND account_id = ? AND region = ?",
        )
        .map_err(|e| store.error(e))?;
    let ids = stmt
        .query_map([account, region], |r| r.get(0))
        .map_err(|e| store.error(e))?
        .collect::<Result<HashSet<String>, _>>()
        .map_err(|e| store.error(e))?;
    Ok(ids)
}

/// A partition's part before it fetches.
pub enum Pending {
    Nothing,
    /// An owned or shared listing that partitions wait for.
    Hand(Vec<oneshot::Sender<Listed>>),
    /// A references or lineage partition: images known now, the listings still to
    /// hand theirs, and (lineage) the copies whose chains are stored.
    Wait {
        copies_only: bool,
        known: Vec<ListedImage>,
        listings: Vec<(Scope, oneshot::Receiver<Listed>)>,
        chains: HashSet<String>,
    },
}

impl Pending {
    /// Waits for the listings a partition depends on; the error says which failed.
    pub async fn wait(self) -> Result<Ids, String> {
        match self {
            Pending::Nothing => Ok(Ids::Nothing),
            Pending::Hand(senders) => Ok(Ids::Hand {
                senders,
                listed: Vec::new(),
            }),
            Pending::Wait {
                copies_only,
                mut known,
                listings,
                chains,
            } => {
                for (scope, receiver) in listings {
                    match receiver.await {
                        Ok(Ok(images)) => {
                            known.extend(images.iter().filter(|i| i.copy || !copies_only).cloned())
                        }
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
                let mut ids: Vec<String> = known
                    .into_iter()
                    .filter(|i| i.copy || !copies_only)
                    .map(|i| i.id)
                    .collect();
                ids.sort();
                ids.dedup();
                Ok(Ids::Asked { ids, chains })
            }
        }
    }
}

/// A partition's part while it fetches.
pub enum Ids {
    Nothing,
    /// An owned or shared listing: collects its images to hand over.
    Hand {
        senders: Vec<oneshot::Sender<Listed>>,
        listed: Vec<ListedImage>,
    },
    /// A references or lineage partition: the ids to ask about, and (lineage) those
    /// whose chains the store holds.
    Asked {
        ids: Vec<String>,
        chains: HashSet<String>,
    },
}

impl Ids {
    /// Notes a listed image, if this listing hands its images over.
    pub fn note(&mut self, image: &amiq_image::Image) {
        if let (Ids::Hand { listed, .. }, Some(id)) = (self, &image.image_id) {
            listed.push(ListedImage {
                id: id.clone(),
                copy: image.source_image_id.is_some(),
            });
        }
    }

    /// Hands the listing's images over, or why it failed.
    pub fn finish(self, outcome: Result<(), &str>) {
        if let Ids::Hand { senders, listed } = self {
            let listed = std::sync::Arc::new(listed);
            for sender in senders {
                let _ = sender.send(outcome.map(|()| listed.clone()).map_err(str::to_string));
            }
        }
    }

    /// The ids asked about and those whose chains are stored.
    pub fn into_asked(self) -> (Vec<String>, HashSet<String>) {
        match self {
            Ids::Asked { ids, chains } => (ids, chains),
            _ => (Vec::new(), HashSet::new()),
        }
    }
}
