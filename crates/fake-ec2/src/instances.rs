//! Instances and DescribeInstanceImageMetadata: the AMI each of the caller's instances
//! was launched from, even when it has been deregistered since (EC2 then describes it
//! as it last knew it, in state `deregistered`).
//!
//! An instance is a serial, the image it was launched from, the revision of that image
//! EC2 last knew, a launch time and a state; its id, type, zone, tags and operator are
//! derived from the serial.

use amiq_image::{ImageWatermark, Tag};

use super::caller::Caller;
use super::catalog::{Entry, Owner, Region, World};
use super::dice::{Dice, mix};
use super::estate::{Estate, ImageRef};
use super::filter::{FieldFilter, tag_texts};
use super::generate::{Scene, render, revision_seed, traits};
use super::ids::{ResourceKind, is_well_formed, parse_resource_id, resource_id};
use super::paging::{Binding, Page, all_pages};
use super::request::{ApiError, Params, check_max_results};
use super::timestamp::iso8601;
use super::token::Position;
use super::xml::{element, flag, number, opt, opt_bool, response, set, tag_set};

/// The `MaxResults` DescribeInstanceImageMetadata accepts (the API reference), and its
/// page size when none is given.
pub const INSTANCE_METADATA_MAX_RESULTS: std::ops::RangeInclusive<i32> = 1..=1000;
const DEFAULT_PAGE: usize = 1000;

const SALT: u64 = 0x696e_7374;

/// An instance's state, with EC2's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InstanceState {
    Pending,
    Running,
    ShuttingDown,
    Terminated,
    Stopping,
    Stopped,
}

impl InstanceState {
    pub(crate) const ALL: [InstanceState; 6] = [
        InstanceState::Pending,
        InstanceState::Running,
        InstanceState::ShuttingDown,
        InstanceState::Terminated,
        InstanceState::Stopping,
        InstanceState::Stopped,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::ShuttingDown => "shutting-down",
            InstanceState::Terminated => "terminated",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
        }
    }

    /// The low byte EC2 reports as `code`.
    pub(crate) fn code(self) -> i32 {
        match self {
            InstanceState::Pending => 0,
            InstanceState::Running => 16,
            InstanceState::ShuttingDown => 32,
            InstanceState::Terminated => 48,
            InstanceState::Stopping => 64,
            InstanceState::Stopped => 80,
        }
    }

    pub(crate) fn parse(name: &str) -> Option<InstanceState> {
        InstanceState::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Where an instance in this state is by the next mutation.
    pub(crate) fn next(self, dice: &mut Dice) -> InstanceState {
        match self {
            InstanceState::Pending => InstanceState::Running,
            InstanceState::Running if dice.chance(0.5) => InstanceState::Stopping,
            InstanceState::Running => InstanceState::Stopped,
            InstanceState::Stopping => InstanceState::Stopped,
            InstanceState::Stopped => InstanceState::Pending,
            InstanceState::ShuttingDown | InstanceState::Terminated => InstanceState::Terminated,
        }
    }
}

/// One instance of an estate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Instance {
    pub serial: u32,
    pub image: ImageRef,
    /// The revision of the image EC2 last knew: what it shows once the image is gone.
    pub remembered: u32,
    /// Unix seconds.
    pub launched: u32,
    pub state: InstanceState,
}

/// What DescribeInstanceImageMetadata returns for one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceImageMetadata {
    pub instance_id: String,
    pub instance_type: String,
    /// `2025-10-01T12:00:00.000Z`.
    pub launch_time: String,
    pub availability_zone: String,
    pub zone_id: String,
    /// The low byte of the state code: 0, 16, 32, 48, 64 or 80.
    pub state_code: i32,
    /// `pending`, `running`, `shutting-down`, `terminated`, `stopping` or `stopped`.
    pub state_name: String,
    pub owner_id: String,
    /// `None`: no `tagSet` element; `Some(vec![])`: an empty one.
    pub tags: Option<Vec<Tag>>,
    pub image: ImageMetadata,
    pub operator: Option<InstanceOperator>,
}

