//! Pages of images become Arrow record batches.
//!
//! The batch schema is the shape's declaration (`crate::shape`): every member of the
//! API's `Image` shape (nested ones as structs and lists of structs), each timestamp's
//! original text beside a typed `*_ts` column, the elements the reader did not know,
//! and the partition's coordinates (run, region, viewer account, scope). Two hashes are
//! computed here, once per image (`hash`), so the store can detect change with a join
//! instead of comparing 40 columns:
//! - `content_hash` covers what every viewer is shown the same way;
//! - `view_hash` covers what depends on the viewer: tags, last launched time and whether
//!   the viewer's Allowed AMIs setting allows the image.

mod hash;

use std::sync::{Arc, LazyLock};

use arrow::array::{
    Array, ArrayRef, BooleanArray, Int32Array, Int64Array, ListArray, RecordBatch, StringArray,
    StructArray, TimestampMicrosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

pub use hash::{content_hashes, view_hashes};

use crate::shape::{IMAGE, Kind, Member, UNKNOWN_MEMBERS};
use amiq_image::{
    BlockDeviceMapping, EbsBlockDevice, Image, ImageWatermark, InstanceTypeItem, ProductCode,
    ScanResults, Tag, UnknownMember,
};

/// Where a page came from: the constant columns of its batch.
#[derive(Debug, Clone)]
pub struct PageOrigin {
    pub run_id: i64,
    pub region: String,
    pub viewer_account_id: String,
    pub scope: String,
}

fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The Arrow fields of a shape's members, in its order: a time member is its text and
/// its `_ts`.
pub fn fields_of(shape: &[Member]) -> Vec<Field> {
    let mut out = Vec::with_capacity(shape.len() + 4);
    for m in shape {
        let data_type = match m.kind {
            Kind::Text | Kind::Time => DataType::Utf8,
            Kind::Bool => DataType::Boolean,
            Kind::Int => DataType::Int32,
            Kind::Struct(inner) => DataType::Struct(fields_of(inner).into()),
            Kind::List(inner) => DataType::List(Arc::new(item(fields_of(inner).into()))),
        };
        out.push(Field::new(m.column, data_type, true));
        if m.kind == Kind::Time {
            out.push(Field::new(
                format!("{}_ts", m.column),
                timestamp_type(),
                true,
            ));
        }
    }
    out
}

fn item(fields: Fields) -> Field {
    Field::new("item", DataType::Struct(fields), true)
}

fn unknown_fields() -> Fields {
    Fields::from(vec![
        Field::new("path", DataType::Utf8, true),
        Field::new("xml", DataType::Utf8, true),
    ])
}

/// The schema of every batch, in column order.
pub fn schema() -> SchemaRef {
    SCHEMA.clone()
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut fields = vec![
        Field::new("run_id", DataType::Int64, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("viewer_account_id", DataType::Utf8, false),
        Field::new("scope", DataType::Utf8, false),
        Field::new("content_hash", DataType::Int64, false),
        Field::new("view_hash", DataType::Int64, false),
    ];
    for field in fields_of(IMAGE) {
        // Every stored image has an id (to_record_batch refuses one without).
        let nullable = field.name() != "image_id";
        fields.push(field.with_nullable(nullable));
    }
    fields.push(Field::new(
        UNKNOWN_MEMBERS,
        DataType::List(Arc::new(item(unknown_fields()))),
        true,
    ));
    Arc::new(Schema::new(fields))
});

/// An image the API returned without an id: it cannot be stored or matched later.
#[derive(Debug, thiserror::Error)]
#[error("DescribeImages returned an image without an imageId (item {index} of the page)")]
pub struct MissingImageId {
    pub index: usize,
}

/// Converts one page of images into a record batch.
pub fn to_record_batch(
    origin: &PageOrigin,
    images: &[Image],
) -> Result<RecordBatch, MissingImageId> {
    if let Some(index) = images.iter().position(|i| i.image_id.is_none()) {
        return Err(MissingImageId { index });
    }
    let n = images.len();
    let mut members = with_times(IMAGE, |m| image_column(m, images));
    members.push(unknown_members(images));
    let schema = schema();
    let member_fields: Vec<Field> = schema.fields()[6..]
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let shaped = RecordBatch::try_new(Arc::new(Schema::new(member_fields)), members.clone())
        .expect("member columns follow the schema");
    let constant = |v: &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(v, n)))
    };
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_value(origin.run_id, n)),
        constant(&origin.region),
        constant(&origin.viewer_account_id),
        constant(&origin.scope),
        Arc::new(Int64Array::from(content_hashes(&shaped))),
        Arc::new(Int64Array::from(view_hashes(&shaped))),
    ];
    columns.extend(members);
    Ok(RecordBatch::try_new(schema, columns).expect("columns follow the schema"))
}

