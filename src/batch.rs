//! Pages of images become Arrow record batches.
//!
//! The batch schema holds every member of the API's `Image` shape (nested ones as lists
//! of structs), the original timestamp text beside typed `*_ts` columns, and the
//! partition's coordinates (run, region, viewer account, scope). Two content hashes
//! are computed here, once per image, so the store can detect change with a join
//! instead of comparing 40 columns:
//! - `content_hash` covers what every viewer is shown the same way;
//! - `view_hash` covers what depends on the viewer: tags, last launched time and
//!   whether the viewer's Allowed AMIs setting allows the image.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanArray, Int32Array, Int64Array, ListArray, RecordBatch, StringArray,
    StructArray, TimestampMicrosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use xxhash_rust::xxh3::xxh3_64;

use crate::image::{BlockDeviceMapping, EbsBlockDevice, Image, ProductCode, Tag};

/// Where a page came from: the constant columns of its batch.
#[derive(Debug, Clone)]
pub struct PageOrigin {
    pub run_id: i64,
    pub region: String,
    pub viewer_account_id: String,
    pub scope: String,
}

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}
fn boolean(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}
fn int32(name: &str) -> Field {
    Field::new(name, DataType::Int32, true)
}
fn timestamp(name: &str) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        true,
    )
}
fn list_of(name: &str, fields: Fields) -> Field {
    Field::new(name, DataType::List(Arc::new(item(fields))), true)
}
fn item(fields: Fields) -> Field {
    Field::new("item", DataType::Struct(fields), true)
}

fn product_code_fields() -> Fields {
    Fields::from(vec![utf8("product_code_id"), utf8("product_code_type")])
}
fn tag_fields() -> Fields {
    Fields::from(vec![utf8("key"), utf8("value")])
}
fn state_reason_fields() -> Fields {
    Fields::from(vec![utf8("code"), utf8("message")])
}
fn ebs_fields() -> Fields {
    Fields::from(vec![
        boolean("delete_on_termination"),
        int32("iops"),
        utf8("snapshot_id"),
        int32("volume_size"),
        utf8("volume_type"),
        utf8("kms_key_id"),
        int32("throughput"),
        utf8("outpost_arn"),
        utf8("availability_zone"),
        boolean("encrypted"),
        int32("volume_initialization_rate"),
        utf8("availability_zone_id"),
        int32("ebs_card_index"),
    ])
}
fn block_device_mapping_fields() -> Fields {
    Fields::from(vec![
        utf8("device_name"),
        utf8("virtual_name"),
        utf8("no_device"),
        Field::new("ebs", DataType::Struct(ebs_fields()), true),
    ])
}

