//! DescribeImages semantics as a specification: visibility, scopes, deprecation,
//! pagination and tokens.

use std::collections::BTreeSet;

use super::*;
use crate::config::{FakeConfig, FakeRegion, Faults};

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";

fn world() -> World {
    World::new(&FakeConfig {
        seed: 11,
        accounts: vec![A.into(), B.into(), C.into()],
        regions: vec![
            FakeRegion {
                name: "us-east-1".into(),
                enabled: true,
                opted_in: Vec::new(),
            },
            FakeRegion {
                name: "eu-west-1".into(),
                enabled: true,
                opted_in: Vec::new(),
            },
            FakeRegion {
                name: "me-central-1".into(),
                enabled: false,
                opted_in: Vec::new(),
            },
        ],
        owned_per_account_region: 400,
        amazon_per_region: 600,
        marketplace_per_region: 200,
        faults: Faults::default(),
        unknown_member_rate: 0.0,
    })
}

/// Every page of a request, concatenated, checking the page rules on the way.
fn all_pages(
    world: &World,
    caller: &str,
    request: &DescribeRequest,
) -> Result<Vec<Image>, ApiError> {
    let caller = Caller::new(world, caller);
    let mut request = request.clone();
    let mut images = Vec::new();
    for _ in 0..10_000 {
        let page = page(world, &caller, "us-east-1", &request)?;
        if let Some(max) = request.max_results {
            assert!(page.images.len() <= max as usize);
        }
        images.extend(page.images);
        match page.next_token {
            Some(token) => request.next_token = Some(token),
            None => return Ok(images),
        }
    }
    panic!("pagination did not end");
}

fn ids(images: &[Image]) -> BTreeSet<String> {
    images.iter().map(|i| i.image_id.clone().unwrap()).collect()
}

