//! The sync worker and history store against the project's fake EC2 endpoint.

use std::collections::BTreeSet;

use crate::support::*;
use amiq::store::{PartitionStatus, RunStatus};
use amiq_fake_ec2::{FailingRegion, Faults};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stores_exactly_what_every_partition_returned() {
    let env = Env::start(small_catalog()).await;
    let config = env.config(&["owned", "shared", "amazon"]);
    let outcome = env.sync(&config).await;
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );
    // 2 accounts x 2 regions x (owned, shared) + amazon once per region.
    assert_eq!(outcome.partitions.len(), 2 * 2 * 2 + 2);
    let amazon: Vec<_> = outcome
        .partitions
        .iter()
        .filter(|p| p.scope == "amazon")
        .collect();
    assert!(amazon.iter().all(|p| p.catalog && p.account_id == A));

    let store = env.store();
    for region in REGIONS {
        for (viewer, scope) in [
            (A, "owned"),
            (A, "shared"),
            (B, "owned"),
            (B, "shared"),
            (A, "amazon"),
        ] {
            let truth = keyed(&env.truth(viewer, region, scope));
            assert!(!truth.is_empty(), "{viewer}/{region}/{scope} has images");
            let got = stored(&store, viewer, region, scope, "now()");
            assert_eq!(got, truth, "{viewer}/{region}/{scope}");
        }
    }
    // Pages were really paginated (max_results 50).
    let owned = outcome
        .partitions
        .iter()
        .find(|p| p.scope == "owned")
        .unwrap();
    assert!(owned.pages > 1, "{owned:?}");
    assert_eq!(
        owned.images as usize,
        env.truth(&owned.account_id, &owned.region, "owned").len()
    );

    // The images view has one row per region and image id, every image present.
    let distinct = count(
        &store,
        "SELECT count(DISTINCT (region, image_id)) FROM image_sightings",
    );
    assert_eq!(count(&store, "SELECT count(*) FROM images"), distinct);
    // Nested members and original timestamp text survive the trip.
    let (bdm, text): (i64, String) = store
        .connection()
        .query_row(
            "SELECT len(block_device_mappings), creation_date FROM images
             WHERE block_device_mappings IS NOT NULL AND creation_date IS NOT NULL LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(bdm >= 1);
    assert!(text.ends_with('Z') && text.contains('T'), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_keeps_every_version_and_time_travels() {
    let env = Env::start(small_catalog()).await;
    let config = env.config(&["owned", "shared"]);
    let first = env.sync(&config).await;
    assert_eq!(first.status, RunStatus::Completed);
    let before: Vec<_> = REGIONS
        .iter()
        .map(|r| keyed(&env.truth(A, r, "owned")))
        .collect();
    let versions_after_one = count(&env.store(), "SELECT count(*) FROM image_versions");

    // No change: no new version, no new sighting.
    let second = env.sync(&config).await;
    assert_eq!(second.status, RunStatus::Completed);
    assert_eq!(
        count(&env.store(), "SELECT count(*) FROM image_versions"),
        versions_after_one
    );
    assert!(
        second
            .partitions
            .iter()
            .all(|p| p.added == Some(0) && p.changed == Some(0) && p.gone == Some(0))
    );

    let summary = env.fake.mutate(0.1, 7);
    assert!(summary.added > 0 && summary.deregistered > 0 && summary.modified > 0);
    let third = env.sync(&config).await;
    assert_eq!(third.status, RunStatus::Completed);
    let gone: i64 = third.partitions.iter().map(|p| p.gone.unwrap()).sum();
    let added: i64 = third.partitions.iter().map(|p| p.added.unwrap()).sum();
    assert!(gone > 0 && added > 0, "{:?}", third.partitions);

    let store = env.store();
    for (i, region) in REGIONS.iter().enumerate() {
        // Now: the mutated catalog.
        assert_eq!(
            stored(&store, A, region, "owned", "now()"),
            keyed(&env.truth(A, region, "owned"))
        );
        // As run 1 left it: the catalog before the change.
        let at = format!("run_time({})", first.run_id);
        assert_eq!(
            stored(&store, A, region, "owned", &at),
            before[i],
            "{region} as of run 1"
        );
    }
    // Gone images end their version at the run that saw them go.
    let ended = count(
        &store,
        &format!(
            "SELECT count(*) FROM image_history WHERE valid_to_run = {}",
            third.run_id
        ),
    );
    assert!(ended > 0);
    // Changed images have two versions, one closed and one open.
    let multi = count(
        &store,
        "SELECT count(*) FROM (SELECT region, image_id FROM image_versions GROUP BY ALL
                               HAVING count(*) > 1 AND count(*) FILTER (WHERE valid_to IS NULL) = 1)",
    );
    assert!(multi > 0);
    // The time-travel macro answers for the first run with the first run's count.
    let then = count(
        &store,
        &format!(
            "SELECT count(*) FROM images_as_of(run_time({}))",
            first.run_id
        ),
    );
    assert_eq!(
        then,
        count(
            &store,
            "SELECT count(DISTINCT (region, image_id)) FROM image_sightings WHERE valid_from_run = 1"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_partition_changes_nothing_and_marks_nothing_gone() {
    let env = Env::start(small_catalog()).await;
    let config = env.config(&["owned"]);
    env.sync(&config).await;
    let open_before = count(
        &env.store(),
        "SELECT count(*) FROM image_sightings WHERE region = 'eu-west-1' AND valid_to IS NULL",
    );

    env.fake.mutate(0.2, 3);
    env.fake.set_faults(Faults {
        failing_regions: vec![FailingRegion {
            region: "eu-west-1".into(),
            account: None,
        }],
        ..Faults::default()
    });
    let mut quick = config.clone();
    quick.max_attempts = 2;
    let outcome = env.sync(&quick).await;
    assert_eq!(outcome.status, RunStatus::Partial);
    for p in &outcome.partitions {
        let expected = if p.region == "eu-west-1" {
            PartitionStatus::Failed
        } else {
            PartitionStatus::Completed
        };
        assert_eq!(p.status, expected, "{p:?}");
        if p.status == PartitionStatus::Failed {
            let error = p.error.as_deref().unwrap();
            assert!(
                error.contains("DescribeImages") && !error.contains('\n'),
                "{error}"
            );
        }
    }
    let store = env.store();
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM image_sightings WHERE region = 'eu-west-1' AND valid_to IS NULL"
        ),
        open_before,
        "a failed partition ends no sighting"
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM image_sightings WHERE region = 'eu-west-1' AND valid_from_run = 2"
        ),
        0
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM sync_partitions WHERE run_id = 2 AND status = 'failed'"
        ),
        2
    );
    // The completed region took the change.
    assert_eq!(
        stored(&store, A, "us-east-1", "owned", "now()"),
        keyed(&env.truth(A, "us-east-1", "owned"))
    );

    // The next run, without the fault, completes the failed partitions.
    env.fake.set_faults(Faults::default());
    let outcome = env.sync(&config).await;
    assert_eq!(outcome.status, RunStatus::Completed);
    assert_eq!(
        stored(&env.store(), B, "eu-west-1", "owned", "now()"),
        keyed(&env.truth(B, "eu-west-1", "owned"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried_and_counted() {
    let mut catalog = small_catalog();
    catalog.faults = Faults {
        seed: 9,
        throttle_rate: 0.25,
        server_error_rate: 0.1,
        reset_rate: 0.05,
        ..Faults::default()
    };
    let env = Env::start(catalog).await;
    let mut config = env.config(&["owned"]);
    config.max_attempts = 30;
    let outcome = env.sync(&config).await;
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );
    let retries: u32 = outcome.partitions.iter().map(|p| p.retries).sum();
    let throttles: u32 = outcome.partitions.iter().map(|p| p.throttles).sum();
    // Every injected fault cost exactly one retry, and throttles are told apart.
    let injected = env.fake.stats();
    assert!(injected.throttled > 0, "{injected:?}");
    assert_eq!(throttles as u64, injected.throttled, "{injected:?}");
    assert_eq!(
        retries as u64,
        injected.throttled + injected.server_errors + injected.resets,
        "{injected:?}"
    );
    let store = env.store();
    for region in REGIONS {
        assert_eq!(
            stored(&store, B, region, "owned", "now()"),
            keyed(&env.truth(B, region, "owned"))
        );
    }
    let recorded = count(&store, "SELECT sum(throttles) FROM sync_partitions");
    assert_eq!(recorded, throttles as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_region_fails_and_one_not_enabled_is_skipped_with_its_reason() {
    let env = Env::start(small_catalog()).await;
    let mut config = env.config(&["owned"]);
    config.regions = amiq::config::Regions::Listed(vec![
        "us-east-1".into(),
        "me-central-1".into(),
        "xx-nowhere-1".into(),
    ]);
    let outcome = env.sync(&config).await;
    assert_eq!(outcome.status, RunStatus::Partial);
    for p in &outcome.partitions {
        let error = p.error.clone().unwrap_or_default();
        match p.region.as_str() {
            "us-east-1" => assert_eq!(p.status, PartitionStatus::Completed),
            "me-central-1" => {
                assert_eq!(p.status, PartitionStatus::Skipped);
                assert!(error.contains("not enabled"), "{error}");
            }
            _ => {
                assert_eq!(p.status, PartitionStatus::Failed);
                assert!(error.contains("does not exist"), "{error}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_is_one_clear_line_per_partition() {
    let env = Env::start(small_catalog()).await;
    let mut config = env.config(&["owned", "shared"]);
    config.endpoint_url = Some("http://127.0.0.1:9".into());
    config.page_timeout = std::time::Duration::from_secs(2);
    let outcome = env.sync(&config).await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert_eq!(outcome.partitions.len(), 2 * 2 * 2);
    for p in &outcome.partitions {
        let error = p.error.as_deref().unwrap();
        assert!(!error.contains('\n'), "{error}");
        assert!(
            error.contains("arn:aws:iam::"),
            "names the account: {error}"
        );
        assert!(
            error.contains("GetCallerIdentity") || error.contains("AssumeRole"),
            "{error}"
        );
        assert!(!error.contains("test-secret"), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_next_token_fails_the_partition_without_retrying_or_marking_gone() {
    let env = Env::start(small_catalog()).await;
    let config = env.config(&["owned"]);
    env.sync(&config).await;
    let open_before = count(
        &env.store(),
        "SELECT count(*) FROM image_sightings WHERE valid_to IS NULL",
    );
    // Every page's NextToken is one the endpoint then refuses, as an expired one is.
    env.fake.set_faults(Faults {
        bad_token_rate: 1.0,
        ..Faults::default()
    });
    let outcome = env.sync(&config).await;
    assert_eq!(outcome.status, RunStatus::Failed);
    for p in &outcome.partitions {
        assert_eq!(p.status, PartitionStatus::Failed, "{p:?}");
        let error = p.error.as_deref().unwrap();
        assert!(error.contains("InvalidParameterValue"), "{error}");
        // A refusal is not retried: one page, one refused request.
        assert_eq!(p.retries, 0, "{p:?}");
    }
    assert_eq!(
        count(
            &env.store(),
            "SELECT count(*) FROM image_sightings WHERE valid_to IS NULL"
        ),
        open_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_pages_fail_their_partition_with_the_reason_and_never_store_a_bad_row() {
    let env = Env::start(small_catalog()).await;
    let config = env.config(&["owned", "shared", "amazon"]);
    env.sync(&config).await;
    // Every page arrives whole but damaged, in turn: cut short, a broken tag, or padded
    // with a 4 MB element EC2 does not have (which must be read past).
    env.fake.set_faults(Faults {
        garbled_rate: 1.0,
        ..Faults::default()
    });
    let mut once = config.clone();
    once.max_attempts = 1;
    let outcome = env.sync(&once).await;
    let store = env.store();
    let mut failed = 0;
    for p in &outcome.partitions {
        if p.status == PartitionStatus::Failed {
            failed += 1;
            let error = p.error.as_deref().unwrap();
            // Cut short, or a broken tag at a named byte.
            assert!(
                error.contains("the response ends before its last element closes")
                    || error.contains("malformed DescribeImages response at byte"),
                "{error}"
            );
        }
        // Completed or not, the partition holds exactly the endpoint's images.
        assert_eq!(
            stored(
                &store,
                &p.account_id,
                &p.region,
                &p.scope,
                "'infinity'::TIMESTAMPTZ"
            ),
            keyed(&env.truth(&p.account_id, &p.region, &p.scope)),
            "{p:?}"
        );
    }
    assert!(failed > 0);
    assert!(env.fake.stats().garbled >= outcome.partitions.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_member_and_every_unknown_element_survives_the_trip() {
    let env = Env::start(amiq_fake_ec2::FakeConfig {
        unknown_member_rate: 0.25,
        ..small_catalog()
    })
    .await;
    let config = env.config(&["owned", "shared", "amazon"]);
    let outcome = env.sync(&config).await;
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );
    let store = env.store();
    let region = "us-east-1";
    // The hashes cover every member, unknown elements included: equal hashes are equal
    // content.
    for (viewer, scope) in [(A, "owned"), (B, "shared"), (A, "amazon")] {
        let truth = keyed(&env.truth(viewer, region, scope));
        assert_eq!(
            stored(&store, viewer, region, scope, "now()"),
            truth,
            "{viewer}/{scope}"
        );
    }
    // Each newer member is carried by some images, as many in the store as the
    // endpoint returned.
    let owned = env.truth(A, region, "owned");
    let amazon = env.truth(A, region, "amazon");
    let all: Vec<&amiq_image::Image> = owned.iter().chain(&amazon).collect();
    let carried = |f: fn(&amiq_image::Image) -> bool| all.iter().filter(|i| f(i)).count() as i64;
    let open = |column: &str| {
        count(
            &store,
            &format!(
                "SELECT count(*) FROM (SELECT DISTINCT region, image_id FROM image_versions
                 WHERE valid_to IS NULL AND region = '{region}' AND {column} IS NOT NULL
                   AND image_id IN (SELECT image_id FROM image_sightings
                                    WHERE viewer_account_id = '{A}' AND scope IN ('owned', 'amazon')))"
            ),
        )
    };
    type Has = fn(&amiq_image::Image) -> bool;
    let newer: [(&str, Has); 5] = [
        ("public_ssm_parameter_name", |i| {
            i.public_ssm_parameter_name.is_some()
        }),
        ("image_watermarks", |i| i.image_watermarks.is_some()),
        ("instance_type_specification", |i| {
            i.instance_type_specification.is_some()
        }),
        ("scan_results", |i| i.scan_results.is_some()),
        ("unknown_members", |i| i.unknown_members.is_some()),
    ];
    for (column, has) in newer {
        let n = carried(has);
        assert!(n > 0, "the endpoint returned no {column}");
        assert_eq!(open(column), n, "{column}");
    }
    // describe-images gives them back under the API's names, unknown ones where they
    // stood.
    let odd = owned
        .iter()
        .find(|i| i.unknown_members.is_some() && i.scan_results.is_some())
        .expect("an image with both");
    let answer = amiq::describe::describe_images(
        &store,
        &amiq::describe::DescribeRequest {
            account: Some(A.into()),
            region: Some(region.into()),
            image_ids: vec![odd.image_id.clone().unwrap()],
            ..amiq::describe::DescribeRequest::default()
        },
    )
    .unwrap();
    let json = answer.into_json(false);
    let image = &json["Images"][0];
    assert!(
        image["ScanResults"]["HighestFindingSeverityLabel"].is_string(),
        "{image}"
    );
    for member in odd.unknown_members.as_ref().unwrap() {
        let name = member.xml[1..]
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap();
        let key = format!("{}{}", name[..1].to_uppercase(), &name[1..]);
        let place = if member.path.is_empty() {
            image
        } else if member.path.ends_with("/ebs") {
            &image["BlockDeviceMappings"][0]["Ebs"]
        } else {
            &image["BlockDeviceMappings"][0]
        };
        assert!(
            place.get(&key).is_some(),
            "{key} at {:?}: {image}",
            member.path
        );
    }

    // A second sync of the same endpoint changes nothing.
    let again = env.sync(&config).await;
    assert_eq!(again.status, RunStatus::Completed);
    for p in &again.partitions {
        assert_eq!(
            (p.added, p.changed, p.gone),
            (Some(0), Some(0), Some(0)),
            "{p:?}"
        );
    }
}

/// An opt-in region is each account's own: with `regions = ["all"]`, the account that
/// opted in to it lists its images there (and takes the region's public catalog), and
/// the account that did not is recorded as skipped there, not failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opt_in_region_is_listed_for_the_account_that_opted_in_and_skipped_for_the_other() {
    let mut catalog = small_catalog();
    let opt_in = catalog.regions.iter_mut().find(|r| !r.enabled).unwrap();
    opt_in.opted_in = vec![B.to_string()];
    let region = opt_in.name.clone();
    let (owned, amazon) = (catalog.owned_per_account_region, catalog.amazon_per_region);
    let env = Env::start(catalog).await;
    let mut config = env.config(&["owned", "amazon"]);
    config.regions = amiq::config::Regions::All;
    let outcome = env.sync(&config).await;
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );
    assert_eq!(outcome.failed().count(), 0, "{:?}", outcome.partitions);
    let there: Vec<_> = outcome
        .partitions
        .iter()
        .filter(|p| p.region == region)
        .collect();
    let find = |account: &str, scope: &str| {
        let found: Vec<_> = there
            .iter()
            .filter(|p| p.account_id == account && p.scope == scope)
            .collect();
        assert_eq!(found.len(), 1, "{account} {scope}: {there:?}");
        found[0]
    };
    let skipped = find(A, "owned");
    assert_eq!(skipped.status, PartitionStatus::Skipped, "{skipped:?}");
    assert!(
        skipped.error.as_deref().unwrap().contains("not enabled"),
        "{skipped:?}"
    );
    let listed = find(B, "owned");
    assert_eq!(
        (listed.status, listed.images),
        (PartitionStatus::Completed, owned as u64)
    );
    let catalog = find(B, "amazon");
    assert_eq!(
        (catalog.status, catalog.images),
        (PartitionStatus::Completed, amazon as u64)
    );
    assert!(catalog.catalog);
    assert_eq!(there.len(), 3, "{there:?}");

    let truth = keyed(&env.truth(B, &region, "owned"));
    assert_eq!(truth.len(), owned);
    assert_eq!(stored(&env.store(), B, &region, "owned", "now()"), truth);
}

/// `regions = ["all"]` lists each account's enabled regions; a region not enabled is
/// recorded as skipped, not failed, whether listed by name or by `all`, and a
/// question about it warns of nothing missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_not_enabled_is_recorded_skipped_not_failed() {
    let catalog = small_catalog();
    let disabled = catalog
        .regions
        .iter()
        .find(|r| !r.enabled)
        .expect("the small catalog has an opt-in region")
        .name
        .clone();
    let enabled: BTreeSet<String> = catalog
        .regions
        .iter()
        .filter(|r| r.enabled)
        .map(|r| r.name.clone())
        .collect();
    let env = Env::start(catalog).await;
    let mut config = env.config(&["owned", "amazon"]);
    config.regions = amiq::config::Regions::All;
    // References wait for the owned listing's ids: skipped too, not failed.
    config.datasets = vec![amiq::plan::Dataset::Images, amiq::plan::Dataset::References];
    let outcome = env.sync(&config).await;
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );
    let skipped: Vec<_> = outcome
        .partitions
        .iter()
        .filter(|p| p.status == PartitionStatus::Skipped)
        .collect();
    // Each account's own listing and references of the region; no account takes its
    // catalog.
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    for p in &skipped {
        assert_eq!(p.region, disabled);
        assert!(["owned", "references"].contains(&p.scope.as_str()), "{p:?}");
        assert!(p.error.as_deref().unwrap().contains("not enabled"), "{p:?}");
    }
    let fetched: BTreeSet<String> = outcome
        .partitions
        .iter()
        .filter(|p| p.status == PartitionStatus::Completed)
        .map(|p| p.region.clone())
        .collect();
    assert_eq!(fetched, enabled);
    let store = env.store();
    let (status, failed, completed, planned) = store
        .connection()
        .query_row(
            "SELECT status, partitions_failed, partitions_completed, partitions_planned FROM sync_runs",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), failed), ("completed", 0));
    assert_eq!(completed + 4, planned);
    drop(store);

    // Named in `regions`, it is skipped too; a question about it warns of nothing.
    config.regions = amiq::config::Regions::Listed(vec![disabled.clone()]);
    let outcome = env.sync(&config).await;
    assert_eq!(
        outcome.status,
        RunStatus::Completed,
        "{:?}",
        outcome.partitions
    );
    assert!(
        outcome
            .partitions
            .iter()
            .all(|p| p.status == PartitionStatus::Skipped)
    );
    let db = config.db.to_string_lossy().into_owned();
    let out = amiq(
        &[
            "describe-images",
            "--db",
            &db,
            "--account",
            A,
            "--region",
            &disabled,
            "--owners",
            "self",
            "--strict",
        ],
        env.dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}
