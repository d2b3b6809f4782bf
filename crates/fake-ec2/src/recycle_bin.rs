//! The Recycle Bin and ListImagesInRecycleBin: the account's images that a retention
//! rule kept after they were deregistered, until their retention period ends.

use super::caller::Caller;
use super::catalog::{Entry, Owner, Region, World};
use super::estate::Estate;
use super::generate::{Scene, render, revision_seed, traits};
use super::ids::{ImageKey, ImageKind, image_id, is_well_formed_image_id};
use super::paging::{Binding, Page, all_pages};
use super::request::{ApiError, Params, check_max_results};
use super::timestamp::iso8601;
use super::token::Position;
use super::xml::{element, opt, response, set};

/// The `MaxResults` ListImagesInRecycleBin accepts (the API reference); its page size
/// when none is given is the largest.
pub const RECYCLE_BIN_MAX_RESULTS: std::ops::RangeInclusive<i32> = 1..=1000;
/// "You can specify up to 20 IDs in a single request" (the API reference).
pub const RECYCLE_BIN_MAX_IDS: usize = 20;

const DAY: i64 = 86_400;

/// An image in an estate's Recycle Bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BinEntry {
    pub index: u32,
    /// The revision it had when it was deregistered.
    pub revision: u32,
    /// Unix seconds.
    pub entered: u32,
}

/// What ListImagesInRecycleBin returns for one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecycleBinImage {
    pub image_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub recycle_bin_enter_time: String,
    /// When the retention period ends and the image is deleted for good.
    pub recycle_bin_exit_time: String,
}

/// A ListImagesInRecycleBin request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BinRequest {
    pub image_ids: Vec<String>,
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
}

impl BinRequest {
    pub(crate) fn from_params(params: &Params) -> Result<BinRequest, ApiError> {
        Ok(BinRequest {
            image_ids: params.list("ImageId"),
            max_results: params.max_results()?,
            next_token: params.get("NextToken").map(String::from),
        })
    }
}

fn describe(
    world: &World,
    region: &Region,
    account: &Owner,
    estate: &Estate,
    entry: &BinEntry,
) -> RecycleBinImage {
    let viewer = Caller::new(world, &account.id);
    let scene = Scene {
        world_seed: world.seed,
        region,
        places: &world.places,
        owner: account,
        viewer: &viewer,
        unknown_member_rate: 0.0,
    };
    let seed = revision_seed(
        world.seed,
        region.ordinal,
        account.ordinal,
        entry.index,
        entry.revision,
    );
    let image = render(
        &scene,
        &Entry {
            index: entry.index,
            revision: entry.revision,
            traits: traits(account.kind, seed),
        },
    );
    let key = ImageKey {
        region: region.ordinal,
        owner: account.ordinal,
        index: entry.index,
    };
    let entered = i64::from(entry.entered);
    let exit = entered + i64::from(estate.retention_days) * DAY;
    RecycleBinImage {
        image_id: image_id(world.seed, ImageKind::Machine, key),
        name: image.name,
        description: image.description,
        recycle_bin_enter_time: iso8601(entered, u64::from(entry.entered % 1000)),
        recycle_bin_exit_time: iso8601(exit, u64::from(entry.entered % 1000)),
    }
}

/// The page of ListImagesInRecycleBin for `caller` in `region`.
pub(crate) fn page(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &BinRequest,
) -> Result<Page<RecycleBinImage>, ApiError> {
    let region = world.region_for(region, caller)?;
    check_max_results(request.max_results, RECYCLE_BIN_MAX_RESULTS)?;
    if request.image_ids.len() > RECYCLE_BIN_MAX_IDS {
        return Err(ApiError::invalid_value(format!(
            "The request names {} image IDs; specify up to {RECYCLE_BIN_MAX_IDS}",
            request.image_ids.len()
        )));
    }
    if let Some(bad) = request
        .image_ids
        .iter()
        .find(|id| !is_well_formed_image_id(id))
    {
        return Err(ApiError::new(
            400,
            "InvalidAMIID.Malformed",
            format!("Invalid id: \"{bad}\" (expecting \"ami-...\")"),
        ));
    }
    let binding = Binding::new(
        caller,
        &region.name,
        "ListImagesInRecycleBin",
        &request.image_ids,
    );
    let start = binding.start(request.next_token.as_deref())?;
    let mut page = Page {
        items: Vec::new(),
        next_token: None,
    };
    let (Some(estate), Some(account)) = (
        region.estate(caller.ordinal),
        caller.ordinal.and_then(|o| world.owner(o)),
    ) else {
        return Ok(page);
    };
    let limit = request.max_results.unwrap_or(1000) as usize;
    let from = estate
        .recycle_bin
        .partition_point(|e| e.index < start.index);
    for (at, entry) in estate.recycle_bin.iter().enumerate().skip(from) {
        let image = describe(world, region, account, estate, entry);
        if !request.image_ids.is_empty() && !request.image_ids.contains(&image.image_id) {
            continue;
        }
        page.items.push(image);
        if page.items.len() == limit {
            if at + 1 < estate.recycle_bin.len() {
                page.next_token = Some(binding.token(Position {
                    owner: 0,
                    index: entry.index + 1,
                }));
            }
            break;
        }
    }
    Ok(page)
}

/// Every image in `caller`'s Recycle Bin in `region`.
pub(crate) fn all(world: &World, caller: &Caller, region: &str) -> Vec<RecycleBinImage> {
    let mut request = BinRequest::default();
    all_pages(|token| {
        request.next_token = token;
        page(world, caller, region, &request)
    })
    .unwrap_or_default()
}

/// The whole answer.
pub(crate) fn write(request_id: &str, page: &Page<RecycleBinImage>) -> String {
    response(
        "ListImagesInRecycleBin",
        request_id,
        page.next_token.as_deref(),
        |out| {
            set(out, "imageSet", &page.items, |out, i| {
                element(out, "imageId", &i.image_id);
                opt(out, "name", &i.name);
                opt(out, "description", &i.description);
                element(out, "recycleBinEnterTime", &i.recycle_bin_enter_time);
                element(out, "recycleBinExitTime", &i.recycle_bin_exit_time);
            });
        },
    )
}
