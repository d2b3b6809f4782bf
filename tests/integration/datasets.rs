//! Every dataset beside images, synced from the fake endpoint, holds what the endpoint
//! says is true; `report cleanup`'s verdicts and reclaimable snapshots agree with a
//! judgement made from the endpoint's own truth; a refused call fails only its dataset's
//! partitions and makes the images that needed it unknown.

use std::collections::{BTreeMap, BTreeSet};

use amiq::plan::Dataset;
use amiq::store::{PartitionStatus, RunStatus, Store};
use amiq_fake_ec2::Faults;

use crate::support::{A, B, Env, small_catalog};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const ACCOUNTS: [&str; 2] = [A, B];
const DEPTH: u32 = 10;

fn config(env: &Env) -> amiq::config::SyncConfig {
    let mut config = env.config(&["owned", "shared", "amazon"]);
    config.datasets = Dataset::ALL.to_vec();
    config
}

fn strings(store: &Store, sql: &str, params: &[&str]) -> BTreeSet<String> {
    let mut stmt = store.connection().prepare(sql).unwrap();
    stmt.query_map(duckdb::params_from_iter(params), |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn ids(images: &[amiq_image::Image]) -> Vec<String> {
    images.iter().filter_map(|i| i.image_id.clone()).collect()
}

/// Every dataset view of (account, region) equals the endpoint's truth.
fn assert_datasets_match(env: &Env, store: &Store) {
    let fake = &env.fake;
    for account in ACCOUNTS {
        for region in REGIONS {
            let p = [account, region];
            let mut asked = ids(&env.truth(account, region, "owned"));
            asked.extend(ids(&env.truth(account, region, "shared")));
            asked.sort();
            asked.dedup();
            let mut references = BTreeSet::new();
            for batch in asked.chunks(10) {
                for r in fake
                    .image_references(account, region, batch, Some(DEPTH))
                    .unwrap()
                {
                    references.insert(format!("{} {} {}", r.image_id, r.resource_type, r.arn));
                }
            }
            let stored = strings(
                store,
                "SELECT image_id || ' ' || resource_type || ' ' || arn FROM image_references
                 WHERE account_id = ? AND region = ?",
                &p,
            );
            assert_eq!(stored, references, "references of {account} in {region}");
            assert!(
                !references.is_empty(),
                "the fake names some images in {region}"
            );

            let instances: BTreeSet<String> = fake
                .instance_image_metadata(account, region)
                .into_iter()
                .map(|i| {
                    format!(
                        "{} {} {} {} {:?}",
                        i.instance_id,
                        i.state_name,
                        i.image.image_id,
                        i.image.state.unwrap_or_default(),
                        i.image.image_allowed
                    )
                })
                .collect();
            let stored = strings(
                store,
                "SELECT instance_id || ' ' || instance_state || ' ' || image_id || ' ' ||
                        coalesce(image_state, '') || ' ' ||
                        CASE WHEN image_allowed IS NULL THEN 'None'
                             ELSE 'Some(' || image_allowed || ')' END
                 FROM instances WHERE account_id = ? AND region = ?",
                &p,
            );
            assert_eq!(stored, instances, "instances of {account} in {region}");

            let snapshots: BTreeSet<String> = fake
                .snapshots(account, region)
                .into_iter()
                .map(|s| {
                    format!(
                        "{} {} {} {} {}",
                        s.snapshot_id,
                        s.volume_size,
                        s.full_snapshot_size_in_bytes
                            .map_or("-".to_string(), |b| b.to_string()),
                        s.storage_tier,
                        s.encrypted
                    )
                })
                .collect();
            let stored = strings(
                store,
                "SELECT snapshot_id || ' ' || volume_size || ' ' ||
                        coalesce(full_snapshot_size_in_bytes::VARCHAR, '-') || ' ' ||
                        storage_tier || ' ' || encrypted
                 FROM snapshots WHERE account_id = ? AND region = ?",
                &p,
            );
            assert_eq!(stored, snapshots, "snapshots of {account} in {region}");

            let bin: BTreeSet<String> = fake
                .recycle_bin(account, region)
                .into_iter()
                .map(|i| format!("{} {}", i.image_id, i.name.unwrap_or_default()))
                .collect();
            let stored = strings(
                store,
                "SELECT image_id || ' ' || coalesce(name, '') FROM recycle_bin_images
                 WHERE account_id = ? AND region = ?",
                &p,
            );
            assert_eq!(stored, bin, "recycle bin of {account} in {region}");

            let lineage: BTreeSet<String> = crate::support::lineage_truth(env, account, region)
                .into_iter()
                .map(|(image, position, ancestor)| format!("{image} {position} {ancestor}"))
                .collect();
            let stored = strings(
                store,
                "SELECT image_id || ' ' || position || ' ' || ancestor_image_id FROM image_lineage
                 WHERE account_id = ? AND region = ?",
                &p,
            );
            assert_eq!(stored, lineage, "lineage of {account} in {region}");

            let allowed = fake.allowed_images_settings(account, region).unwrap();
            let block = fake.image_block_public_access(account, region).unwrap();
            let stored = strings(
                store,
                "SELECT allowed_images_state || ' ' || allowed_images_managed_by || ' ' ||
                        image_block_public_access_state || ' ' ||
                        coalesce(len(allowed_images_criteria), 0)
                 FROM account_settings WHERE account_id = ? AND region = ?",
                &p,
            );
            let expected = format!(
                "{} {} {} {}",
                allowed.state,
                allowed.managed_by,
                block.state,
                allowed.image_criteria.map_or(0, |c| c.len())
            );
            assert_eq!(
                stored,
                BTreeSet::from([expected]),
                "settings of {account} in {region}"
            );

            let mut grants = BTreeSet::new();
            for id in ids(&env.truth(account, region, "owned")) {
                for p in fake.launch_permissions(account, region, &id).unwrap() {
                    grants.insert(format!("{id} {}", crate::support::grant(&p)));
                }
            }
            let stored = strings(
                store,
                "SELECT image_id || ' ' || grantee_type || ' ' || grantee
                 FROM image_launch_permissions WHERE account_id = ? AND region = ?",
                &p,
            );
            assert_eq!(
                stored, grants,
                "launch permissions of {account} in {region}"
            );

            let reports: BTreeSet<String> = fake
                .usage_reports(account, region)
                .into_iter()
                .map(|r| {
                    format!(
                        "{} {} {} {}",
                        r.report_id,
                        r.image_id,
                        r.state,
                        r.account_ids.join(",")
                    )
                })
                .collect();
            let stored = strings(
                store,
                "SELECT report_id || ' ' || image_id || ' ' || state || ' ' ||
                        coalesce(array_to_string(account_ids, ','), '')
                 FROM image_usage_reports WHERE account_id = ? AND region = ?",
                &p,
            );
            assert_eq!(stored, reports, "usage reports of {account} in {region}");
            let entries: BTreeSet<String> = fake
                .usage_report_entries(account, region)
                .into_iter()
                .map(|e| {
                    format!(
                        "{} {} {} {} {}",
                        e.report_id, e.image_id, e.account_id, e.resource_type, e.usage_count
                    )
                })
                .collect();
            let stored = strings(
                store,
                "SELECT report_id || ' ' || image_id || ' ' || used_by_account_id || ' ' ||
                        resource_type || ' ' || usage_count
                 FROM image_usage_report_entries WHERE account_id = ? AND region = ?",
                &p,
            );
            assert_eq!(
                stored, entries,
                "usage report entries of {account} in {region}"
            );
        }
    }
}

/// The verdicts a cleanup should give, judged from the endpoint's truth alone: an owned
/// image is in use when a resource of its owner or of a synced account it is shared
/// with names it, a live instance of theirs runs it, or its newest available usage
/// report (of instances and launch templates) counts a use in an account outside the
/// synced set; otherwise unknown when one of those accounts' last references listing
/// failed, or when it is public or shared with an account, organization or OU outside
/// the synced set that no such report covers; otherwise idle. Also the snapshots that
/// only idle images map.
fn expected_cleanup(
    env: &Env,
    failed_references: &[&str],
) -> (BTreeMap<String, String>, BTreeSet<String>, usize) {
    let fake = &env.fake;
    let mut verdicts = BTreeMap::new();
    let mut reclaimable = BTreeSet::new();
    let mut shared_snapshots = 0;
    for owner in ACCOUNTS {
        for region in REGIONS {
            let owned = env.truth(owner, region, "owned");
            let reports = fake.usage_reports(owner, region);
            let entries = fake.usage_report_entries(owner, region);
            let mut by_snapshot: BTreeMap<String, Vec<bool>> = BTreeMap::new();
            for image in &owned {
                let id = image.image_id.clone().unwrap();
                let grants = fake.launch_permissions(owner, region, &id).unwrap();
                let mut users = vec![owner];
                for other in ACCOUNTS.iter().filter(|a| **a != owner) {
                    let granted = grants.iter().any(|g| g.user_id.as_deref() == Some(*other));
                    if granted || ids(&env.truth(other, region, "shared")).contains(&id) {
                        users.push(other);
                    }
                }
                // A refused listing leaves the last one in the store; the resources have
                // not changed since, so the truth is what it holds.
                let named = users.iter().any(|u| {
                    !fake
                        .image_references(u, region, std::slice::from_ref(&id), Some(DEPTH))
                        .unwrap()
                        .is_empty()
                });
                let running = users.iter().any(|u| {
                    fake.instance_image_metadata(u, region).iter().any(|i| {
                        i.image.image_id == id
                            && ["pending", "running", "stopping", "stopped"]
                                .contains(&i.state_name.as_str())
                    })
                });
                let report = reports
                    .iter()
                    .filter(|r| r.image_id == id && r.state == "available")
                    .filter(|r| {
                        ["ec2:Instance", "ec2:LaunchTemplate"]
                            .iter()
                            .all(|t| r.resource_types.iter().any(|x| x.resource_type == *t))
                    })
                    .max_by_key(|r| (r.creation_time.clone(), r.report_id.clone()));
                let used_outside = report.is_some_and(|r| {
                    entries.iter().any(|e| {
                        e.report_id == r.report_id
                            && e.usage_count > 0
                            && !ACCOUNTS.contains(&e.account_id.as_str())
                    })
                });
                // Who may use it outside: an account (None: everyone of a group,
                // organization or OU).
                let mut outside: Vec<Option<String>> = grants
                    .iter()
                    .filter(|g| g.group.is_none())
                    .filter(|g| g.user_id.as_deref().is_none_or(|u| !ACCOUNTS.contains(&u)))
                    .map(|g| g.user_id.clone())
                    .collect();
                if image.public == Some(true) {
                    outside.push(None);
                }
                let uncovered = outside.iter().any(|who| match report {
                    None => true,
                    Some(r) => {
                        !r.account_ids.is_empty()
                            && !who.as_ref().is_some_and(|a| r.account_ids.contains(a))
                    }
                });
                let verdict = if named || running || used_outside {
                    "in use"
                } else if uncovered || users.iter().any(|u| failed_references.contains(u)) {
                    "unknown"
                } else {
                    "idle"
                };
                verdicts.insert(format!("{region} {id}"), verdict.to_string());
                for m in image.block_device_mappings.iter().flatten() {
                    if let Some(snapshot) = m.ebs.as_ref().and_then(|e| e.snapshot_id.clone()) {
                        by_snapshot
                            .entry(snapshot)
                            .or_default()
                            .push(verdict == "idle");
                    }
                }
            }
            for (snapshot, idle) in by_snapshot {
                if idle.len() > 1 {
                    shared_snapshots += 1;
                }
                if idle.iter().all(|i| *i) {
                    reclaimable.insert(format!("{region} {snapshot}"));
                }
            }
        }
    }
    (verdicts, reclaimable, shared_snapshots)
}

fn stored_cleanup(store: &Store) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let mut stmt = store
        .connection()
        .prepare("SELECT region || ' ' || image_id, verdict FROM image_cleanup_as_of(now())")
        .unwrap();
    let verdicts = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let reclaimable = strings(
        store,
        "SELECT region || ' ' || snapshot_id FROM snapshot_cleanup_as_of(now()) WHERE reclaimable",
        &[],
    );
    (verdicts, reclaimable)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dataset_holds_the_truth_and_cleanup_judges_as_the_truth_does() {
    let env = Env::start(small_catalog()).await;
    let config = config(&env);
    let outcome = env.sync(&config).await;
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.failed().collect::<Vec<_>>()
    );
    let store = env.store();
    assert_datasets_match(&env, &store);

    let (verdicts, reclaimable, shared) = expected_cleanup(&env, &[]);
    let (stored_verdicts, stored_reclaimable) = stored_cleanup(&store);
    assert_eq!(stored_verdicts, verdicts);
    assert_eq!(stored_reclaimable, reclaimable);
    let count = |v: &str| verdicts.values().filter(|x| *x == v).count();
    assert!(
        count("in use") > 0 && count("idle") > 0 && count("unknown") > 0,
        "{verdicts:?}"
    );
    assert!(shared > 0, "the fake's images share some snapshots");
    // Deregistered but still running: the instance metadata says so, and posture counts it.
    let deregistered: usize = ACCOUNTS
        .iter()
        .flat_map(|a| REGIONS.iter().map(move |r| (a, r)))
        .map(|(a, r)| {
            env.fake
                .instance_image_metadata(a, r)
                .iter()
                .filter(|i| {
                    i.image.state.as_deref() == Some("deregistered")
                        && ["pending", "running", "stopping", "stopped"]
                            .contains(&i.state_name.as_str())
                })
                .count()
        })
        .sum();
    assert!(
        deregistered > 0,
        "the fake runs instances of deregistered images"
    );
    assert_exports(&env, &store);
    drop(store);

    // The catalog and the resources change; the next run keeps history and the truth.
    env.fake.mutate(0.1, 7);
    let outcome = env.sync(&config).await;
    assert_eq!(outcome.status, RunStatus::Completed);
    let store = env.store();
    assert_datasets_match(&env, &store);
    let (verdicts, reclaimable, _) = expected_cleanup(&env, &[]);
    let (stored_verdicts, stored_reclaimable) = stored_cleanup(&store);
    assert_eq!(stored_verdicts, verdicts);
    assert_eq!(stored_reclaimable, reclaimable);
    let ended: i64 = store
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM instances_history WHERE valid_to IS NOT NULL)
                  + (SELECT count(*) FROM snapshots_history WHERE valid_to IS NOT NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(ended > 0, "records the mutation ended are kept as history");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_dataset_call_fails_only_its_partitions_and_makes_images_unknown() {
    let env = Env::start(small_catalog()).await;
    let config = config(&env);
    assert_eq!(env.sync(&config).await.status, RunStatus::Completed);
    let before = stored_cleanup(&env.store());

    env.fake.set_faults(Faults {
        unauthorized: vec![(B.to_string(), "DescribeImageReferences".to_string())],
        ..Faults::default()
    });
    let outcome = env.sync(&config).await;
    assert_eq!(outcome.status, RunStatus::Partial);
    let failed: Vec<_> = outcome.failed().collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    for p in &failed {
        assert_eq!((p.account_id.as_str(), p.scope.as_str()), (B, "references"));
        let error = p.error.as_deref().unwrap();
        assert!(
            error.contains("UnauthorizedOperation")
                && error.contains("ec2:DescribeImageReferences"),
            "{error}"
        );
    }
    assert!(
        outcome
            .partitions
            .iter()
            .filter(|p| p.scope != "references" || p.account_id != B)
            .all(|p| p.status == PartitionStatus::Completed)
    );

    // A chain never changes: the second run asks GetImageAncestry nothing and lists the
    // stored chains again.
    let lineage: Vec<_> = outcome
        .partitions
        .iter()
        .filter(|p| p.scope == "lineage")
        .collect();
    assert_eq!(lineage.len(), 4);
    assert!(
        lineage
            .iter()
            .all(|p| p.pages == 0 && p.added == Some(0) && p.gone == Some(0)),
        "{lineage:?}"
    );
    assert!(lineage.iter().map(|p| p.images).sum::<u64>() > 0);

    let store = env.store();
    // B's references of the run before stay as they were: a failed partition ends nothing.
    let open: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM image_references WHERE account_id = ?",
            [B],
            |r| r.get(0),
        )
        .unwrap();
    assert!(open > 0);
    let (verdicts, reclaimable, _) = expected_cleanup(&env, &[B]);
    let (stored_verdicts, stored_reclaimable) = stored_cleanup(&store);
    assert_eq!(stored_verdicts, verdicts);
    assert_eq!(stored_reclaimable, reclaimable);
    let why = strings(
        &store,
        "SELECT DISTINCT why FROM image_cleanup_as_of(now()) WHERE verdict = 'unknown'",
        &[],
    );
    assert!(
        why.iter()
            .any(|w| w.contains(&format!("references of {B} last failed"))),
        "{why:?}"
    );
    // Fewer idle images than before: those B may use are no longer known to be idle.
    let idle = |v: &BTreeMap<String, String>| v.values().filter(|x| *x == "idle").count();
    assert!(idle(&stored_verdicts) < idle(&before.0));
}

/// Each dataset exports its current view, partitioned by region and account.
fn assert_exports(env: &Env, store: &Store) {
    use amiq::export::{Destination, ExportRequest, What, export};
    for (what, view) in [
        (What::References, "image_references"),
        (What::Instances, "instances"),
        (What::Snapshots, "snapshots"),
        (What::RecycleBin, "recycle_bin_images"),
        (What::Settings, "account_settings"),
        (What::Lineage, "image_lineage"),
        (What::LaunchPermissions, "image_launch_permissions"),
        (What::UsageReports, "image_usage_reports"),
    ] {
        let to = env.dir.path().join("export");
        let done = export(
            store,
            &ExportRequest {
                accounts: None,
                what,
                to: Destination::Dir(to.clone()),
                partition_by: vec!["region".into(), "account".into()],
                since: None,
                endpoint_url: None,
            },
        )
        .unwrap();
        let rows: i64 = store
            .connection()
            .query_row(&format!("SELECT count(*) FROM {view}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(done.rows as i64, rows, "{view}");
        let folder = to
            .join(what.name())
            .join("region=us-east-1")
            .join(format!("account={A}"));
        assert!(folder.is_dir(), "{}", folder.display());
    }
    let refused = export(
        store,
        &ExportRequest {
            accounts: None,
            what: What::Snapshots,
            to: Destination::Dir(env.dir.path().join("export")),
            partition_by: vec![],
            since: Some(1),
            endpoint_url: None,
        },
    );
    assert!(refused.is_err(), "--since applies to history and runs only");
}

/// An image deregistered between its listing and the references call fails the whole
/// call (InvalidAMIID.NotFound): the call is asked again id by id, and the gone id is
/// left out, alone or among others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_gone_since_its_listing_is_left_out_of_references() {
    use amiq::aws::{AccountSession, ClientSettings, DatasetRequest, FetchSettings, FetchStats};
    use amiq::records::Records;
    let env = Env::start(small_catalog()).await;
    let config = config(&env);
    let session = AccountSession::connect(
        &config.accounts[0],
        &ClientSettings {
            endpoint_url: config.endpoint_url.clone(),
            home_region: "us-east-1".into(),
            attempt_timeout: std::time::Duration::from_secs(10),
            base_credentials: config.base_credentials.clone(),
            bases: Default::default(),
        },
    )
    .await
    .unwrap();
    let client = session.ec2("us-east-1");
    let owned = ids(&env.truth(A, "us-east-1", "owned"));
    let named: Vec<String> = owned
        .iter()
        .filter(|id| {
            !env.fake
                .image_references(A, "us-east-1", std::slice::from_ref(id), Some(DEPTH))
                .unwrap()
                .is_empty()
        })
        .take(3)
        .cloned()
        .collect();
    assert!(!named.is_empty());
    let gone = "ami-0123456789abcdef0".to_string();
    for asked in [
        [named.clone(), vec![gone.clone()]].concat(),
        vec![gone.clone()],
    ] {
        let mut found = Vec::new();
        amiq::aws::fetch_dataset(
            &client,
            &DatasetRequest::References {
                image_ids: asked.clone(),
                version_depth: DEPTH,
            },
            &FetchSettings::default(),
            &mut FetchStats::default(),
            |records, _| {
                if let Records::References(r) = records {
                    found.extend(r.into_iter().map(|r| r.image_id));
                }
                Ok::<(), String>(())
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{asked:?}: {e}"));
        found.sort();
        found.dedup();
        let expected: Vec<String> = asked.iter().filter(|id| **id != gone).cloned().collect();
        let mut expected = expected;
        expected.sort();
        assert_eq!(found, expected, "{asked:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_usage_reports_decide_the_images_outside_accounts_left_unknown() {
    let env = Env::start(small_catalog()).await;
    let mut config = config(&env);
    assert_eq!(env.sync(&config).await.status, RunStatus::Completed);
    let uncovered = |store: &Store| -> usize {
        strings(
            store,
            "SELECT image_id FROM image_cleanup_as_of(now())
             WHERE verdict = 'unknown' AND why LIKE '%no usage report covers it%'",
            &[],
        )
        .len()
    };
    assert!(
        uncovered(&env.store()) > 0,
        "images shared outside without a report are unknown"
    );

    config.create_usage_reports = true;
    config.usage_report_wait = std::time::Duration::from_secs(60);
    let outcome = env.sync(&config).await;
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.failed().collect::<Vec<_>>()
    );
    let store = env.store();
    assert_datasets_match(&env, &store);
    // Every owned image with a launch permission now has an available report.
    let mut created = 0;
    for account in ACCOUNTS {
        for region in REGIONS {
            let reports = env.fake.usage_reports(account, region);
            for id in ids(&env.truth(account, region, "owned")) {
                if env
                    .fake
                    .launch_permissions(account, region, &id)
                    .unwrap()
                    .is_empty()
                {
                    continue;
                }
                created += 1;
                assert!(
                    reports
                        .iter()
                        .any(|r| r.image_id == id && r.state == "available"),
                    "{account} {region} {id}: {reports:?}"
                );
            }
        }
    }
    assert!(created > 0);
    let (verdicts, reclaimable, _) = expected_cleanup(&env, &[]);
    let (stored_verdicts, stored_reclaimable) = stored_cleanup(&store);
    assert_eq!(stored_verdicts, verdicts);
    assert_eq!(stored_reclaimable, reclaimable);
    assert_eq!(uncovered(&store), 0, "every outside user is covered now");
    let used_outside = strings(
        &store,
        "SELECT image_id FROM image_cleanup_as_of(now()) WHERE outside_instances > 0",
        &[],
    );
    assert!(!used_outside.is_empty(), "some images are used outside");
    drop(store);

    // Reports younger than a day are not made again.
    let count = |env: &Env| -> usize {
        ACCOUNTS
            .iter()
            .flat_map(|a| {
                REGIONS
                    .iter()
                    .map(move |r| env.fake.usage_reports(a, r).len())
            })
            .sum()
    };
    let before = count(&env);
    assert_eq!(env.sync(&config).await.status, RunStatus::Completed);
    assert_eq!(count(&env), before);
}
