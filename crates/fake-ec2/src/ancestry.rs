//! GetImageAncestry: the chain of copies from an image back to its root, the image
//! first, then the image it was copied from (its `sourceImageId` in its
//! `sourceImageRegion`), and so on.
//!
//! From the API reference and the user guide's "AMI ancestry": the list runs "from the
//! specified AMI to the root AMI", at most 50 entries; the root is an AMI with no
//! recorded source, or a public AMI of a verified provider (alias `amazon` or
//! `aws-marketplace`), or the 50th. An entry is the AMI's id, creation date and owner
//! alias and its source's id and Region. The reference lists no errors of its own (the
//! common ones apply), so the fake answers as its other image calls do: a missing
//! `ImageId` is `MissingParameter`; an id not shaped `ami-` (`aki-`, `ari-`) and 8 or 17
//! hex digits `InvalidAMIID.Malformed`; an image not registered in the region, or one
//! the caller may not see (its own in every state; another's if public or shared with
//! it, and not disabled: DescribeImages' rule), `InvalidAMIID.NotFound`. `DryRun`
//! answers `DryRunOperation` once the request is valid.
//!
//! The guide has a source's id and Region stay on a copy after the source is
//! deregistered, and EC2 records the lineage itself: the fake lists every ancestor,
//! deregistered or not, whoever owns it and whether or not the caller may see it (an
//! entry tells no more than ids, a Region, a date and an alias). Sources are drawn by
//! `generate::fixed`: an account's copies name its earlier images, some in other
//! regions, some copies themselves, or one of Amazon's images.

use super::caller::Caller;
use super::catalog::World;
use super::describe_images::visible;
use super::generate::{image_kind, lineage};
use super::ids::{ImageKey, is_well_formed_image_id, parse_image_id};
use super::request::{ApiError, Params};
use super::xml::{element, opt, response, set};

/// "The maximum number of AMIs in an ancestry list is 50."
pub const MAX_ANCESTRY_ENTRIES: usize = 50;

/// One AMI of an ancestry and its source (parent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageAncestryEntry {
    pub image_id: String,
    /// As DescribeImages writes `creationDate` (`2024-05-06T07:08:09.123Z`).
    pub creation_date: Option<String>,
    /// `amazon` or `aws-marketplace`; `None` for an account's image.
    pub image_owner_alias: Option<String>,
    /// `None` for the root.
    pub source_image_id: Option<String>,
    pub source_image_region: Option<String>,
}

/// A GetImageAncestry request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AncestryRequest {
    pub image_id: Option<String>,
    pub dry_run: bool,
}

impl AncestryRequest {
    pub(crate) fn from_params(params: &Params) -> Result<AncestryRequest, ApiError> {
        Ok(AncestryRequest {
            image_id: params.get("ImageId").map(String::from),
            dry_run: params.flag("DryRun")?,
        })
    }
}

