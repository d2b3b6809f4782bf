//! The datasets beside images as plain records (what `aws` hands on, knowing no SDK),
//! and a page of them as an Arrow batch with each record's key and content hash.
//!
//! A record's content hash is xxh3 of its JSON with absent members left out, so a
//! member added later changes no hash until a record carries it, and the hash does not
//! depend on DuckDB's version (docs/decisions/0008-datasets.md).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::plan::Dataset;

/// A tag, as EC2 gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// One resource of the account that names an image (DescribeImageReferences).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageReference {
    pub image_id: String,
    /// `ec2:Instance`, `ec2:LaunchTemplate`, `ssm:Parameter`, `imagebuilder:ImageRecipe`,
    /// `imagebuilder:ContainerRecipe`.
    pub resource_type: String,
    pub arn: String,
}

/// One instance with the image EC2 remembers for it (DescribeInstanceImageMetadata).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub instance_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_state: Option<String>,
    /// RFC 3339, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_time_ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_owner_alias: Option<String>,
    /// Absent when the image is no longer there to ask (deregistered, unshared).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_creation_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_deprecation_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_allowed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_is_public: Option<bool>,
}

/// One EBS snapshot the account owns (DescribeSnapshots OwnerIds=self).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub snapshot_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_id: Option<String>,
    /// GiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_size: Option<i32>,
    /// The bytes the snapshot stores, when EC2 has computed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_snapshot_size_in_bytes: Option<i64>,
    /// `standard` or `archive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time_ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

/// One member account of the organization (ListAccountsForParent, walked from the
/// root), with where it sits in the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrgAccount {
    pub member_account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, ... (the account's state).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined_method: Option<String>,
    /// RFC 3339, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined_time_ts: Option<String>,
    /// The root or OU it is directly under.
    pub parent_id: String,
    pub parent_name: String,
    /// Names from the root down to its parent: `Root/Production/Payments`.
    pub ou_path: String,
    /// The same path by id: `r-ab12/ou-ab12-11111111/ou-ab12-22222222`.
    pub ou_path_ids: String,
}

/// One deregistered image kept in the Recycle Bin (ListImagesInRecycleBin).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecycleBinImage {
    pub image_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recycle_bin_enter_time_ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recycle_bin_exit_time_ts: Option<String>,
}

/// One Allowed AMIs criterion: an image is allowed when it meets every part given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageCriterion {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_providers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_names: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketplace_product_codes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_days_since_created: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_days_since_deprecated: Option<i32>,
}

/// An account's image guardrails in a region (GetAllowedImagesSettings and
/// GetImageBlockPublicAccessState): one record per partition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccountSettings {
    /// `enabled`, `disabled` or `audit-mode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_images_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_images_criteria: Option<Vec<ImageCriterion>>,
    /// `account` or `declarative-policy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_images_managed_by: Option<String>,
    /// `unblocked` or `block-new-sharing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_block_public_access_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_block_public_access_managed_by: Option<String>,
}

/// One link of an owned image's chain of copies (GetImageAncestry): at position 0 the
/// image itself, then the image it was copied from, and so on to the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AncestryLink {
    pub image_id: String,
    pub position: i32,
    pub ancestor_image_id: String,
    /// As the SDK formats the API's time (RFC 3339, UTC): kept as text, so that a chain
    /// read back from the store hashes as it did when it was fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ancestor_creation_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ancestor_owner_alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ancestor_source_image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ancestor_source_image_region: Option<String>,
}

/// One grant of an owned image's launch permission (DescribeImageAttribute
/// launchPermission): to everyone (`group`, `all`), an account (`user`), an
/// organization or an organizational unit (their ARNs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaunchPermission {
    pub image_id: String,
    /// `group`, `user`, `organization` or `organizational-unit`.
    pub grantee_type: String,
    /// `all`, an account id, or an ARN.
    pub grantee: String,
}

/// What one usage report counted: how many resources of a type an account has that
/// use the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageReportEntry {
    pub account_id: String,
    /// `ec2:Instance` or `ec2:LaunchTemplate`.
    pub resource_type: String,
    pub usage_count: i64,
}

/// One image usage report of the account (DescribeImageUsageReports) with its entries
/// (DescribeImageUsageReportEntries) once it is available.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UsageReport {
    pub report_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// `pending`, `available` or `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_time_ts: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_time_ts: Option<String>,
    /// The accounts the report covers; absent: every account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<UsageReportEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
}

/// A page of one dataset's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Records {
    References(Vec<ImageReference>),
    Instances(Vec<Instance>),
    Snapshots(Vec<Snapshot>),
    RecycleBin(Vec<RecycleBinImage>),
    Accounts(Vec<OrgAccount>),
    Settings(Vec<AccountSettings>),
    Lineage(Vec<AncestryLink>),
    LaunchPermissions(Vec<LaunchPermission>),
    UsageReports(Vec<UsageReport>),
}

