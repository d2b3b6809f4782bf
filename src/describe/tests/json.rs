//! The JSON of an answer: the AWS CLI's keys and order, and members the reader did not know.

use super::*;

#[test]
fn elements_the_reader_did_not_know_come_back_where_they_stood() {
    let mut images = catalog();
    images[0].unknown_members = Some(vec![
        amiq_image::UnknownMember {
            path: String::new(),
            xml: "<futureTop><item><a>1</a></item><item><a>2</a></item></futureTop>".into(),
        },
        amiq_image::UnknownMember {
            path: "blockDeviceMapping/1/ebs".into(),
            xml: "<futureRate unit=\"MiB\">5 &amp; more</futureRate>".into(),
        },
        amiq_image::UnknownMember {
            path: "blockDeviceMapping/9".into(),
            xml: "<lostPlace/>".into(),
        },
    ]);
    let f = Fixture::new(&[Listing {
        viewer: ME,
        scope: "owned",
        catalog: false,
        images,
    }]);
    let named = DescribeRequest {
        image_ids: vec!["ami-00000001".into()],
        ..mine()
    };
    let answer = f.ask(&named).unwrap();
    let image = answer.images[0].image();
    assert_eq!(
        image["FutureTop"],
        serde_json::json!([{"A": "1"}, {"A": "2"}])
    );
    assert_eq!(
        image["BlockDeviceMappings"][0]["Ebs"]["FutureRate"],
        "5 & more"
    );
    assert_eq!(
        image["LostPlace"], "",
        "a path that leads nowhere keeps it on the image"
    );
    assert!(image.get("UnknownMembers").is_none());
    let json = answer.clone().into_json(false);
    assert_eq!(streamed(&f, &named), crate::describe::output::json(&json));
    let history: String = f
        .store
        .connection()
        .query_row(
            "SELECT unknown_members[2].xml FROM image_history WHERE image_id = 'ami-00000001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        history,
        "<futureRate unit=\"MiB\">5 &amp; more</futureRate>"
    );
}

/// The answer to `request` as `describe-images --output json` streams it.

#[test]
fn the_json_has_the_cli_keys_in_model_order_and_omits_absent_members() {
    let f = owned_catalog();
    let answer = f
        .ask(&DescribeRequest {
            image_ids: vec!["ami-00000001".into()],
            ..mine()
        })
        .unwrap();
    let image = &answer.images[0].image();
    let keys: Vec<&str> = image.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "BlockDeviceMappings",
            "Description",
            "EnaSupport",
            "Hypervisor",
            "ImageOwnerAlias",
            "Name",
            "RootDeviceName",
            "RootDeviceType",
            "SriovNetSupport",
            "StateReason",
            "Tags",
            "VirtualizationType",
            "BootMode",
            "SourceInstanceId",
            "ImageAllowed",
            "SourceImageId",
            "SourceImageRegion",
            "FreeTierEligible",
            "PublicSsmParameterName",
            "ImageWatermarks",
            "ScanResults",
            "InstanceTypeSpecification",
            "ImageId",
            "ImageLocation",
            "State",
            "OwnerId",
            "CreationDate",
            "Public",
            "ProductCodes",
            "Architecture",
            "ImageType",
            "KernelId",
            "RamdiskId",
        ]
    );
    let mapping = &image["BlockDeviceMappings"][0];
    let keys: Vec<&String> = mapping.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Ebs", "DeviceName"]);
    assert_eq!(mapping["Ebs"]["VolumeSize"], 8);
    assert_eq!(mapping["Ebs"]["Encrypted"], true);
    assert_eq!(image["CreationDate"], "2021-09-29T11:04:43.305Z");
    assert_eq!(image["Tags"][1]["Key"], "Env");
    // Nested members of the newer shapes take the model's names, without `_ts`.
    let scan: Vec<&String> = image["ScanResults"].as_object().unwrap().keys().collect();
    assert_eq!(
        scan,
        [
            "HighestFindingSeverityLabel",
            "FindingScanDate",
            "InformationalFixAvailableSince",
            "LowFixAvailableSince",
            "MediumFixAvailableSince",
            "HighFixAvailableSince",
            "CriticalFixAvailableSince"
        ]
    );
    let watermark: Vec<&String> = image["ImageWatermarks"][0]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        watermark,
        [
            "WatermarkKey",
            "SourceImageRegion",
            "SourceImageId",
            "SourceImageCreationTime",
            "WatermarkCreationTime"
        ]
    );
    assert_eq!(
        image["InstanceTypeSpecification"]["UnsupportedInstanceTypes"][0]["InstanceType"],
        "t2.nano"
    );
    // An empty list the API returned stays an empty list.
    let empty = f
        .ask(&DescribeRequest {
            image_ids: vec!["ami-00000003".into()],
            ..mine()
        })
        .unwrap();
    assert_eq!(empty.images[0].image()["Tags"], serde_json::json!([]));
}
