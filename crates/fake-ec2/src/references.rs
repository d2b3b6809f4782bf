//! DescribeImageReferences: the caller's resources in the region that name given
//! images (instances that are not terminated, launch templates by their most recent
//! versions, SSM parameters, Image Builder recipes), and the usage of every image an
//! account owns, for tests that judge a cleanup.
//!
//! Limits, from the API reference: 1 to 10 `ImageId.N`; `MaxResults` at least 5 (the
//! model gives no maximum: a page holds at most 1000); `version-depth` 1 to 10000,
//! default 10; `state-name` any instance state, default all of them. Either
//! `IncludeAllResourceTypes` or `ResourceType.N` must be given; options given for a
//! type override the defaults `IncludeAllResourceTypes` applies.

use std::collections::HashMap;

use super::caller::Caller;
use super::catalog::{Owner, Region, World};
use super::estate::{Estate, ImageRef};
use super::generate::{fixed, image_kind};
use super::ids::{is_well_formed_image_id, parse_image_id};
use super::instances::{InstanceState, instance_arn};
use super::launch_templates::{DEFAULT_VERSION_DEPTH, MAX_VERSION_DEPTH, launch_template_arn};
use super::paging::{Binding, Page, all_pages};
use super::request::{ApiError, Params};
use super::token::Position;
use super::xml::{element, response, set};

/// "Array Members: Minimum number of 1 item. Maximum number of 10 items." (ImageId.N)
pub const MAX_REFERENCED_IMAGE_IDS: usize = 10;
/// The smallest `MaxResults` DescribeImageReferences accepts.
pub const MIN_REFERENCES_MAX_RESULTS: i32 = 5;
const PAGE_LIMIT: usize = 1000;

/// The resource types, in the order an image's references are listed.
const TYPES: [&str; 5] = [
    "ec2:Instance",
    "ec2:LaunchTemplate",
    "ssm:Parameter",
    "imagebuilder:ImageRecipe",
    "imagebuilder:ContainerRecipe",
];

/// One resource that names an image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageReference {
    pub image_id: String,
    /// One of `ec2:Instance`, `ec2:LaunchTemplate`, `ssm:Parameter`,
    /// `imagebuilder:ImageRecipe`, `imagebuilder:ContainerRecipe`.
    pub resource_type: String,
    pub arn: String,
}

/// An image the account owns, with what uses it: for a test to judge, on its own,
/// whether a cleanup may deregister it and delete its snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUsage {
    pub image_id: String,
    /// Its state (`available`, `pending`, `disabled`, `failed`).
    pub state: String,
    /// What DescribeImageReferences with `IncludeAllResourceTypes` (and the
    /// version depth asked for) returns for it.
    pub references: Vec<ImageReference>,
    /// The snapshot ids of its block device mappings, in mapping order.
    pub snapshot_ids: Vec<String>,
    /// Those of them another of the account's registered images maps too (one snapshot,
    /// several AMIs): deleting them fails while that image is registered.
    pub shared_snapshot_ids: Vec<String>,
}

/// One `ResourceType.N` of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ResourceTypeRequest {
    pub resource_type: String,
    /// `(OptionName, [OptionValue.K…])`.
    pub options: Vec<(String, Vec<String>)>,
}

/// A DescribeImageReferences request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReferencesRequest {
    pub image_ids: Vec<String>,
    pub include_all_resource_types: bool,
    pub resource_types: Vec<ResourceTypeRequest>,
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
}

