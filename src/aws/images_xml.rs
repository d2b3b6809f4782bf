//! Reads a `DescribeImagesResponse` (EC2 Query XML) into [`Image`]s and the next token.
//!
//! Element names are the `locationName`s of the EC2 model, as `aws-sdk-ec2` reads them
//! (`protocol_serde/shape_image.rs` and friends), including the three EbsBlockDevice
//! members that have none and are read capitalised (`VolumeInitializationRate`,
//! `AvailabilityZoneId`, `EbsCardIndex`). Like the SDK: an empty element is an empty
//! string or list, booleans are exactly `true` or `false`, integers are 32-bit; anything
//! else makes the page fail with a message naming the image and the element. Unlike
//! the SDK, an element the reader does not know inside an image (a member EC2 added
//! after this release) is kept as it came, with where it stood
//! ([`amiq_image::UnknownMember`]); the tests check every name against
//! `crate::shape`.
//!
//! Markup is matched as bytes and only the text that is kept (a member's value) is
//! decoded, and so checked as UTF-8: validating every token costs a sync's CPU
//! (docs/decisions/0002-allocator-and-xml-reader.md).

use quick_xml::Reader;
use quick_xml::events::Event;

use amiq_image::{
    BlockDeviceMapping, EbsBlockDevice, Image, ImageWatermark, InstanceTypeItem,
    InstanceTypeSpecification, ProductCode, ScanResults, StateReason, Tag, UnknownMember,
};

/// One page of a listing.
#[derive(Debug, Default, PartialEq)]
pub struct Page {
    pub images: Vec<Image>,
    pub next_token: Option<String>,
}

/// Where the reader is in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Document,
    Response,
    Images,
    Image,
    Mappings,
    Mapping,
    Ebs,
    Codes,
    Code,
    Tags,
    Tag,
    Reason,
    Watermarks,
    Watermark,
    Scan,
    Spec,
    /// `supportedInstanceTypeSet` (true) or `unsupportedInstanceTypeSet`.
    TypeSet(bool),
    TypeItem(bool),
    /// A member holding text.
    Leaf(Leaf),
    /// An element amiq does not read, and everything in it.
    Skipped,
}

/// Every member that holds text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leaf {
    NextToken,
    // Image
    ImageId,
    ImageLocation,
    State,
    OwnerId,
    CreationDate,
    Public,
    Architecture,
    ImageType,
    KernelId,
    RamdiskId,
    Platform,
    PlatformDetails,
    UsageOperation,
    Description,
    EnaSupport,
    Hypervisor,
    ImageOwnerAlias,
    Name,
    RootDeviceName,
    RootDeviceType,
    SriovNetSupport,
    VirtualizationType,
    BootMode,
    TpmSupport,
    DeprecationTime,
    ImdsSupport,
    SourceInstanceId,
    DeregistrationProtection,
    LastLaunchedTime,
    ImageAllowed,
    SourceImageId,
    SourceImageRegion,
    FreeTierEligible,
    PublicSsmParameterName,
    // ImageWatermark
    WatermarkKey,
    WatermarkSourceImageRegion,
    WatermarkSourceImageId,
    WatermarkSourceImageCreationTime,
    WatermarkCreationTime,
    // ScanResults
    HighestFindingSeverityLabel,
    FindingScanDate,
    InformationalFixAvailableSince,
    LowFixAvailableSince,
    MediumFixAvailableSince,
    HighFixAvailableSince,
    CriticalFixAvailableSince,
    // InstanceTypeItem, of the supported list (true) or the unsupported one
    InstanceType(bool),
    // BlockDeviceMapping
    DeviceName,
    VirtualName,
    NoDevice,
    // EbsBlockDevice
    DeleteOnTermination,
    Iops,
    SnapshotId,
    VolumeSize,
    VolumeType,
    KmsKeyId,
    Throughput,
    OutpostArn,
    AvailabilityZone,
    Encrypted,
    VolumeInitializationRate,
    AvailabilityZoneId,
    EbsCardIndex,
    // ProductCode, Tag, StateReason
    ProductCodeId,
    ProductCodeType,
    TagKey,
    TagValue,
    ReasonCode,
    ReasonMessage,
}

