//! CreateImageUsageReport: the request, its checks, and the report it creates (or the
//! one its `ClientToken` created).

use super::{
    Counted, MAX_PENDING_USAGE_REPORTS, MAX_USAGE_REPORT_CLIENT_TOKEN, Progress, Report,
    USAGE_REPORT_MAX_IDS, complete, dry_run, missing, report_id, salt, today,
};
use crate::caller::{Caller, is_account_id};
use crate::catalog::World;
use crate::dice::{Dice, mix, mix_text};
use crate::image_attribute::owned_image;
use crate::launch_templates::MAX_VERSION_DEPTH;
use crate::request::{ApiError, Params};

/// One `ResourceType.N` of a CreateImageUsageReport request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TypeRequest {
    pub resource_type: String,
    /// `(OptionName, [OptionValue.K…])`.
    pub options: Vec<(String, Vec<String>)>,
}

/// A CreateImageUsageReport request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CreateRequest {
    pub image_id: Option<String>,
    pub resource_types: Vec<TypeRequest>,
    pub account_ids: Vec<String>,
    pub client_token: Option<String>,
    pub dry_run: bool,
}

impl CreateRequest {
    /// Reads `ImageId`, `ResourceType.N.ResourceType`,
    /// `ResourceType.N.ResourceTypeOption.M.OptionName` / `.OptionValue.K`,
    /// `AccountId.N`, `ClientToken` and `DryRun` as the SDKs send them.
    pub(crate) fn from_params(params: &Params) -> Result<CreateRequest, ApiError> {
        let resource_types = params
            .indices("ResourceType")
            .into_iter()
            .map(|n| {
                let at = format!("ResourceType.{n}");
                let options_at = format!("{at}.ResourceTypeOption");
                let options = params
                    .indices(&options_at)
                    .into_iter()
                    .map(|m| {
                        let option = format!("{options_at}.{m}");
                        let name = params.get(&format!("{option}.OptionName"));
                        let values = params.list(&format!("{option}.OptionValue"));
                        (name.unwrap_or_default().to_string(), values)
                    })
                    .collect();
                TypeRequest {
                    resource_type: params
                        .get(&format!("{at}.ResourceType"))
                        .unwrap_or_default()
                        .to_string(),
                    options,
                }
            })
            .collect();
        Ok(CreateRequest {
            image_id: params.get("ImageId").map(String::from),
            resource_types,
            account_ids: params.list("AccountId"),
            client_token: params.get("ClientToken").map(String::from),
            dry_run: params.flag("DryRun")?,
        })
    }
}

/// The resource types a request asks for, validated.
fn counted(types: &[TypeRequest]) -> Result<Vec<Counted>, ApiError> {
    if types.is_empty() {
        return Err(missing("ResourceTypes"));
    }
    let mut counted: Vec<Counted> = Vec::with_capacity(types.len());
    for wanted in types {
        let kind = wanted.resource_type.as_str();
        let next = match kind {
            "ec2:Instance" => {
                if let Some((name, _)) = wanted.options.first() {
                    return Err(ApiError::invalid_value(format!(
                        "The option '{name}' is not valid for resource type ec2:Instance; \
                         resource type options are valid only for ec2:LaunchTemplate."
                    )));
                }
                Counted::Instances
            }
            "ec2:LaunchTemplate" => Counted::LaunchTemplates(version_depth(&wanted.options)?),
            _ => {
                return Err(ApiError::invalid_value(format!(
                    "Value ({kind}) for parameter resourceType is invalid. Valid values: \
                     ec2:Instance | ec2:LaunchTemplate"
                )));
            }
        };
        if counted
            .iter()
            .any(|c| c.resource_type() == next.resource_type())
        {
            return Err(ApiError::invalid_value(format!(
                "The resource type {kind} is specified more than once; specify each \
                 resource type once"
            )));
        }
        counted.push(next);
    }
    Ok(counted)
}

/// The `version-depth` of a launch template's options, if given.
fn version_depth(options: &[(String, Vec<String>)]) -> Result<Option<u32>, ApiError> {
    let mut depth = None;
    for (name, values) in options {
        if name != "version-depth" {
            return Err(ApiError::invalid_value(format!(
                "Value ({name}) for parameter optionName is invalid. Valid value: \
                 version-depth"
            )));
        }
        if depth.is_some() {
            return Err(ApiError::invalid_value(
                "The option version-depth is specified more than once; specify it once",
            ));
        }
        let value = match values.as_slice() {
            [one] => one,
            _ => {
                return Err(ApiError::invalid_value(format!(
                    "The option version-depth takes one value; the request gives {}",
                    values.len()
                )));
            }
        };
        depth = Some(
            value
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=MAX_VERSION_DEPTH).contains(d))
                .ok_or_else(|| {
                    ApiError::invalid_value(format!(
                        "Value ({value}) for option version-depth is invalid. Expecting an \
                         integer between 1 and {MAX_VERSION_DEPTH}."
                    ))
                })?,
        );
    }
    Ok(depth)
}