/// The content and view hash of each image, as a sync stores them.
pub fn image_hashes(images: &[Image]) -> Result<Vec<(i64, i64)>, MissingImageId> {
    let origin = PageOrigin {
        run_id: 0,
        region: String::new(),
        viewer_account_id: String::new(),
        scope: String::new(),
    };
    let batch = to_record_batch(&origin, images)?;
    Ok(content_hashes(&batch)
        .into_iter()
        .zip(view_hashes(&batch))
        .collect())
}

/// The columns of `shape`'s members from `column`, each time member followed by its
/// typed `_ts` column parsed from the text.
fn with_times(shape: &[Member], mut column: impl FnMut(&Member) -> ArrayRef) -> Vec<ArrayRef> {
    let mut out = Vec::with_capacity(shape.len() + 4);
    for m in shape {
        let text = column(m);
        if m.kind == Kind::Time {
            let parsed = timestamps(&text);
            out.push(text);
            out.push(parsed);
        } else {
            out.push(text);
        }
    }
    out
}

fn timestamps(text: &ArrayRef) -> ArrayRef {
    let text = text
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("a time member is built as text");
    Arc::new(
        TimestampMicrosecondArray::from_iter(text.iter().map(|t| t.and_then(parse_timestamp)))
            .with_timezone("UTC"),
    )
}