/// The schema of every batch, in column order.
pub fn schema() -> SchemaRef {
    SCHEMA.clone()
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("run_id", DataType::Int64, false),
        Field::new("region", DataType::Utf8, false),
        Field::new("viewer_account_id", DataType::Utf8, false),
        Field::new("scope", DataType::Utf8, false),
        Field::new("content_hash", DataType::Int64, false),
        Field::new("view_hash", DataType::Int64, false),
        Field::new("image_id", DataType::Utf8, false),
        utf8("image_location"),
        utf8("state"),
        utf8("owner_id"),
        utf8("creation_date"),
        timestamp("creation_date_ts"),
        boolean("public"),
        list_of("product_codes", product_code_fields()),
        utf8("architecture"),
        utf8("image_type"),
        utf8("kernel_id"),
        utf8("ramdisk_id"),
        utf8("platform"),
        utf8("platform_details"),
        utf8("usage_operation"),
        list_of("block_device_mappings", block_device_mapping_fields()),
        utf8("description"),
        boolean("ena_support"),
        utf8("hypervisor"),
        utf8("image_owner_alias"),
        utf8("name"),
        utf8("root_device_name"),
        utf8("root_device_type"),
        utf8("sriov_net_support"),
        Field::new(
            "state_reason",
            DataType::Struct(state_reason_fields()),
            true,
        ),
        list_of("tags", tag_fields()),
        utf8("virtualization_type"),
        utf8("boot_mode"),
        utf8("tpm_support"),
        utf8("deprecation_time"),
        timestamp("deprecation_time_ts"),
        utf8("imds_support"),
        utf8("source_instance_id"),
        utf8("deregistration_protection"),
        utf8("last_launched_time"),
        timestamp("last_launched_time_ts"),
        boolean("image_allowed"),
        utf8("source_image_id"),
        utf8("source_image_region"),
        boolean("free_tier_eligible"),
    ]))
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
    let s = |f: fn(&Image) -> Option<&String>| -> ArrayRef {
        Arc::new(StringArray::from_iter(
            images.iter().map(|i| f(i).map(String::as_str)),
        ))
    };
    let b = |f: fn(&Image) -> Option<bool>| -> ArrayRef {
        Arc::new(BooleanArray::from_iter(images.iter().map(f)))
    };
    let ts = |f: fn(&Image) -> Option<&String>| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from_iter(
                images.iter().map(|i| f(i).and_then(|t| parse_timestamp(t))),
            )
            .with_timezone("UTC"),
        )
    };
    let constant = |v: &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(v, n)))
    };

    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_value(origin.run_id, n)),
        constant(&origin.region),
        constant(&origin.viewer_account_id),
        constant(&origin.scope),
        Arc::new(Int64Array::from_iter_values(
            images.iter().map(content_hash),
        )),
        Arc::new(Int64Array::from_iter_values(images.iter().map(view_hash))),
        s(|i| i.image_id.as_ref()),
        s(|i| i.image_location.as_ref()),
        s(|i| i.state.as_ref()),
        s(|i| i.owner_id.as_ref()),
        s(|i| i.creation_date.as_ref()),
        ts(|i| i.creation_date.as_ref()),
        b(|i| i.public),
        product_codes(images),
        s(|i| i.architecture.as_ref()),
        s(|i| i.image_type.as_ref()),
        s(|i| i.kernel_id.as_ref()),
        s(|i| i.ramdisk_id.as_ref()),
        s(|i| i.platform.as_ref()),
        s(|i| i.platform_details.as_ref()),
        s(|i| i.usage_operation.as_ref()),
        block_device_mappings(images),
        s(|i| i.description.as_ref()),
        b(|i| i.ena_support),
        s(|i| i.hypervisor.as_ref()),
        s(|i| i.image_owner_alias.as_ref()),
        s(|i| i.name.as_ref()),
        s(|i| i.root_device_name.as_ref()),
        s(|i| i.root_device_type.as_ref()),
        s(|i| i.sriov_net_support.as_ref()),
        state_reasons(images),
        tags(images),
        s(|i| i.virtualization_type.as_ref()),
        s(|i| i.boot_mode.as_ref()),
        s(|i| i.tpm_support.as_ref()),
        s(|i| i.deprecation_time.as_ref()),
        ts(|i| i.deprecation_time.as_ref()),
        s(|i| i.imds_support.as_ref()),
        s(|i| i.source_instance_id.as_ref()),
        s(|i| i.deregistration_protection.as_ref()),
        s(|i| i.last_launched_time.as_ref()),
        ts(|i| i.last_launched_time.as_ref()),
        b(|i| i.image_allowed),
        s(|i| i.source_image_id.as_ref()),
        s(|i| i.source_image_region.as_ref()),
        b(|i| i.free_tier_eligible),
    ];
    Ok(RecordBatch::try_new(schema(), columns).expect("columns follow the schema"))
}