/// The accounts a request names, validated, without repeats.
fn account_ids(ids: &[String]) -> Result<Vec<u64>, ApiError> {
    if ids.len() > USAGE_REPORT_MAX_IDS {
        return Err(ApiError::invalid_value(format!(
            "The request names {} account IDs; specify up to {USAGE_REPORT_MAX_IDS}, or \
             none to report on every account",
            ids.len()
        )));
    }
    let mut accounts: Vec<u64> = Vec::with_capacity(ids.len());
    for id in ids {
        let account = Some(id)
            .filter(|id| is_account_id(id))
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "InvalidUserID.Malformed",
                    format!("Invalid user id: \"{id}\" (expecting a 12-digit account ID)"),
                )
            })?;
        if !accounts.contains(&account) {
            accounts.push(account);
        }
    }
    Ok(accounts)
}

/// Creates the report `request` asks for, or finds the one its `ClientToken` made, and
/// returns its id.
pub(crate) fn create(
    world: &mut World,
    caller: &Caller,
    region: &str,
    request: &CreateRequest,
) -> Result<String, ApiError> {
    match prepare(world, caller, region, request)? {
        Creation::Made(id) => Ok(id),
        Creation::New {
            report,
            region,
            account,
        } => {
            let id = report_id(world, region, account, report.serial);
            let estate = &mut world.regions[usize::from(region)].estates[usize::from(account)];
            estate.next_report = report.serial + 1;
            estate.usage_reports.push(report);
            Ok(id)
        }
    }
}

/// What a valid CreateImageUsageReport does.
enum Creation {
    /// The report to add to the estate of `account` in `region` (ordinals).
    New {
        report: Report,
        region: u16,
        account: u16,
    },
    /// Nothing: the request's `ClientToken` made this report already.
    Made(String),
}

/// Validates `request` and works out what it creates.
fn prepare(
    world: &World,
    caller: &Caller,
    region: &str,
    request: &CreateRequest,
) -> Result<Creation, ApiError> {
    let region = world.region_for(region, caller)?;
    let id = request
        .image_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| missing("ImageId"))?;
    let counted = counted(&request.resource_types)?;
    let accounts = account_ids(&request.account_ids)?;
    if let Some(token) = &request.client_token
        && token.len() > MAX_USAGE_REPORT_CLIENT_TOKEN
    {
        return Err(ApiError::invalid_value(format!(
            "The client token is {} characters long; use at most \
             {MAX_USAGE_REPORT_CLIENT_TOKEN}",
            token.len()
        )));
    }
    let (owner, entry) = owned_image(world, region, caller, id)?;
    let estate = region
        .estate(Some(owner.ordinal))
        .ok_or_else(|| ApiError::new(500, "InternalError", "An internal error has occurred"))?;
    let fingerprint = mix_text(salt::TOKEN, &format!("{id}|{counted:?}|{accounts:?}"));
    let token = request
        .client_token
        .as_deref()
        .map(|t| (mix_text(salt::TOKEN, t), fingerprint));
    if let Some((token, fingerprint)) = token
        && let Some(made) = estate
            .usage_reports
            .iter()
            .find(|r| r.token.is_some_and(|(t, _)| t == token))
    {
        if made.token.is_some_and(|(_, f)| f != fingerprint) {
            return Err(ApiError::new(
                400,
                "IdempotentParameterMismatch",
                "The client token was used by an earlier request with different \
                 parameters; use a new client token for a new report",
            ));
        }
        if request.dry_run {
            return Err(dry_run());
        }
        let id = report_id(world, region.ordinal, owner.ordinal, made.serial);
        return Ok(Creation::Made(id));
    }
    let pending = |r: &&Report| matches!(r.progress, Progress::Pending { .. });
    if estate
        .usage_reports
        .iter()
        .filter(pending)
        .any(|r| r.image == entry.index)
    {
        return Err(ApiError::new(
            400,
            "ResourceLimitExceeded",
            format!(
                "The image {id} already has a pending usage report; wait until it is \
                 available before you create another"
            ),
        ));
    }
    if estate.usage_reports.iter().filter(pending).count() >= MAX_PENDING_USAGE_REPORTS {
        return Err(ApiError::new(
            400,
            "ResourceLimitExceeded",
            format!(
                "The account has {MAX_PENDING_USAGE_REPORTS} pending usage reports in this \
                 Region; wait until some are available before you create another"
            ),
        ));
    }
    if request.dry_run {
        return Err(dry_run());
    }
    let serial = estate.next_report;
    let mut dice = Dice::new(mix(
        world.seed,
        &[
            salt::CREATED,
            region.ordinal.into(),
            owner.ordinal.into(),
            serial.into(),
        ],
    ));
    let after = estate
        .usage_reports
        .last()
        .map_or(0, |r| i64::from(r.created) + 1);
    let clock = if world.usage_reports_on_wall_clock {
        chrono::Utc::now().timestamp()
    } else {
        0
    };
    let created = (today(world) + 3_600).max(after).max(clock) + dice.range(0, 59);
    let mut report = Report {
        serial,
        image: entry.index,
        created: created as u32,
        millis: dice.below(1000) as u16,
        counted,
        accounts,
        token,
        progress: Progress::Pending {
            polls_left: world.usage_report_pending_polls,
        },
        entries: Vec::new(),
    };
    if world.usage_report_pending_polls == 0 {
        (report.progress, report.entries) = complete(world, region, owner, &report);
    }
    Ok(Creation::New {
        report,
        region: region.ordinal,
        account: owner.ordinal,
    })
}
