//! `DescribeImages` answered from the store, with EC2's request semantics, at any
//! point in time.
//!
//! A [`DescribeRequest`] is checked as EC2 checks it ([`ApiError`] carries EC2's error
//! codes), compiled to one SQL query over the sightings and versions valid at the
//! as-of instant (`query`), and answered with the images in the AWS CLI's JSON shape
//! plus coverage warnings: what the question needed that the store never synced, or
//! whose last sync before that instant failed ([`coverage`]).

pub mod cli_args;
pub mod cli_query;
pub mod cli_stream;
pub mod coverage;
pub mod filter;
pub mod found;
mod image_json;
mod image_table;
mod image_text;
pub mod output;
pub mod print;
mod query;
mod query_filter;
mod token;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

pub use crate::store::AsOf;
use crate::store::selection::{self, SelectionError};
use crate::store::{AsOfError, Store, StoreError};
pub use filter::{FILTER_NAMES, Filter, QuestionMark};

/// An error as EC2 would give it: a code and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("An error occurred ({code}) when calling the DescribeImages operation: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn invalid_value(message: impl Into<String>) -> ApiError {
        ApiError::new("InvalidParameterValue", message)
    }
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum DescribeError {
    /// EC2 would have refused the request.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The arguments name something the store cannot resolve.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The temporary file that puts a long answer in order failed (found.rs).
    #[error(
        "the temporary file that puts a long answer in order failed: {0}; set TMPDIR to a directory with room for it"
    )]
    Spill(std::io::Error),
}

impl From<SelectionError> for DescribeError {
    fn from(e: SelectionError) -> DescribeError {
        match e {
            SelectionError::Store(e) => DescribeError::Store(e),
            SelectionError::Input(e) => DescribeError::Input(e),
        }
    }
}

impl From<AsOfError> for DescribeError {
    fn from(e: AsOfError) -> DescribeError {
        match e {
            AsOfError::Store(e) => DescribeError::Store(e),
            unknown @ AsOfError::UnknownRun(_) => DescribeError::Input(unknown.to_string()),
        }
    }
}

/// One DescribeImages question.
#[derive(Debug, Clone, Default)]
pub struct DescribeRequest {
    /// The caller: an account id or the name the config gave it. None: every account.
    pub account: Option<String>,
    /// None: every region.
    pub region: Option<String>,
    /// Only the callers under this OU (its id, name or path) at the as-of instant.
    pub ou: Option<String>,
    pub owners: Vec<String>,
    pub executable_users: Vec<String>,
    pub image_ids: Vec<String>,
    pub filters: Vec<Filter>,
    pub include_deprecated: bool,
    pub include_disabled: bool,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub as_of: AsOf,
    pub question_mark: QuestionMark,
}

/// One image of an answer: a row of the Arrow batch the store answered with, turned
/// into JSON only when asked.
#[derive(Debug, Clone)]
pub struct FoundImage {
    /// The caller whose view this is.
    pub viewer_account_id: String,
    pub region: String,
    image_id: String,
    /// The Image shape's struct column of the image's batch, and its row there.
    batch: std::sync::Arc<arrow::array::StructArray>,
    row: usize,
}

impl FoundImage {
    fn new(
        viewer_account_id: String,
        region: String,
        image_id: String,
        batch: std::sync::Arc<arrow::array::StructArray>,
        row: usize,
    ) -> FoundImage {
        FoundImage {
            viewer_account_id,
            region,
            image_id,
            batch,
            row,
        }
    }

    pub fn image_id(&self) -> &str {
        &self.image_id
    }

    /// The Image shape as the AWS CLI prints it, members in the model's order, absent
    /// members left out.
    pub fn image(&self) -> serde_json::Map<String, serde_json::Value> {
        image_json::image(&self.batch, self.row)
    }
}

/// The answer to a request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub images: Vec<FoundImage>,
    pub next_token: Option<String>,
    /// What the answer may be missing, one line each.
    pub warnings: Vec<String>,
    /// The instant the answer describes.
    pub as_of: DateTime<Utc>,
}