impl Records {
    pub fn len(&self) -> usize {
        match self {
            Records::References(r) => r.len(),
            Records::Instances(r) => r.len(),
            Records::Snapshots(r) => r.len(),
            Records::RecycleBin(r) => r.len(),
            Records::Accounts(r) => r.len(),
            Records::Settings(r) => r.len(),
            Records::Lineage(r) => r.len(),
            Records::LaunchPermissions(r) => r.len(),
            Records::UsageReports(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What identifies a record within its partition: a new version of a record with the
/// same key replaces the old one; a key no longer listed has ended.
trait Keyed: Serialize {
    fn key(&self) -> String;
}

impl Keyed for ImageReference {
    fn key(&self) -> String {
        format!("{} {}", self.image_id, self.arn)
    }
}
impl Keyed for Instance {
    fn key(&self) -> String {
        self.instance_id.clone()
    }
}
impl Keyed for Snapshot {
    fn key(&self) -> String {
        self.snapshot_id.clone()
    }
}
impl Keyed for RecycleBinImage {
    fn key(&self) -> String {
        self.image_id.clone()
    }
}
impl Keyed for AccountSettings {
    fn key(&self) -> String {
        String::new()
    }
}
impl Keyed for OrgAccount {
    fn key(&self) -> String {
        self.member_account_id.clone()
    }
}
impl Keyed for LaunchPermission {
    fn key(&self) -> String {
        format!("{} {} {}", self.image_id, self.grantee_type, self.grantee)
    }
}
impl Keyed for UsageReport {
    fn key(&self) -> String {
        self.report_id.clone()
    }
}
impl Keyed for AncestryLink {
    fn key(&self) -> String {
        format!("{} {}", self.image_id, self.position)
    }
}

/// The table a dataset is kept in.
pub fn table(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::Images => "image_versions",
        Dataset::References => "image_references_history",
        Dataset::Instances => "instances_history",
        Dataset::Snapshots => "snapshots_history",
        Dataset::RecycleBin => "recycle_bin_history",
        Dataset::Settings => "account_settings_history",
        Dataset::Lineage => "lineage_history",
        Dataset::LaunchPermissions => "launch_permissions_history",
        Dataset::UsageReports => "usage_reports_history",
        Dataset::Accounts => "accounts_history",
    }
}

fn utc_timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn tags() -> DataType {
    DataType::List(Arc::new(Field::new(
        "item",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, true),
            Field::new("value", DataType::Utf8, true),
        ])),
        true,
    )))
}

fn strings() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// The columns every dataset's batch starts with: the partition's coordinates, the
/// record's key and its content hash.
const KEY_COLUMNS: [&str; 4] = ["account_id", "region", "record_key", "content_hash"];

