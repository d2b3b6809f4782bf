//! Printing, streamed, against the whole answer printed as before.

use super::*;

/// `n` images of `owner`, varied where the output's shape depends on it: names some
/// lack (a sort on them fails), dates with ties, public or not, tags and block
/// devices on some, deprecation on some, text a terminal counts twice.
fn varied(n: usize, owner: &str, first: usize) -> Vec<Image> {
    (first..first + n)
        .map(|i| {
            let tags = (i % 3 != 0).then(|| {
                (0..i % 4)
                    .map(|t| Tag {
                        key: Some(format!("k{t}")),
                        value: Some(format!("v{}", i % 7)),
                    })
                    .collect()
            });
            let mappings = (i % 5 == 0).then(|| {
                vec![BlockDeviceMapping {
                    device_name: Some("/dev/xvda".into()),
                    ebs: Some(EbsBlockDevice {
                        volume_size: Some(8 + (i % 3) as i32),
                        encrypted: Some(i % 2 == 0),
                        ..EbsBlockDevice::default()
                    }),
                    ..BlockDeviceMapping::default()
                }]
            });
            Image {
                owner_id: Some(owner.into()),
                name: (i % 11 != 0).then(|| format!("img-{:03}{}", i % 97, ["", "-日本"][i % 2])),
                creation_date: Some(format!("2026-01-{:02}T00:00:00.000Z", 1 + i % 9)),
                last_launched_time: Some(format!("2026-02-{:02}T00:00:00Z", 1 + i % 5)),
                public: Some(i % 4 == 0),
                architecture: Some(["x86_64", "arm64"][i % 2].into()),
                description: (i % 6 == 0).then(|| {
                    "a description, long enough to widen a table well past eighty columns".into()
                }),
                deprecation_time: (i % 8 == 0).then(|| "2030-01-01T00:00:00.000Z".into()),
                tags,
                block_device_mappings: mappings,
                ..image(&format!("ami-{i:08x}"))
            }
        })
        .collect()
}

/// A store of the caller's own `images`.
fn owned(images: Vec<Image>) -> Fixture {
    Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images,
    }])
}