/// What an element opened inside `parent` is.
fn child(parent: At, name: &[u8]) -> At {
    use Leaf as L;
    let leaf = At::Leaf;
    match (parent, name) {
        (At::Document, b"DescribeImagesResponse") => At::Response,
        (At::Response, b"imagesSet") => At::Images,
        (At::Response, b"nextToken") => leaf(L::NextToken),
        (At::Images, b"item") => At::Image,
        (At::Image, name) => match name {
            b"imageId" => leaf(L::ImageId),
            b"imageLocation" => leaf(L::ImageLocation),
            b"imageState" => leaf(L::State),
            b"imageOwnerId" => leaf(L::OwnerId),
            b"creationDate" => leaf(L::CreationDate),
            b"isPublic" => leaf(L::Public),
            b"architecture" => leaf(L::Architecture),
            b"imageType" => leaf(L::ImageType),
            b"kernelId" => leaf(L::KernelId),
            b"ramdiskId" => leaf(L::RamdiskId),
            b"platform" => leaf(L::Platform),
            b"platformDetails" => leaf(L::PlatformDetails),
            b"usageOperation" => leaf(L::UsageOperation),
            b"description" => leaf(L::Description),
            b"enaSupport" => leaf(L::EnaSupport),
            b"hypervisor" => leaf(L::Hypervisor),
            b"imageOwnerAlias" => leaf(L::ImageOwnerAlias),
            b"name" => leaf(L::Name),
            b"rootDeviceName" => leaf(L::RootDeviceName),
            b"rootDeviceType" => leaf(L::RootDeviceType),
            b"sriovNetSupport" => leaf(L::SriovNetSupport),
            b"virtualizationType" => leaf(L::VirtualizationType),
            b"bootMode" => leaf(L::BootMode),
            b"tpmSupport" => leaf(L::TpmSupport),
            b"deprecationTime" => leaf(L::DeprecationTime),
            b"imdsSupport" => leaf(L::ImdsSupport),
            b"sourceInstanceId" => leaf(L::SourceInstanceId),
            b"deregistrationProtection" => leaf(L::DeregistrationProtection),
            b"lastLaunchedTime" => leaf(L::LastLaunchedTime),
            b"imageAllowed" => leaf(L::ImageAllowed),
            b"sourceImageId" => leaf(L::SourceImageId),
            b"sourceImageRegion" => leaf(L::SourceImageRegion),
            b"freeTierEligible" => leaf(L::FreeTierEligible),
            b"publicSsmParameterName" => leaf(L::PublicSsmParameterName),
            b"imageWatermarkSet" => At::Watermarks,
            b"scanResults" => At::Scan,
            b"instanceTypeSpecification" => At::Spec,
            b"blockDeviceMapping" => At::Mappings,
            b"productCodes" => At::Codes,
            b"tagSet" => At::Tags,
            b"stateReason" => At::Reason,
            _ => At::Skipped,
        },
        (At::Mappings, b"item") => At::Mapping,
        (At::Mapping, b"deviceName") => leaf(L::DeviceName),
        (At::Mapping, b"virtualName") => leaf(L::VirtualName),
        (At::Mapping, b"noDevice") => leaf(L::NoDevice),
        (At::Mapping, b"ebs") => At::Ebs,
        (At::Ebs, name) => match name {
            b"deleteOnTermination" => leaf(L::DeleteOnTermination),
            b"iops" => leaf(L::Iops),
            b"snapshotId" => leaf(L::SnapshotId),
            b"volumeSize" => leaf(L::VolumeSize),
            b"volumeType" => leaf(L::VolumeType),
            b"kmsKeyId" => leaf(L::KmsKeyId),
            b"throughput" => leaf(L::Throughput),
            b"outpostArn" => leaf(L::OutpostArn),
            b"availabilityZone" => leaf(L::AvailabilityZone),
            b"encrypted" => leaf(L::Encrypted),
            b"VolumeInitializationRate" => leaf(L::VolumeInitializationRate),
            b"AvailabilityZoneId" => leaf(L::AvailabilityZoneId),
            b"EbsCardIndex" => leaf(L::EbsCardIndex),
            _ => At::Skipped,
        },
        (At::Codes, b"item") => At::Code,
        (At::Code, b"productCode") => leaf(L::ProductCodeId),
        (At::Code, b"type") => leaf(L::ProductCodeType),
        (At::Tags, b"item") => At::Tag,
        (At::Tag, b"key") => leaf(L::TagKey),
        (At::Tag, b"value") => leaf(L::TagValue),
        (At::Reason, b"code") => leaf(L::ReasonCode),
        (At::Reason, b"message") => leaf(L::ReasonMessage),
        (At::Watermarks, b"item") => At::Watermark,
        (At::Watermark, name) => match name {
            b"watermarkKey" => leaf(L::WatermarkKey),
            b"sourceImageRegion" => leaf(L::WatermarkSourceImageRegion),
            b"sourceImageId" => leaf(L::WatermarkSourceImageId),
            b"sourceImageCreationTime" => leaf(L::WatermarkSourceImageCreationTime),
            b"watermarkCreationTime" => leaf(L::WatermarkCreationTime),
            _ => At::Skipped,
        },
        (At::Scan, name) => match name {
            b"highestFindingSeverityLabel" => leaf(L::HighestFindingSeverityLabel),
            b"findingScanDate" => leaf(L::FindingScanDate),
            b"informationalFixAvailableSince" => leaf(L::InformationalFixAvailableSince),
            b"lowFixAvailableSince" => leaf(L::LowFixAvailableSince),
            b"mediumFixAvailableSince" => leaf(L::MediumFixAvailableSince),
            b"highFixAvailableSince" => leaf(L::HighFixAvailableSince),
            b"criticalFixAvailableSince" => leaf(L::CriticalFixAvailableSince),
            _ => At::Skipped,
        },
        (At::Spec, b"supportedInstanceTypeSet") => At::TypeSet(true),
        (At::Spec, b"unsupportedInstanceTypeSet") => At::TypeSet(false),
        (At::TypeSet(supported), b"item") => At::TypeItem(supported),
        (At::TypeItem(supported), b"instanceType") => leaf(L::InstanceType(supported)),
        _ => At::Skipped,
    }
}