impl ReferencesRequest {
    /// Reads `ResourceType.N.ResourceType` and `ResourceType.N.ResourceTypeOption.M.
    /// OptionName` / `.OptionValue.K` as the SDKs send them (the members' query names),
    /// and the same spelled after the members (`ResourceTypes.N…ResourceTypeOptions.M.
    /// OptionValues.K`).
    pub(crate) fn from_params(params: &Params) -> Result<ReferencesRequest, ApiError> {
        let mut resource_types = Vec::new();
        for list in ["ResourceType", "ResourceTypes"] {
            for n in params.numbers(list, ".ResourceType") {
                let at = format!("{list}.{n}");
                let mut options = Vec::new();
                for option_list in ["ResourceTypeOption", "ResourceTypeOptions"] {
                    let options_at = format!("{at}.{option_list}");
                    for m in params.numbers(&options_at, ".OptionName") {
                        let option = format!("{options_at}.{m}");
                        let name = params
                            .get(&format!("{option}.OptionName"))
                            .unwrap_or_default()
                            .to_string();
                        let mut values = params.list(&format!("{option}.OptionValue"));
                        values.extend(params.list(&format!("{option}.OptionValues")));
                        options.push((name, values));
                    }
                }
                resource_types.push(ResourceTypeRequest {
                    resource_type: params
                        .get(&format!("{at}.ResourceType"))
                        .unwrap_or_default()
                        .to_string(),
                    options,
                });
            }
        }
        Ok(ReferencesRequest {
            image_ids: params.list("ImageId"),
            include_all_resource_types: params.flag("IncludeAllResourceTypes")?,
            resource_types,
            max_results: params.max_results()?,
            next_token: params.get("NextToken").map(String::from),
        })
    }

    /// Every resource type with its default options: what `IncludeAllResourceTypes`
    /// asks, at a version depth.
    pub(crate) fn everything(
        image_ids: &[String],
        version_depth: Option<u32>,
    ) -> ReferencesRequest {
        let resource_types = version_depth
            .map(|depth| ResourceTypeRequest {
                resource_type: "ec2:LaunchTemplate".into(),
                options: vec![("version-depth".into(), vec![depth.to_string()])],
            })
            .into_iter()
            .collect();
        ReferencesRequest {
            image_ids: image_ids.to_vec(),
            include_all_resource_types: true,
            resource_types,
            ..ReferencesRequest::default()
        }
    }

    /// What the token binds: everything but the page size and position.
    fn binding(&self) -> ReferencesRequest {
        ReferencesRequest {
            max_results: None,
            next_token: None,
            ..self.clone()
        }
    }
}

/// What a request checks, validated.
#[derive(Debug, Clone, Default)]
struct Scope {
    /// The instance states reported, if instances are checked.
    instances: Option<Vec<InstanceState>>,
    /// The launch template versions checked, if templates are.
    version_depth: Option<u32>,
    parameters: bool,
    image_recipes: bool,
    container_recipes: bool,
}

impl Scope {
    fn of(request: &ReferencesRequest) -> Result<Scope, ApiError> {
        if !request.include_all_resource_types && request.resource_types.is_empty() {
            return Err(ApiError::new(
                400,
                "MissingParameter",
                "Either IncludeAllResourceTypes or ResourceTypes must be specified.",
            ));
        }
        let mut scope = Scope::default();
        if request.include_all_resource_types {
            scope = Scope {
                instances: Some(InstanceState::ALL.to_vec()),
                version_depth: Some(DEFAULT_VERSION_DEPTH),
                parameters: true,
                image_recipes: true,
                container_recipes: true,
            };
        }
        for wanted in &request.resource_types {
            let kind = wanted.resource_type.as_str();
            let mut depth = DEFAULT_VERSION_DEPTH;
            let mut states = InstanceState::ALL.to_vec();
            for (name, values) in &wanted.options {
                match (kind, name.as_str()) {
                    ("ec2:LaunchTemplate", "version-depth") => depth = version_depth(values)?,
                    ("ec2:Instance", "state-name") => states = state_names(values)?,
                    (_, "version-depth" | "state-name") => {
                        return Err(ApiError::invalid_value(format!(
                            "The option '{name}' is not valid for resource type '{kind}'. \
                             Use state-name with ec2:Instance and version-depth with \
                             ec2:LaunchTemplate."
                        )));
                    }
                    _ => {
                        return Err(ApiError::invalid_value(format!(
                            "Value ({name}) for parameter optionName is invalid. \
                             Valid values: state-name | version-depth"
                        )));
                    }
                }
            }
            match kind {
                "ec2:Instance" => scope.instances = Some(states),
                "ec2:LaunchTemplate" => scope.version_depth = Some(depth),
                "ssm:Parameter" => scope.parameters = true,
                "imagebuilder:ImageRecipe" => scope.image_recipes = true,
                "imagebuilder:ContainerRecipe" => scope.container_recipes = true,
                _ => {
                    return Err(ApiError::invalid_value(format!(
                        "Value ({kind}) for parameter resourceType is invalid. Valid values: {}",
                        TYPES.join(" | ")
                    )));
                }
            }
        }
        Ok(scope)
    }
}