impl Answer {
    /// `{"Images": [...], "NextToken": ...}` as the AWS CLI prints it; with
    /// `with_origin`, each image also names its `Region` and `ViewerAccountId`.
    pub fn into_json(self, with_origin: bool) -> serde_json::Value {
        document(self.images.into_iter(), &self.next_token, with_origin)
    }
}

fn document(
    images: impl Iterator<Item = FoundImage>,
    next_token: &Option<String>,
    with_origin: bool,
) -> serde_json::Value {
    let images = images
        .map(|found| {
            let mut image = found.image();
            if with_origin {
                image.insert("Region".into(), found.region.into());
                image.insert("ViewerAccountId".into(), found.viewer_account_id.into());
            }
            serde_json::Value::Object(image)
        })
        .collect();
    let mut out = serde_json::Map::new();
    out.insert("Images".into(), serde_json::Value::Array(images));
    if let Some(token) = next_token {
        out.insert("NextToken".into(), token.clone().into());
    }
    serde_json::Value::Object(out)
}

/// An answer whose images are still in the store (see [`found`]): written image by
/// image, never held whole.
pub struct StoredAnswer<'s> {
    pub found: found::Found<'s>,
    pub next_token: Option<String>,
    /// What the answer may be missing, one line each.
    pub warnings: Vec<String>,
    /// The instant the answer describes.
    pub as_of: DateTime<Utc>,
}

/// Answers `request` from `store`, reading every image.
pub fn describe_images(store: &Store, request: &DescribeRequest) -> Result<Answer, DescribeError> {
    let answer = answer(store, request)?;
    Ok(Answer {
        images: answer.found.collect()?,
        next_token: answer.next_token,
        warnings: answer.warnings,
        as_of: answer.as_of,
    })
}

/// Answers `request` from `store`, keeping the images in the store until written.
pub fn answer<'s>(
    store: &'s Store,
    request: &DescribeRequest,
) -> Result<StoredAnswer<'s>, DescribeError> {
    answer_for(store, request, &Reading::default())
}

/// What a printer reads of an answer (`print::reading`), which the answer is then
/// found to fit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// A test of the versions the printer applies to every image anyway
    /// (`query_filter::narrowing`): only the images that pass it are kept.
    pub narrowing: Option<filter::Sql>,
    /// Only the answer's size is read (`length(Images)`): its images are counted, not
    /// kept.
    pub count_only: bool,
}

/// [`answer`], found as `reading` says when the answer is not paged: a page's bounds
/// and its `NextToken` are the whole answer's, and named image ids are checked on it.
pub fn answer_for<'s>(
    store: &'s Store,
    request: &DescribeRequest,
    reading: &Reading,
) -> Result<StoredAnswer<'s>, DescribeError> {
    let whole = request.max_results.is_none()
        && request.next_token.is_none()
        && request.image_ids.is_empty();
    let plain = Reading::default();
    let reading = if whole { reading } else { &plain };
    let started = std::time::Instant::now();
    validate(request)?;
    let caller = match &request.account {
        Some(account) => Some(selection::resolve_account(store, account)?),
        None => None,
    };
    let fingerprint = token::fingerprint(request);
    let position = match &request.next_token {
        Some(t) => Some(token::decode(t, fingerprint)?),
        None => None,
    };
    let as_of = match &position {
        // A later page answers from the same instant as the first.
        Some(p) => p.as_of,
        None => store.instant(&request.as_of)?,
    };
    // The OU by its id, as placed at the instant: what answer.sql and the coverage
    // check read.
    let by_ou_id;
    let request = match &request.ou {
        Some(ou) => {
            let (id, _) = selection::resolve_ou(store, ou, as_of)?;
            by_ou_id = DescribeRequest {
                ou: Some(id),
                ..request.clone()
            };
            &by_ou_id
        }
        None => request,
    };
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request resolved"
    );
    let grouping =
        query::Grouping::for_request(request, caller.as_deref(), reading.narrowing.is_some());
    let page = query::prepare(
        store,
        request,
        caller.as_deref(),
        as_of,
        position.as_ref().map(|p| &p.after),
        grouping,
        reading,
    )?;
    if reading.narrowing.is_some() {
        tracing::debug!("the --query's filter was applied with the request's");
    }
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        images = page.found.len,
        "images found"
    );
    let next_token = page
        .more_after
        .map(|after| token::encode(&token::Position { as_of, after }, fingerprint));
    let named_all = !request.image_ids.is_empty()
        && request
            .image_ids
            .iter()
            .all(|id| page.named_found.contains(id));
    let warnings = if named_all {
        Vec::new()
    } else {
        coverage::check(store, request, caller.as_deref(), as_of)?
    };
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "coverage checked"
    );
    // One caller in one region, fully synced: EC2 refuses ids it does not know.
    if !request.image_ids.is_empty()
        && !named_all
        && warnings.is_empty()
        && caller.is_some()
        && request.region.is_some()
    {
        let known = query::known_ids(store, request, caller.as_deref(), as_of)?;
        let missing: Vec<&str> = request
            .image_ids
            .iter()
            .filter(|id| !known.contains(*id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(not_found(&missing).into());
        }
    }
    Ok(StoredAnswer {
        found: page.found,
        next_token,
        warnings,
        as_of,
    })
}

