//! A request compiled to the queries in `sql/describe/` and run, three statements on
//! temporary tables: `answer.sql` finds which images answer it, `views.sql` adds what
//! each caller was shown of them, `images.sql` reads their members. A request that
//! names image ids first asks `viewers.sql` whose sightings can answer it.
//!
//! The SQL's text is fixed pieces only; every value of the request is a bound
//! parameter, in text order.

use chrono::{DateTime, Utc};
use duckdb::types::Value;

#[cfg(test)]
use super::FoundImage;
use super::filter::{self, Side, Sql};
use super::found::{ANSWER_TABLE, Found};
use super::token::RowKey;
use super::{DescribeError, DescribeRequest, Reading};
use crate::store::Store;

const ANSWER_SQL: &str = include_str!("../../sql/describe/answer.sql");
const VIEWERS_SQL: &str = include_str!("../../sql/describe/viewers.sql");

/// The images `request` returns for `caller` (every account when None) at `as_of`,
/// after `after` (a page's last caller, region and image id), in that order, read
/// whole, with the versions meeting the views where `grouping` says; and where the
/// next page starts.
#[cfg(test)]
#[allow(clippy::type_complexity)]
pub(super) fn run_grouped(
    store: &Store,
    request: &DescribeRequest,
    caller: Option<&str>,
    as_of: DateTime<Utc>,
    after: Option<&RowKey>,
    grouping: Grouping,
) -> Result<(Vec<FoundImage>, Option<RowKey>), DescribeError> {
    let page = prepare(
        store,
        request,
        caller,
        as_of,
        after,
        grouping,
        &Reading::default(),
    )?;
    Ok((page.found.collect()?, page.more_after))
}

/// One page of an answer, in the store, and where the next page starts.
pub struct Page<'s> {
    pub found: Found<'s>,
    /// The last image's place, when more images follow it.
    pub more_after: Option<RowKey>,
    /// With named image ids: those the page holds.
    pub named_found: Vec<String>,
}

/// Finds the answer to `request` and keeps it in temporary tables (see [`Found`]),
/// one page of it when the request asks for one, read as `reading` says: only its
/// images that pass a test of their version as well (see `query_filter.rs`), or only
/// counted.
pub(super) fn prepare<'s>(
    store: &'s Store,
    request: &DescribeRequest,
    caller: Option<&str>,
    as_of: DateTime<Utc>,
    after: Option<&RowKey>,
    grouping: Grouping,
    reading: &Reading,
) -> Result<Page<'s>, DescribeError> {
    let viewers = viewers(store, request, caller)?;
    let (text, params) = build(
        request,
        caller,
        viewers,
        as_of,
        after,
        Mode::Answer(grouping, reading.narrowing.as_ref(), !reading.count_only),
    );
    tracing::debug!(sql = %text, params = ?params, "describe-images query");
    let conn = store.connection();
    let started = std::time::Instant::now();
    let elapsed_ms = || started.elapsed().as_millis() as u64;
    let err = |e| DescribeError::from(store.error(e));
    if reading.count_only {
        let rows: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM (\n{text}\n)"),
                duckdb::params_from_iter(params),
                |r| r.get(0),
            )
            .map_err(err)?;
        tracing::debug!(rows, elapsed_ms = elapsed_ms(), "answer counted");
        return Ok(Page {
            found: Found::counted(store, rows as usize),
            more_after: None,
            named_found: Vec::new(),
        });
    }
    let rows = conn
        .execute(
            &format!("CREATE OR REPLACE TEMPORARY TABLE {ANSWER_TABLE} AS\n{text}"),
            duckdb::params_from_iter(params),
        )
        .map_err(err)?;
    // Dropped with `found`, whatever happens next.
    let mut found = Found::new(store, rows);
    tracing::debug!(rows, elapsed_ms = elapsed_ms(), "answer found");
    let mut more_after = None;
    if let Some(max) = request.max_results
        && rows as i64 > max
    {
        // One more than a page was found: it only tells that more follow.
        conn.execute_batch(&format!(
            "DELETE FROM {ANSWER_TABLE} WHERE rowid = (
                SELECT rowid FROM {ANSWER_TABLE} ORDER BY caller DESC, region DESC, image_id DESC LIMIT 1)"
        ))
        .map_err(err)?;
        more_after = Some(
            conn.query_row(
                &format!(
                    "SELECT caller, region, image_id FROM {ANSWER_TABLE}
                     ORDER BY caller DESC, region DESC, image_id DESC LIMIT 1"
                ),
                [],
                |r| {
                    Ok(RowKey {
                        caller: r.get(0)?,
                        region: r.get(1)?,
                        image_id: r.get(2)?,
                    })
                },
            )
            .map_err(err)?,
        );
        found.len = max as usize;
    }
    let named_found = if request.image_ids.is_empty() || found.len == 0 {
        Vec::new()
    } else {
        let mut stmt = conn
            .prepare(&format!("SELECT DISTINCT image_id FROM {ANSWER_TABLE}"))
            .map_err(err)?;
        stmt.query_map([], |r| r.get::<_, String>(0))
            .map_err(err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?
    };
    Ok(Page {
        found,
        more_after,
        named_found,
    })
}