/// The Arrow schema of a batch of `dataset`: the key columns, then the record's
/// members in their declared order. The tables of `sql/migrations/0003_datasets.sql`
/// have these columns after their validity (a test checks them).
pub fn schema(dataset: Dataset) -> SchemaRef {
    use DataType::{Boolean, Int32, Int64, Utf8};
    let members: Vec<(&str, DataType)> = match dataset {
        Dataset::Images => panic!("images have their own schema (crate::batch::schema)"),
        Dataset::References => vec![("image_id", Utf8), ("resource_type", Utf8), ("arn", Utf8)],
        Dataset::Instances => vec![
            ("instance_id", Utf8),
            ("instance_type", Utf8),
            ("instance_state", Utf8),
            ("launch_time_ts", utc_timestamp()),
            ("availability_zone", Utf8),
            ("zone_id", Utf8),
            ("instance_owner_id", Utf8),
            ("tags", tags()),
            ("image_id", Utf8),
            ("image_name", Utf8),
            ("image_owner_id", Utf8),
            ("image_owner_alias", Utf8),
            ("image_state", Utf8),
            ("image_creation_date", Utf8),
            ("image_deprecation_time", Utf8),
            ("image_allowed", Boolean),
            ("image_is_public", Boolean),
        ],
        Dataset::Snapshots => vec![
            ("snapshot_id", Utf8),
            ("volume_id", Utf8),
            ("volume_size", Int32),
            ("full_snapshot_size_in_bytes", Int64),
            ("storage_tier", Utf8),
            ("start_time_ts", utc_timestamp()),
            ("encrypted", Boolean),
            ("state", Utf8),
            ("description", Utf8),
            ("owner_id", Utf8),
            ("tags", tags()),
        ],
        Dataset::Accounts => vec![
            ("member_account_id", Utf8),
            ("name", Utf8),
            ("email", Utf8),
            ("status", Utf8),
            ("joined_method", Utf8),
            ("joined_time_ts", utc_timestamp()),
            ("parent_id", Utf8),
            ("parent_name", Utf8),
            ("ou_path", Utf8),
            ("ou_path_ids", Utf8),
        ],
        Dataset::RecycleBin => vec![
            ("image_id", Utf8),
            ("name", Utf8),
            ("description", Utf8),
            ("recycle_bin_enter_time_ts", utc_timestamp()),
            ("recycle_bin_exit_time_ts", utc_timestamp()),
        ],
        Dataset::Settings => vec![
            ("allowed_images_state", Utf8),
            (
                "allowed_images_criteria",
                DataType::List(Arc::new(Field::new(
                    "item",
                    DataType::Struct(Fields::from(vec![
                        Field::new("image_providers", strings(), true),
                        Field::new("image_names", strings(), true),
                        Field::new("marketplace_product_codes", strings(), true),
                        Field::new("maximum_days_since_created", Int32, true),
                        Field::new("maximum_days_since_deprecated", Int32, true),
                    ])),
                    true,
                ))),
            ),
            ("allowed_images_managed_by", Utf8),
            ("image_block_public_access_state", Utf8),
            ("image_block_public_access_managed_by", Utf8),
        ],
        Dataset::Lineage => vec![
            ("image_id", Utf8),
            ("position", Int32),
            ("ancestor_image_id", Utf8),
            ("ancestor_creation_date", Utf8),
            ("ancestor_owner_alias", Utf8),
            ("ancestor_source_image_id", Utf8),
            ("ancestor_source_image_region", Utf8),
        ],
        Dataset::LaunchPermissions => vec![
            ("image_id", Utf8),
            ("grantee_type", Utf8),
            ("grantee", Utf8),
        ],
        Dataset::UsageReports => vec![
            ("report_id", Utf8),
            ("image_id", Utf8),
            ("state", Utf8),
            ("state_reason", Utf8),
            ("creation_time_ts", utc_timestamp()),
            ("expiration_time_ts", utc_timestamp()),
            ("account_ids", strings()),
            ("resource_types", strings()),
            (
                "entries",
                DataType::List(Arc::new(Field::new(
                    "item",
                    DataType::Struct(Fields::from(vec![
                        Field::new("account_id", Utf8, true),
                        Field::new("resource_type", Utf8, true),
                        Field::new("usage_count", Int64, true),
                    ])),
                    true,
                ))),
            ),
            ("tags", tags()),
        ],
    };
    let mut fields = vec![
        Field::new(KEY_COLUMNS[0], Utf8, false),
        Field::new(KEY_COLUMNS[1], Utf8, false),
        Field::new(KEY_COLUMNS[2], Utf8, false),
        Field::new(KEY_COLUMNS[3], Int64, false),
    ];
    fields.extend(
        members
            .into_iter()
            .map(|(name, data_type)| Field::new(name, data_type, true)),
    );
    Arc::new(Schema::new(fields))
}

/// One record as a batch row: the key columns, then the record's members.
#[derive(Serialize)]
struct Row<'a, T: Serialize> {
    account_id: &'a str,
    region: &'a str,
    record_key: String,
    content_hash: i64,
    #[serde(flatten)]
    record: &'a T,
}

/// A page of records of the partition (`account_id`, `region`) as an Arrow batch of
/// the dataset's [`schema`].
pub fn to_record_batch(
    account_id: &str,
    region: &str,
    records: &Records,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    fn rows<'a, T: Keyed>(account_id: &'a str, region: &'a str, items: &'a [T]) -> Vec<Row<'a, T>> {
        items
            .iter()
            .map(|record| Row {
                account_id,
                region,
                record_key: record.key(),
                content_hash: content_hash(record),
                record,
            })
            .collect()
    }
    let dataset = records.dataset();
    let mut decoder = arrow::json::ReaderBuilder::new(schema(dataset))
        .with_batch_size(records.len().max(1))
        .build_decoder()?;
    match records {
        Records::References(r) => decoder.serialize(&rows(account_id, region, r))?,
        Records::Instances(r) => decoder.serialize(&rows(account_id, region, r))?,
        Records::Snapshots(r) => decoder.serialize(&rows(account_id, region, r))?,
        Records::RecycleBin(r) => decoder.serialize(&rows(account_id, region, r))?,
        Records::Accounts(r) => decoder.serialize(&rows(account_id, region, r))?,
        Records::Settings(r) => decoder.serialize(&rows(account_id, region, r))?,
        Records::Lineage(r) => decoder.serialize(&rows(account_id, region, r))?,
        Records::LaunchPermissions(r) => decoder.serialize(&rows(account_id, region, r))?,
        Records::UsageReports(r) => decoder.serialize(&rows(account_id, region, r))?,
    }
    Ok(decoder
        .flush()?
        .unwrap_or_else(|| RecordBatch::new_empty(schema(dataset))))
}