fn not_found(missing: &[&str]) -> ApiError {
    match missing {
        [one] => ApiError::new(
            "InvalidAMIID.NotFound",
            format!("The image id '[{one}]' does not exist"),
        ),
        many => ApiError::new(
            "InvalidAMIID.NotFound",
            format!("The image ids '[{}]' do not exist", many.join(", ")),
        ),
    }
}

/// The smallest and largest `MaxResults` DescribeImages accepts.
pub const MAX_RESULTS_RANGE: std::ops::RangeInclusive<i64> = 5..=1000;

/// EC2's message for a MaxResults outside [`MAX_RESULTS_RANGE`], if it is.
pub fn max_results_problem(max: i64) -> Option<String> {
    let bound = if max < *MAX_RESULTS_RANGE.start() {
        format!("greater than {}", MAX_RESULTS_RANGE.start())
    } else if max > *MAX_RESULTS_RANGE.end() {
        format!("less than {}", MAX_RESULTS_RANGE.end())
    } else {
        return None;
    };
    Some(format!(
        "Value ( {max} ) for parameter maxResults is invalid. Expecting a value {bound}."
    ))
}

/// Checks the request as EC2 does, before anything is read.
pub fn validate(request: &DescribeRequest) -> Result<(), ApiError> {
    if !request.image_ids.is_empty() && request.max_results.is_some() {
        return Err(ApiError::new(
            "InvalidParameterCombination",
            "The parameter imageIdSet cannot be used with the parameter maxResults",
        ));
    }
    if let Some(message) = request.max_results.and_then(max_results_problem) {
        return Err(ApiError::invalid_value(message));
    }
    if let Some(bad) = request.image_ids.iter().find(|id| !is_image_id(id)) {
        return Err(ApiError::new(
            "InvalidAMIID.Malformed",
            format!("Invalid id: \"{bad}\" (expecting \"ami-...\")"),
        ));
    }
    for owner in &request.owners {
        let known = matches!(
            owner.as_str(),
            "self" | "amazon" | "aws-marketplace" | "aws-backup-vault"
        ) || is_account_id(owner);
        if !known {
            return Err(ApiError::new(
                "InvalidUserID.Malformed",
                format!("Invalid user id: \"{owner}\""),
            ));
        }
    }
    for user in &request.executable_users {
        if !(user == "self" || user == "all" || is_account_id(user)) {
            return Err(ApiError::new(
                "InvalidUserID.Malformed",
                format!("Invalid user id: \"{user}\""),
            ));
        }
    }
    filter::validate(&request.filters)
}

/// `ami-`, `aki-` (a kernel image) or `ari-` (a RAM disk image), then 8 or 17
/// hexadecimal digits: DescribeImages describes all three.
pub fn is_image_id(id: &str) -> bool {
    let hex = ["ami-", "aki-", "ari-"]
        .iter()
        .find_map(|prefix| id.strip_prefix(prefix));
    hex.is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Twelve digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}
