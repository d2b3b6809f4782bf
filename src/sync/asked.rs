//! Which image ids a partition asks about. References: the images its account owns and
//! those shared with it in the region; lineage: the owned images that are copies (they
//! name a source image); launch permissions: the owned images; usage reports, when it
//! creates them: the owned images that are shared (some launch permission). This run's
//! listings hand their ids over when their fetch ends; for a listing this run does not
//! make, the store's open rows stand in. A lineage partition also learns which copies'
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

/// The listings whose images a partition of `dataset` asks about.
fn asked_listings(dataset: Dataset, create_usage_reports: bool) -> Vec<Listing> {
    match dataset {
        Dataset::References => vec![
            Listing::Images(Scope::Owned),
            Listing::Images(Scope::Shared),
        ],
        Dataset::Lineage | Dataset::LaunchPermissions => vec![Listing::Images(Scope::Owned)],
        Dataset::UsageReports if create_usage_reports => {
            vec![Listing::Dataset(Dataset::LaunchPermissions)]
        }
        _ => Vec::new(),
    }
}

/// Every partition's part in handing over image ids, planned before the run starts.
pub struct AskedIds {
    /// Per (account index, region, listing): the partitions waiting for it.
    senders: HashMap<(usize, String, Listing), Vec<oneshot::Sender<Listed>>>,
    /// Per (account index, region, dataset): what its partition waits for.
    waits: HashMap<(usize, String, Dataset), Pending>,
}

