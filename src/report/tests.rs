//! The cleanup verdicts and the reclaimable snapshots, on a store built by hand: every
//! rule of `image_cleanup_as_of` and `snapshot_cleanup_as_of` (sql/views.sql) met once.

use std::collections::BTreeMap;

use amiq_image::{BlockDeviceMapping, EbsBlockDevice, Image};

use crate::plan::Dataset;
use crate::records::{
    ImageReference, Instance, LaunchPermission, Records, Snapshot, UsageReport, UsageReportEntry,
    to_record_batch,
};
use crate::store::{
    PartitionRecord, PartitionStatus, RecordStage, Store, StoreSettings, staged_listing,
};

const A: &str = "111111111111";
const B: &str = "222222222222";
const REGION: &str = "us-east-1";

fn image(id: &str, owner: &str, snapshots: &[(&str, i32)]) -> Image {
    Image {
        image_id: Some(id.into()),
        owner_id: Some(owner.into()),
        public: Some(false),
        name: Some(format!("name-{id}")),
        block_device_mappings: Some(
            snapshots
                .iter()
                .map(|(snap, gib)| BlockDeviceMapping {
                    device_name: Some("/dev/xvda".into()),
                    ebs: Some(EbsBlockDevice {
                        snapshot_id: Some(snap.to_string()),
                        volume_size: Some(*gib),
                        ..EbsBlockDevice::default()
                    }),
                    ..BlockDeviceMapping::default()
                })
                .collect(),
        ),
        ..Image::default()
    }
}

fn snapshot(id: &str, gib: i32, bytes: Option<i64>, tier: &str) -> Snapshot {
    Snapshot {
        snapshot_id: id.into(),
        volume_size: Some(gib),
        full_snapshot_size_in_bytes: bytes,
        storage_tier: Some(tier.into()),
        ..Snapshot::default()
    }
}

fn merge_images(
    store: &Store,
    dir: &std::path::Path,
    run: i64,
    viewer: &str,
    scope: &str,
    images: &[Image],
) {
    let record = PartitionRecord::started(run, viewer, viewer, REGION, scope, false);
    let staged = staged_listing(dir, &record, images);
    store.merge_partition(&staged, &record).unwrap();
}

fn merge_records(store: &Store, run: i64, account: &str, records: Records) {
    let dataset = records.dataset();
    let record = PartitionRecord::started(run, account, account, REGION, dataset.name(), false);
    let mut stage = RecordStage::create(None, dataset).unwrap();
    stage
        .write(&to_record_batch(account, REGION, &records).unwrap())
        .unwrap();
    let staged = stage.finish().unwrap();
    store
        .merge_dataset_partitions(&[(&staged, &record)])
        .unwrap();
}

fn fail(store: &Store, run: i64, account: &str, dataset: Dataset) {
    let mut record = PartitionRecord::started(run, account, account, REGION, dataset.name(), false);
    record.status = PartitionStatus::Failed;
    record.finished_at = Some(chrono::Utc::now());
    record.error = Some("ec2:DescribeImageReferences: UnauthorizedOperation".into());
    store.record_failed_partition(&record).unwrap();
}