/// Which of the request's image ids the caller could see at `as_of`, whatever the
/// filters, owners and deprecation say.
pub fn known_ids(
    store: &Store,
    request: &DescribeRequest,
    caller: Option<&str>,
    as_of: DateTime<Utc>,
) -> Result<Vec<String>, DescribeError> {
    let viewers = viewers(store, request, caller)?;
    let (text, params) = build(request, caller, viewers, as_of, None, Mode::Existence);
    let conn = store.connection();
    let mut stmt = conn.prepare(&text).map_err(|e| store.error(e))?;
    let ids = stmt
        .query_map(duckdb::params_from_iter(params), |r| r.get::<_, String>(2))
        .map_err(|e| store.error(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store.error(e))?;
    Ok(ids)
}

/// With one caller and named image ids, the accounts whose sightings can answer it
/// (see viewers.sql); `None` (every account's) otherwise.
fn viewers(
    store: &Store,
    request: &DescribeRequest,
    caller: Option<&str>,
) -> Result<Option<Vec<String>>, DescribeError> {
    // Only where the request names image ids: the few sightings are then read once
    // (sightings MATERIALIZED in answer.sql), and skipping row groups shortens that
    // read, where in the other plans the same filter was measured slowing a join.
    let Some(caller) = caller.filter(|_| !request.image_ids.is_empty()) else {
        return Ok(None);
    };
    let region = request.region.as_deref();
    let conn = store.connection();
    let mut stmt = conn.prepare(VIEWERS_SQL).map_err(|e| store.error(e))?;
    let accounts = stmt
        .query_map(duckdb::params![caller, region, region], |r| {
            r.get::<_, String>(0)
        })
        .map_err(|e| store.error(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store.error(e))?;
    Ok(Some(accounts))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode<'n> {
    /// The request's answer, narrowed by a test of the versions if any, in its order
    /// or not.
    Answer(Grouping, Option<&'n Sql>, bool),
    /// Only the named ids, with nothing else applied.
    Existence,
}

/// Where the versions valid at the instant meet the caller's views (`answer.sql`'s
/// `caller_views`); both give the same answer, at different costs
/// (docs/decisions/0007-versions-before-grouping.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grouping {
    /// Group every view first, then join the versions of the images whose views pass.
    VersionsAfter,
    /// Join the versions that pass first, then group only their images' views.
    VersionsBefore,
}

impl Grouping {
    /// Versions first where the request filters them and every other test of the
    /// answer needs only the version and the arguments: one caller in one region
    /// (whose owner and deprecation tests name the caller as an argument) and no
    /// ExecutableUsers (whose test needs the grouped views).
    pub(super) fn for_request(
        request: &DescribeRequest,
        caller: Option<&str>,
        narrowed: bool,
    ) -> Grouping {
        let filters_versions = narrowed
            || request
                .filters
                .iter()
                .any(|f| filter::side(&f.name) == Side::Version);
        if filters_versions && Grouping::versions_before_fits(request, caller) {
            Grouping::VersionsBefore
        } else {
            Grouping::VersionsAfter
        }
    }

    /// Whether [`Grouping::VersionsBefore`] can answer the request.
    pub(super) fn versions_before_fits(request: &DescribeRequest, caller: Option<&str>) -> bool {
        caller.is_some() && request.region.is_some() && request.executable_users.is_empty()
    }
}

/// The SQL text and its parameters.
fn build(
    request: &DescribeRequest,
    caller: Option<&str>,
    viewers: Option<Vec<String>>,
    as_of: DateTime<Utc>,
    after: Option<&RowKey>,
    mode: Mode<'_>,
) -> (String, Vec<Value>) {
    let key = Key::new(caller.is_some() && request.region.is_some());
    let grouping = match mode {
        Mode::Answer(g, ..) if Grouping::versions_before_fits(request, caller) => g,
        _ => Grouping::VersionsAfter,
    };
    let mut version = Clauses::default();
    let mut sighting = Clauses::default();
    let mut view = Clauses::default();
    let mut row = Clauses::default();

    if !request.image_ids.is_empty() {
        let marks = vec!["?"; request.image_ids.len()].join(", ");
        version.push(
            format!("v.image_id IN ({marks})"),
            request.image_ids.iter().cloned(),
        );
        sighting.push(
            format!("g.image_id IN ({marks})"),
            request.image_ids.iter().cloned(),
        );
    }
    if let Some(viewers) = viewers {
        let marks = vec!["?"; viewers.len()].join(", ");
        sighting.push(format!("g.viewer_account_id IN ({marks})"), viewers);
    }
    if let Mode::Answer(_, narrowing, _) = mode {
        if let Some(Sql { text, params }) = narrowing {
            version.push(text.clone(), params.iter().cloned());
        }
        if !request.include_disabled {
            version.push("v.state IS DISTINCT FROM 'disabled'".into(), []);
        }
        for f in &request.filters {
            let Sql { text, params } = filter::predicate(f, request.question_mark);
            match filter::side(&f.name) {
                Side::Version => version.push(text, params),
                Side::View => view.push(text, params),
            }
        }
        // The owner and deprecation tests read the version and the arguments only
        // when the key is one caller's; versions first, they filter the versions.
        let version_tests = match grouping {
            Grouping::VersionsBefore => &mut version,
            Grouping::VersionsAfter => &mut row,
        };
        owners(request, key, version_tests);
        // Deprecation is judged at the as-of instant; the owner always sees its own
        // deprecated images, and images named by id come back regardless.
        if !request.include_deprecated && request.image_ids.is_empty() {
            version_tests.push(
                format!(
                    "(v.deprecation_time_ts IS NULL OR v.deprecation_time_ts > a.t OR v.owner_id = {})",
                    key.caller
                ),
                [],
            );
        }
        executable_users(request, key, &mut row);
        if let Some(RowKey {
            caller: c,
            region: r,
            image_id: i,
        }) = after
        {
            let Key { caller, region, .. } = key;
            row.push(
                format!(
                    "({caller} > ? OR ({caller} = ? AND ({region} > ? OR ({region} = ? AND w.image_id > ?))))"
                ),
                [c, c, r, r, i].map(|s| s.clone()),
            );
        }
    }

    let limit = match (mode, request.max_results) {
        (Mode::Answer(..), Some(max)) => format!("LIMIT {}", max + 1),
        _ => String::new(),
    };
    let versions_join = format!("JOIN versions v ON {}", key.version_join);
    let (group_version_row, before_grouping, version_row, after_grouping) = match grouping {
        Grouping::VersionsAfter => ("", "", "v.version_row", versions_join.as_str()),
        Grouping::VersionsBefore => (
            ",\n           any_value(v.version_row) AS version_row",
            "JOIN versions v ON v.image_id = s.image_id",
            "w.version_row",
            "",
        ),
    };
    let order_by = match mode {
        Mode::Answer(_, _, false) => String::new(),
        _ => format!("ORDER BY {}", key.order.replace("w.", "")),
    };
    let (versions, views, sightings, rows) =
        (version.sql(), view.conjunction(), sighting.sql(), row.sql());
    let materialized = if request.image_ids.is_empty() {
        "NOT MATERIALIZED"
    } else {
        "MATERIALIZED"
    };
    let text = fill(
        ANSWER_SQL,
        &[
            ("/* sightings materialized */", materialized),
            ("/* group columns */", key.group),
            ("/* caller */", key.caller),
            ("/* region */", key.region),
            ("/* version row of the group */", group_version_row),
            ("/* versions before grouping */", before_grouping),
            ("/* answer's version row */", version_row),
            ("/* versions after grouping */", after_grouping),
            ("/* order by */", &order_by),
            ("/* version filters */", &versions),
            ("/* view filters */", &views),
            ("/* sighting filters */", &sightings),
            ("/* row filters */", &rows),
            ("/* limit */", &limit),
        ],
    );

    let mut params = vec![
        Value::BigInt(as_of.timestamp_micros()),
        caller.map_or(Value::Null, |c| Value::Text(c.to_string())),
        request
            .region
            .as_ref()
            .map_or(Value::Null, |r| Value::Text(r.clone())),
        request
            .ou
            .as_ref()
            .map_or(Value::Null, |o| Value::Text(o.clone())),
    ];
    params.extend(version.params.into_iter().map(Value::Text));
    params.extend(view.params.into_iter().map(Value::Text));
    params.extend(sighting.params.into_iter().map(Value::Text));
    params.extend(row.params.into_iter().map(Value::Text));
    (text, params)
}

/// `template` with each marked place (`/* name */`) replaced by fixed SQL. Every
/// marker given must be in the template and none may be left in it, so that the SQL
/// file and this code cannot drift apart without every query failing in the tests.
fn fill(template: &str, fills: &[(&str, &str)]) -> String {
    let mut text = template.to_string();
    for (marker, sql) in fills {
        assert!(text.contains(marker), "{marker} is not a place in the SQL");
        text = text.replace(marker, sql);
    }
    assert!(
        !text.contains("/* "),
        "a marked place of the SQL is left unfilled"
    );
    text
}

/// What identifies a row of the answer, as `answer.sql` names it: with one caller and
/// one region, the image id alone (the caller and region are the arguments').
#[derive(Clone, Copy)]
struct Key {
    /// The columns `caller_views` groups by.
    group: &'static str,
    /// The row's caller and region.
    caller: &'static str,
    region: &'static str,
    /// How a row of `caller_views` finds its version.
    version_join: &'static str,
    /// The answer's order.
    order: &'static str,
}

impl Key {
    fn new(one_caller_one_region: bool) -> Key {
        if one_caller_one_region {
            Key {
                group: "s.image_id",
                caller: "a.caller",
                region: "a.region",
                version_join: "v.image_id = w.image_id",
                order: "w.image_id",
            }
        } else {
            Key {
                group: "s.caller, s.region, s.image_id",
                caller: "w.caller",
                region: "w.region",
                version_join: "v.region = w.region AND v.image_id = w.image_id",
                order: "w.caller, w.region, w.image_id",
            }
        }
    }
}

/// `Owners`, ORed: `self` is the caller, an alias names the catalog's owner.
fn owners(request: &DescribeRequest, key: Key, row: &mut Clauses) {
    if request.owners.is_empty() {
        return;
    }
    let mut tests = Vec::new();
    let mut params = Vec::new();
    for owner in &request.owners {
        match owner.as_str() {
            "self" => tests.push(format!("v.owner_id = {}", key.caller)),
            "amazon" | "aws-marketplace" | "aws-backup-vault" => {
                tests.push("v.image_owner_alias = ?".to_string());
                params.push(owner.clone());
            }
            id => {
                tests.push("v.owner_id = ?".to_string());
                params.push(id.to_string());
            }
        }
    }
    row.push(format!("({})", tests.join(" OR ")), params);
}

/// `ExecutableUsers`, ORed: `all` is a public image; `self` (or the caller's id) an
/// image the caller's `shared` listing returned; another account's id an image that
/// account's `shared` listing returned.
fn executable_users(request: &DescribeRequest, key: Key, row: &mut Clauses) {
    if request.executable_users.is_empty() {
        return;
    }
    let mut tests = Vec::new();
    let mut params = Vec::new();
    for user in &request.executable_users {
        match user.as_str() {
            "all" => tests.push("v.public".to_string()),
            "self" => tests.push("w.shared".to_string()),
            id => {
                let Key { caller, region, .. } = key;
                tests.push(format!(
                    "({caller} = ? AND w.shared) OR EXISTS (
                        SELECT 1 FROM image_sightings s
                        WHERE s.viewer_account_id = ? AND s.scope = 'shared'
                          AND s.region = {region} AND s.image_id = w.image_id
                          AND s.valid_from <= a.t AND (s.valid_to IS NULL OR s.valid_to > a.t))"
                ));
                params.push(id.to_string());
                params.push(id.to_string());
            }
        }
    }
    row.push(format!("({})", tests.join(" OR ")), params);
}

/// `AND`-ed predicates with their parameters.
#[derive(Default)]
struct Clauses {
    text: Vec<String>,
    params: Vec<String>,
}

impl Clauses {
    fn push(&mut self, text: String, params: impl IntoIterator<Item = String>) {
        self.text.push(text);
        self.params.extend(params);
    }

    fn sql(&self) -> String {
        self.text
            .iter()
            .map(|t| format!("AND {t}\n      "))
            .collect()
    }

    /// The predicates as one expression, `true` when there are none.
    fn conjunction(&self) -> String {
        if self.text.is_empty() {
            "true".to_string()
        } else {
            format!("({})", self.text.join(" AND "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "left unfilled")]
    fn a_place_left_unfilled_fails() {
        fill("SELECT /* a */, /* b */", &[("/* a */", "1")]);
    }

    #[test]
    #[should_panic(expected = "is not a place")]
    fn a_marker_the_sql_lacks_fails() {
        fill("SELECT /* a */", &[("/* a */", "1"), ("/* c */", "2")]);
    }

    #[test]
    fn every_place_of_answer_sql_is_filled_for_every_shape_of_request() {
        let plain = DescribeRequest::default();
        let named = DescribeRequest {
            image_ids: vec!["ami-12345678".into()],
            region: Some("us-east-1".into()),
            max_results: Some(5),
            ..DescribeRequest::default()
        };
        for request in [&plain, &named] {
            for caller in [None, Some("111111111111")] {
                for mode in [
                    Mode::Answer(Grouping::VersionsAfter, None, true),
                    Mode::Answer(Grouping::VersionsBefore, None, true),
                    Mode::Answer(Grouping::VersionsBefore, None, false),
                    Mode::Existence,
                ] {
                    let (text, _) = build(request, caller, None, Utc::now(), None, mode);
                    assert!(text.contains("FROM image_sightings g"), "{text}");
                    assert!(!text.contains("/* "), "{text}");
                }
            }
        }
    }
}
