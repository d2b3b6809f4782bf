//! Whose view answers: owners, executable users, several accounts, and where the versions meet the views.

use super::*;

#[test]
fn owners_and_executable_users_follow_what_each_account_was_shown() {
    let f = two_accounts();
    let ask = |account: &str, owners: &[&str], users: &[&str]| {
        f.ids(&DescribeRequest {
            account: Some(account.into()),
            owners: owners.iter().map(|s| s.to_string()).collect(),
            executable_users: users.iter().map(|s| s.to_string()).collect(),
            ..mine()
        })
    };
    assert_eq!(ask(ME, &["self"], &[]), ["ami-00000001"]);
    assert_eq!(ask(ME, &[OTHER], &[]), ["ami-00000002"]);
    assert_eq!(ask(ME, &["amazon"], &[]), ["ami-00000009"]);
    assert_eq!(
        ask(ME, &["self", "amazon"], &[]),
        ["ami-00000001", "ami-00000009"]
    );
    assert_eq!(ask(ME, &[], &["self"]), ["ami-00000002"]);
    assert_eq!(ask(ME, &[], &["all"]), ["ami-00000009"]);
    assert_eq!(
        ask(ME, &[], &[]),
        ["ami-00000001", "ami-00000002", "ami-00000009"]
    );
    // The catalog fetched once answers for the other account too.
    assert_eq!(ask(OTHER, &["amazon"], &[]), ["ami-00000009"]);
    assert_eq!(ask(OTHER, &["self"], &[]), ["ami-00000002", "ami-00000003"]);
    assert_eq!(ask(OTHER, &["self"], &[ME]), ["ami-00000002"]);
    assert_eq!(ask(OTHER, &[], &["self"]), Vec::<String>::new());

    // Named by id (the answer reads only the sightings of the caller and of the
    // catalogs' fetchers): the catalog another account fetched answers, another
    // account's own listing does not.
    let by_id = |account: &str, ids: &[&str]| DescribeRequest {
        account: Some(account.into()),
        image_ids: ids.iter().map(|s| s.to_string()).collect(),
        ..mine()
    };
    assert_eq!(f.ids(&by_id(OTHER, &["ami-00000009"])), ["ami-00000009"]);
    assert_eq!(
        f.ids(&by_id(OTHER, &["ami-00000002", "ami-00000009"])),
        ["ami-00000002", "ami-00000009"]
    );
    assert_eq!(f.ids(&by_id(ME, &["ami-00000002"])), ["ami-00000002"]);
    // (Not an error: ME's public listing was never synced, so the answer says it may
    // be incomplete instead.)
    assert_eq!(
        f.ids(&by_id(ME, &["ami-00000003"])),
        Vec::<String>::new(),
        "ami-00000003 is in OTHER's own listing alone"
    );
}

/// A store where the two groupings could part: images seen under several scopes and
/// by two accounts, a catalog fetched by one of them, deprecated, disabled and tagged
/// images, owners, names and architectures to filter on.

