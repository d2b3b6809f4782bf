//! DescribeImageAttribute: one attribute of one of the caller's images.
//!
//! From the API reference: `Attribute` and `ImageId` are required, one attribute per
//! call; `blockDeviceMapping` is deprecated and "returns the Client.AuthFailure error".
//! Launch permissions are the owner's to see: an image another account owns answers
//! `AuthFailure` (whether or not the caller may launch it), one not registered in the
//! Region (never, or deregistered) `InvalidAMIID.NotFound`, an id not shaped `ami-` and
//! 8 or 17 hex digits `InvalidAMIID.Malformed`. `DryRun` answers `DryRunOperation` once
//! the request is valid.
//!
//! The fake serves `launchPermission` (see `sharing`: `group=all` exactly when the
//! image is public, the configured accounts DescribeImages shares it with, then the
//! outside accounts, organization and OU) and the attributes DescribeImages already
//! renders for the owner: `description`, `kernel`, `ramdisk`, `sriovNetSupport`,
//! `bootMode`, `tpmSupport`, `imdsSupport`, `deregistrationProtection`,
//! `lastLaunchedTime` and `productCodes`, each equal to the image's member (an absent
//! member is an empty element). `uefiData` is refused with `UnsupportedOperation`
//! saying so; any other name is `InvalidParameterValue`.

use amiq_image::{Image, ProductCode};

use super::caller::Caller;
use super::catalog::{Entry, Owner, Region, World};
use super::generate::{Scene, image_kind, render};
use super::ids::{is_well_formed_image_id, parse_image_id};
use super::request::{ApiError, Params};
use super::sharing::{LaunchPermission, launch_permissions};
use super::xml::{element, opt, response, set};

/// The attribute names of the EC2 model (`ImageAttributeName`).
const NAMES: [&str; 13] = [
    "blockDeviceMapping",
    "bootMode",
    "deregistrationProtection",
    "description",
    "imdsSupport",
    "kernel",
    "lastLaunchedTime",
    "launchPermission",
    "productCodes",
    "ramdisk",
    "sriovNetSupport",
    "tpmSupport",
    "uefiData",
];

/// A DescribeImageAttribute request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AttributeRequest {
    pub image_id: Option<String>,
    pub attribute: Option<String>,
    pub dry_run: bool,
}

impl AttributeRequest {
    pub(crate) fn from_params(params: &Params) -> Result<AttributeRequest, ApiError> {
        Ok(AttributeRequest {
            image_id: params.get("ImageId").map(String::from),
            attribute: params.get("Attribute").map(String::from),
            dry_run: params.flag("DryRun")?,
        })
    }
}

/// The attribute asked for, as the answer carries it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Attribute {
    LaunchPermissions(Vec<LaunchPermission>),
    ProductCodes(Vec<ProductCode>),
    /// An `AttributeValue`: `<{element}><value>…</value></{element}>`, or `<{element}/>`.
    Value {
        element: &'static str,
        value: Option<String>,
    },
}

/// A DescribeImageAttribute answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub image_id: String,
    pub attribute: Attribute,
}

fn missing(parameter: &str) -> ApiError {
    ApiError::new(
        400,
        "MissingParameter",
        format!("The request must contain the parameter {parameter}"),
    )
}