/// Parses the API's ISO-8601 timestamp text; text that does not parse keeps only its
/// text column (NULL typed value) rather than failing the page.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// The column of one member of the image, found by its name in the declaration.
fn image_column(m: &Member, images: &[Image]) -> ArrayRef {
    let s = |f: fn(&Image) -> Option<&String>| strs(&refs(images), f);
    let b = |f: fn(&Image) -> Option<bool>| bools(&refs(images), f);
    match m.column {
        "platform_details" => s(|i| i.platform_details.as_ref()),
        "usage_operation" => s(|i| i.usage_operation.as_ref()),
        "block_device_mappings" => list_column(
            images,
            |i| i.block_device_mappings.as_ref(),
            m,
            |c, items| mapping_column(c, items),
        ),
        "description" => s(|i| i.description.as_ref()),
        "ena_support" => b(|i| i.ena_support),
        "hypervisor" => s(|i| i.hypervisor.as_ref()),
        "image_owner_alias" => s(|i| i.image_owner_alias.as_ref()),
        "name" => s(|i| i.name.as_ref()),
        "root_device_name" => s(|i| i.root_device_name.as_ref()),
        "root_device_type" => s(|i| i.root_device_type.as_ref()),
        "sriov_net_support" => s(|i| i.sriov_net_support.as_ref()),
        "state_reason" => struct_column(
            &images
                .iter()
                .map(|i| i.state_reason.as_ref())
                .collect::<Vec<_>>(),
            m,
            |c, items| match c.column {
                "code" => strs(items, |r| r.code.as_ref()),
                "message" => strs(items, |r| r.message.as_ref()),
                other => unknown_column("StateReason", other),
            },
        ),
        "tags" => list_column(
            images,
            |i| i.tags.as_ref(),
            m,
            |c, items: &[&Tag]| match c.column {
                "key" => strs(items, |t| t.key.as_ref()),
                "value" => strs(items, |t| t.value.as_ref()),
                other => unknown_column("Tag", other),
            },
        ),
        "virtualization_type" => s(|i| i.virtualization_type.as_ref()),
        "boot_mode" => s(|i| i.boot_mode.as_ref()),
        "tpm_support" => s(|i| i.tpm_support.as_ref()),
        "deprecation_time" => s(|i| i.deprecation_time.as_ref()),
        "imds_support" => s(|i| i.imds_support.as_ref()),
        "source_instance_id" => s(|i| i.source_instance_id.as_ref()),
        "deregistration_protection" => s(|i| i.deregistration_protection.as_ref()),
        "last_launched_time" => s(|i| i.last_launched_time.as_ref()),
        "image_allowed" => b(|i| i.image_allowed),
        "source_image_id" => s(|i| i.source_image_id.as_ref()),
        "source_image_region" => s(|i| i.source_image_region.as_ref()),
        "free_tier_eligible" => b(|i| i.free_tier_eligible),
        "public_ssm_parameter_name" => s(|i| i.public_ssm_parameter_name.as_ref()),
        "image_watermarks" => list_column(
            images,
            |i| i.image_watermarks.as_ref(),
            m,
            |c, items: &[&ImageWatermark]| match c.column {
                "watermark_key" => strs(items, |w| w.watermark_key.as_ref()),
                "source_image_region" => strs(items, |w| w.source_image_region.as_ref()),
                "source_image_id" => strs(items, |w| w.source_image_id.as_ref()),
                "source_image_creation_time" => {
                    strs(items, |w| w.source_image_creation_time.as_ref())
                }
                "watermark_creation_time" => strs(items, |w| w.watermark_creation_time.as_ref()),
                other => unknown_column("ImageWatermark", other),
            },
        ),
        "scan_results" => struct_column(
            &images
                .iter()
                .map(|i| i.scan_results.as_ref())
                .collect::<Vec<_>>(),
            m,
            |c, items: &[&ScanResults]| {
                let t = |f: fn(&ScanResults) -> Option<&String>| strs(items, f);
                match c.column {
                    "highest_finding_severity_label" => {
                        t(|r| r.highest_finding_severity_label.as_ref())
                    }
                    "finding_scan_date" => t(|r| r.finding_scan_date.as_ref()),
                    "informational_fix_available_since" => {
                        t(|r| r.informational_fix_available_since.as_ref())
                    }
                    "low_fix_available_since" => t(|r| r.low_fix_available_since.as_ref()),
                    "medium_fix_available_since" => t(|r| r.medium_fix_available_since.as_ref()),
                    "high_fix_available_since" => t(|r| r.high_fix_available_since.as_ref()),
                    "critical_fix_available_since" => {
                        t(|r| r.critical_fix_available_since.as_ref())
                    }
                    other => unknown_column("ScanResults", other),
                }
            },
        ),
        "instance_type_specification" => struct_column(
            &images
                .iter()
                .map(|i| i.instance_type_specification.as_ref())
                .collect::<Vec<_>>(),
            m,
            |c, specs| {
                let types = match c.column {
                    "supported_instance_types" => specs
                        .iter()
                        .map(|s| s.supported_instance_types.as_ref())
                        .collect::<Vec<_>>(),
                    "unsupported_instance_types" => specs
                        .iter()
                        .map(|s| s.unsupported_instance_types.as_ref())
                        .collect(),
                    other => unknown_column("InstanceTypeSpecification", other),
                };
                lists(&types, c, |c, items: &[&InstanceTypeItem]| match c.column {
                    "instance_type" => strs(items, |t| t.instance_type.as_ref()),
                    other => unknown_column("InstanceTypeItem", other),
                })
            },
        ),
        "image_id" => s(|i| i.image_id.as_ref()),
        "image_location" => s(|i| i.image_location.as_ref()),
        "state" => s(|i| i.state.as_ref()),
        "owner_id" => s(|i| i.owner_id.as_ref()),
        "creation_date" => s(|i| i.creation_date.as_ref()),
        "public" => b(|i| i.public),
        "product_codes" => list_column(
            images,
            |i| i.product_codes.as_ref(),
            m,
            |c, items: &[&ProductCode]| match c.column {
                "product_code_id" => strs(items, |p| p.product_code_id.as_ref()),
                "product_code_type" => strs(items, |p| p.product_code_type.as_ref()),
                other => unknown_column("ProductCode", other),
            },
        ),
        "architecture" => s(|i| i.architecture.as_ref()),
        "image_type" => s(|i| i.image_type.as_ref()),
        "kernel_id" => s(|i| i.kernel_id.as_ref()),
        "ramdisk_id" => s(|i| i.ramdisk_id.as_ref()),
        "platform" => s(|i| i.platform.as_ref()),
        other => unknown_column("Image", other),
    }
}