#[test]
fn versions_before_or_after_grouping_give_one_answer() {
    let f = every_kind_of_view();
    let now = Utc::now();
    let filter = |name: &str, values: &[&str]| Filter {
        name: name.into(),
        values: values.iter().map(|s| s.to_string()).collect(),
    };
    let filter_sets = [
        vec![filter("name", &["web-*"])],
        vec![filter("architecture", &["arm64"])],
        vec![filter("name", &["*"]), filter("tag:team", &["web"])],
        vec![filter("name", &["al2023-ami-*", "db-*"])],
        vec![
            filter("architecture", &["x86_64"]),
            filter("tag-key", &["team"]),
        ],
        vec![filter("is-public", &["true"])],
    ];
    let owner_sets: [&[&str]; 5] = [&[], &["self"], &["amazon"], &[OTHER], &["self", "amazon"]];
    let ids = [
        "ami-00000001",
        "ami-00000002",
        "ami-00000005",
        "ami-0000000a",
    ];
    let mut compared = 0;
    let mut answered = 0;
    for account in [ME, OTHER] {
        for filters in &filter_sets {
            for owners in owner_sets {
                for (include_deprecated, include_disabled) in [(false, false), (true, true)] {
                    // A page at a time, or named ids (which take no MaxResults).
                    for (max_results, image_ids) in [(None, &[][..]), (Some(5), &[]), (None, &ids)]
                    {
                        let request = DescribeRequest {
                            account: Some(account.into()),
                            owners: owners.iter().map(|s| s.to_string()).collect(),
                            filters: filters.clone(),
                            include_deprecated,
                            include_disabled,
                            max_results,
                            image_ids: image_ids.iter().map(|s| s.to_string()).collect(),
                            ..mine()
                        };
                        let chosen = query::Grouping::for_request(&request, Some(account), false);
                        assert_eq!(chosen, query::Grouping::VersionsBefore, "{request:?}");
                        let pages = |grouping| {
                            let mut pages = Vec::new();
                            let mut after = None;
                            loop {
                                let (found, more_after) = query::run_grouped(
                                    &f.store,
                                    &request,
                                    Some(account),
                                    now,
                                    after.as_ref(),
                                    grouping,
                                )
                                .unwrap_or_else(|e| panic!("{grouping:?} {request:?}: {e}"));
                                let ids: Vec<String> =
                                    found.iter().map(|i| i.image_id().to_string()).collect();
                                if let Some(max) = max_results {
                                    assert!(ids.len() <= max as usize, "{request:?}");
                                }
                                pages.push(ids);
                                if more_after.is_none() {
                                    return pages;
                                }
                                let last = found.last().expect("a full page");
                                assert_eq!(
                                    more_after,
                                    Some(super::token::RowKey {
                                        caller: last.viewer_account_id.clone(),
                                        region: last.region.clone(),
                                        image_id: last.image_id().to_string(),
                                    })
                                );
                                after = more_after;
                            }
                        };
                        let before = pages(query::Grouping::VersionsBefore);
                        let after = pages(query::Grouping::VersionsAfter);
                        assert_eq!(before, after, "{request:?}");
                        compared += 1;
                        answered += usize::from(before.iter().any(|p| !p.is_empty()));
                    }
                }
            }
        }
    }
    // Most questions have an answer to compare, not an empty one.
    assert!(answered * 2 > compared, "{answered} of {compared} answered");
    // Spot checks: the owner and deprecation tests hold when they filter the versions.
    let ask = |owners: &[&str], include_deprecated: bool| {
        f.ids(&DescribeRequest {
            owners: owners.iter().map(|s| s.to_string()).collect(),
            filters: vec![filter("name", &["*"])],
            include_deprecated,
            include_disabled: false,
            ..mine()
        })
    };
    assert_eq!(
        ask(&["self"], false),
        ["ami-00000001", "ami-00000002", "ami-00000004"]
    );
    assert_eq!(ask(&["amazon"], false), ["ami-00000009", "ami-0000000b"]);
    assert_eq!(
        ask(&["amazon"], true),
        ["ami-00000009", "ami-0000000a", "ami-0000000b"]
    );
    assert_eq!(ask(&[OTHER], false), ["ami-00000005"]);
}

#[test]
fn an_answer_across_accounts_names_each_viewer_and_region() {
    let f = two_accounts();
    let everyone = DescribeRequest {
        account: None,
        region: None,
        owners: vec!["self".into()],
        ..mine()
    };
    let answer = f.ask(&everyone).unwrap();
    let rows: Vec<(String, String)> = answer
        .images
        .iter()
        .map(|i| (i.viewer_account_id.clone(), i.image_id().to_string()))
        .collect();
    assert_eq!(
        rows,
        [
            (ME.to_string(), "ami-00000001".to_string()),
            (OTHER.to_string(), "ami-00000002".to_string()),
            (OTHER.to_string(), "ami-00000003".to_string()),
        ]
    );
    let json = answer.clone().into_json(true);
    assert_eq!(json["Images"][0]["Region"], REGION);
    assert_eq!(json["Images"][0]["ViewerAccountId"], ME);
    assert_eq!(
        streamed(&f, &everyone),
        crate::describe::output::json(&json)
    );
    let one = DescribeRequest {
        owners: vec!["self".into()],
        ..mine()
    };
    let json = f.ask(&one).unwrap().into_json(false);
    assert!(json["Images"][0].get("Region").is_none());
    assert_eq!(streamed(&f, &one), crate::describe::output::json(&json));
}