/// The answer to `request` for `caller` in `region`.
pub(crate) fn answer(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &AncestryRequest,
) -> Result<Vec<ImageAncestryEntry>, ApiError> {
    let region = world.region_for(region, caller)?;
    let Some(id) = request.image_id.as_deref().filter(|id| !id.is_empty()) else {
        return Err(ApiError::new(
            400,
            "MissingParameter",
            "The request must contain the parameter ImageId",
        ));
    };
    if !is_well_formed_image_id(id) {
        return Err(ApiError::new(
            400,
            "InvalidAMIID.Malformed",
            format!("Invalid id: \"{id}\" (expecting \"ami-...\")"),
        ));
    }
    // A well-formed id whose prefix is not what the image is does not exist.
    let found = parse_image_id(world.seed, id)
        .filter(|(_, key)| key.region == region.ordinal)
        .filter(|(kind, key)| {
            let Some(owner) = world.owner(key.owner) else {
                return false;
            };
            let entry = region
                .catalogs
                .get(usize::from(key.owner))
                .and_then(|c| c.get(key.index));
            entry.is_some_and(|entry| {
                image_kind(world.seed, *key, owner.kind) == *kind
                    && visible(world, region, caller, owner, entry)
            })
        });
    let Some((_, key)) = found else {
        return Err(ApiError::new(
            400,
            "InvalidAMIID.NotFound",
            format!("The image id '[{id}]' does not exist"),
        ));
    };
    if request.dry_run {
        return Err(ApiError::new(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    Ok(chain(world, id, key))
}

/// The image at `key` (whose id is `id`) and its ancestors, to the root.
fn chain(world: &World, id: &str, key: ImageKey) -> Vec<ImageAncestryEntry> {
    let mut entries: Vec<ImageAncestryEntry> = Vec::new();
    let mut at = Some((id.to_string(), key));
    while let Some((image_id, key)) = at.take() {
        let (Some(region), Some(owner)) = (
            world.regions.get(usize::from(key.region)),
            world.owner(key.owner),
        ) else {
            break;
        };
        let (creation_date, source) = lineage(world.seed, region, &world.places, owner, key.index);
        let alias = owner.alias();
        let root = alias.is_some() || entries.len() + 1 == MAX_ANCESTRY_ENTRIES;
        if !root {
            at = source
                .as_ref()
                .and_then(|(id, _)| Some((id.clone(), parse_image_id(world.seed, id)?.1)));
        }
        let (source_image_id, source_image_region) = source.unzip();
        entries.push(ImageAncestryEntry {
            image_id,
            creation_date: Some(creation_date),
            image_owner_alias: alias.map(String::from),
            source_image_id,
            source_image_region,
        });
    }
    entries
}

/// The whole answer.
pub(crate) fn write(request_id: &str, entries: &[ImageAncestryEntry]) -> String {
    response("GetImageAncestry", request_id, None, |out| {
        set(out, "imageAncestryEntrySet", entries, |out, e| {
            opt(out, "creationDate", &e.creation_date);
            element(out, "imageId", &e.image_id);
            opt(out, "imageOwnerAlias", &e.image_owner_alias);
            opt(out, "sourceImageId", &e.source_image_id);
            opt(out, "sourceImageRegion", &e.source_image_region);
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Lifecycle, OwnerKind};
    use crate::config::{FakeConfig, FakeRegion, Faults};
    use crate::describe_images;
    use crate::ids::{ImageKind, image_id};
    use crate::request::DescribeRequest;

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    /// Two accounts, two enabled regions and one nobody opted in to: the shape of the
    /// worlds the endpoint's and the product's tests use.
    fn small(seed: u64, owned: usize, amazon: usize, marketplace: usize) -> FakeConfig {
        let region = |name: &str, enabled| FakeRegion {
            name: name.into(),
            enabled,
            opted_in: Vec::new(),
        };
        FakeConfig {
            seed,
            accounts: vec![A.into(), B.into()],
            regions: vec![
                region("us-east-1", true),
                region("eu-west-1", true),
                region("me-central-1", false),
            ],
            owned_per_account_region: owned,
            amazon_per_region: amazon,
            marketplace_per_region: marketplace,
            faults: Faults::default(),
            unknown_member_rate: 0.0,
        }
    }

    fn ask(
        world: &World,
        caller: &str,
        region: &str,
        id: &str,
    ) -> Result<Vec<ImageAncestryEntry>, ApiError> {
        let request = AncestryRequest {
            image_id: Some(id.into()),
            dry_run: false,
        };
        answer(world, &Caller::new(world, caller), region, &request)
    }

    fn id_of(world: &World, region: u16, owner: u16, index: u32) -> String {
        let key = ImageKey {
            region,
            owner,
            index,
        };
        image_id(world.seed, ImageKind::Machine, key)
    }

    /// The ancestry of every image an account owns, as its owner asks:
    /// `(region, owner, chain)`.
    fn chains(world: &World) -> Vec<(String, String, Vec<ImageAncestryEntry>)> {
        let mut out = Vec::new();
        for region in world.regions.iter().filter(|r| r.enabled) {
            let accounts = world.owners.iter().filter(|o| o.kind == OwnerKind::Account);
            for owner in accounts {
                for entry in &region.catalogs[usize::from(owner.ordinal)].entries {
                    let id = id_of(world, region.ordinal, owner.ordinal, entry.index);
                    let chain = ask(world, &owner.id, &region.name, &id).unwrap();
                    out.push((region.name.clone(), owner.id.clone(), chain));
                }
            }
        }
        out
    }

    /// Whether a hop of the chain (asked in `region`) goes to another region.
    fn crosses_regions(region: &str, chain: &[ImageAncestryEntry]) -> bool {
        let mut here = region;
        chain.iter().any(|entry| {
            let Some(there) = entry.source_image_region.as_deref() else {
                return false;
            };
            let crossed = there != here;
            here = there;
            crossed
        })
    }

    #[test]
    fn small_worlds_have_chains_of_copies_across_regions() {
        let worlds = [
            ("demo", FakeConfig::demo()),
            ("the endpoint's SDK tests", small(99, 2_500, 400, 100)),
            ("the product's small catalog", small(42, 120, 150, 20)),
            ("the product's fault suite", small(42, 60, 80, 0)),
        ];
        for (name, config) in worlds {
            let world = World::new(&config);
            let all = chains(&world);
            // Copies of copies of an account's own images.
            let long: Vec<_> = all
                .iter()
                .filter(|(_, _, c)| {
                    c.len() >= 3 && c[..3].iter().all(|e| e.image_owner_alias.is_none())
                })
                .collect();
            let across = long
                .iter()
                .filter(|(region, _, c)| crosses_regions(region, c))
                .count();
            let amazon_roots = all
                .iter()
                .filter(|(_, _, c)| c.len() > 1)
                .filter(|(_, _, c)| {
                    c.last().unwrap().image_owner_alias.as_deref() == Some("amazon")
                })
                .count();
            assert!(
                long.len() >= 3 && across >= 1 && amazon_roots >= 1,
                "{name}: {} chains of 3 or more, {across} across regions, {amazon_roots} from Amazon's",
                long.len()
            );
        }
    }

    #[test]
    fn a_chain_runs_from_the_image_through_its_sources_to_a_root() {
        let world = World::new(&small(5, 500, 200, 20));
        let mut checked = 0;
        for (region, owner, chain) in chains(&world) {
            let mut here = region.as_str();
            for (n, entry) in chain.iter().enumerate() {
                let (_, key) = parse_image_id(world.seed, &entry.image_id).unwrap();
                assert_eq!(world.regions[usize::from(key.region)].name, here);
                if let Some(next) = chain.get(n + 1) {
                    assert_eq!(
                        entry.source_image_id.as_deref(),
                        Some(next.image_id.as_str())
                    );
                    assert!(next.creation_date < entry.creation_date, "{chain:?}");
                    here = entry.source_image_region.as_deref().unwrap();
                } else {
                    // The root: no source, or a verified provider's.
                    assert!(
                        entry.source_image_id.is_none() || entry.image_owner_alias.is_some(),
                        "{chain:?}"
                    );
                }
            }
            // Each entry says what DescribeImages says of its image to its owner, while
            // the image is registered.
            if chain.len() < 3 {
                continue;
            }
            for entry in &chain {
                let (_, key) = parse_image_id(world.seed, &entry.image_id).unwrap();
                let owner_id = &world.owners[usize::from(key.owner)].id;
                let region = &world.regions[usize::from(key.region)];
                let request = DescribeRequest {
                    image_ids: vec![entry.image_id.clone()],
                    include_deprecated: true,
                    include_disabled: true,
                    ..Default::default()
                };
                let caller = Caller::new(&world, owner_id);
                let Ok(page) = describe_images::page(&world, &caller, &region.name, &request)
                else {
                    continue;
                };
                let image = &page.images[0];
                assert_eq!(image.creation_date, entry.creation_date);
                assert_eq!(image.image_owner_alias, entry.image_owner_alias);
                assert_eq!(image.source_image_id, entry.source_image_id);
                assert_eq!(image.source_image_region, entry.source_image_region);
                checked += 1;
            }
            assert_eq!(chain[0].image_owner_alias, None, "{owner}");
        }
        assert!(checked > 30, "{checked}");
    }

    #[test]
    fn callers_ask_about_images_they_may_see() {
        let world = World::new(&small(5, 500, 1_500, 20));
        let (a, b) = (0u16, 1u16);
        let region = &world.regions[0];
        let catalog = &region.catalogs[usize::from(a)];
        let seed = |index: u32| {
            let entry = catalog.get(index).unwrap();
            world.entry_seed(region.ordinal, a, entry)
        };
        let shared = catalog
            .entries
            .iter()
            .filter(|e| !e.traits.public)
            .find(|e| world.shared_with(seed(e.index), e.traits, b))
            .unwrap();
        let private = catalog
            .entries
            .iter()
            .filter(|e| !e.traits.public && e.traits.lifecycle == Lifecycle::Available)
            .find(|e| !world.shared_with(seed(e.index), e.traits, b))
            .unwrap();
        let shared_id = id_of(&world, 0, a, shared.index);
        let private_id = id_of(&world, 0, a, private.index);
        // Shared with B: B gets what A gets, A's private ancestors included.
        let as_b = ask(&world, B, "us-east-1", &shared_id).unwrap();
        assert_eq!(as_b, ask(&world, A, "us-east-1", &shared_id).unwrap());
        let code = |r: Result<Vec<ImageAncestryEntry>, ApiError>| r.unwrap_err().code;
        assert_eq!(
            code(ask(&world, B, "us-east-1", &private_id)),
            "InvalidAMIID.NotFound"
        );
        assert!(ask(&world, A, "us-east-1", &private_id).is_ok());
        // An account the fake does not know sees public images only.
        assert_eq!(
            code(ask(&world, "999999999999", "us-east-1", &shared_id)),
            "InvalidAMIID.NotFound"
        );
        // Amazon's images are roots, kernels and RAM disks included.
        let amazon = world
            .owners
            .iter()
            .find(|o| o.kind == OwnerKind::Amazon)
            .unwrap();
        let (kind, kernel) = region.catalogs[usize::from(amazon.ordinal)]
            .entries
            .iter()
            .map(|e| ImageKey {
                region: 0,
                owner: amazon.ordinal,
                index: e.index,
            })
            .map(|k| (image_kind(world.seed, k, OwnerKind::Amazon), k))
            .find(|(kind, _)| *kind != ImageKind::Machine)
            .unwrap();
        let kernel_id = image_id(world.seed, kind, kernel);
        let alone = ask(&world, "999999999999", "us-east-1", &kernel_id).unwrap();
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].image_id, kernel_id);
        assert_eq!(alone[0].image_owner_alias.as_deref(), Some("amazon"));
        assert!(alone[0].creation_date.as_deref().unwrap() < "2013-07");
        // The image is in one region only.
        assert_eq!(
            code(ask(&world, A, "eu-west-1", &shared_id)),
            "InvalidAMIID.NotFound"
        );
    }

    #[test]
    fn bad_requests_get_ec2_error_codes() {
        let world = World::new(&small(5, 50, 50, 0));
        let caller = Caller::new(&world, A);
        let code = |image_id: Option<&str>, dry_run: bool, region: &str| {
            let request = AncestryRequest {
                image_id: image_id.map(String::from),
                dry_run,
            };
            let error = answer(&world, &caller, region, &request).unwrap_err();
            (error.status, error.code)
        };
        let owned = id_of(&world, 0, 0, 3);
        let bad = |c: &str| (400, c.to_string());
        assert_eq!(code(None, false, "us-east-1"), bad("MissingParameter"));
        assert_eq!(code(Some(""), false, "us-east-1"), bad("MissingParameter"));
        for malformed in [
            "ami-xyz",
            "ami-0123456789abcdef",
            "i-0123456789abcdef0",
            "AMI-12345678",
        ] {
            let got = code(Some(malformed), false, "us-east-1");
            assert_eq!(got, bad("InvalidAMIID.Malformed"), "{malformed}");
        }
        for unknown in [
            "ami-12345678",
            "ami-0123456789abcdef0",
            "aki-0123456789abcdef0",
        ] {
            let got = code(Some(unknown), false, "us-east-1");
            assert_eq!(got, bad("InvalidAMIID.NotFound"), "{unknown}");
        }
        assert_eq!(
            code(Some(&owned), true, "us-east-1"),
            (412, "DryRunOperation".into())
        );
        assert_eq!(code(Some(&owned), false, "me-central-1").1, "AuthFailure");
        assert_eq!(code(Some(&owned), false, "nowhere-1").1, "AuthFailure");
    }

    #[test]
    fn deregistered_ancestors_stay_in_the_chain() {
        let mut world = World::new(&small(8, 300, 100, 20));
        let before: Vec<_> = chains(&world)
            .into_iter()
            .filter(|(_, _, c)| c.len() >= 2)
            .collect();
        world.mutate(1.2, 5);
        let (mut kept, mut gone) = (0, 0);
        for (region, owner, chain) in &before {
            match ask(&world, owner, region, &chain[0].image_id) {
                Ok(after) => {
                    assert_eq!(&after, chain);
                    let deregistered = chain[1..].iter().any(|e| {
                        let (_, key) = parse_image_id(world.seed, &e.image_id).unwrap();
                        world.regions[usize::from(key.region)].catalogs[usize::from(key.owner)]
                            .get(key.index)
                            .is_none()
                    });
                    kept += usize::from(deregistered);
                }
                Err(error) => {
                    assert_eq!(error.code, "InvalidAMIID.NotFound");
                    gone += 1;
                }
            }
        }
        assert!(kept > 5 && gone > 5, "{kept} kept, {gone} gone");
    }

    #[test]
    fn the_answer_has_the_models_element_names() {
        let entries = [
            ImageAncestryEntry {
                image_id: "ami-2".into(),
                creation_date: Some("2025-01-02T03:04:05.006Z".into()),
                image_owner_alias: None,
                source_image_id: Some("ami-1".into()),
                source_image_region: Some("eu-west-1".into()),
            },
            ImageAncestryEntry {
                image_id: "ami-1".into(),
                creation_date: Some("2024-01-02T03:04:05.006Z".into()),
                image_owner_alias: Some("amazon".into()),
                source_image_id: None,
                source_image_region: None,
            },
        ];
        let body = write("r-1", &entries);
        let expected = [
            "<requestId>r-1</requestId><imageAncestryEntrySet><item>",
            "<creationDate>2025-01-02T03:04:05.006Z</creationDate><imageId>ami-2</imageId>",
            "<sourceImageId>ami-1</sourceImageId><sourceImageRegion>eu-west-1</sourceImageRegion>",
            "</item><item><creationDate>2024-01-02T03:04:05.006Z</creationDate>",
            "<imageId>ami-1</imageId><imageOwnerAlias>amazon</imageOwnerAlias></item>",
            "</imageAncestryEntrySet></GetImageAncestryResponse>",
        ]
        .concat();
        assert!(body.ends_with(&expected), "{body}");
        assert!(body.contains("<GetImageAncestryResponse xmlns="));
    }
}
