//! Pages, tokens, time travel, and warnings about what the store never synced.

use super::*;

#[test]
fn pages_follow_tokens_from_one_instant() {
    let images: Vec<Image> = (0..23).map(|i| image(&format!("ami-{i:08x}"))).collect();
    let f = Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images: images.clone(),
    }]);
    // At one instant: the first page's NextToken names it, whichever side makes it.
    let mut request = DescribeRequest {
        max_results: Some(5),
        as_of: AsOf::Time(Utc::now()),
        ..mine()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let answer = f.ask(&request).unwrap();
        pages += 1;
        seen.extend(answer.images.iter().map(|i| i.image_id().to_string()));
        assert_eq!(
            streamed(&f, &request),
            crate::describe::output::json(&answer.clone().into_json(false)),
            "page {pages}, with its NextToken or the last"
        );
        if pages == 1 {
            // A sync that lands between pages does not change what later pages say.
            f.run(&[Listing {
                viewer: ME,
                scope: "owned",
                catalog: false,
                images: vec![image("ami-ffffffff")],
            }]);
        }
        match answer.next_token {
            Some(t) => request.next_token = Some(t),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    let expected: Vec<String> = images.iter().map(|i| i.image_id.clone().unwrap()).collect();
    assert_eq!(seen, expected);
    // A token is bound to its request.
    let other = DescribeRequest {
        filters: vec![Filter::new("name", &["x"])],
        ..request.clone()
    };
    let err = f.ask(&other).unwrap_err();
    assert!(
        matches!(err, DescribeError::Api(ref e) if e.code == "InvalidParameterValue"),
        "{err}"
    );
}

#[test]
fn time_travel_answers_from_each_run() {
    let f = Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images: vec![Image {
            name: Some("v1".into()),
            ..image("ami-00000001")
        }],
    }]);
    let second = f.run(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images: vec![
            Image {
                name: Some("v2".into()),
                ..image("ami-00000001")
            },
            image("ami-00000002"),
        ],
    }]);
    let names = |as_of: AsOf| -> Vec<String> {
        f.ask(&DescribeRequest { as_of, ..mine() })
            .unwrap()
            .images
            .iter()
            .map(|i| {
                let name = i
                    .image()
                    .get("Name")
                    .and_then(|n| n.as_str().map(String::from));
                format!("{}={}", i.image_id(), name.as_deref().unwrap_or("-"))
            })
            .collect()
    };
    assert_eq!(names(AsOf::Run(1)), ["ami-00000001=v1"]);
    assert_eq!(
        names(AsOf::Run(second)),
        ["ami-00000001=v2", "ami-00000002=-"]
    );
    assert_eq!(names(AsOf::Now), ["ami-00000001=v2", "ami-00000002=-"]);
    let err = f.ask(&DescribeRequest {
        as_of: AsOf::Run(99),
        ..mine()
    });
    assert!(matches!(err, Err(DescribeError::Input(_))));
}

#[test]
fn missing_listings_are_warned_about_and_unknown_ids_refused() {
    let f = owned_catalog();
    let warned = |request: DescribeRequest| f.ask(&request).unwrap().warnings;
    assert!(
        warned(DescribeRequest {
            owners: vec!["self".into()],
            ..mine()
        })
        .is_empty()
    );
    let missing = warned(DescribeRequest {
        owners: vec!["amazon".into()],
        ..mine()
    });
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("`amazon`") && missing[0].contains("never synced"),
        "{missing:?}"
    );
    // Without Owners, everything launchable is needed: shared and public were never synced.
    assert_eq!(warned(mine()).len(), 2);
    // A region never synced.
    let elsewhere = warned(DescribeRequest {
        region: Some("eu-west-1".into()),
        owners: vec!["self".into()],
        ..mine()
    });
    assert!(elsewhere[0].contains("eu-west-1"), "{elsewhere:?}");
    // Ids the fully synced caller could not see are refused, as EC2 refuses them.
    let err = f
        .ask(&DescribeRequest {
            image_ids: vec!["ami-00000001".into(), "ami-0000000f".into()],
            owners: vec!["self".into()],
            ..mine()
        })
        .unwrap_err();
    assert!(
        matches!(err, DescribeError::Api(ref e) if e.code == "InvalidAMIID.NotFound"),
        "{err}"
    );
    // A failed listing is named with its error.
    let run = f.store.begin_run(1).unwrap();
    let mut failed = PartitionRecord::started(run, ME, ME, REGION, "owned", false);
    failed.status = crate::store::PartitionStatus::Failed;
    failed.finished_at = Some(Utc::now());
    failed.error = Some("throttled".into());
    f.store.record_failed_partition(&failed).unwrap();
    let stale = warned(DescribeRequest {
        owners: vec!["self".into()],
        ..mine()
    });
    assert!(stale[0].contains("failed: throttled"), "{stale:?}");
    // Unknown account names are refused with the known ones listed.
    let err = f
        .ask(&DescribeRequest {
            account: Some("prod".into()),
            ..mine()
        })
        .unwrap_err();
    assert!(err.to_string().contains(ME), "{err}");
}