/// Parses the API's ISO-8601 timestamp text; text that does not parse keeps only its
/// text column (NULL typed value) rather than failing the page.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// Builds a `List<Struct>` column: one list per image, `None` where the element was
/// absent, with the struct's children built from the flattened items.
fn list_column<'a, T: 'a>(
    images: &'a [Image],
    get: impl Fn(&'a Image) -> Option<&'a Vec<T>>,
    fields: Fields,
    children: impl FnOnce(&[&'a T]) -> Vec<ArrayRef>,
) -> ArrayRef {
    let mut offsets = Vec::with_capacity(images.len() + 1);
    let mut valid = Vec::with_capacity(images.len());
    let mut items: Vec<&T> = Vec::new();
    offsets.push(0i32);
    for image in images {
        let list = get(image);
        valid.push(list.is_some());
        items.extend(list.into_iter().flatten());
        offsets.push(items.len() as i32);
    }
    let values = StructArray::new(fields.clone(), children(&items), None);
    let nulls = NullBuffer::from(valid);
    Arc::new(ListArray::new(
        Arc::new(item(fields)),
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

fn product_codes(images: &[Image]) -> ArrayRef {
    list_column(
        images,
        |i| i.product_codes.as_ref(),
        product_code_fields(),
        |items: &[&ProductCode]| {
            vec![
                strs(items, |p| p.product_code_id.as_ref()),
                strs(items, |p| p.product_code_type.as_ref()),
            ]
        },
    )
}

fn tags(images: &[Image]) -> ArrayRef {
    list_column(
        images,
        |i| i.tags.as_ref(),
        tag_fields(),
        |items: &[&Tag]| {
            vec![
                strs(items, |t| t.key.as_ref()),
                strs(items, |t| t.value.as_ref()),
            ]
        },
    )
}

fn block_device_mappings(images: &[Image]) -> ArrayRef {
    list_column(
        images,
        |i| i.block_device_mappings.as_ref(),
        block_device_mapping_fields(),
        |items: &[&BlockDeviceMapping]| {
            let ebs: Vec<Option<&EbsBlockDevice>> = items.iter().map(|m| m.ebs.as_ref()).collect();
            let present: Vec<&EbsBlockDevice> =
                ebs.iter().map(|e| e.unwrap_or(&EMPTY_EBS)).collect();
            let e = present.as_slice();
            let ebs_children = vec![
                bools(e, |x| x.delete_on_termination),
                ints(e, |x| x.iops),
                strs(e, |x| x.snapshot_id.as_ref()),
                ints(e, |x| x.volume_size),
                strs(e, |x| x.volume_type.as_ref()),
                strs(e, |x| x.kms_key_id.as_ref()),
                ints(e, |x| x.throughput),
                strs(e, |x| x.outpost_arn.as_ref()),
                strs(e, |x| x.availability_zone.as_ref()),
                bools(e, |x| x.encrypted),
                ints(e, |x| x.volume_initialization_rate),
                strs(e, |x| x.availability_zone_id.as_ref()),
                ints(e, |x| x.ebs_card_index),
            ];
            let ebs_nulls = NullBuffer::from(ebs.iter().map(Option::is_some).collect::<Vec<_>>());
            let ebs_array = StructArray::new(
                ebs_fields(),
                ebs_children,
                ebs_nulls.null_count().gt(&0).then_some(ebs_nulls),
            );
            vec![
                strs(items, |m| m.device_name.as_ref()),
                strs(items, |m| m.virtual_name.as_ref()),
                strs(items, |m| m.no_device.as_ref()),
                Arc::new(ebs_array),
            ]
        },
    )
}

static EMPTY_EBS: EbsBlockDevice = EbsBlockDevice {
    delete_on_termination: None,
    iops: None,
    snapshot_id: None,
    volume_size: None,
    volume_type: None,
    kms_key_id: None,
    throughput: None,
    outpost_arn: None,
    availability_zone: None,
    encrypted: None,
    volume_initialization_rate: None,
    availability_zone_id: None,
    ebs_card_index: None,
};

fn state_reasons(images: &[Image]) -> ArrayRef {
    let reasons: Vec<Option<&crate::image::StateReason>> =
        images.iter().map(|i| i.state_reason.as_ref()).collect();
    let code = StringArray::from_iter(reasons.iter().map(|r| r.and_then(|r| r.code.as_deref())));
    let message =
        StringArray::from_iter(reasons.iter().map(|r| r.and_then(|r| r.message.as_deref())));
    let nulls = NullBuffer::from(reasons.iter().map(Option::is_some).collect::<Vec<_>>());
    Arc::new(StructArray::new(
        state_reason_fields(),
        vec![Arc::new(code), Arc::new(message)],
        nulls.null_count().gt(&0).then_some(nulls),
    ))
}

/// Encodes values for a hash so that different values never share an encoding:
/// absent and present, empty and absent lists, and field boundaries all differ. The
/// encoding is collected in one buffer and hashed in one call: xxh3 gives the digest
/// that feeding it piece by piece would give.
struct Canonical(Vec<u8>);

impl Canonical {
    fn new() -> Self {
        Canonical(Vec::with_capacity(1024))
    }
    fn str(&mut self, v: Option<&String>) -> &mut Self {
        match v {
            None => self.0.push(0),
            Some(s) => {
                self.0.push(1);
                self.0.extend_from_slice(&(s.len() as u64).to_le_bytes());
                self.0.extend_from_slice(s.as_bytes());
            }
        }
        self
    }
    fn bool(&mut self, v: Option<bool>) -> &mut Self {
        self.0.push(match v {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        });
        self
    }
    fn int(&mut self, v: Option<i32>) -> &mut Self {
        match v {
            None => self.0.push(0),
            Some(i) => {
                self.0.push(1);
                self.0.extend_from_slice(&i.to_le_bytes());
            }
        }
        self
    }
    fn list<T>(&mut self, v: Option<&Vec<T>>, mut each: impl FnMut(&mut Self, &T)) -> &mut Self {
        match v {
            None => self.0.push(0),
            Some(items) => {
                self.0.push(1);
                self.0
                    .extend_from_slice(&(items.len() as u64).to_le_bytes());
                for item in items {
                    each(self, item);
                }
            }
        }
        self
    }
    fn finish(&self) -> i64 {
        xxh3_64(&self.0) as i64
    }
}

/// Hash of everything every viewer is shown alike (all members but tags, last
/// launched time and image allowed).
pub fn content_hash(i: &Image) -> i64 {
    let mut h = Canonical::new();
    h.str(i.image_id.as_ref())
        .str(i.image_location.as_ref())
        .str(i.state.as_ref())
        .str(i.owner_id.as_ref())
        .str(i.creation_date.as_ref())
        .bool(i.public)
        .list(i.product_codes.as_ref(), |h, p| {
            h.str(p.product_code_id.as_ref())
                .str(p.product_code_type.as_ref());
        })
        .str(i.architecture.as_ref())
        .str(i.image_type.as_ref())
        .str(i.kernel_id.as_ref())
        .str(i.ramdisk_id.as_ref())
        .str(i.platform.as_ref())
        .str(i.platform_details.as_ref())
        .str(i.usage_operation.as_ref())
        .list(i.block_device_mappings.as_ref(), |h, m| {
            h.str(m.device_name.as_ref())
                .str(m.virtual_name.as_ref())
                .str(m.no_device.as_ref())
                .bool(Some(m.ebs.is_some()));
            if let Some(e) = &m.ebs {
                h.bool(e.delete_on_termination)
                    .int(e.iops)
                    .str(e.snapshot_id.as_ref())
                    .int(e.volume_size)
                    .str(e.volume_type.as_ref())
                    .str(e.kms_key_id.as_ref())
                    .int(e.throughput)
                    .str(e.outpost_arn.as_ref())
                    .str(e.availability_zone.as_ref())
                    .bool(e.encrypted)
                    .int(e.volume_initialization_rate)
                    .str(e.availability_zone_id.as_ref())
                    .int(e.ebs_card_index);
            }
        })
        .str(i.description.as_ref())
        .bool(i.ena_support)
        .str(i.hypervisor.as_ref())
        .str(i.image_owner_alias.as_ref())
        .str(i.name.as_ref())
        .str(i.root_device_name.as_ref())
        .str(i.root_device_type.as_ref())
        .str(i.sriov_net_support.as_ref())
        .bool(Some(i.state_reason.is_some()));
    if let Some(r) = &i.state_reason {
        h.str(r.code.as_ref()).str(r.message.as_ref());
    }
    h.str(i.virtualization_type.as_ref())
        .str(i.boot_mode.as_ref())
        .str(i.tpm_support.as_ref())
        .str(i.deprecation_time.as_ref())
        .str(i.imds_support.as_ref())
        .str(i.source_instance_id.as_ref())
        .str(i.deregistration_protection.as_ref())
        .str(i.source_image_id.as_ref())
        .str(i.source_image_region.as_ref())
        .bool(i.free_tier_eligible);
    h.finish()
}

/// Hash of what depends on the viewer: tags, last launched time, image allowed.
pub fn view_hash(i: &Image) -> i64 {
    let mut h = Canonical::new();
    h.list(i.tags.as_ref(), |h, t| {
        h.str(t.key.as_ref()).str(t.value.as_ref());
    })
    .str(i.last_launched_time.as_ref())
    .bool(i.image_allowed);
    h.finish()
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
        assert_eq!(batch.num_columns(), 6 + 37 + 3);
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
        // differently would record every image as changed on its next sync.
        let mut a = image("ami-1");
        a.tags = Some(vec![Tag {
            key: Some("team".into()),
            value: Some("web, \"blue\" \u{e9}".into()),
        }]);
        a.last_launched_time = Some("2026-01-02T03:04:05Z".into());
        a.image_allowed = Some(true);
        assert_eq!(
            (content_hash(&a), view_hash(&a)),
            (8_681_941_830_956_986_034, -3_455_694_765_990_046_801),
            "content and view hash of a fixed image"
        );
    }
}