/// The answer to `request` for `caller` in `region`.
pub(crate) fn answer(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &AttributeRequest,
) -> Result<Answer, ApiError> {
    let region = world.region_for(region, caller)?;
    let id = request
        .image_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| missing("ImageId"))?;
    let name = request
        .attribute
        .as_deref()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| missing("Attribute"))?;
    let Some(&name) = NAMES.iter().find(|n| **n == name) else {
        return Err(ApiError::invalid_value(format!(
            "Value ({name}) for parameter attribute is invalid. Valid values: {}",
            NAMES.join(" | ")
        )));
    };
    let (owner, entry) = owned_image(world, region, caller, id)?;
    match name {
        "blockDeviceMapping" => {
            return Err(ApiError::new(
                401,
                "AuthFailure",
                "The blockDeviceMapping attribute is deprecated; describe the image to get \
                 its block device mappings",
            ));
        }
        "uefiData" => {
            return Err(ApiError::new(
                400,
                "UnsupportedOperation",
                "The fake EC2 endpoint does not serve the image attribute uefiData; ask for \
                 launchPermission, description, kernel, ramdisk, sriovNetSupport, bootMode, \
                 tpmSupport, imdsSupport, deregistrationProtection, lastLaunchedTime or \
                 productCodes",
            ));
        }
        _ => {}
    }
    if request.dry_run {
        return Err(ApiError::new(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    let attribute = if name == "launchPermission" {
        Attribute::LaunchPermissions(launch_permissions(world, region, owner, entry))
    } else {
        let scene = Scene {
            world_seed: world.seed,
            region,
            places: &world.places,
            owner,
            viewer: caller,
            unknown_member_rate: 0.0,
        };
        of_image(name, render(&scene, entry))
    };
    Ok(Answer {
        image_id: id.to_string(),
        attribute,
    })
}

/// The attribute `name` (one of those served besides launch permissions) of `image`.
fn of_image(name: &'static str, image: Image) -> Attribute {
    let value = match name {
        "productCodes" => {
            return Attribute::ProductCodes(image.product_codes.unwrap_or_default());
        }
        "description" => image.description,
        "kernel" => image.kernel_id,
        "ramdisk" => image.ramdisk_id,
        "sriovNetSupport" => image.sriov_net_support,
        "bootMode" => image.boot_mode,
        "tpmSupport" => image.tpm_support,
        "imdsSupport" => image.imds_support,
        "deregistrationProtection" => image.deregistration_protection,
        _ => image.last_launched_time,
    };
    Attribute::Value {
        element: name,
        value,
    }
}

/// The image `id` names in `region` if `caller` owns it: EC2's `InvalidAMIID.Malformed`
/// for an id of the wrong shape, `InvalidAMIID.NotFound` for one not registered here,
/// `AuthFailure` for another owner's.
pub(crate) fn owned_image<'w>(
    world: &'w World,
    region: &'w Region,
    caller: &Caller,
    id: &str,
) -> Result<(&'w Owner, &'w Entry), ApiError> {
    if !is_well_formed_image_id(id) {
        return Err(ApiError::new(
            400,
            "InvalidAMIID.Malformed",
            format!("Invalid id: \"{id}\" (expecting \"ami-...\")"),
        ));
    }
    let found = parse_image_id(world.seed, id)
        .filter(|(_, key)| key.region == region.ordinal)
        .and_then(|(kind, key)| {
            let owner = world.owner(key.owner)?;
            let entry = region
                .catalogs
                .get(usize::from(key.owner))?
                .get(key.index)?;
            (image_kind(world.seed, key, owner.kind) == kind).then_some((owner, entry))
        });
    let Some((owner, entry)) = found else {
        return Err(ApiError::new(
            400,
            "InvalidAMIID.NotFound",
            format!("The image id '[{id}]' does not exist"),
        ));
    };
    if caller.ordinal != Some(owner.ordinal) {
        return Err(ApiError::new(
            401,
            "AuthFailure",
            format!("Not authorized for image:{id}"),
        ));
    }
    Ok((owner, entry))
}

/// The whole answer.
pub(crate) fn write(request_id: &str, answer: &Answer) -> String {
    response("DescribeImageAttribute", request_id, None, |out| {
        element(out, "imageId", &answer.image_id);
        match &answer.attribute {
            Attribute::LaunchPermissions(permissions) => {
                set(out, "launchPermission", permissions, |out, p| {
                    opt(out, "group", &p.group);
                    opt(out, "userId", &p.user_id);
                    opt(out, "organizationArn", &p.organization_arn);
                    opt(out, "organizationalUnitArn", &p.organizational_unit_arn);
                });
            }
            Attribute::ProductCodes(codes) => {
                set(out, "productCodes", codes, |out, p| {
                    opt(out, "productCode", &p.product_code_id);
                    opt(out, "type", &p.product_code_type);
                });
            }
            Attribute::Value {
                element: name,
                value,
            } => match value {
                Some(value) => {
                    out.push_str(&format!("<{name}>"));
                    element(out, "value", value);
                    out.push_str(&format!("</{name}>"));
                }
                None => out.push_str(&format!("<{name}/>")),
            },
        }
    })
}

#[cfg(test)]
mod tests;
