//! An account's image settings in a region: Allowed AMIs (GetAllowedImagesSettings) and
//! block public access for AMIs (GetImageBlockPublicAccessState). Each is a function
//! of the seed, the region, the account and a revision that mutations bump now and
//! then, so settings stay put between most runs and flip occasionally.

use super::caller::Caller;
use super::catalog::World;
use super::dice::{Dice, mix, mix_text};
use super::request::ApiError;
use super::xml::{element, number, opt, response};

/// How often each setting has been changed, per estate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SettingsRevisions {
    pub allowed: u32,
    pub block: u32,
}

impl SettingsRevisions {
    /// Each setting flips with a chance that grows with churn (none without churn).
    pub(crate) fn mutate(&mut self, dice: &mut Dice, churn: f64) {
        let chance = (churn * 5.0).min(0.5);
        if dice.chance(chance) {
            self.allowed += 1;
        }
        if dice.chance(chance) {
            self.block += 1;
        }
    }
}

/// What GetAllowedImagesSettings returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedImagesSettings {
    /// `enabled`, `disabled` or `audit-mode`.
    pub state: String,
    /// `None`: no `imageCriterionSet` element.
    pub image_criteria: Option<Vec<ImageCriterion>>,
    /// `account` or `declarative-policy`.
    pub managed_by: String,
}

/// One criterion of Allowed AMIs: an image is allowed if it meets every condition of
/// at least one criterion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageCriterion {
    pub image_providers: Option<Vec<String>>,
    pub marketplace_product_codes: Option<Vec<String>>,
    pub image_names: Option<Vec<String>>,
    pub maximum_days_since_deprecated: Option<i32>,
    pub maximum_days_since_created: Option<i32>,
    pub image_watermarks: Option<Vec<WatermarkCondition>>,
    pub scan_result: Option<ScanResultCondition>,
}

/// `imageWatermarkSet/item` of a criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatermarkCondition {
    pub watermark_key: String,
    pub source_image_region: Option<String>,
    pub maximum_days_since_source_image_created: Option<i32>,
    pub maximum_days_since_watermark_created: Option<i32>,
}

/// `scanResultCondition` of a criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanResultCondition {
    pub max_days_since_last_finding_scan: Option<i32>,
    pub maximum_severity_label: Option<String>,
}

/// What GetImageBlockPublicAccessState returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBlockPublicAccess {
    /// `unblocked` or `block-new-sharing`.
    pub state: String,
    /// `account` or `declarative-policy`.
    pub managed_by: String,
}

fn dice(world_seed: u64, region: &str, account: &str, salt: u64, revision: u32) -> Dice {
    let place = mix_text(world_seed, &format!("{account}|{region}"));
    Dice::new(mix(place, &[salt, revision.into()]))
}

/// The Allowed AMIs setting of `account` in `region` at `revision`.
pub(crate) fn allowed_images(
    world_seed: u64,
    region: &str,
    account: &str,
    revision: u32,
) -> AllowedImagesSettings {
    let mut dice = dice(world_seed, region, account, 0x616c_6c6f, revision);
    let state = dice.weighted(&[(50, "disabled"), (25, "audit-mode"), (25, "enabled")]);
    let managed_by = dice.weighted(&[(85, "account"), (15, "declarative-policy")]);
    let count = match state {
        "disabled" => dice.weighted(&[(60, 0), (40, 1)]),
        _ => 1 + dice.below(3) as usize,
    };
    let image_criteria = (count > 0).then(|| {
        (0..count)
            .map(|_| criterion(&mut dice, region, account))
            .collect()
    });
    AllowedImagesSettings {
        state: state.into(),
        image_criteria,
        managed_by: managed_by.into(),
    }
}

