//! Launch templates: numbered versions, each naming the image instances launch from
//! (or none), one of them the default. DescribeImageReferences checks the most recent
//! versions (`version-depth`, 10 unless asked otherwise).

use super::catalog::{Owner, Region, World};
use super::estate::ImageRef;
use super::ids::{ResourceKind, resource_id};

/// Versions DescribeImageReferences checks when the request does not say: "Default: 10"
/// in the API reference (`ResourceTypeOption.OptionValues`).
pub const DEFAULT_VERSION_DEPTH: u32 = 10;
/// The largest `version-depth` the API reference allows ("Integers between 1 and 10000").
pub const MAX_VERSION_DEPTH: u32 = 10_000;

/// One launch template of an estate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaunchTemplate {
    pub serial: u32,
    /// 1-based, like EC2's version numbers.
    pub default_version: u32,
    /// Version `n` is `versions[n - 1]`; the last is the latest.
    pub versions: Vec<Option<ImageRef>>,
}

/// `lt-0…`: the template's id.
pub(crate) fn launch_template_id(world: &World, region: u16, account: u16, serial: u32) -> String {
    let block = (u64::from(region) << 48) | (u64::from(account) << 32) | u64::from(serial);
    resource_id(world.seed, ResourceKind::LaunchTemplate, block)
}

/// `arn:aws:ec2:<region>:<account>:launch-template/<id>`.
pub(crate) fn launch_template_arn(
    world: &World,
    region: &Region,
    account: &Owner,
    serial: u32,
) -> String {
    format!(
        "arn:aws:ec2:{}:{}:launch-template/{}",
        region.name,
        account.id,
        launch_template_id(world, region.ordinal, account.ordinal, serial)
    )
}