/// Reads one page.
pub fn parse(xml: &[u8]) -> Result<Page, String> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut page = Page::default();
    let mut stack: Vec<At> = vec![At::Document];
    let mut text = String::new();
    let mut saw_response = false;
    // The unknown element being kept: where its markup starts, its depth, its path.
    let mut keeping: Option<(usize, usize, String)> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| malformed(&reader, &e.to_string()))?;
        match event {
            Event::Start(e) => {
                let parent = *stack.last().expect("the document is on the stack");
                let at = if parent == At::Skipped {
                    At::Skipped
                } else {
                    child(parent, e.local_name().as_ref())
                };
                if at == At::Skipped
                    && keeping.is_none()
                    && let Some(path) = member_path(&page, &stack)
                {
                    keeping = Some((before, stack.len(), path));
                }
                open(&mut page, at);
                saw_response |= at == At::Response;
                stack.push(at);
                text.clear();
            }
            Event::Empty(e) => {
                let parent = *stack.last().expect("the document is on the stack");
                if parent != At::Skipped {
                    let at = child(parent, e.local_name().as_ref());
                    open(&mut page, at);
                    saw_response |= at == At::Response;
                    if let At::Leaf(leaf) = at {
                        assign(&mut page, leaf, "")?;
                    }
                    if at == At::Skipped
                        && let Some(path) = member_path(&page, &stack)
                    {
                        let end = reader.buffer_position() as usize;
                        keep(&mut page, path, &xml[before..end])?;
                    }
                }
            }
            Event::Text(t) => {
                if matches!(stack.last(), Some(At::Leaf(_))) {
                    let content = t
                        .xml10_content()
                        .map_err(|e| malformed(&reader, &e.to_string()))?;
                    text.push_str(&content);
                }
            }
            Event::CData(c) => {
                if matches!(stack.last(), Some(At::Leaf(_))) {
                    let content = c.decode().map_err(|e| malformed(&reader, &e.to_string()))?;
                    text.push_str(&content);
                }
            }
            Event::GeneralRef(r) => {
                if matches!(stack.last(), Some(At::Leaf(_))) {
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => {
                            let name =
                                r.decode().map_err(|e| malformed(&reader, &e.to_string()))?;
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .map(str::to_string)
                                .ok_or_else(|| {
                                    malformed(&reader, &format!("unknown entity &{name};"))
                                })?
                        }
                        Err(e) => return Err(malformed(&reader, &e.to_string())),
                    };
                    text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let at = stack.pop().expect("the reader checks that tags match");
                if let At::Leaf(leaf) = at {
                    assign(&mut page, leaf, &text)?;
                }
                if let Some((start, depth, _)) = &keeping
                    && *depth == stack.len()
                {
                    let end = reader.buffer_position() as usize;
                    let start = *start;
                    let (_, _, path) = keeping.take().expect("checked above");
                    keep(&mut page, path, &xml[start..end])?;
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_response {
        return Err("the response is not a DescribeImagesResponse".into());
    }
    if stack.len() != 1 {
        return Err("the response ends before its last element closes".into());
    }
    Ok(page)
}

/// Where an element opened now would stand below the current image, if inside one:
/// element names and 1-based item numbers (`blockDeviceMapping/2/ebs`).
fn member_path(page: &Page, stack: &[At]) -> Option<String> {
    let image = page.images.last()?;
    let mut parts: Vec<String> = Vec::new();
    let count = |n: Option<usize>| n.unwrap_or(0).to_string();
    for at in stack.iter().skip_while(|at| **at != At::Image).skip(1) {
        match at {
            At::Mappings => parts.push("blockDeviceMapping".into()),
            At::Mapping => parts.push(count(image.block_device_mappings.as_ref().map(Vec::len))),
            At::Ebs => parts.push("ebs".into()),
            At::Codes => parts.push("productCodes".into()),
            At::Code => parts.push(count(image.product_codes.as_ref().map(Vec::len))),
            At::Tags => parts.push("tagSet".into()),
            At::Tag => parts.push(count(image.tags.as_ref().map(Vec::len))),
            At::Reason => parts.push("stateReason".into()),
            At::Watermarks => parts.push("imageWatermarkSet".into()),
            At::Watermark => parts.push(count(image.image_watermarks.as_ref().map(Vec::len))),
            At::Scan => parts.push("scanResults".into()),
            At::Spec => parts.push("instanceTypeSpecification".into()),
            At::TypeSet(true) => parts.push("supportedInstanceTypeSet".into()),
            At::TypeSet(false) => parts.push("unsupportedInstanceTypeSet".into()),
            At::TypeItem(supported) => {
                let spec = image.instance_type_specification.as_ref();
                let list = spec.and_then(|s| {
                    if *supported {
                        s.supported_instance_types.as_ref()
                    } else {
                        s.unsupported_instance_types.as_ref()
                    }
                });
                parts.push(count(list.map(Vec::len)))
            }
            _ => return None,
        }
    }
    stack.contains(&At::Image).then(|| parts.join("/"))
}

/// Keeps an unknown element's markup on the current image; it must be UTF-8 text.
fn keep(page: &mut Page, path: String, markup: &[u8]) -> Result<(), String> {
    let Some(image) = page.images.last_mut() else {
        return Ok(());
    };
    let xml = std::str::from_utf8(markup).map_err(|_| {
        let id = image.image_id.as_deref().unwrap_or("(no id yet)");
        format!("image {id}: an element the reader does not know is not UTF-8 text")
    })?;
    image
        .unknown_members
        .get_or_insert_with(Vec::new)
        .push(UnknownMember {
            path,
            xml: xml.to_string(),
        });
    Ok(())
}

fn malformed(reader: &Reader<&[u8]>, what: &str) -> String {
    format!(
        "malformed DescribeImages response at byte {}: {what}",
        reader.buffer_position()
    )
}

/// Creates what an opened element stands for.
fn open(page: &mut Page, at: At) {
    match at {
        At::Image => page.images.push(Image::default()),
        At::Mappings => {
            if let Some(i) = page.images.last_mut() {
                i.block_device_mappings.get_or_insert_with(Vec::new);
            }
        }
        At::Mapping => {
            if let Some(list) = page
                .images
                .last_mut()
                .and_then(|i| i.block_device_mappings.as_mut())
            {
                list.push(BlockDeviceMapping::default());
            }
        }
        At::Ebs => {
            if let Some(m) = last_mapping(page) {
                m.ebs.get_or_insert_with(EbsBlockDevice::default);
            }
        }
        At::Codes => {
            if let Some(i) = page.images.last_mut() {
                i.product_codes.get_or_insert_with(Vec::new);
            }
        }
        At::Code => {
            if let Some(list) = page
                .images
                .last_mut()
                .and_then(|i| i.product_codes.as_mut())
            {
                list.push(ProductCode::default());
            }
        }
        At::Tags => {
            if let Some(i) = page.images.last_mut() {
                i.tags.get_or_insert_with(Vec::new);
            }
        }
        At::Tag => {
            if let Some(list) = page.images.last_mut().and_then(|i| i.tags.as_mut()) {
                list.push(Tag::default());
            }
        }
        At::Reason => {
            if let Some(i) = page.images.last_mut() {
                i.state_reason.get_or_insert_with(StateReason::default);
            }
        }
        At::Watermarks => {
            if let Some(i) = page.images.last_mut() {
                i.image_watermarks.get_or_insert_with(Vec::new);
            }
        }
        At::Watermark => {
            if let Some(list) = page
                .images
                .last_mut()
                .and_then(|i| i.image_watermarks.as_mut())
            {
                list.push(ImageWatermark::default());
            }
        }
        At::Scan => {
            if let Some(i) = page.images.last_mut() {
                i.scan_results.get_or_insert_with(ScanResults::default);
            }
        }
        At::Spec => {
            if let Some(i) = page.images.last_mut() {
                i.instance_type_specification
                    .get_or_insert_with(InstanceTypeSpecification::default);
            }
        }
        At::TypeSet(supported) => {
            if let Some(spec) = last_spec(page) {
                instance_types(spec, supported).get_or_insert_with(Vec::new);
            }
        }
        At::TypeItem(supported) => {
            if let Some(list) = last_spec(page).and_then(|s| instance_types(s, supported).as_mut())
            {
                list.push(InstanceTypeItem::default());
            }
        }
        _ => {}
    }
}

fn last_spec(page: &mut Page) -> Option<&mut InstanceTypeSpecification> {
    page.images.last_mut()?.instance_type_specification.as_mut()
}

fn instance_types(
    spec: &mut InstanceTypeSpecification,
    supported: bool,
) -> &mut Option<Vec<InstanceTypeItem>> {
    if supported {
        &mut spec.supported_instance_types
    } else {
        &mut spec.unsupported_instance_types
    }
}

fn last_mapping(page: &mut Page) -> Option<&mut BlockDeviceMapping> {
    page.images
        .last_mut()?
        .block_device_mappings
        .as_mut()?
        .last_mut()
}

/// Stores a member's text.
fn assign(page: &mut Page, leaf: Leaf, text: &str) -> Result<(), String> {
    use Leaf as L;
    if leaf == L::NextToken {
        page.next_token = Some(text.to_string());
        return Ok(());
    }
    let Some(image) = page.images.last_mut() else {
        return Ok(());
    };
    assign_member(image, leaf, text).map_err(|what| {
        let id = image.image_id.as_deref().unwrap_or("(no id yet)");
        format!("image {id}: {what}")
    })
}

/// Stores a member's text in `image`; a value of the wrong kind is an error that
/// names the member.
fn assign_member(image: &mut Image, leaf: Leaf, text: &str) -> Result<(), String> {
    use Leaf as L;
    let owned = || Some(text.to_string());
    let flag = |what: &str| -> Result<Option<bool>, String> {
        match text {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            other => Err(format!("{what} is {other:?}, not true or false")),
        }
    };
    let number = |what: &str| -> Result<Option<i32>, String> {
        text.parse::<i32>()
            .map(Some)
            .map_err(|_| format!("{what} is {text:?}, not a 32-bit integer"))
    };
    match leaf {
        L::NextToken => {}
        L::ImageId => image.image_id = owned(),
        L::ImageLocation => image.image_location = owned(),
        L::State => image.state = owned(),
        L::OwnerId => image.owner_id = owned(),
        L::CreationDate => image.creation_date = owned(),
        L::Public => image.public = flag("isPublic")?,
        L::Architecture => image.architecture = owned(),
        L::ImageType => image.image_type = owned(),
        L::KernelId => image.kernel_id = owned(),
        L::RamdiskId => image.ramdisk_id = owned(),
        L::Platform => image.platform = owned(),
        L::PlatformDetails => image.platform_details = owned(),
        L::UsageOperation => image.usage_operation = owned(),
        L::Description => image.description = owned(),
        L::EnaSupport => image.ena_support = flag("enaSupport")?,
        L::Hypervisor => image.hypervisor = owned(),
        L::ImageOwnerAlias => image.image_owner_alias = owned(),
        L::Name => image.name = owned(),
        L::RootDeviceName => image.root_device_name = owned(),
        L::RootDeviceType => image.root_device_type = owned(),
        L::SriovNetSupport => image.sriov_net_support = owned(),
        L::VirtualizationType => image.virtualization_type = owned(),
        L::BootMode => image.boot_mode = owned(),
        L::TpmSupport => image.tpm_support = owned(),
        L::DeprecationTime => image.deprecation_time = owned(),
        L::ImdsSupport => image.imds_support = owned(),
        L::SourceInstanceId => image.source_instance_id = owned(),
        L::DeregistrationProtection => image.deregistration_protection = owned(),
        L::LastLaunchedTime => image.last_launched_time = owned(),
        L::ImageAllowed => image.image_allowed = flag("imageAllowed")?,
        L::SourceImageId => image.source_image_id = owned(),
        L::SourceImageRegion => image.source_image_region = owned(),
        L::FreeTierEligible => image.free_tier_eligible = flag("freeTierEligible")?,
        L::PublicSsmParameterName => image.public_ssm_parameter_name = owned(),
        L::WatermarkKey
        | L::WatermarkSourceImageRegion
        | L::WatermarkSourceImageId
        | L::WatermarkSourceImageCreationTime
        | L::WatermarkCreationTime => {
            if let Some(w) = image.image_watermarks.as_mut().and_then(|w| w.last_mut()) {
                let slot = match leaf {
                    L::WatermarkKey => &mut w.watermark_key,
                    L::WatermarkSourceImageRegion => &mut w.source_image_region,
                    L::WatermarkSourceImageId => &mut w.source_image_id,
                    L::WatermarkSourceImageCreationTime => &mut w.source_image_creation_time,
                    _ => &mut w.watermark_creation_time,
                };
                *slot = owned();
            }
        }
        L::HighestFindingSeverityLabel
        | L::FindingScanDate
        | L::InformationalFixAvailableSince
        | L::LowFixAvailableSince
        | L::MediumFixAvailableSince
        | L::HighFixAvailableSince
        | L::CriticalFixAvailableSince => {
            if let Some(r) = image.scan_results.as_mut() {
                let slot = match leaf {
                    L::HighestFindingSeverityLabel => &mut r.highest_finding_severity_label,
                    L::FindingScanDate => &mut r.finding_scan_date,
                    L::InformationalFixAvailableSince => &mut r.informational_fix_available_since,
                    L::LowFixAvailableSince => &mut r.low_fix_available_since,
                    L::MediumFixAvailableSince => &mut r.medium_fix_available_since,
                    L::HighFixAvailableSince => &mut r.high_fix_available_since,
                    _ => &mut r.critical_fix_available_since,
                };
                *slot = owned();
            }
        }
        L::InstanceType(supported) => {
            let item = image
                .instance_type_specification
                .as_mut()
                .and_then(|s| instance_types(s, supported).as_mut())
                .and_then(|l| l.last_mut());
            if let Some(item) = item {
                item.instance_type = owned();
            }
        }
        L::ProductCodeId | L::ProductCodeType => {
            if let Some(code) = image.product_codes.as_mut().and_then(|c| c.last_mut()) {
                match leaf {
                    L::ProductCodeId => code.product_code_id = owned(),
                    _ => code.product_code_type = owned(),
                }
            }
        }
        L::TagKey | L::TagValue => {
            if let Some(tag) = image.tags.as_mut().and_then(|t| t.last_mut()) {
                match leaf {
                    L::TagKey => tag.key = owned(),
                    _ => tag.value = owned(),
                }
            }
        }
        L::ReasonCode | L::ReasonMessage => {
            if let Some(reason) = image.state_reason.as_mut() {
                match leaf {
                    L::ReasonCode => reason.code = owned(),
                    _ => reason.message = owned(),
                }
            }
        }
        L::DeviceName | L::VirtualName | L::NoDevice => {
            if let Some(m) = image
                .block_device_mappings
                .as_mut()
                .and_then(|m| m.last_mut())
            {
                match leaf {
                    L::DeviceName => m.device_name = owned(),
                    L::VirtualName => m.virtual_name = owned(),
                    _ => m.no_device = owned(),
                }
            }
        }
        ebs_leaf => {
            let ebs = image
                .block_device_mappings
                .as_mut()
                .and_then(|m| m.last_mut())
                .and_then(|m| m.ebs.as_mut());
            if let Some(e) = ebs {
                match ebs_leaf {
                    L::DeleteOnTermination => {
                        e.delete_on_termination = flag("deleteOnTermination")?
                    }
                    L::Iops => e.iops = number("iops")?,
                    L::SnapshotId => e.snapshot_id = owned(),
                    L::VolumeSize => e.volume_size = number("volumeSize")?,
                    L::VolumeType => e.volume_type = owned(),
                    L::KmsKeyId => e.kms_key_id = owned(),
                    L::Throughput => e.throughput = number("throughput")?,
                    L::OutpostArn => e.outpost_arn = owned(),
                    L::AvailabilityZone => e.availability_zone = owned(),
                    L::Encrypted => e.encrypted = flag("encrypted")?,
                    L::VolumeInitializationRate => {
                        e.volume_initialization_rate = number("VolumeInitializationRate")?
                    }
                    L::AvailabilityZoneId => e.availability_zone_id = owned(),
                    L::EbsCardIndex => e.ebs_card_index = number("EbsCardIndex")?,
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{IMAGE, Kind, Member};
    use arrow::array::{Array, ArrayRef, AsArray};
    use arrow::datatypes::DataType;

    #[test]
    fn reads_every_member_entities_cdata_and_keeps_the_unknown() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>r-1</requestId>
    <imagesSet>
        <item>
            <imageId>ami-0123456789abcdef0</imageId>
            <imageState>available</imageState>
            <imageOwnerId>111111111111</imageOwnerId>
            <isPublic>false</isPublic>
            <name>a &amp; b &lt;c&gt; &#x263A; &#65;</name>
            <description><![CDATA[raw <text> & more]]></description>
            <newMemberFromTheFuture><nested>x</nested></newMemberFromTheFuture>
            <blockDeviceMapping>
                <item>
                    <deviceName>/dev/xvda</deviceName>
                    <ebs>
                        <snapshotId>snap-1</snapshotId>
                        <volumeSize>8</volumeSize>
                        <encrypted>true</encrypted>
                        <EbsCardIndex>2</EbsCardIndex>
                    </ebs>
                </item>
                <item><deviceName>/dev/sdb</deviceName><noDevice/><futureFlag/></item>
            </blockDeviceMapping>
            <productCodes><item><productCode>pc</productCode><type>marketplace</type></item></productCodes>
            <tagSet/>
            <stateReason><code>c</code><message> spaced </message></stateReason>
        </item>
        <item><imageId>ami-12345678</imageId><tagSet><item><key>k</key><value></value></item></tagSet></item>
    </imagesSet>
    <nextToken>tok==</nextToken>
</DescribeImagesResponse>"#;
        let page = parse(xml.as_bytes()).unwrap();
        assert_eq!(page.next_token.as_deref(), Some("tok=="));
        assert_eq!(page.images.len(), 2);
        let i = &page.images[0];
        assert_eq!(i.image_id.as_deref(), Some("ami-0123456789abcdef0"));
        assert_eq!(i.state.as_deref(), Some("available"));
        assert_eq!(i.owner_id.as_deref(), Some("111111111111"));
        assert_eq!(i.public, Some(false));
        assert_eq!(i.name.as_deref(), Some("a & b <c> \u{263A} A"));
        assert_eq!(i.description.as_deref(), Some("raw <text> & more"));
        let m = i.block_device_mappings.as_ref().unwrap();
        assert_eq!(m.len(), 2);
        let ebs = m[0].ebs.as_ref().unwrap();
        assert_eq!(ebs.snapshot_id.as_deref(), Some("snap-1"));
        assert_eq!(ebs.volume_size, Some(8));
        assert_eq!(ebs.encrypted, Some(true));
        assert_eq!(ebs.ebs_card_index, Some(2));
        assert_eq!(m[1].no_device.as_deref(), Some(""));
        assert!(m[1].ebs.is_none());
        assert_eq!(
            i.product_codes.as_ref().unwrap()[0]
                .product_code_type
                .as_deref(),
            Some("marketplace")
        );
        assert_eq!(i.tags, Some(vec![]));
        assert_eq!(
            i.state_reason.as_ref().unwrap().message.as_deref(),
            Some(" spaced ")
        );
        assert_eq!(i.kernel_id, None);
        assert_eq!(
            i.unknown_members,
            Some(vec![
                UnknownMember {
                    path: String::new(),
                    xml: "<newMemberFromTheFuture><nested>x</nested></newMemberFromTheFuture>"
                        .into()
                },
                UnknownMember {
                    path: "blockDeviceMapping/2".into(),
                    xml: "<futureFlag/>".into()
                },
            ])
        );
        let j = &page.images[1];
        assert_eq!(j.unknown_members, None);
        assert_eq!(j.tags.as_ref().unwrap()[0].value.as_deref(), Some(""));
        assert_eq!(j.block_device_mappings, None);
    }

    /// Every member of `shape` as EC2 writes it, each with a value.
    fn elements(shape: &[Member], out: &mut String) {
        for m in shape {
            out.push_str(&format!("<{}>", m.xml));
            match m.kind {
                Kind::Text => out.push('x'),
                Kind::Time => out.push_str("2025-01-02T03:04:05.000Z"),
                Kind::Bool => out.push_str("true"),
                Kind::Int => out.push('7'),
                Kind::Struct(inner) => elements(inner, out),
                Kind::List(inner) => {
                    out.push_str("<item>");
                    elements(inner, out);
                    out.push_str("</item>");
                }
            }
            out.push_str(&format!("</{}>", m.xml));
        }
    }

    /// Whether `array` holds a value at `row`, at every depth (a list's first item).
    fn filled(name: &str, array: &ArrayRef, row: usize) {
        assert!(array.is_valid(row), "{name} was not read");
        match array.data_type() {
            DataType::Struct(fields) => {
                let s = array.as_struct();
                for (field, child) in fields.iter().zip(s.columns()) {
                    filled(&format!("{name}.{}", field.name()), child, row);
                }
            }
            DataType::List(_) => {
                let list = array.as_list::<i32>();
                assert!(list.value_length(row) > 0, "{name} is empty");
                let first = list.value_offsets()[row] as usize;
                filled(&format!("{name}[]"), list.values(), first);
            }
            _ => {}
        }
    }

    #[test]
    fn reads_every_member_the_shape_declares_at_every_depth() {
        let mut xml = String::from("<DescribeImagesResponse><imagesSet><item>");
        elements(IMAGE, &mut xml);
        xml.push_str("</item></imagesSet></DescribeImagesResponse>");
        let page = parse(xml.as_bytes()).unwrap();
        let image = &page.images[0];
        assert_eq!(
            image.unknown_members, None,
            "every declared element is known"
        );
        let origin = crate::batch::PageOrigin {
            run_id: 1,
            region: "r".into(),
            viewer_account_id: "1".into(),
            scope: "owned".into(),
        };
        let batch = crate::batch::to_record_batch(&origin, &page.images).unwrap();
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            if field.name() != crate::shape::UNKNOWN_MEMBERS {
                filled(field.name(), column, 0);
            }
        }
    }

    #[test]
    fn unknown_elements_are_kept_with_their_path_at_any_depth() {
        let xml = "<DescribeImagesResponse><requestId>r</requestId><imagesSet>\
            <item><imageId>ami-1</imageId>\
            <blockDeviceMapping><item><deviceName>a</deviceName></item>\
            <item><ebs><volumeSize>8</volumeSize><futureRate a=\"1\">5<x/></futureRate></ebs></item></blockDeviceMapping>\
            <scanResults><futureScore>9.8</futureScore></scanResults>\
            <tagSet><item><key>k</key><futureTagMeta/></item></tagSet>\
            <instanceTypeSpecification><supportedInstanceTypeSet><item><instanceType>t3.micro</instanceType><futureSize>1</futureSize></item></supportedInstanceTypeSet></instanceTypeSpecification>\
            <futureTop>&amp;</futureTop></item>\
            </imagesSet><futureResponseMember>x</futureResponseMember></DescribeImagesResponse>";
        let page = parse(xml.as_bytes()).unwrap();
        let kept: Vec<(&str, &str)> = page.images[0]
            .unknown_members
            .iter()
            .flatten()
            .map(|u| (u.path.as_str(), u.xml.as_str()))
            .collect();
        assert_eq!(
            kept,
            [
                (
                    "blockDeviceMapping/2/ebs",
                    "<futureRate a=\"1\">5<x/></futureRate>"
                ),
                ("scanResults", "<futureScore>9.8</futureScore>"),
                ("tagSet/1", "<futureTagMeta/>"),
                (
                    "instanceTypeSpecification/supportedInstanceTypeSet/1",
                    "<futureSize>1</futureSize>"
                ),
                ("", "<futureTop>&amp;</futureTop>"),
            ]
        );
        let ebs = page.images[0].block_device_mappings.as_ref().unwrap()[1]
            .ebs
            .as_ref()
            .unwrap();
        assert_eq!(ebs.volume_size, Some(8), "known members around it are read");
    }

    #[test]
    fn bad_documents_fail_with_a_reason() {
        let cases = [
            ("", "not a DescribeImagesResponse"),
            ("<Other/>", "not a DescribeImagesResponse"),
            (
                "<DescribeImagesResponse><imagesSet><item><imageId>ami-1",
                "ends before",
            ),
            (
                "<DescribeImagesResponse><imagesSet><item><isPublic>yes</isPublic></item></imagesSet></DescribeImagesResponse>",
                "not true or false",
            ),
            (
                "<DescribeImagesResponse><imagesSet><item><blockDeviceMapping><item><ebs><volumeSize>8GB</volumeSize></ebs></item></blockDeviceMapping></item></imagesSet></DescribeImagesResponse>",
                "not a 32-bit integer",
            ),
            (
                "<DescribeImagesResponse><a></b></DescribeImagesResponse>",
                "malformed",
            ),
            (
                "<DescribeImagesResponse><name>&bogus;</name></DescribeImagesResponse>",
                "",
            ),
        ];
        let not_utf8 = b"<DescribeImagesResponse><imagesSet><item><name>\xff</name></item></imagesSet></DescribeImagesResponse>";
        let e = parse(not_utf8).unwrap_err();
        assert!(e.contains("malformed"), "{e}");
        for (xml, needle) in cases {
            match parse(xml.as_bytes()) {
                Err(e) => assert!(e.contains(needle), "{xml}: {e}"),
                Ok(page) => assert!(
                    needle.is_empty() && page.images.is_empty(),
                    "{xml} parsed: {page:?}"
                ),
            }
        }
    }
}