/// The AMI an instance was launched from, as DescribeInstanceImageMetadata tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageMetadata {
    pub image_id: String,
    pub name: Option<String>,
    pub owner_id: Option<String>,
    /// The image's state, or `deregistered` once it is gone.
    pub state: Option<String>,
    pub owner_alias: Option<String>,
    pub creation_date: Option<String>,
    pub deprecation_time: Option<String>,
    /// Absent for an image that is gone: there is nothing left to allow.
    pub image_allowed: Option<bool>,
    pub is_public: Option<bool>,
    pub watermarks: Option<Vec<ImageWatermark>>,
}

/// Whether a service manages the instance (`operator`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceOperator {
    pub managed: bool,
    pub principal: Option<String>,
}

/// A DescribeInstanceImageMetadata request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MetadataRequest {
    pub instance_ids: Vec<String>,
    pub filters: Vec<(String, Vec<String>)>,
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
}

impl MetadataRequest {
    pub(crate) fn from_params(params: &Params) -> Result<MetadataRequest, ApiError> {
        Ok(MetadataRequest {
            instance_ids: params.list("InstanceId"),
            filters: params.filters(),
            max_results: params.max_results()?,
            next_token: params.get("NextToken").map(String::from),
        })
    }

    /// What the token binds: everything but the page size and position.
    fn binding(&self) -> MetadataRequest {
        MetadataRequest {
            max_results: None,
            next_token: None,
            ..self.clone()
        }
    }
}

/// Filter names of DescribeInstanceImageMetadata besides `tag:<key>`.
const FILTERS: [&str; 10] = [
    "availability-zone",
    "image-allowed",
    "instance-id",
    "instance-state-name",
    "instance-type",
    "launch-time",
    "owner-alias",
    "owner-id",
    "tag-key",
    "zone-id",
];

/// Packs an instance's coordinates for its id.
fn block(region: u16, account: u16, serial: u32) -> u64 {
    (u64::from(region) << 48) | (u64::from(account) << 32) | u64::from(serial)
}

pub(crate) fn instance_id(world: &World, region: u16, account: u16, serial: u32) -> String {
    resource_id(
        world.seed,
        ResourceKind::Instance,
        block(region, account, serial),
    )
}

/// `arn:aws:ec2:<region>:<account>:instance/<id>`.
pub(crate) fn instance_arn(world: &World, region: &Region, account: &Owner, serial: u32) -> String {
    format!(
        "arn:aws:ec2:{}:{}:instance/{}",
        region.name,
        account.id,
        instance_id(world, region.ordinal, account.ordinal, serial)
    )
}

/// The `zoneId` prefix EC2 uses for a region: `us-east-1` is `use1`, `ap-southeast-2`
/// is `apse2`.
fn zone_prefix(region: &str) -> String {
    let mut out = String::with_capacity(8);
    for part in region.split('-') {
        match part {
            _ if part.bytes().all(|b| b.is_ascii_digit()) => out.push_str(part),
            "us" | "eu" | "ap" | "sa" | "ca" | "me" | "af" | "il" | "mx" | "cn" => {
                out.push_str(part)
            }
            word => {
                for direction in ["north", "south", "east", "west", "central"] {
                    if let Some(rest) = word.strip_prefix(direction) {
                        out.push_str(&direction[..1]);
                        if !rest.is_empty() {
                            out.push_str(&rest[..1]);
                        }
                        break;
                    }
                }
            }
        }
    }
    out
}

/// Describes the instances of estates, as their owner sees them.
pub(crate) struct Describer<'a> {
    pub world: &'a World,
    pub region: &'a Region,
    pub account: &'a Owner,
    pub viewer: Caller,
}