/// A member the declaration has and this module cannot build: caught by every test
/// that builds a batch.
fn unknown_column(shape: &str, column: &str) -> ! {
    panic!("src/shape.rs declares {shape}.{column}, which batch.rs does not build")
}

fn mapping_column(c: &Member, items: &[&BlockDeviceMapping]) -> ArrayRef {
    match c.column {
        "device_name" => strs(items, |m| m.device_name.as_ref()),
        "virtual_name" => strs(items, |m| m.virtual_name.as_ref()),
        "no_device" => strs(items, |m| m.no_device.as_ref()),
        "ebs" => struct_column(
            &items.iter().map(|m| m.ebs.as_ref()).collect::<Vec<_>>(),
            c,
            |c, e: &[&EbsBlockDevice]| match c.column {
                "delete_on_termination" => bools(e, |x| x.delete_on_termination),
                "iops" => ints(e, |x| x.iops),
                "snapshot_id" => strs(e, |x| x.snapshot_id.as_ref()),
                "volume_size" => ints(e, |x| x.volume_size),
                "volume_type" => strs(e, |x| x.volume_type.as_ref()),
                "kms_key_id" => strs(e, |x| x.kms_key_id.as_ref()),
                "throughput" => ints(e, |x| x.throughput),
                "outpost_arn" => strs(e, |x| x.outpost_arn.as_ref()),
                "availability_zone" => strs(e, |x| x.availability_zone.as_ref()),
                "encrypted" => bools(e, |x| x.encrypted),
                "volume_initialization_rate" => ints(e, |x| x.volume_initialization_rate),
                "availability_zone_id" => strs(e, |x| x.availability_zone_id.as_ref()),
                "ebs_card_index" => ints(e, |x| x.ebs_card_index),
                other => unknown_column("EbsBlockDevice", other),
            },
        ),
        other => unknown_column("BlockDeviceMapping", other),
    }
}

fn refs(images: &[Image]) -> Vec<&Image> {
    images.iter().collect()
}