#[test]
fn every_output_and_query_prints_what_the_whole_answer_printed() {
    let mut mine_images = varied(320, ME, 1);
    // Elements the reader did not know: a member of its own, and one inside another.
    mine_images[4].unknown_members = Some(vec![
        amiq_image::UnknownMember {
            path: String::new(),
            xml: "<futureTop><item><a>1</a></item></futureTop>".into(),
        },
        amiq_image::UnknownMember {
            path: String::new(),
            xml: "<futureFlag>yes</futureFlag>".into(),
        },
        amiq_image::UnknownMember {
            path: "blockDeviceMapping/1/ebs".into(),
            xml: "<futureRate>5</futureRate>".into(),
        },
    ]);
    let f = Fixture::new(&[
        Listing {
            viewer: ME,
            scope: "owned",
            catalog: false,
            images: mine_images,
        },
        Listing {
            viewer: OTHER,
            scope: "owned",
            catalog: false,
            images: varied(40, OTHER, 1000),
        },
    ]);
    let queries = [
        None,
        Some("Images[].ImageId"),
        Some("Images[*]"),
        Some("Images[?Public].[ImageId,Name]"),
        Some("Images[] | [?Public]"),
        Some("Images[:5].Name"),
        Some("Images[2:40:3].ImageId"),
        Some("Images[].Tags[]"),
        Some("Images[].{id: ImageId, n: Name}"),
        Some("Images[].[ImageId, BlockDeviceMappings]"),
        Some("Images[?Name].Name | [?starts_with(@, 'img-01')]"),
        Some("length(Images)"),
        Some("length(Images[?Public])"),
        Some("sort_by(Images,&CreationDate)[-1].ImageId"),
        Some("sort_by(Images,&CreationDate)[:3].[ImageId,CreationDate]"),
        Some("sort_by(Images,&LastLaunchedTime)[-2:].ImageId"),
        Some("max_by(Images,&LastLaunchedTime).ImageId"),
        Some("sort_by(Images,&Name)[0].ImageId"),
        Some("max_by(Images,&CreationDate).ImageId"),
        Some("min_by(Images,&CreationDate).ImageId"),
        Some("Images[-3:].ImageId"),
        Some("Images[0]"),
        Some("reverse(Images)[0].ImageId"),
        Some("Images[].ImageId | sort(@)"),
        Some("{ids: Images[].ImageId, next: NextToken}"),
        Some("NextToken"),
        Some("Images[].[Tags[0], ImageId][]"),
        Some("Images[?length(Tags || `[]`) > `1`].ImageId"),
        Some("sort_by(Images,&Public)"),
        Some("Images[].to_number(Name)"),
        Some("Images[].nothing"),
        Some("Images[].FutureFlag"),
        Some("Images[?Public] | [0]"),
        Some("Images[?Public] | [1].ImageId"),
        Some("Images[].ImageId | [-1]"),
        Some("Images[?Public] | [-3].[ImageId, Name]"),
        Some("Images[?Public] | [100000]"),
        Some("Images[?Public] | length(@)"),
        Some("Images[?length(Tags) > `1`] | [0].ImageId"),
        Some("Images[?length(Tags) > `1`] | [:2]"),
        Some("Images[?Tags] | [?length(Tags) > `1`] | [0].ImageId"),
        // Failing only on a later image: nothing may be printed before the error.
        Some("Images[].[ImageId, Description && Tags[::0]]"),
        Some("Images[?starts_with(Name, 'img')].ImageId"),
        Some("Images[?starts_with(Name, 'img')] | [:1].ImageId"),
        Some("Images[?starts_with(Name, 'img')] | [0]"),
        Some("Images[::0]"),
        Some("sort_by(Images, &Public)[0].ImageId"),
        Some("Images[?FutureTop].[ImageId, FutureTop]"),
        // Filters SQL applies with the request's (query_filter.rs).
        Some("Images[?State == 'available' && !Description].ImageId"),
        Some("Images[?Name != 'img-001' || Public].Name"),
        Some("Images[?Name == `null`] | [-1]"),
        Some("length(Images[?!Public])"),
    ];
    // Answered at one instant, so that both sides' NextTokens name the same one.
    let mine = || DescribeRequest {
        as_of: AsOf::Time(Utc::now()),
        ..mine()
    };
    let mine = {
        let at = mine();
        move || at.clone()
    };
    let everyone = DescribeRequest {
        account: None,
        region: None,
        ..mine()
    };
    let none = DescribeRequest {
        filters: vec![Filter::new("name", &["no-such-name"])],
        ..mine()
    };
    let first_page = DescribeRequest {
        max_results: Some(7),
        ..mine()
    };
    let token = f.ask(&first_page).unwrap().next_token.expect("more pages");
    let second_page = DescribeRequest {
        next_token: Some(token),
        ..first_page.clone()
    };
    let requests = [mine(), everyone, none, first_page, second_page];
    let formats = [
        print::Format::Json,
        print::Format::Text,
        print::Format::Table(80),
        print::Format::Table(400),
    ];
    let mut compared = 0;
    for request in &requests {
        let with_origin = request.account.is_none();
        for query in &queries {
            let compiled = query.map(|q| jmespath::compile(q).unwrap());
            for format in formats {
                let how = print::Printing {
                    format,
                    query: compiled.as_ref(),
                    with_origin,
                    memory_budget: 1 << 30,
                };
                let whole = print::reference(f.ask(request).unwrap(), &how);
                let streamed = printed(&f, request, &how);
                let context = || format!("{query:?} {format:?} {request:?}");
                match (&whole, &streamed) {
                    (Ok(whole), Ok(streamed)) => {
                        if whole != streamed {
                            let at = whole
                                .iter()
                                .zip(streamed.iter())
                                .take_while(|(a, b)| a == b)
                                .count();
                            let around = |t: &[u8]| {
                                String::from_utf8_lossy(
                                    &t[at.saturating_sub(300)..(at + 300).min(t.len())],
                                )
                                .into_owned()
                            };
                            panic!(
                                "{}: differ at byte {at}:\n--- whole\n{}\n--- streamed\n{}",
                                context(),
                                around(whole),
                                around(streamed)
                            );
                        }
                    }
                    (Err(_), Err(_)) => {}
                    _ => panic!("{}: {whole:?} vs {streamed:?}", context()),
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, requests.len() * queries.len() * formats.len());
}

#[test]
fn a_leading_filter_narrows_and_a_length_counts_only_an_answer_that_is_not_paged() {
    let f = owned(varied(40, ME, 1));
    let query = jmespath::compile("Images[?Public].[ImageId,Name]").unwrap();
    let reading = print::reading(Some(&query));
    assert!(reading.narrowing.is_some() && !reading.count_only);
    let found = |request: &DescribeRequest| {
        super::answer_for(&f.store, request, &reading)
            .unwrap()
            .found
            .len
    };
    // varied() makes every fourth image public.
    assert_eq!(found(&mine()), 10);
    let paged = DescribeRequest {
        max_results: Some(30),
        ..mine()
    };
    assert_eq!(found(&paged), 30);
    let named = DescribeRequest {
        image_ids: vec![format!("ami-{:08x}", 1), format!("ami-{:08x}", 4)],
        ..mine()
    };
    assert_eq!(found(&named), 2);
    // `length(Images)` counts the answer and keeps none of it, unless it is paged.
    let length = jmespath::compile("length(Images)").unwrap();
    let reading = print::reading(Some(&length));
    assert!(reading.count_only && reading.narrowing.is_none());
    let counted = super::answer_for(&f.store, &mine(), &reading).unwrap();
    assert_eq!(counted.found.len, 40);
    let read = counted
        .found
        .for_each(&found::Members::All, None, |_| Ok::<(), DescribeError>(()));
    assert!(read.is_err(), "a counted answer has no images to read");
    let page = super::answer_for(&f.store, &paged, &reading).unwrap();
    assert_eq!(page.found.len, 30);
    assert!(page.next_token.is_some());
}

#[test]
fn text_and_tables_laid_out_from_the_columns_are_the_aws_clis_for_every_member() {
    // Every kind of member: structs, lists of structs inside structs, lists of
    // scalars, empty lists, one image of each account, and as many accounts' answer;
    // tables turned vertical at 80 columns, and not at 4,000.
    let f = owned_catalog();
    for request in [
        mine(),
        DescribeRequest {
            account: None,
            ..mine()
        },
    ] {
        for format in [
            print::Format::Text,
            print::Format::Table(80),
            print::Format::Table(4000),
        ] {
            assert_prints_as_the_whole_answer(&f, &request, format, None);
        }
    }
}

/// Checks that `request` printed as `format` with `query` is the whole answer's print.
fn assert_prints_as_the_whole_answer(
    f: &Fixture,
    request: &DescribeRequest,
    format: print::Format,
    query: Option<&jmespath::Expression<'_>>,
) {
    let how = print::Printing {
        format,
        query,
        with_origin: request.account.is_none(),
        memory_budget: 1 << 30,
    };
    let whole = print::reference(f.ask(request).unwrap(), &how).unwrap();
    let streamed = printed(f, request, &how).unwrap();
    assert_eq!(
        String::from_utf8(streamed).unwrap(),
        String::from_utf8(whole).unwrap(),
        "{:?} {format:?}",
        query.map(|q| q.as_str())
    );
}

#[test]
fn image_ids_read_from_the_answer_alone_print_as_the_whole_answer_did() {
    // No element the reader did not know: the ids come from the answer, unjoined.
    let f = Fixture::new(&[
        Listing {
            viewer: ME,
            scope: "owned",
            catalog: false,
            images: varied(60, ME, 1),
        },
        Listing {
            viewer: OTHER,
            scope: "owned",
            catalog: false,
            images: varied(20, OTHER, 500),
        },
    ]);
    let everyone = DescribeRequest {
        account: None,
        region: None,
        ..mine()
    };
    for request in [mine(), everyone] {
        for query in [
            "Images[].ImageId",
            "Images[].[ImageId, Region, ViewerAccountId]",
            "Images[?ImageId > 'ami-00000010'].ImageId | [-2]",
        ] {
            let compiled = jmespath::compile(query).unwrap();
            for format in [print::Format::Json, print::Format::Text] {
                assert_prints_as_the_whole_answer(&f, &request, format, Some(&compiled));
            }
        }
    }
}

#[test]
fn a_read_out_of_its_lowered_memory_limit_runs_again_at_the_stores() {
    let f = owned(varied(300, ME, 1));
    let how = print::Printing {
        format: print::Format::Json,
        query: None,
        with_origin: false,
        memory_budget: 1 << 30,
    };
    let whole = printed(&f, &mine(), &how).unwrap();
    let answer = super::answer(&f.store, &mine()).unwrap();
    answer.found.limit_reading_to_headroom(256 << 10, 1 << 30);
    assert!(answer.found.reading_limited());
    let mut out = Vec::new();
    print::print(&answer, &how, &mut out).unwrap();
    assert_eq!(out, whole);
    // Reading 300 images needs more than 256 KiB over what DuckDB held: the read ran
    // out of memory and ran again at the store's limit.
    assert!(!answer.found.reading_limited());
}

#[test]
fn a_query_needing_the_whole_answer_stops_at_the_memory_budget() {
    let f = owned(varied(50, ME, 1));
    let query = jmespath::compile("Images[].ImageId | sort(@)").unwrap();
    let how = |budget| print::Printing {
        format: print::Format::Json,
        query: Some(&query),
        with_origin: false,
        memory_budget: budget,
    };
    let err = printed(&f, &mine(), &how(2_000)).unwrap_err();
    assert!(err.contains("--memory-limit"), "{err}");
    assert!(err.contains("narrow the request"), "{err}");
    let ids = printed(&f, &mine(), &how(1 << 30)).unwrap();
    assert_eq!(
        serde_json::from_slice::<Vec<String>>(&ids).unwrap().len(),
        50
    );
}