impl<'a> Describer<'a> {
    pub(crate) fn new(world: &'a World, region: &'a Region, account: &'a Owner) -> Describer<'a> {
        Describer {
            world,
            region,
            account,
            viewer: Caller::new(world, &account.id),
        }
    }

    /// The entry of the image an instance names: the catalog's while it is registered,
    /// else the revision EC2 last knew; and whether it is registered.
    fn image_entry(&self, image: ImageRef, remembered: u32) -> Option<(&'a Owner, Entry, bool)> {
        let owner = self.world.owner(image.owner)?;
        let registered = self
            .region
            .catalogs
            .get(usize::from(image.owner))
            .and_then(|c| c.get(image.index));
        Some(match registered {
            Some(entry) => (owner, *entry, true),
            None => {
                let seed = revision_seed(
                    self.world.seed,
                    self.region.ordinal,
                    image.owner,
                    image.index,
                    remembered,
                );
                let entry = Entry {
                    index: image.index,
                    revision: remembered,
                    traits: traits(owner.kind, seed),
                };
                (owner, entry, false)
            }
        })
    }

    pub(crate) fn describe(&self, instance: &Instance) -> Option<InstanceImageMetadata> {
        let (owner, entry, registered) = self.image_entry(instance.image, instance.remembered)?;
        let scene = Scene {
            world_seed: self.world.seed,
            region: self.region,
            places: &self.world.places,
            owner,
            viewer: &self.viewer,
            unknown_member_rate: 0.0,
        };
        let image = render(&scene, &entry);
        let mut dice = Dice::new(mix(
            self.world.seed,
            &[
                SALT,
                self.region.ordinal.into(),
                self.account.ordinal.into(),
                instance.serial.into(),
            ],
        ));
        let instance_type = match image.architecture.as_deref() {
            Some("arm64") => *dice.pick(&["t4g.small", "m7g.large", "c7g.xlarge", "r8g.large"]),
            Some("i386") => *dice.pick(&["t1.micro", "m1.small", "c1.medium"]),
            _ => *dice.pick(&[
                "t3.micro",
                "t3.medium",
                "m7i.large",
                "c7i.xlarge",
                "r7i.2xlarge",
                "m6i.large",
            ]),
        };
        let zone = dice.below(3) as usize;
        let zone_number = (zone + usize::from(self.account.ordinal)) % 3 + 1;
        let millis = dice.below(1000);
        let serial = instance.serial;
        let tags = (serial % 7 != 6).then(|| {
            let role = *dice.pick(&["web", "api", "worker", "bastion", "ci", "db-proxy"]);
            let mut tags = vec![tag("Name", &format!("{role}-{serial}"))];
            if dice.chance(0.6) {
                let env = *dice.pick(&["prod", "staging", "dev"]);
                tags.push(tag("env", env));
            }
            if serial % 11 == 5 {
                tags.push(tag("notes", "<launched by \"ci\"> & kept"));
            }
            tags
        });
        let operator = Some(if serial % 20 == 19 {
            InstanceOperator {
                managed: true,
                principal: Some("eks.amazonaws.com".into()),
            }
        } else {
            InstanceOperator {
                managed: false,
                principal: None,
            }
        });
        let image = ImageMetadata {
            image_id: image.image_id.unwrap_or_default(),
            name: image.name,
            owner_id: image.owner_id,
            state: if registered {
                image.state
            } else {
                Some("deregistered".into())
            },
            owner_alias: image.image_owner_alias,
            creation_date: image.creation_date,
            deprecation_time: image.deprecation_time,
            image_allowed: image.image_allowed.filter(|_| registered),
            is_public: image.public,
            watermarks: image.image_watermarks,
        };
        Some(InstanceImageMetadata {
            instance_id: instance_id(
                self.world,
                self.region.ordinal,
                self.account.ordinal,
                serial,
            ),
            instance_type: instance_type.into(),
            launch_time: iso8601(instance.launched.into(), millis),
            availability_zone: format!("{}{}", self.region.name, ["a", "b", "c"][zone]),
            zone_id: format!("{}-az{zone_number}", zone_prefix(&self.region.name)),
            state_code: instance.state.code(),
            state_name: instance.state.name().into(),
            owner_id: self.account.id.clone(),
            tags,
            image,
            operator,
        })
    }
}

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: Some(key.into()),
        value: Some(value.into()),
    }
}