impl AskedIds {
    /// Plans the hand-overs of `partitions`; reads the store for the listings this run
    /// does not make and for the chains it holds.
    pub fn plan(
        store: &Store,
        partitions: &[Partition],
        create_usage_reports: bool,
    ) -> Result<AskedIds, StoreError> {
        let mut senders: HashMap<_, Vec<_>> = HashMap::new();
        let mut waits = HashMap::new();
        for p in partitions {
            let Listing::Dataset(dataset) = p.listing else {
                continue;
            };
            let asked = asked_listings(dataset, create_usage_reports);
            if asked.is_empty() {
                continue;
            }
            let mut known = Vec::new();
            let mut listings = Vec::new();
            for listing in asked {
                let listed = partitions.iter().any(|q| {
                    q.account_index == p.account_index
                        && q.region == p.region
                        && q.listing == listing
                });
                if listed {
                    let (tx, rx) = oneshot::channel();
                    senders
                        .entry((p.account_index, p.region.clone(), listing.clone()))
                        .or_default()
                        .push(tx);
                    listings.push((listing, rx));
                } else {
                    known.extend(stored_ids(store, &p.account_id, &p.region, &listing)?);
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
        let (account, region) = (partition.account_index, partition.region.clone());
        let waits = match &partition.listing {
            Listing::Dataset(dataset) => self.waits.remove(&(account, region.clone(), *dataset)),
            Listing::Images(_) => None,
        };
        let hands = self
            .senders
            .remove(&(account, region, partition.listing.clone()));
        match (waits, hands) {
            (Some(waits), Some(hands)) => Pending::Both(Box::new(waits), hands),
            (Some(waits), None) => waits,
            (None, Some(hands)) => Pending::Hand(hands),
            (None, None) => Pending::Nothing,
        }
    }
}

/// The ids `listing` would hand over, as the store's open rows have them.
fn stored_ids(
    store: &Store,
    account: &str,
    region: &str,
    listing: &Listing,
) -> Result<Vec<ListedImage>, StoreError> {
    match listing {
        Listing::Images(scope) => stored_images(store, account, region, scope),
        Listing::Dataset(_) => stored_shared(store, account, region),
    }
}

/// The owned images of `account` in `region` with some launch permission, as the store
/// last saw them.
fn stored_shared(
    store: &Store,
    account: &str,
    region: &str,
) -> Result<Vec<ListedImage>, StoreError> {
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT DISTINCT image_id FROM launch_permissions_history
             WHERE valid_to IS NULL AND account_id = ? AND region = ? ORDER BY 1",
        )
        .map_err(|e| store.error(e))?;
    let ids = stmt
        .query_map([account, region], |r| {
            Ok(ListedImage {
                id: r.get(0)?,
                copy: false,
            })
        })
        .map_err(|e| store.error(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store.error(e))?;
    Ok(ids)
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
    /// A listing that partitions wait for.
    Hand(Vec<oneshot::Sender<Listed>>),
    /// A partition that asks about images: those known now, the listings still to
    /// hand theirs, and (lineage) the copies whose chains are stored.
    Wait {
        copies_only: bool,
        known: Vec<ListedImage>,
        listings: Vec<(Listing, oneshot::Receiver<Listed>)>,
        chains: HashSet<String>,
    },
    /// A partition that waits for some listings and is waited for (launch permissions).
    Both(Box<Pending>, Vec<oneshot::Sender<Listed>>),
}

impl Pending {
    /// Waits for the listings a partition depends on; the error says which failed (and
    /// goes on to those waiting for this partition).
    pub async fn wait(self) -> Result<Ids, String> {
        match self {
            Pending::Both(waits, senders) => match Box::pin(waits.wait()).await {
                Ok(Ids::Asked { ids, .. }) => Ok(Ids::AskedAndHand {
                    ids,
                    senders,
                    listed: Vec::new(),
                }),
                Ok(_) => unreachable!("a partition that waits is asked ids"),
                Err(reason) => {
                    for sender in senders {
                        let _ = sender.send(Err(reason.clone()));
                    }
                    Err(reason)
                }
            },
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
                for (listing, receiver) in listings {
                    let what = match &listing {
                        Listing::Images(scope) => format!("{scope} images"),
                        Listing::Dataset(dataset) => dataset.to_string(),
                    };
                    match receiver.await {
                        Ok(Ok(images)) => {
                            known.extend(images.iter().filter(|i| i.copy || !copies_only).cloned())
                        }
                        Ok(Err(reason)) => {
                            return Err(format!(
                                "not asked: the {what} listing it asks about failed ({reason})"
                            ));
                        }
                        Err(_) => {
                            return Err(format!(
                                "not asked: the {what} listing it asks about did not complete"
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
    /// A partition that asks about images: the ids, and (lineage) those whose chains
    /// the store holds.
    Asked {
        ids: Vec<String>,
        chains: HashSet<String>,
    },
    /// Launch permissions: the owned ids to ask about, and the shared ones to hand over.
    AskedAndHand {
        ids: Vec<String>,
        senders: Vec<oneshot::Sender<Listed>>,
        listed: Vec<ListedImage>,
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

    /// Notes an image id a dataset listing hands over (a shared owned image).
    pub fn note_id(&mut self, id: &str) {
        if let Ids::Hand { listed, .. } | Ids::AskedAndHand { listed, .. } = self
            && listed.last().is_none_or(|l| l.id != id)
        {
            listed.push(ListedImage {
                id: id.to_string(),
                copy: false,
            });
        }
    }

    /// Hands the listing's images over, or why it failed.
    pub fn finish(self, outcome: Result<(), &str>) {
        if let Ids::Hand { senders, listed }
        | Ids::AskedAndHand {
            senders, listed, ..
        } = self
        {
            let listed = std::sync::Arc::new(listed);
            for sender in senders {
                let _ = sender.send(outcome.map(|()| listed.clone()).map_err(str::to_string));
            }
        }
    }

    /// The ids asked about and those whose chains are stored; what this partition hands
    /// over stays behind.
    pub fn take_asked(&mut self) -> (Vec<String>, HashSet<String>) {
        match self {
            Ids::Asked { ids, chains } => (std::mem::take(ids), std::mem::take(chains)),
            Ids::AskedAndHand { ids, .. } => (std::mem::take(ids), HashSet::new()),
            _ => (Vec::new(), HashSet::new()),
        }
    }
}