fn version_depth(values: &[String]) -> Result<u32, ApiError> {
    match values {
        [one] => one
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_VERSION_DEPTH).contains(d))
            .ok_or_else(|| {
                ApiError::invalid_value(format!(
                    "Value ({one}) for option version-depth is invalid. \
                     Expecting an integer between 1 and {MAX_VERSION_DEPTH}."
                ))
            }),
        _ => Err(ApiError::invalid_value(format!(
            "The option version-depth takes one value; the request gives {}",
            values.len()
        ))),
    }
}

fn state_names(values: &[String]) -> Result<Vec<InstanceState>, ApiError> {
    if values.is_empty() {
        return Err(ApiError::invalid_value(
            "The option state-name needs at least one value",
        ));
    }
    values
        .iter()
        .map(|v| {
            InstanceState::parse(v).ok_or_else(|| {
                ApiError::invalid_value(format!(
                    "Value ({v}) for option state-name is invalid. Valid values: pending | \
                     running | shutting-down | terminated | stopping | stopped"
                ))
            })
        })
        .collect()
}

/// The references of an estate, for the images `wanted` keeps: per image, in type
/// order, each type's resources by serial. Terminated instances name nothing.
fn collect(
    world: &World,
    region: &Region,
    account: &Owner,
    estate: &Estate,
    scope: &Scope,
    only: Option<&[ImageRef]>,
    wanted: impl Fn(ImageRef) -> Option<String>,
) -> HashMap<ImageRef, Vec<ImageReference>> {
    let mut found: HashMap<ImageRef, Vec<ImageReference>> = HashMap::new();
    let mut add = |image: ImageRef, resource_type: &str, arn: &dyn Fn() -> String| {
        if let Some(image_id) = wanted(image) {
            found.entry(image).or_default().push(ImageReference {
                image_id,
                resource_type: resource_type.into(),
                arn: arn(),
            });
        }
    };
    if let Some(states) = &scope.instances {
        // Asked about a few images, only their instances are looked at, in estate order.
        let positions: Vec<u32> = match only {
            Some(images) => {
                let mut at: Vec<u32> = images
                    .iter()
                    .flat_map(|image| estate.instances_of(*image))
                    .copied()
                    .collect();
                at.sort_unstable();
                at.dedup();
                at
            }
            None => (0..estate.instances.len() as u32).collect(),
        };
        for instance in positions.iter().map(|at| &estate.instances[*at as usize]) {
            let reported =
                instance.state != InstanceState::Terminated && states.contains(&instance.state);
            if reported {
                add(instance.image, TYPES[0], &|| {
                    instance_arn(world, region, account, instance.serial)
                });
            }
        }
    }
    if let Some(depth) = scope.version_depth {
        for template in &estate.launch_templates {
            let mut named: Vec<ImageRef> = template
                .versions
                .iter()
                .rev()
                .take(depth as usize)
                .flatten()
                .copied()
                .collect();
            named.sort_unstable();
            named.dedup();
            for image in named {
                add(image, TYPES[1], &|| {
                    launch_template_arn(world, region, account, template.serial)
                });
            }
        }
    }
    if scope.parameters {
        for parameter in &estate.parameters {
            add(parameter.image, TYPES[2], &|| {
                parameter.arn(region, account)
            });
        }
    }
    for recipe in &estate.recipes {
        let checked = if recipe.container {
            scope.container_recipes
        } else {
            scope.image_recipes
        };
        if checked {
            add(recipe.image, recipe.resource_type(), &|| {
                recipe.arn(region, account)
            });
        }
    }
    // Each list is in resource order within a type; put the types in order.
    for list in found.values_mut() {
        list.sort_by_key(|r| TYPES.iter().position(|t| *t == r.resource_type));
    }
    found
}