/// Whether the metadata passes a filter.
fn passes(filter: &FieldFilter, m: &InstanceImageMetadata) -> bool {
    if let Some(texts) = tag_texts(filter, &m.tags) {
        return filter.matches(texts);
    }
    let allowed = m
        .image
        .image_allowed
        .map(|a| if a { "true" } else { "false" });
    let text: Option<&str> = match filter.name.as_str() {
        "availability-zone" => Some(&m.availability_zone),
        "image-allowed" => allowed,
        "instance-id" => Some(&m.instance_id),
        "instance-state-name" => Some(&m.state_name),
        "instance-type" => Some(&m.instance_type),
        "launch-time" => Some(&m.launch_time),
        "owner-alias" => m.image.owner_alias.as_deref(),
        "owner-id" => m.image.owner_id.as_deref(),
        "zone-id" => Some(&m.zone_id),
        _ => None,
    };
    filter.matches(text)
}

/// The page of DescribeInstanceImageMetadata for `caller` in `region`.
pub(crate) fn page(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &MetadataRequest,
) -> Result<Page<InstanceImageMetadata>, ApiError> {
    let region = world.region_for(region, caller)?;
    check_max_results(request.max_results, INSTANCE_METADATA_MAX_RESULTS)?;
    let filters = FieldFilter::parse_all(&request.filters, &FILTERS)?;
    if let Some(bad) = request
        .instance_ids
        .iter()
        .find(|id| !is_well_formed(ResourceKind::Instance, id))
    {
        return Err(ApiError::new(
            400,
            "InvalidInstanceID.Malformed",
            format!("Invalid id: \"{bad}\""),
        ));
    }
    let binding = Binding::new(
        caller,
        &region.name,
        "DescribeInstanceImageMetadata",
        &request.binding(),
    );
    let start = binding.start(request.next_token.as_deref())?;
    let empty = Estate::default();
    let estate = region.estate(caller.ordinal).unwrap_or(&empty);
    let account = caller.ordinal.and_then(|o| world.owner(o));
    let wanted = named_serials(world, region, caller, estate, &request.instance_ids)?;
    let Some(account) = account else {
        return Ok(Page {
            items: Vec::new(),
            next_token: None,
        });
    };
    let describer = Describer::new(world, region, account);
    let limit = request.max_results.map_or(DEFAULT_PAGE, |m| m as usize);
    let from = estate.instances.partition_point(|i| i.serial < start.index);
    let mut items = Vec::with_capacity(limit.min(estate.instances.len()));
    for (at, instance) in estate.instances.iter().enumerate().skip(from) {
        if let Some(wanted) = &wanted
            && wanted.binary_search(&instance.serial).is_err()
        {
            continue;
        }
        let Some(metadata) = describer.describe(instance) else {
            continue;
        };
        if !filters.iter().all(|f| passes(f, &metadata)) {
            continue;
        }
        items.push(metadata);
        if items.len() == limit {
            let more = estate.instances.len() > at + 1;
            let next_token = more.then(|| {
                binding.token(Position {
                    owner: 0,
                    index: instance.serial + 1,
                })
            });
            return Ok(Page { items, next_token });
        }
    }
    Ok(Page {
        items,
        next_token: None,
    })
}

/// The serials `ids` name, ascending, or `None` when none are named; EC2's error when
/// one is not the caller's instance here.
fn named_serials(
    world: &World,
    region: &Region,
    caller: &Caller,
    estate: &Estate,
    ids: &[String],
) -> Result<Option<Vec<u32>>, ApiError> {
    if ids.is_empty() {
        return Ok(None);
    }
    let mut serials = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        let serial = parse_resource_id(world.seed, ResourceKind::Instance, id)
            .filter(|block| (block >> 48) as u16 == region.ordinal)
            .filter(|block| Some((block >> 32) as u16) == caller.ordinal)
            .map(|block| block as u32)
            .filter(|serial| {
                estate
                    .instances
                    .binary_search_by_key(serial, |i| i.serial)
                    .is_ok()
            });
        match serial {
            Some(serial) => serials.push(serial),
            None => missing.push(id.as_str()),
        }
    }
    match missing.as_slice() {
        [] => {
            serials.sort_unstable();
            serials.dedup();
            Ok(Some(serials))
        }
        [one] => Err(ApiError::new(
            400,
            "InvalidInstanceID.NotFound",
            format!("The instance ID '{one}' does not exist"),
        )),
        many => Err(ApiError::new(
            400,
            "InvalidInstanceID.NotFound",
            format!("The instance IDs '{}' do not exist", many.join(", ")),
        )),
    }
}