fn request(owners: &[&str], executable: &[&str]) -> DescribeRequest {
    DescribeRequest {
        owners: owners.iter().map(|s| s.to_string()).collect(),
        executable_users: executable.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// `request(owners, [])` with one filter, deprecated images included.
fn filtered(owners: &[&str], name: &str, values: &[&str]) -> DescribeRequest {
    let values = values.iter().map(|v| v.to_string()).collect();
    DescribeRequest {
        include_deprecated: true,
        filters: vec![(name.to_string(), values)],
        ..request(owners, &[])
    }
}

fn count(world: &World, owner: u16, keep: impl Fn(&Entry) -> bool) -> usize {
    world.regions[0].catalogs[owner as usize]
        .entries
        .iter()
        .filter(|e| keep(e))
        .count()
}

#[test]
fn owners_self_is_everything_the_caller_owns_but_disabled_ones() {
    let world = world();
    let images = all_pages(&world, A, &request(&["self"], &[])).unwrap();
    assert!(images.iter().all(|i| i.owner_id.as_deref() == Some(A)));
    // Owners always see their own deprecated images.
    assert_eq!(
        images.len(),
        count(&world, 0, |e| e.traits.lifecycle != Lifecycle::Disabled)
    );
    let with_disabled = DescribeRequest {
        include_disabled: true,
        ..request(&["self"], &[])
    };
    assert_eq!(all_pages(&world, A, &with_disabled).unwrap().len(), 400);
    // Tags and last launch times are shown to the owner.
    assert!(
        images
            .iter()
            .any(|i| i.tags.as_ref().is_some_and(|t| !t.is_empty()))
    );
    assert!(images.iter().any(|i| i.last_launched_time.is_some()));
}

#[test]
fn deprecated_public_images_need_include_deprecated() {
    let world = world();
    let plain = all_pages(&world, A, &request(&["amazon"], &[])).unwrap();
    assert_eq!(plain.len(), count(&world, 3, |e| !e.traits.deprecated));
    let with = DescribeRequest {
        include_deprecated: true,
        ..request(&["amazon"], &[])
    };
    let all = all_pages(&world, A, &with).unwrap();
    assert_eq!(all.len(), 600);
    assert!(all.len() > plain.len());
    assert!(
        all.iter()
            .all(|i| i.image_owner_alias.as_deref() == Some("amazon"))
    );
    assert!(
        all.iter()
            .all(|i| i.tags.is_none() && i.last_launched_time.is_none())
    );
}

#[test]
fn sharing_looks_the_same_from_both_sides() {
    let world = world();
    let shared_with_a = DescribeRequest {
        include_deprecated: true,
        ..request(&[B], &["self"])
    };
    let received = all_pages(&world, A, &shared_with_a).unwrap();
    let granted = DescribeRequest {
        include_deprecated: true,
        ..request(&["self"], &[A])
    };
    let given = all_pages(&world, B, &granted).unwrap();
    assert_eq!(ids(&received), ids(&given));
    // About 10% of B's 400 images.
    assert!((15..80).contains(&received.len()), "{}", received.len());
    // Shared images arrive without the owner's tags.
    assert!(received.iter().all(|i| i.tags.is_none()));
    assert!(given.iter().any(|i| i.tags.is_some()));
}

#[test]
fn no_scope_is_own_plus_public_plus_shared() {
    let world = world();
    let everything = ids(&all_pages(&world, A, &request(&[], &[])).unwrap());
    let mut union = ids(&all_pages(&world, A, &request(&["self"], &[])).unwrap());
    union.extend(ids(&all_pages(&world, A, &request(&[], &["self"])).unwrap()));
    union.extend(ids(&all_pages(&world, A, &request(&[], &["all"])).unwrap()));
    assert_eq!(everything, union);
    // Both scopes given: the intersection.
    let both = ids(&all_pages(&world, A, &request(&["amazon"], &["all"])).unwrap());
    assert_eq!(
        both,
        ids(&all_pages(&world, A, &request(&["amazon"], &[])).unwrap())
    );
    assert!(ids(&all_pages(&world, A, &request(&["amazon"], &["self"])).unwrap()).is_empty());
    assert!(
        all_pages(&world, A, &request(&["aws-backup-vault"], &[]))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn other_accounts_never_see_private_disabled_or_pending_images() {
    let world = world();
    let request = DescribeRequest {
        include_disabled: true,
        include_deprecated: true,
        ..request(&[A], &[])
    };
    let seen_by_b = all_pages(&world, B, &request).unwrap();
    assert!(
        seen_by_b
            .iter()
            .all(|i| i.state.as_deref() == Some("available"))
    );
    assert!(
        seen_by_b
            .iter()
            .all(|i| i.public == Some(true) || i.tags.is_none())
    );
    assert!(seen_by_b.len() < 100);
    let seen_by_a = all_pages(&world, A, &request).unwrap();
    assert!(
        seen_by_a
            .iter()
            .any(|i| i.state.as_deref() == Some("disabled"))
    );
}

#[test]
fn pages_concatenate_to_the_whole_answer_at_every_size() {
    let world = world();
    let whole = all_pages(&world, A, &request(&[], &[])).unwrap();
    for max in [5, 7, 100, 999, 1000] {
        let paged = DescribeRequest {
            max_results: Some(max),
            ..request(&[], &[])
        };
        assert_eq!(
            all_pages(&world, A, &paged).unwrap(),
            whole,
            "MaxResults {max}"
        );
    }
}

#[test]
fn the_last_page_has_no_token_and_full_pages_have_one() {
    let world = world();
    let caller = Caller::new(&world, A);
    let mut request = DescribeRequest {
        max_results: Some(100),
        include_disabled: true,
        ..request(&["self"], &[])
    };
    let mut sizes = Vec::new();
    loop {
        let page = page(&world, &caller, "us-east-1", &request).unwrap();
        sizes.push(page.images.len());
        match page.next_token {
            Some(token) => request.next_token = Some(token),
            None => break,
        }
    }
    // 400 images exactly fill four pages; no empty fifth page is needed.
    assert_eq!(sizes, vec![100, 100, 100, 100]);
}

#[test]
fn selective_requests_may_get_short_pages_but_lose_nothing() {
    let world = world();
    let filtered = DescribeRequest {
        filters: vec![("name".into(), vec!["Windows_Server-2025-*".into()])],
        ..request(&[], &[])
    };
    let whole = all_pages(&world, A, &filtered).unwrap();
    assert!(!whole.is_empty());
    assert!(whole.iter().all(|i| {
        i.name
            .as_deref()
            .unwrap()
            .starts_with("Windows_Server-2025-")
    }));
    let paged = DescribeRequest {
        max_results: Some(5),
        ..filtered
    };
    assert_eq!(all_pages(&world, A, &paged).unwrap(), whole);
}

#[test]
fn tokens_belong_to_their_request() {
    let world = world();
    let a = Caller::new(&world, A);
    let b = Caller::new(&world, B);
    let first = DescribeRequest {
        max_results: Some(50),
        ..request(&["self"], &[])
    };
    let token = page(&world, &a, "us-east-1", &first)
        .unwrap()
        .next_token
        .unwrap();
    let again = DescribeRequest {
        next_token: Some(token.clone()),
        ..first.clone()
    };
    assert!(page(&world, &a, "us-east-1", &again).is_ok());
    let refused = |caller: &Caller, region: &str, request: &DescribeRequest| {
        page(&world, caller, region, request).unwrap_err().code
    };
    assert_eq!(refused(&b, "us-east-1", &again), "InvalidParameterValue");
    assert_eq!(refused(&a, "eu-west-1", &again), "InvalidParameterValue");
    let other_scope = DescribeRequest {
        owners: vec!["amazon".into()],
        ..again.clone()
    };
    assert_eq!(
        refused(&a, "us-east-1", &other_scope),
        "InvalidParameterValue"
    );
    let garbage = DescribeRequest {
        next_token: Some("not-a-token".into()),
        ..first
    };
    assert_eq!(refused(&a, "us-east-1", &garbage), "InvalidParameterValue");
}

#[test]
fn a_token_survives_a_mutation_in_between() {
    let mut world = world();
    let a = Caller::new(&world, A);
    let first = DescribeRequest {
        max_results: Some(100),
        include_disabled: true,
        ..request(&["self"], &[])
    };
    let page1 = page(&world, &a, "us-east-1", &first).unwrap();
    world.mutate(0.3, 5);
    let mut request = first.clone();
    request.next_token = page1.next_token;
    let rest = all_pages(&world, A, &request).unwrap();
    let whole = all_pages(&world, A, &first).unwrap();
    // The rest is exactly the current catalog after the first page's last index.
    assert_eq!(rest.as_slice(), &whole[whole.len() - rest.len()..]);
    assert!(rest.len() > 250);
}

#[test]
fn request_validation_speaks_ec2() {
    let world = world();
    let a = Caller::new(&world, A);
    let error = |request: DescribeRequest| page(&world, &a, "us-east-1", &request).unwrap_err();
    for bad in [0, 4, 1001, -1] {
        let e = error(DescribeRequest {
            max_results: Some(bad),
            ..Default::default()
        });
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(e.message.starts_with(&format!(
            "Value ( {bad} ) for parameter maxResults is invalid"
        )));
    }
    let e = error(DescribeRequest {
        max_results: Some(10),
        image_ids: vec!["ami-0123456789abcdef0".into()],
        ..Default::default()
    });
    assert_eq!(e.code, "InvalidParameterCombination");
    assert_eq!(
        error(request(&["nobody"], &[])).code,
        "InvalidUserID.Malformed"
    );
    assert_eq!(
        error(request(&[], &["everyone"])).code,
        "InvalidUserID.Malformed"
    );
    let e = error(DescribeRequest {
        filters: vec![("colour".into(), vec!["red".into()])],
        ..Default::default()
    });
    assert_eq!((e.status, e.code.as_str()), (400, "InvalidParameterValue"));
    assert!(e.message.contains("colour"));
    let auth = page(&world, &a, "me-central-1", &DescribeRequest::default()).unwrap_err();
    assert_eq!((auth.status, auth.code.as_str()), (401, "AuthFailure"));
    assert_eq!(
        page(&world, &a, "mars-1", &DescribeRequest::default())
            .unwrap_err()
            .code,
        "AuthFailure"
    );
}

#[test]
fn image_ids_find_deprecated_images_and_refuse_unknown_ones() {
    let world = world();
    let all = DescribeRequest {
        include_deprecated: true,
        ..request(&["amazon"], &[])
    };
    let deprecated: Vec<String> = all_pages(&world, A, &all)
        .unwrap()
        .into_iter()
        .filter(|i| i.deprecation_time.as_deref().is_some_and(|t| t < "2026"))
        .map(|i| i.image_id.unwrap())
        .take(3)
        .collect();
    assert_eq!(deprecated.len(), 3);
    let named = DescribeRequest {
        image_ids: deprecated.iter().rev().cloned().collect(),
        ..Default::default()
    };
    let found = all_pages(&world, A, &named).unwrap();
    assert_eq!(ids(&found), deprecated.iter().cloned().collect());
    // In catalog order, whatever order they were named in.
    assert_eq!(
        found
            .iter()
            .map(|i| i.image_id.clone().unwrap())
            .collect::<Vec<_>>(),
        deprecated
    );

    let missing = DescribeRequest {
        image_ids: vec![deprecated[0].clone(), "ami-0123456789abcdef0".into()],
        ..Default::default()
    };
    let e = all_pages(&world, A, &missing).unwrap_err();
    assert_eq!(e.code, "InvalidAMIID.NotFound");
    assert!(e.message.contains("ami-0123456789abcdef0"));
    let malformed = DescribeRequest {
        image_ids: vec!["ami-xyz".into()],
        ..Default::default()
    };
    assert_eq!(
        all_pages(&world, A, &malformed).unwrap_err().code,
        "InvalidAMIID.Malformed"
    );
    // An id from another region does not exist here.
    let caller = Caller::new(&world, A);
    let elsewhere = page(&world, &caller, "eu-west-1", &request(&["amazon"], &[])).unwrap();
    let other_region = DescribeRequest {
        image_ids: vec![elsewhere.images[0].image_id.clone().unwrap()],
        ..Default::default()
    };
    assert_eq!(
        all_pages(&world, A, &other_region).unwrap_err().code,
        "InvalidAMIID.NotFound"
    );
}

#[test]
fn private_images_of_others_are_not_found_by_id() {
    let world = world();
    let everything_of_b = DescribeRequest {
        include_deprecated: true,
        ..request(&["self"], &[])
    };
    let b_images = all_pages(&world, B, &everything_of_b).unwrap();
    let visible_to_a = ids(&all_pages(&world, A, &request(&[], &[])).unwrap());
    let private = b_images
        .iter()
        .map(|i| i.image_id.clone().unwrap())
        .find(|id| !visible_to_a.contains(id))
        .unwrap();
    let named = DescribeRequest {
        image_ids: vec![private],
        ..Default::default()
    };
    assert_eq!(
        all_pages(&world, A, &named).unwrap_err().code,
        "InvalidAMIID.NotFound"
    );
}

#[test]
fn image_allowed_depends_on_the_caller() {
    let world = world();
    let public = DescribeRequest {
        include_deprecated: true,
        ..request(&["amazon"], &[])
    };
    let for_a = all_pages(&world, A, &public).unwrap();
    let for_c = all_pages(&world, C, &public).unwrap();
    let allowed = |images: &[Image]| {
        images
            .iter()
            .map(|i| i.image_allowed.unwrap())
            .collect::<Vec<_>>()
    };
    assert_ne!(allowed(&for_a), allowed(&for_c));
    assert!(allowed(&for_a).iter().filter(|a| **a).count() > 500);
}

#[test]
fn kernels_and_ramdisks_are_found_by_id_and_their_prefix_matters() {
    let world = world();
    let all = DescribeRequest {
        include_deprecated: true,
        ..request(&["amazon"], &[])
    };
    let images = all_pages(&world, A, &all).unwrap();
    let first = |prefix: &str| {
        images
            .iter()
            .map(|i| i.image_id.clone().unwrap())
            .find(|id| id.starts_with(prefix))
            .unwrap()
    };
    let (kernel, ramdisk) = (first("aki-0"), first("ari-0"));
    let named = DescribeRequest {
        image_ids: vec![ramdisk.clone(), kernel.clone()],
        ..Default::default()
    };
    let found: BTreeSet<(String, String)> = all_pages(&world, A, &named)
        .unwrap()
        .into_iter()
        .map(|i| (i.image_id.unwrap(), i.image_type.unwrap()))
        .collect();
    let expected = BTreeSet::from([
        (kernel.clone(), "kernel".to_string()),
        (ramdisk.clone(), "ramdisk".to_string()),
    ]);
    assert_eq!(found, expected);

    let error = |id: String| {
        let named = DescribeRequest {
            image_ids: vec![id],
            ..Default::default()
        };
        all_pages(&world, A, &named).unwrap_err()
    };
    // The same key under another kind's prefix is no image at all.
    let missing = "InvalidAMIID.NotFound";
    assert_eq!(error(kernel.replacen("aki-", "ami-", 1)).code, missing);
    assert_eq!(error(ramdisk.replacen("ari-", "aki-", 1)).code, missing);
    assert_eq!(error("aki-0123456789abcdef0".into()).code, missing);
    assert_eq!(error("ari-1a2b3c4d".into()).code, missing);
    let malformed = error("aki-xyz".into());
    assert_eq!(malformed.code, "InvalidAMIID.Malformed");
    assert_eq!(
        malformed.message,
        "Invalid id: \"aki-xyz\" (expecting \"ami-...\")"
    );

    // Filters never check their values: an `aki-` pattern just matches kernels.
    let by_id = filtered(&["amazon"], "image-id", &["aki-*", "x"]);
    let kernels = all_pages(&world, A, &by_id).unwrap();
    assert!(ids(&kernels).contains(&kernel));
    assert!(
        kernels
            .iter()
            .all(|i| i.image_type.as_deref() == Some("kernel"))
    );
    let by_type = filtered(&["amazon"], "image-type", &["kernel"]);
    assert_eq!(ids(&all_pages(&world, A, &by_type).unwrap()), ids(&kernels));
}

#[test]
fn scan_results_reach_every_account_that_can_use_the_image() {
    let world = world();
    let everything = |caller: &str| {
        let request = DescribeRequest {
            include_deprecated: true,
            include_disabled: true,
            ..request(&[A], &[])
        };
        all_pages(&world, caller, &request).unwrap()
    };
    let (as_owner, as_b) = (everything(A), everything(B));
    let scanned = as_owner.iter().filter(|i| i.scan_results.is_some()).count();
    // About a third of A's 400 images.
    assert!((80..200).contains(&scanned), "{scanned}");
    assert!(!as_b.is_empty());
    for image in &as_b {
        let owners_view = as_owner
            .iter()
            .find(|i| i.image_id == image.image_id)
            .unwrap();
        assert_eq!(image.scan_results, owners_view.scan_results);
    }

    let label = "scan-result.highest-finding-severity-label";
    let critical = filtered(&[A], label, &["critical"]);
    let mine = all_pages(&world, A, &critical).unwrap();
    assert!(!mine.is_empty());
    for image in &mine {
        let scan = image.scan_results.as_ref().unwrap();
        assert_eq!(
            scan.highest_finding_severity_label.as_deref(),
            Some("critical")
        );
    }
    let theirs = all_pages(&world, B, &critical).unwrap();
    assert!(
        theirs
            .iter()
            .all(|i| mine.iter().any(|m| m.image_id == i.image_id))
    );
}

#[test]
fn the_newer_members_can_be_filtered_on() {
    let world = world();
    let answer = |request: &DescribeRequest| all_pages(&world, A, request).unwrap();

    // Amazon Linux's parameters resolve to one image each.
    let al = "/aws/service/ami-amazon-linux-latest/*";
    let latest = answer(&filtered(&["amazon"], "public-ssm-parameter-name", &[al]));
    assert!((4..=12).contains(&latest.len()), "{}", latest.len());
    let names: BTreeSet<_> = latest
        .iter()
        .map(|i| i.public_ssm_parameter_name.clone())
        .collect();
    assert_eq!(names.len(), latest.len());

    let uefi = answer(&filtered(&[], "boot-mode", &["uefi"]));
    assert!(!uefi.is_empty());
    assert!(uefi.iter().all(|i| i.boot_mode.as_deref() == Some("uefi")));

    let own = answer(&request(&["self"], &[]));
    let marked = own
        .iter()
        .find(|i| i.image_watermarks.as_ref().is_some_and(|w| !w.is_empty()))
        .unwrap();
    let mark = &marked.image_watermarks.as_deref().unwrap()[0];
    let source = mark.source_image_id.as_deref().unwrap();
    let by_source = answer(&filtered(
        &["self"],
        "image-watermark.source-image-id",
        &[source],
    ));
    assert!(ids(&by_source).contains(marked.image_id.as_deref().unwrap()));
    assert!(
        by_source
            .iter()
            .all(|i| i.source_image_id.as_deref() == Some(source))
    );

    let supported = "instance-type-specification.supported-instance-type";
    let fits = answer(&filtered(&[], supported, &["t3.\\*"]));
    assert!(!fits.is_empty());
    let star = Some("t3.*");
    for image in &fits {
        let spec = image.instance_type_specification.as_ref().unwrap();
        let types = spec.supported_instance_types.as_deref().unwrap();
        assert!(types.iter().any(|t| t.instance_type.as_deref() == star));
    }
}