/// The page of DescribeImageReferences for `caller` in `region`.
pub(crate) fn page(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &ReferencesRequest,
) -> Result<Page<ImageReference>, ApiError> {
    let region = world.region_for(region, caller)?;
    match request.image_ids.len() {
        0 => {
            return Err(ApiError::new(
                400,
                "MissingParameter",
                "The request must contain the parameter ImageId",
            ));
        }
        n if n > MAX_REFERENCED_IMAGE_IDS => {
            return Err(ApiError::invalid_value(format!(
                "The request names {n} image IDs; specify between 1 and \
                 {MAX_REFERENCED_IMAGE_IDS} image IDs per request"
            )));
        }
        _ => {}
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
    if let Some(max) = request
        .max_results
        .filter(|m| *m < MIN_REFERENCES_MAX_RESULTS)
    {
        return Err(ApiError::invalid_value(format!(
            "Value ( {max} ) for parameter maxResults is invalid. Expecting a value greater \
             than {MIN_REFERENCES_MAX_RESULTS}."
        )));
    }
    let scope = Scope::of(request)?;
    let images = existing(world, region, &request.image_ids)?;
    let binding = Binding::new(
        caller,
        &region.name,
        "DescribeImageReferences",
        &request.binding(),
    );
    let start = binding.start(request.next_token.as_deref())?.index as usize;
    let all = match (
        region.estate(caller.ordinal),
        caller.ordinal.and_then(|o| world.owner(o)),
    ) {
        (Some(estate), Some(account)) => {
            let ids: HashMap<ImageRef, &String> = images.iter().map(|(r, id)| (*r, id)).collect();
            let asked: Vec<ImageRef> = images.iter().map(|(r, _)| *r).collect();
            let mut found = collect(
                world,
                region,
                account,
                estate,
                &scope,
                Some(&asked),
                |image| ids.get(&image).map(|id| id.to_string()),
            );
            images
                .iter()
                .flat_map(|(image, _)| found.remove(image).unwrap_or_default())
                .collect()
        }
        _ => Vec::new(),
    };
    let limit = request
        .max_results
        .map_or(PAGE_LIMIT, |m| (m as usize).min(PAGE_LIMIT));
    let end = (start + limit).min(all.len());
    let items = all.get(start..end).unwrap_or_default().to_vec();
    let next_token = (end < all.len()).then(|| {
        binding.token(Position {
            owner: 0,
            index: end as u32,
        })
    });
    Ok(Page { items, next_token })
}

/// The registered images the ids name, in request order without repeats, or EC2's
/// error naming the ones that do not exist here.
fn existing(
    world: &World,
    region: &Region,
    ids: &[String],
) -> Result<Vec<(ImageRef, String)>, ApiError> {
    let mut images: Vec<(ImageRef, String)> = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        let found = parse_image_id(world.seed, id)
            .filter(|(_, key)| key.region == region.ordinal)
            .filter(|(kind, key)| {
                let owner = world.owner(key.owner);
                let registered = region
                    .catalogs
                    .get(usize::from(key.owner))
                    .and_then(|c| c.get(key.index))
                    .is_some();
                registered && owner.is_some_and(|o| image_kind(world.seed, *key, o.kind) == *kind)
            })
            .map(|(_, key)| ImageRef {
                owner: key.owner,
                index: key.index,
            });
        match found {
            Some(image) if images.iter().any(|(i, _)| *i == image) => {}
            Some(image) => images.push((image, id.clone())),
            None => missing.push(id.as_str()),
        }
    }
    match missing.as_slice() {
        [] => Ok(images),
        [one] => Err(ApiError::new(
            400,
            "InvalidAMIID.NotFound",
            format!("The image id '[{one}]' does not exist"),
        )),
        many => Err(ApiError::new(
            400,
            "InvalidAMIID.NotFound",
            format!("The image ids '[{}]' do not exist", many.join(", ")),
        )),
    }
}