impl Records {
    /// The dataset these records belong to.
    pub fn dataset(&self) -> Dataset {
        match self {
            Records::References(_) => Dataset::References,
            Records::Instances(_) => Dataset::Instances,
            Records::Snapshots(_) => Dataset::Snapshots,
            Records::RecycleBin(_) => Dataset::RecycleBin,
            Records::Accounts(_) => Dataset::Accounts,
            Records::Settings(_) => Dataset::Settings,
            Records::Lineage(_) => Dataset::Lineage,
            Records::LaunchPermissions(_) => Dataset::LaunchPermissions,
            Records::UsageReports(_) => Dataset::UsageReports,
        }
    }
}

/// xxh3 of the record's JSON (absent members left out), as a signed 64-bit value.
fn content_hash<T: Serialize>(record: &T) -> i64 {
    let json = serde_json::to_vec(record).expect("a record serializes");
    xxh3_64(&json) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};

    #[test]
    fn a_page_becomes_a_batch_of_the_schema_with_keys_and_hashes() {
        let snapshots = vec![
            Snapshot {
                snapshot_id: "snap-1".into(),
                volume_size: Some(8),
                full_snapshot_size_in_bytes: Some(1 << 30),
                start_time_ts: Some("2024-05-01T10:00:00.000Z".into()),
                tags: Some(vec![Tag {
                    key: "team".into(),
                    value: "a".into(),
                }]),
                ..Snapshot::default()
            },
            Snapshot {
                snapshot_id: "snap-2".into(),
                ..Snapshot::default()
            },
        ];
        let batch = to_record_batch(
            "111111111111",
            "us-east-1",
            &Records::Snapshots(snapshots.clone()),
        )
        .unwrap();
        assert_eq!(batch.schema(), schema(Dataset::Snapshots));
        assert_eq!(batch.num_rows(), 2);
        let keys = batch
            .column_by_name("record_key")
            .unwrap()
            .as_string::<i32>();
        assert_eq!(keys.value(0), "snap-1");
        let start = batch.column_by_name("start_time_ts").unwrap();
        assert!(start.is_valid(0) && start.is_null(1));
        let hashes = batch
            .column_by_name("content_hash")
            .unwrap()
            .as_primitive::<arrow::datatypes::Int64Type>();
        assert_ne!(hashes.value(0), hashes.value(1));
        // The hash follows the content, not the page.
        let alone = to_record_batch(
            "111111111111",
            "us-east-1",
            &Records::Snapshots(vec![snapshots[1].clone()]),
        )
        .unwrap();
        let alone = alone
            .column_by_name("content_hash")
            .unwrap()
            .as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!(alone.value(0), hashes.value(1));
    }

    #[test]
    fn an_absent_member_changes_no_hash_and_a_present_one_does() {
        let bare = Instance {
            instance_id: "i-1".into(),
            ..Instance::default()
        };
        // Pinned: a release that encodes records differently would re-version them all.
        assert_eq!(
            String::from_utf8(serde_json::to_vec(&bare).unwrap()).unwrap(),
            r#"{"instance_id":"i-1"}"#
        );
        let stopped = Instance {
            instance_state: Some("stopped".into()),
            ..bare.clone()
        };
        assert_ne!(content_hash(&bare), content_hash(&stopped));
    }

    #[test]
    fn every_dataset_but_images_has_a_schema_and_an_empty_page_a_batch() {
        let every = Dataset::ALL.into_iter().chain([Dataset::Accounts]);
        for dataset in every.filter(|d| *d != Dataset::Images) {
            let empty = match dataset {
                Dataset::References => Records::References(vec![]),
                Dataset::Instances => Records::Instances(vec![]),
                Dataset::Snapshots => Records::Snapshots(vec![]),
                Dataset::RecycleBin => Records::RecycleBin(vec![]),
                Dataset::Settings => Records::Settings(vec![]),
                Dataset::Lineage => Records::Lineage(vec![]),
                Dataset::LaunchPermissions => Records::LaunchPermissions(vec![]),
                Dataset::UsageReports => Records::UsageReports(vec![]),
                Dataset::Accounts => Records::Accounts(vec![]),
                Dataset::Images => unreachable!(),
            };
            let batch = to_record_batch("1", "r", &empty).unwrap();
            assert_eq!(batch.num_rows(), 0);
            assert_eq!(batch.schema(), schema(dataset));
        }
    }
}