/// A struct column of `m`'s members: one struct per entry, null where `None`, the
/// children built (from the present entries, with defaults in the null slots) by
/// `child` and ordered as the declaration is.
fn struct_column<'a, T: Default + 'a>(
    entries: &[Option<&'a T>],
    m: &Member,
    child: impl Fn(&Member, &[&T]) -> ArrayRef,
) -> ArrayRef {
    let Kind::Struct(shape) = m.kind else {
        panic!("{} is not a struct", m.column)
    };
    let empty = T::default();
    let present: Vec<&T> = entries.iter().map(|e| e.unwrap_or(&empty)).collect();
    let children = with_times(shape, |c| child(c, &present));
    let nulls = NullBuffer::from(entries.iter().map(Option::is_some).collect::<Vec<_>>());
    Arc::new(StructArray::new(
        fields_of(shape).into(),
        children,
        nulls.null_count().gt(&0).then_some(nulls),
    ))
}

/// A `List<Struct>` column of the image's member `m`.
fn list_column<'a, T: 'a>(
    images: &'a [Image],
    get: impl Fn(&'a Image) -> Option<&'a Vec<T>>,
    m: &Member,
    child: impl Fn(&Member, &[&'a T]) -> ArrayRef,
) -> ArrayRef {
    let entries: Vec<Option<&'a Vec<T>>> = images.iter().map(get).collect();
    lists(&entries, m, child)
}

/// A `List<Struct>` column: one list per entry, `None` where the element was absent,
/// with the struct's children built from the flattened items.
fn lists<'a, T: 'a>(
    entries: &[Option<&'a Vec<T>>],
    m: &Member,
    child: impl Fn(&Member, &[&'a T]) -> ArrayRef,
) -> ArrayRef {
    let Kind::List(shape) = m.kind else {
        panic!("{} is not a list", m.column)
    };
    let mut offsets = Vec::with_capacity(entries.len() + 1);
    let mut valid = Vec::with_capacity(entries.len());
    let mut items: Vec<&T> = Vec::new();
    offsets.push(0i32);
    for list in entries {
        valid.push(list.is_some());
        items.extend(list.iter().copied().flatten());
        offsets.push(items.len() as i32);
    }
    let fields: Fields = fields_of(shape).into();
    let values = StructArray::new(
        fields.clone(),
        with_times(shape, |c| child(c, &items)),
        None,
    );
    let nulls = NullBuffer::from(valid);
    Arc::new(ListArray::new(
        Arc::new(item(fields)),
        OffsetBuffer::new(offsets.into()),
        Arc::new(values),
        nulls.null_count().gt(&0).then_some(nulls),
    ))
}

/// The unknown elements of each image: `(path, xml)` items, NULL where there were none.
fn unknown_members(images: &[Image]) -> ArrayRef {
    let entries: Vec<Option<&Vec<UnknownMember>>> =
        images.iter().map(|i| i.unknown_members.as_ref()).collect();
    let mut offsets = vec![0i32];
    let mut items: Vec<&UnknownMember> = Vec::new();
    for list in &entries {
        items.extend(list.iter().copied().flatten());
        offsets.push(items.len() as i32);
    }
    let values = StructArray::new(
        unknown_fields(),
        vec![
            Arc::new(StringArray::from_iter_values(
                items.iter().map(|u| u.path.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                items.iter().map(|u| u.xml.as_str()),
            )),
        ],
        None,
    );
    let nulls = NullBuffer::from(entries.iter().map(Option::is_some).collect::<Vec<_>>());
    Arc::new(ListArray::new(
        Arc::new(item(unknown_fields())),
        OffsetBuffer::new(offsets.into()),
        Arc::new(values),
        nulls.null_count().gt(&0).then_some(nulls),
    ))
}

fn strs<'a, T>(items: &[&'a T], f: impl Fn(&'a T) -> Option<&'a String>) -> ArrayRef {
    Arc::new(StringArray::from_iter(
        items.iter().map(|i| f(*i).map(String::as_str)),
    ))
}
fn bools<T>(items: &[&T], f: impl Fn(&T) -> Option<bool>) -> ArrayRef {
    Arc::new(BooleanArray::from_iter(items.iter().map(|i| f(*i))))
}
fn ints<T>(items: &[&T], f: impl Fn(&T) -> Option<i32>) -> ArrayRef {
    Arc::new(Int32Array::from_iter(items.iter().map(|i| f(*i))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;

    fn origin() -> PageOrigin {
        PageOrigin {
            run_id: 7,
            region: "us-east-1".into(),
            viewer_account_id: "111111111111".into(),
            scope: "owned".into(),
        }
    }

    fn image(id: &str) -> Image {
        Image {
            image_id: Some(id.into()),
            creation_date: Some("2021-09-29T11:04:43.305Z".into()),
            block_device_mappings: Some(vec![
                BlockDeviceMapping {
                    device_name: Some("/dev/xvda".into()),
                    ebs: Some(EbsBlockDevice {
                        volume_size: Some(8),
                        encrypted: Some(false),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                BlockDeviceMapping {
                    device_name: Some("/dev/sdb".into()),
                    virtual_name: Some("ephemeral0".into()),
                    ..Default::default()
                },
            ]),
            tags: Some(vec![]),
            ..Default::default()
        }
    }

    #[test]
    fn a_page_keeps_every_member_and_the_timestamp_text() {
        let batch = to_record_batch(
            &origin(),
            &[
                image("ami-1"),
                Image {
                    image_id: Some("ami-2".into()),
                    ..Default::default()
                },
            ],
        )
        .unwrap();
        assert_eq!(batch.num_rows(), 2);
        // Coordinates and hashes, 41 members, 3 `_ts` columns, the unknown elements.
        assert_eq!(batch.num_columns(), 6 + 41 + 3 + 1);
        let ts = batch
            .column_by_name("creation_date_ts")
            .unwrap()
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        assert_eq!(ts.value(0), 1_632_913_483_305_000);
        assert!(ts.is_null(1));
        let tags = batch.column_by_name("tags").unwrap();
        assert!(
            tags.is_valid(0),
            "an empty tag set is kept as an empty list"
        );
        assert!(tags.is_null(1), "an absent tag set is kept as NULL");
        let bdm = batch
            .column_by_name("block_device_mappings")
            .unwrap()
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        assert_eq!(bdm.value_length(0), 2);
        let items = bdm.values().as_any().downcast_ref::<StructArray>().unwrap();
        let ebs = items.column_by_name("ebs").unwrap();
        assert!(ebs.is_valid(0) && ebs.is_null(1));
    }

    #[test]
    fn an_image_without_id_is_an_error() {
        let err = to_record_batch(&origin(), &[image("ami-1"), Image::default()]).unwrap_err();
        assert_eq!(err.index, 1);
    }

    fn hashes(i: &Image) -> (i64, i64) {
        let batch = to_record_batch(&origin(), std::slice::from_ref(i)).unwrap();
        (content_hashes(&batch)[0], view_hashes(&batch)[0])
    }
    fn content_hash(i: &Image) -> i64 {
        hashes(i).0
    }
    fn view_hash(i: &Image) -> i64 {
        hashes(i).1
    }

    #[test]
    fn hashes_separate_shared_content_from_the_viewers_view() {
        let a = image("ami-1");
        let mut tagged = a.clone();
        tagged.tags = Some(vec![Tag {
            key: Some("k".into()),
            value: Some("v".into()),
        }]);
        assert_eq!(content_hash(&a), content_hash(&tagged));
        assert_ne!(view_hash(&a), view_hash(&tagged));

        let mut no_tags = a.clone();
        no_tags.tags = None;
        assert_ne!(
            view_hash(&a),
            view_hash(&no_tags),
            "empty and absent differ"
        );

        let mut described = a.clone();
        described.description = Some("x".into());
        assert_ne!(content_hash(&a), content_hash(&described));
        assert_eq!(view_hash(&a), view_hash(&described));

        // Field boundaries matter: moving text between fields changes the hash.
        let mut n1 = a.clone();
        n1.name = Some("ab".into());
        n1.description = Some("c".into());
        let mut n2 = a.clone();
        n2.name = Some("a".into());
        n2.description = Some("bc".into());
        assert_ne!(content_hash(&n1), content_hash(&n2));
    }

    #[test]
    fn hashes_never_change_between_versions() {
        // A store keeps these hashes: a new version of amiq that computed them
        // differently would record every image as changed on its next sync. Change
        // them only with a migration that rehashes every stored row (0002 did).
        let mut a = image("ami-1");
        a.tags = Some(vec![Tag {
            key: Some("team".into()),
            value: Some("web, \"blue\" \u{e9}".into()),
        }]);
        a.last_launched_time = Some("2026-01-02T03:04:05Z".into());
        a.image_allowed = Some(true);
        let mut b = full_image();
        b.unknown_members = Some(vec![UnknownMember {
            path: "blockDeviceMapping/1/ebs".into(),
            xml: "<futureMember>1</futureMember>".into(),
        }]);
        let bare = Image {
            image_id: Some("ami-12345678".into()),
            ..Default::default()
        };
        assert_eq!(
            [hashes(&a), hashes(&full_image()), hashes(&b), hashes(&bare)],
            GOLDEN,
            "content and view hashes of fixed images"
        );
    }

    const GOLDEN: [(i64, i64); 4] = [
        (-2_957_496_491_242_736_334, 8_685_728_184_148_273_929),
        (-714_951_445_111_952_911, 8_413_636_090_976_444_310),
        (6_081_883_380_712_347_337, 8_413_636_090_976_444_310),
        (1_695_672_079_636_986_714, 1_389_868_326_933_519_382),
    ];

    /// An image with every member of the shape present.
    fn full_image() -> Image {
        let t = |s: &str| Some(s.to_string());
        Image {
            image_id: t("ami-0123456789abcdef0"),
            image_location: t("amazon/al2023"),
            state: t("available"),
            owner_id: t("137112412989"),
            creation_date: t("2025-01-02T03:04:05.000Z"),
            public: Some(true),
            product_codes: Some(vec![ProductCode {
                product_code_id: t("pc"),
                product_code_type: t("marketplace"),
            }]),
            architecture: t("x86_64"),
            image_type: t("machine"),
            kernel_id: t("aki-12345678"),
            ramdisk_id: t("ari-12345678"),
            platform: t("windows"),
            platform_details: t("Windows"),
            usage_operation: t("RunInstances:0002"),
            block_device_mappings: Some(vec![BlockDeviceMapping {
                device_name: t("/dev/xvda"),
                virtual_name: t("ephemeral0"),
                no_device: t(""),
                ebs: Some(EbsBlockDevice {
                    delete_on_termination: Some(true),
                    iops: Some(3000),
                    snapshot_id: t("snap-1"),
                    volume_size: Some(8),
                    volume_type: t("gp3"),
                    kms_key_id: t("k"),
                    throughput: Some(125),
                    outpost_arn: t("arn:o"),
                    availability_zone: t("us-east-1a"),
                    encrypted: Some(false),
                    volume_initialization_rate: Some(100),
                    availability_zone_id: t("use1-az1"),
                    ebs_card_index: Some(0),
                }),
            }]),
            description: t("d"),
            ena_support: Some(true),
            hypervisor: t("xen"),
            image_owner_alias: t("amazon"),
            name: t("n"),
            root_device_name: t("/dev/xvda"),
            root_device_type: t("ebs"),
            sriov_net_support: t("simple"),
            state_reason: Some(amiq_image::StateReason {
                code: t("c"),
                message: t("m"),
            }),
            tags: Some(vec![Tag {
                key: t("k"),
                value: t("v"),
            }]),
            virtualization_type: t("hvm"),
            boot_mode: t("uefi"),
            tpm_support: t("v2.0"),
            deprecation_time: t("2027-01-01T00:00:00.000Z"),
            imds_support: t("v2.0"),
            source_instance_id: t("i-1"),
            deregistration_protection: t("disabled"),
            last_launched_time: t("2026-01-02T03:04:05Z"),
            image_allowed: Some(true),
            source_image_id: t("ami-1"),
            source_image_region: t("eu-west-1"),
            free_tier_eligible: Some(false),
            public_ssm_parameter_name: t("/aws/service/ami-amazon-linux-latest/al2023"),
            image_watermarks: Some(vec![ImageWatermark {
                watermark_key: t("wm"),
                source_image_region: t("eu-west-1"),
                source_image_id: t("ami-1"),
                source_image_creation_time: t("2024-01-01T00:00:00.000Z"),
                watermark_creation_time: t("2024-02-01T00:00:00.000Z"),
            }]),
            scan_results: Some(ScanResults {
                highest_finding_severity_label: t("high"),
                finding_scan_date: t("2026-01-01T00:00:00.000Z"),
                informational_fix_available_since: t("2025-01-01T00:00:00.000Z"),
                low_fix_available_since: t("2025-02-01T00:00:00.000Z"),
                medium_fix_available_since: t("2025-03-01T00:00:00.000Z"),
                high_fix_available_since: t("2025-04-01T00:00:00.000Z"),
                critical_fix_available_since: None,
            }),
            instance_type_specification: Some(amiq_image::InstanceTypeSpecification {
                supported_instance_types: Some(vec![InstanceTypeItem {
                    instance_type: t("m7i.large"),
                }]),
                unsupported_instance_types: Some(vec![]),
            }),
            unknown_members: None,
        }
    }

    #[test]
    fn every_member_reaches_the_batch_and_the_right_hash() {
        let full = full_image();
        let batch = to_record_batch(&origin(), std::slice::from_ref(&full)).unwrap();
        for field in batch.schema().fields().iter().skip(6) {
            let name = field.name();
            if name == UNKNOWN_MEMBERS {
                continue;
            }
            assert!(
                batch.column_by_name(name).unwrap().is_valid(0),
                "{name} is empty"
            );
        }
        // Taking any one member away changes exactly the hash it belongs to.
        let base = hashes(&full);
        // Every image has an id; every other member may be absent.
        for member in IMAGE.iter().filter(|m| m.column != "image_id") {
            let batch = to_record_batch(&origin(), std::slice::from_ref(&full)).unwrap();
            let index = batch.schema().index_of(member.column).unwrap();
            let mut columns = batch.columns().to_vec();
            columns[index] = arrow::array::new_null_array(columns[index].data_type(), 1);
            let blanked = RecordBatch::try_new(batch.schema(), columns).unwrap();
            let now = (content_hashes(&blanked)[0], view_hashes(&blanked)[0]);
            match member.seen {
                crate::shape::Seen::ByEveryone => {
                    assert!(now.0 != base.0 && now.1 == base.1, "{}", member.column)
                }
                crate::shape::Seen::ByViewer => {
                    assert!(now.0 == base.0 && now.1 != base.1, "{}", member.column)
                }
            }
        }
    }

    #[test]
    fn a_member_no_image_carries_changes_no_hash() {
        // What the next release sees after it adds a member EC2 does not send yet: a
        // NULL column of a new name, and the shape extended by it.
        let images = [image("ami-1"), full_image()];
        let batch = to_record_batch(&origin(), &images).unwrap();
        let mut fields: Vec<Field> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("future_member", DataType::Utf8, true));
        let mut columns = batch.columns().to_vec();
        columns.push(arrow::array::new_null_array(&DataType::Utf8, 2));
        let extended = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
        const FUTURE: Member = Member {
            api: "FutureMember",
            xml: "futureMember",
            column: "future_member",
            kind: Kind::Text,
            seen: crate::shape::Seen::ByEveryone,
        };
        let mut members: Vec<&Member> = IMAGE
            .iter()
            .filter(|m| m.seen == crate::shape::Seen::ByEveryone)
            .collect();
        members.insert(3, &FUTURE);
        assert_eq!(
            hash::hashes(&extended, &members, true),
            content_hashes(&batch)
        );
        // Reordering the declaration changes nothing either: members are keyed by name.
        members.reverse();
        assert_eq!(
            hash::hashes(&extended, &members, true),
            content_hashes(&batch)
        );
        // Once an image carries it, its hash changes.
        let mut columns = extended.columns().to_vec();
        let last = columns.len() - 1;
        columns[last] = Arc::new(StringArray::from(vec![Some("x"), None]));
        let carried = RecordBatch::try_new(extended.schema(), columns).unwrap();
        let after = hash::hashes(&carried, &members, true);
        assert_ne!(after[0], content_hashes(&batch)[0]);
        assert_eq!(after[1], content_hashes(&batch)[1]);
    }

    #[test]
    fn unknown_elements_count_only_when_present() {
        let plain = full_image();
        let mut with = plain.clone();
        with.unknown_members = Some(vec![UnknownMember {
            path: String::new(),
            xml: "<futureMember>1</futureMember>".into(),
        }]);
        assert_ne!(hashes(&plain).0, hashes(&with).0);
        assert_eq!(hashes(&plain).1, hashes(&with).1);
        let mut other = with.clone();
        other.unknown_members.as_mut().unwrap()[0].xml = "<futureMember>2</futureMember>".into();
        assert_ne!(hashes(&with).0, hashes(&other).0);
    }
}