/// Every instance of `caller` in `region`, as DescribeInstanceImageMetadata pages them.
pub(crate) fn all(world: &World, caller: &Caller, region: &str) -> Vec<InstanceImageMetadata> {
    let mut request = MetadataRequest::default();
    all_pages(|token| {
        request.next_token = token;
        page(world, caller, region, &request)
    })
    .unwrap_or_default()
}

/// The whole answer.
pub(crate) fn write(request_id: &str, page: &Page<InstanceImageMetadata>) -> String {
    response(
        "DescribeInstanceImageMetadata",
        request_id,
        page.next_token.as_deref(),
        |out| {
            set(out, "instanceImageMetadataSet", &page.items, write_item);
        },
    )
}

fn write_item(out: &mut String, m: &InstanceImageMetadata) {
    element(out, "instanceId", &m.instance_id);
    element(out, "instanceType", &m.instance_type);
    element(out, "launchTime", &m.launch_time);
    element(out, "availabilityZone", &m.availability_zone);
    element(out, "zoneId", &m.zone_id);
    out.push_str("<instanceState>");
    number(out, "code", m.state_code);
    element(out, "name", &m.state_name);
    out.push_str("</instanceState>");
    element(out, "instanceOwnerId", &m.owner_id);
    tag_set(out, &m.tags);
    let i = &m.image;
    out.push_str("<imageMetadata>");
    element(out, "imageId", &i.image_id);
    opt(out, "name", &i.name);
    opt(out, "imageOwnerId", &i.owner_id);
    opt(out, "imageState", &i.state);
    opt(out, "imageOwnerAlias", &i.owner_alias);
    opt(out, "creationDate", &i.creation_date);
    opt(out, "deprecationTime", &i.deprecation_time);
    opt_bool(out, "imageAllowed", i.image_allowed);
    opt_bool(out, "isPublic", i.is_public);
    if let Some(marks) = &i.watermarks {
        set(out, "imageWatermarkSet", marks, |out, w| {
            opt(out, "watermarkKey", &w.watermark_key);
            opt(out, "sourceImageRegion", &w.source_image_region);
            opt(out, "sourceImageId", &w.source_image_id);
            opt(
                out,
                "sourceImageCreationTime",
                &w.source_image_creation_time,
            );
            opt(out, "watermarkCreationTime", &w.watermark_creation_time);
        });
    }
    out.push_str("</imageMetadata>");
    if let Some(operator) = &m.operator {
        out.push_str("<operator>");
        flag(out, "managed", operator.managed);
        opt(out, "principal", &operator.principal);
        out.push_str("</operator>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_ids_follow_ec2s_region_codes() {
        assert_eq!(zone_prefix("us-east-1"), "use1");
        assert_eq!(zone_prefix("eu-west-1"), "euw1");
        assert_eq!(zone_prefix("ap-southeast-2"), "apse2");
        assert_eq!(zone_prefix("me-central-1"), "mec1");
        assert_eq!(zone_prefix("ap-northeast-3"), "apne3");
    }

    #[test]
    fn states_move_on_and_keep_ec2s_codes() {
        let mut dice = Dice::new(3);
        let codes: Vec<i32> = InstanceState::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 16, 32, 48, 64, 80]);
        assert_eq!(
            InstanceState::parse("shutting-down"),
            Some(InstanceState::ShuttingDown)
        );
        assert_eq!(
            InstanceState::Terminated.next(&mut dice),
            InstanceState::Terminated
        );
    }
}