/// Every page of DescribeImageReferences with `IncludeAllResourceTypes` (and the
/// version depth, if given).
pub(crate) fn all(
    world: &World,
    caller: &Caller,
    region: &str,
    image_ids: &[String],
    version_depth: Option<u32>,
) -> Result<Vec<ImageReference>, ApiError> {
    let mut request = ReferencesRequest::everything(image_ids, version_depth);
    all_pages(|token| {
        request.next_token = token;
        page(world, caller, region, &request)
    })
}

/// Every image `account` owns in `region` (all states), with its references and its
/// snapshots.
pub(crate) fn usage(
    world: &World,
    account: &str,
    region: &str,
    version_depth: Option<u32>,
) -> Vec<ImageUsage> {
    let caller = Caller::new(world, account);
    let (Some(region), Some(owner)) = (
        world.region(region).filter(|r| r.enabled_for(&caller)),
        caller.ordinal.and_then(|o| world.owner(o)),
    ) else {
        return Vec::new();
    };
    let Some(catalog) = region.catalogs.get(usize::from(owner.ordinal)) else {
        return Vec::new();
    };
    let request = ReferencesRequest::everything(&[], version_depth);
    let Ok(scope) = Scope::of(&request) else {
        return Vec::new();
    };
    let image_id = |index: u32| {
        let key = ImageRef {
            owner: owner.ordinal,
            index,
        }
        .key(region.ordinal);
        super::ids::image_id(world.seed, super::ids::ImageKind::Machine, key)
    };
    let mut references = match region.estate(caller.ordinal) {
        Some(estate) => collect(world, region, owner, estate, &scope, None, |image| {
            (image.owner == owner.ordinal && catalog.get(image.index).is_some())
                .then(|| image_id(image.index))
        }),
        None => HashMap::new(),
    };
    let images: Vec<(u32, String, Vec<String>)> = catalog
        .entries
        .iter()
        .map(|entry| {
            let fixed = fixed(world.seed, region, &world.places, owner, entry.index);
            let snapshots = fixed
                .block_device_mappings
                .iter()
                .filter_map(|m| m.ebs.as_ref()?.snapshot_id.clone())
                .collect();
            let state = match entry.traits.lifecycle {
                super::catalog::Lifecycle::Available => "available",
                super::catalog::Lifecycle::Pending => "pending",
                super::catalog::Lifecycle::Disabled => "disabled",
                super::catalog::Lifecycle::Failed => "failed",
            };
            (entry.index, state.to_string(), snapshots)
        })
        .collect();
    let mut users: HashMap<&str, usize> = HashMap::new();
    for (_, _, snapshots) in &images {
        for id in snapshots {
            *users.entry(id.as_str()).or_default() += 1;
        }
    }
    images
        .iter()
        .map(|(index, state, snapshots)| {
            let image = ImageRef {
                owner: owner.ordinal,
                index: *index,
            };
            ImageUsage {
                image_id: image_id(*index),
                state: state.clone(),
                references: references.remove(&image).unwrap_or_default(),
                snapshot_ids: snapshots.clone(),
                shared_snapshot_ids: snapshots
                    .iter()
                    .filter(|id| users.get(id.as_str()).is_some_and(|n| *n > 1))
                    .cloned()
                    .collect(),
            }
        })
        .collect()
}

/// The whole answer.
pub(crate) fn write(request_id: &str, page: &Page<ImageReference>) -> String {
    response(
        "DescribeImageReferences",
        request_id,
        page.next_token.as_deref(),
        |out| {
            set(out, "imageReferenceSet", &page.items, |out, r| {
                element(out, "imageId", &r.image_id);
                element(out, "resourceType", &r.resource_type);
                element(out, "arn", &r.arn);
            });
        },
    )
}