fn criterion(dice: &mut Dice, region: &str, account: &str) -> ImageCriterion {
    let mut c = ImageCriterion::default();
    let strings = |items: &[&str]| Some(items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    match dice.below(4) {
        0 => c.image_providers = strings(&["amazon"]),
        1 => c.image_providers = strings(&["amazon", "aws-marketplace", account]),
        2 => {
            c.image_names = strings(&[
                "al2023-ami-*",
                "Windows_Server-2022-English-*",
                "golden-[prod] (v?)",
            ])
        }
        _ => {
            c.marketplace_product_codes = Some(
                (0..1 + dice.below(2))
                    .map(|_| {
                        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
                        (0..25).map(|_| *dice.pick(ALPHABET) as char).collect()
                    })
                    .collect(),
            )
        }
    }
    if dice.chance(0.4) {
        c.maximum_days_since_deprecated = Some(*dice.pick(&[0, 30, 90, 365]));
    }
    if dice.chance(0.3) {
        c.maximum_days_since_created = Some(*dice.pick(&[30, 180, 365, 730]));
    }
    if dice.chance(0.2) {
        c.image_watermarks = Some(vec![WatermarkCondition {
            watermark_key: format!("{account}:approvedAmi"),
            source_image_region: dice.chance(0.5).then(|| region.to_string()),
            maximum_days_since_source_image_created: dice.chance(0.5).then_some(365),
            maximum_days_since_watermark_created: Some(90),
        }]);
    }
    if dice.chance(0.2) {
        c.scan_result = Some(ScanResultCondition {
            max_days_since_last_finding_scan: Some(30),
            maximum_severity_label: Some((*dice.pick(&["medium", "high", "critical"])).into()),
        });
    }
    c
}

/// The block public access state of `account` in `region` at `revision`.
pub(crate) fn block_public_access(
    world_seed: u64,
    region: &str,
    account: &str,
    revision: u32,
) -> ImageBlockPublicAccess {
    let mut dice = dice(world_seed, region, account, 0x626c_6f63, revision);
    let state = dice.weighted(&[(60, "block-new-sharing"), (40, "unblocked")]);
    let managed_by = dice.weighted(&[(85, "account"), (15, "declarative-policy")]);
    ImageBlockPublicAccess {
        state: state.into(),
        managed_by: managed_by.into(),
    }
}

/// The revisions of `caller`'s settings in `region` (an account the fake does not
/// know has never changed them), or AuthFailure for a region not enabled.
fn revisions(world: &World, caller: &Caller, region: &str) -> Result<SettingsRevisions, ApiError> {
    let region = world.region_for(region, caller)?;
    Ok(region
        .estate(caller.ordinal)
        .map(|e| e.settings)
        .unwrap_or_default())
}

/// What GetAllowedImagesSettings answers `caller` in `region`.
pub(crate) fn allowed_for(
    world: &World,
    caller: &Caller,
    region: &str,
) -> Result<AllowedImagesSettings, ApiError> {
    let revision = revisions(world, caller, region)?.allowed;
    Ok(allowed_images(
        world.seed,
        region,
        &caller.account,
        revision,
    ))
}

/// What GetImageBlockPublicAccessState answers `caller` in `region`.
pub(crate) fn block_for(
    world: &World,
    caller: &Caller,
    region: &str,
) -> Result<ImageBlockPublicAccess, ApiError> {
    let revision = revisions(world, caller, region)?.block;
    Ok(block_public_access(
        world.seed,
        region,
        &caller.account,
        revision,
    ))
}

/// The whole GetAllowedImagesSettings answer.
pub(crate) fn write_allowed(request_id: &str, s: &AllowedImagesSettings) -> String {
    response("GetAllowedImagesSettings", request_id, None, |out| {
        element(out, "state", &s.state);
        if let Some(criteria) = &s.image_criteria {
            super::xml::set(out, "imageCriterionSet", criteria, write_criterion);
        }
        element(out, "managedBy", &s.managed_by);
    })
}

fn strings(out: &mut String, name: &str, items: &Option<Vec<String>>) {
    if let Some(items) = items {
        super::xml::set(out, name, items, |out, s| out.push_str(&escaped(s)));
    }
}

fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    super::xml::escape_into(&mut out, text);
    out
}

fn write_criterion(out: &mut String, c: &ImageCriterion) {
    strings(out, "imageProviderSet", &c.image_providers);
    strings(
        out,
        "marketplaceProductCodeSet",
        &c.marketplace_product_codes,
    );
    strings(out, "imageNameSet", &c.image_names);
    if let Some(days) = c.maximum_days_since_deprecated {
        out.push_str("<deprecationTimeCondition>");
        number(out, "maximumDaysSinceDeprecated", days);
        out.push_str("</deprecationTimeCondition>");
    }
    if let Some(days) = c.maximum_days_since_created {
        out.push_str("<creationDateCondition>");
        number(out, "maximumDaysSinceCreated", days);
        out.push_str("</creationDateCondition>");
    }
    if let Some(marks) = &c.image_watermarks {
        super::xml::set(out, "imageWatermarkSet", marks, |out, w| {
            element(out, "watermarkKey", &w.watermark_key);
            opt(out, "sourceImageRegion", &w.source_image_region);
            if let Some(days) = w.maximum_days_since_source_image_created {
                number(out, "maximumDaysSinceSourceImageCreated", days);
            }
            if let Some(days) = w.maximum_days_since_watermark_created {
                number(out, "maximumDaysSinceWatermarkCreated", days);
            }
        });
    }
    if let Some(scan) = &c.scan_result {
        out.push_str("<scanResultCondition>");
        if let Some(days) = scan.max_days_since_last_finding_scan {
            number(out, "maxDaysSinceLastFindingScan", days);
        }
        opt(out, "maximumSeverityLabel", &scan.maximum_severity_label);
        out.push_str("</scanResultCondition>");
    }
}

/// The whole GetImageBlockPublicAccessState answer.
pub(crate) fn write_block(request_id: &str, s: &ImageBlockPublicAccess) -> String {
    response("GetImageBlockPublicAccessState", request_id, None, |out| {
        element(out, "imageBlockPublicAccessState", &s.state);
        element(out, "managedBy", &s.managed_by);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_fixed_by_place_and_revision() {
        let a = allowed_images(1, "us-east-1", "111111111111", 0);
        assert_eq!(a, allowed_images(1, "us-east-1", "111111111111", 0));
        let states: std::collections::BTreeSet<String> = (0..40)
            .map(|r| allowed_images(1, "us-east-1", "111111111111", r).state)
            .collect();
        assert_eq!(states.len(), 3, "{states:?}");
        let blocks: std::collections::BTreeSet<String> = (0..40)
            .map(|r| block_public_access(1, "eu-west-1", "222222222222", r).state)
            .collect();
        assert_eq!(blocks.len(), 2);
    }
}