fn rows(store: &Store, sql: &str) -> BTreeMap<String, String> {
    let mut stmt = store.connection().prepare(sql).unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn verdicts_and_reclaimable_snapshots_follow_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(&dir.path().join("t.duckdb"), &StoreSettings::default()).unwrap();
    let run = store.begin_run(0).unwrap();
    let mut public = image("ami-public", A, &[("snap-public", 8)]);
    public.public = Some(true);
    let mut protected = image("ami-protected", A, &[("snap-protected", 4)]);
    protected.deregistration_protection = Some("enabled".into());
    let owned = vec![
        // Named by a launch template: in use; its snapshot is also mapped by an idle image.
        image("ami-template", A, &[("snap-busy", 8)]),
        image("ami-idle-busy", A, &[("snap-busy", 8)]),
        // Run by an instance (instances dataset only).
        image("ami-running", A, &[("snap-run", 8)]),
        // Two idle images share a snapshot: reclaimable once.
        image("ami-idle-1", A, &[("snap-shared", 10), ("snap-own", 2)]),
        image("ami-idle-2", A, &[("snap-shared", 10)]),
        // Shared with B, whose references failed: unknown.
        image("ami-shared", A, &[("snap-b", 8)]),
        public,
        protected,
        // Its instance is terminated: that is no use.
        image("ami-terminated", A, &[]),
        // Shared outside the synced accounts: used there, as a usage report counts.
        image("ami-outside", A, &[]),
        // Shared with an organization its only report does not cover: unknown.
        image("ami-org", A, &[]),
        // Shared outside; its newest report counts no use: idle.
        image("ami-covered", A, &[]),
    ];
    merge_images(&store, dir.path(), run, A, "owned", &owned);
    merge_images(
        &store,
        dir.path(),
        run,
        B,
        "shared",
        &[image("ami-shared", A, &[("snap-b", 8)])],
    );
    merge_records(
        &store,
        run,
        A,
        Records::References(vec![ImageReference {
            image_id: "ami-template".into(),
            resource_type: "ec2:LaunchTemplate".into(),
            arn: format!("arn:aws:ec2:{REGION}:{A}:launch-template/lt-0123456789abcdef0"),
        }]),
    );
    fail(&store, run, B, Dataset::References);
    let grant = |image: &str, grantee_type: &str, grantee: &str| LaunchPermission {
        image_id: image.into(),
        grantee_type: grantee_type.into(),
        grantee: grantee.into(),
    };
    const ORG: &str = "arn:aws:organizations::111111111111:organization/o-abc";
    merge_records(
        &store,
        run,
        A,
        Records::LaunchPermissions(vec![
            grant("ami-public", "group", "all"),
            grant("ami-shared", "user", B),
            grant("ami-outside", "user", "999999999999"),
            grant("ami-org", "organization", ORG),
            grant("ami-covered", "user", "888888888888"),
        ]),
    );
    let entry = |account: &str, resource_type: &str, usage_count: i64| UsageReportEntry {
        account_id: account.into(),
        resource_type: resource_type.into(),
        usage_count,
    };
    let report = |id: &str, image: &str, state: &str, created: &str, entries| UsageReport {
        report_id: id.into(),
        image_id: Some(image.into()),
        state: Some(state.into()),
        creation_time_ts: Some(created.into()),
        resource_types: Some(vec!["ec2:Instance".into(), "ec2:LaunchTemplate".into()]),
        entries,
        ..UsageReport::default()
    };
    let mut org_report = report(
        "r-org",
        "ami-org",
        "available",
        "2026-12-01T00:00:00Z",
        Some(vec![]),
    );
    org_report.account_ids = Some(vec!["999999999999".into()]);
    merge_records(
        &store,
        run,
        A,
        Records::UsageReports(vec![
            // Entries of synced accounts are their references' business, not the report's.
            report(
                "r-outside",
                "ami-outside",
                "available",
                "2026-12-01T00:00:00Z",
                Some(vec![
                    entry("999999999999", "ec2:Instance", 2),
                    entry(A, "ec2:LaunchTemplate", 5),
                ]),
            ),
            org_report,
            report(
                "r-old",
                "ami-covered",
                "available",
                "2026-11-01T00:00:00Z",
                Some(vec![entry("888888888888", "ec2:Instance", 1)]),
            ),
            report(
                "r-new",
                "ami-covered",
                "available",
                "2026-12-01T00:00:00Z",
                Some(vec![]),
            ),
            report(
                "r-pending",
                "ami-covered",
                "pending",
                "2026-12-02T00:00:00Z",
                None,
            ),
        ]),
    );
    // ami-template is a copy of ami-idle-1, which stays idle but says so.
    merge_records(
        &store,
        run,
        A,
        Records::Lineage(vec![
            crate::records::AncestryLink {
                image_id: "ami-template".into(),
                position: 0,
                ancestor_image_id: "ami-template".into(),
                ancestor_source_image_id: Some("ami-idle-1".into()),
                ..Default::default()
            },
            crate::records::AncestryLink {
                image_id: "ami-template".into(),
                position: 1,
                ancestor_image_id: "ami-idle-1".into(),
                ..Default::default()
            },
        ]),
    );
    let instance = |id: &str, image: &str, state: &str| Instance {
        instance_id: id.into(),
        instance_state: Some(state.into()),
        image_id: Some(image.into()),
        ..Instance::default()
    };
    merge_records(
        &store,
        run,
        A,
        Records::Instances(vec![
            instance("i-1", "ami-running", "stopped"),
            instance("i-2", "ami-terminated", "terminated"),
        ]),
    );
    merge_records(
        &store,
        run,
        A,
        Records::Snapshots(vec![
            snapshot("snap-busy", 8, Some(3 << 30), "standard"),
            snapshot("snap-shared", 10, Some(4 << 30), "standard"),
            snapshot("snap-own", 2, None, "archive"),
            snapshot("snap-protected", 4, Some(1 << 30), "standard"),
        ]),
    );

    let verdicts = rows(
        &store,
        "SELECT image_id, verdict || ': ' || coalesce(why, '') FROM image_cleanup_as_of(now())",
    );
    let expected: BTreeMap<String, String> = [
        (
            "ami-template",
            "in use: 1 launch template version(s) in 111111111111",
        ),
        ("ami-running", "in use: 1 instance(s) in 111111111111"),
        (
            "ami-idle-busy",
            "idle: no resource names it in 111111111111",
        ),
        (
            "ami-idle-1",
            "idle: no resource names it in 111111111111; copies of it in use: ami-template",
        ),
        ("ami-idle-2", "idle: no resource names it in 111111111111"),
        (
            "ami-shared",
            "unknown: references of 222222222222 last failed",
        ),
        (
            "ami-public",
            "unknown: public: any account may use it and no usage report covers it",
        ),
        (
            "ami-outside",
            "in use: 2 instance(s) outside the synced accounts in 999999999999 (usage report r-outside)",
        ),
        (
            "ami-org",
            "unknown: shared with organization arn:aws:organizations::111111111111:organization/o-abc and its usage report r-org does not cover it",
        ),
        (
            "ami-covered",
            "idle: no resource names it in 111111111111, 888888888888; usage report r-new counts no use elsewhere",
        ),
        (
            "ami-protected",
            "idle: no resource names it in 111111111111",
        ),
        (
            "ami-terminated",
            "idle: no resource names it in 111111111111",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(verdicts, expected);

    let snapshots = rows(
        &store,
        "SELECT snapshot_id, reclaimable || ' ' || round(gib, 2) || ' ' || size_from || ' ' ||
                storage_tier || ' ' || images
         FROM snapshot_cleanup_as_of(now())",
    );
    let expected: BTreeMap<String, String> = [
        ("snap-busy", "false 3.0 full snapshot size standard 2"),
        ("snap-run", "false 8.0 volume size standard 1"),
        ("snap-shared", "true 4.0 full snapshot size standard 2"),
        ("snap-own", "true 2.0 volume size archive 1"),
        ("snap-b", "false 8.0 volume size standard 1"),
        ("snap-public", "false 8.0 volume size standard 1"),
        ("snap-protected", "true 1.0 full snapshot size standard 1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(snapshots, expected);

    // The report's totals count snap-shared once: 4 + 2 + 1 GiB, 2 GiB at the archive rate.
    let totals: (i64, f64, f64) = store
        .connection()
        .query_row(
            &format!(
                "SELECT reclaimable_snapshots, reclaimable_gib, monthly_usd_as_stored
                 FROM ({}) WHERE verdict = 'idle'",
                include_str!("../../sql/reports/cleanup_totals.sql")
                    .trim_end()
                    .trim_end_matches(';')
            ),
            duckdb::params![
                chrono::Utc::now().timestamp_micros(),
                None::<String>,
                None::<String>,
                0.05,
                0.0125
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(totals.0, 3);
    assert!((totals.1 - 7.0).abs() < 1e-9, "{totals:?}");
    // 5 GiB standard and 2 GiB archive: 0.275 dollars, shown in cents.
    assert!((totals.2 - 0.28).abs() < 1e-9, "{totals:?}");
}

#[test]
fn posture_counts_instances_on_unusable_images_and_guardrail_changes() {
    use crate::records::{AccountSettings, RecycleBinImage};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_write(&dir.path().join("t.duckdb"), &StoreSettings::default()).unwrap();
    let settings = |state: &str| {
        Records::Settings(vec![AccountSettings {
            allowed_images_state: Some(state.into()),
            image_block_public_access_state: Some("block-new-sharing".into()),
            ..AccountSettings::default()
        }])
    };
    let first = store.begin_run(0).unwrap();
    let mut public = image("ami-public", A, &[]);
    public.public = Some(true);
    merge_images(
        &store,
        dir.path(),
        first,
        A,
        "owned",
        &[public, image("ami-gone", A, &[("snap-gone", 6)])],
    );
    merge_records(&store, first, A, settings("audit-mode"));
    let since = chrono::Utc::now();

    let second = store.begin_run(0).unwrap();
    // ami-gone is deregistered (no longer listed) and sits in the recycle bin.
    let mut public = image("ami-public", A, &[]);
    public.public = Some(true);
    merge_images(&store, dir.path(), second, A, "owned", &[public]);
    merge_records(&store, second, A, settings("enabled"));
    merge_records(
        &store,
        second,
        A,
        Records::RecycleBin(vec![RecycleBinImage {
            image_id: "ami-gone".into(),
            ..RecycleBinImage::default()
        }]),
    );
    let instance = |id: &str, image: &str, f: &dyn Fn(&mut Instance)| {
        let mut i = Instance {
            instance_id: id.into(),
            instance_state: Some("running".into()),
            image_id: Some(image.into()),
            image_state: Some("available".into()),
            image_allowed: Some(true),
            ..Instance::default()
        };
        f(&mut i);
        i
    };
    merge_records(
        &store,
        second,
        A,
        Records::Instances(vec![
            instance("i-gone", "ami-gone", &|i| i.image_state = None),
            instance("i-denied", "ami-public", &|i| i.image_allowed = Some(false)),
            instance("i-old", "ami-public", &|i| {
                i.image_deprecation_time = Some("2020-01-01T00:00:00.000Z".into())
            }),
            instance("i-off", "ami-public", &|i| {
                i.instance_state = Some("terminated".into())
            }),
        ]),
    );

    // Shared with an account and an OU outside the synced set, and with a synced one.
    merge_records(
        &store,
        second,
        A,
        Records::LaunchPermissions(
            [
                ("ami-public", "group", "all"),
                ("ami-public", "user", "999999999999"),
                (
                    "ami-public",
                    "organizational-unit",
                    "arn:aws:organizations::1:ou/o-a/ou-b",
                ),
                ("ami-public", "user", A),
            ]
            .into_iter()
            .map(|(image, t, g)| LaunchPermission {
                image_id: image.into(),
                grantee_type: t.into(),
                grantee: g.into(),
            })
            .collect(),
        ),
    );

    let posture = include_str!("../../sql/reports/posture.sql")
        .trim_end()
        .trim_end_matches(';');
    let outside: (i64, i64) = store
        .connection()
        .query_row(
            &format!(
                "SELECT images_shared_outside, outside_grantees FROM ({posture})
                 WHERE account_id = '{A}'"
            ),
            duckdb::params![
                chrono::Utc::now().timestamp_micros(),
                None::<String>,
                None::<String>
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(outside, (1, 2));
    let row: (String, String, i64, i64, i64, i64, i64, i64, i64) = store
        .connection()
        .query_row(
            &format!(
                "SELECT allowed_images_state, image_block_public_access_state, public_images_owned,
                        live_instances, instances_on_deprecated_images,
                        instances_on_not_allowed_images, instances_on_deregistered_images,
                        recycle_bin_images, recycle_bin_snapshot_gib
                 FROM ({posture}) WHERE account_id = '{A}'"
            ),
            duckdb::params![
                chrono::Utc::now().timestamp_micros(),
                None::<String>,
                None::<String>
            ],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        row,
        (
            "enabled".into(),
            "block-new-sharing".into(),
            1,
            3,
            1,
            1,
            1,
            1,
            6
        )
    );

    let changes = include_str!("../../sql/reports/posture_changes.sql")
        .trim_end()
        .trim_end_matches(';');
    let change: (String, String) = store
        .connection()
        .query_row(
            &format!("SELECT allowed_images_before, allowed_images_after FROM ({changes})"),
            duckdb::params![
                since.timestamp_micros(),
                chrono::Utc::now().timestamp_micros(),
                None::<String>,
                None::<String>
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(change, ("audit-mode".into(), "enabled".into()));
}
