//! An answer kept in the store until it is written: the page's rows sit in temporary
//! tables (`describe_answer`, `describe_views`), and each writer reads the images from
//! DuckDB's stream, in the answer's order, as often as it needs, holding one Arrow
//! batch at a time. Nothing holds the whole answer.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray, StructArray};
use serde_json::{Map, Value};

use super::cli_stream::{Flow, ObjectKeys, TableOfObjects};
use super::{DescribeError, FoundImage};
use super::{image_json, image_table, image_text};
use crate::shape::{IMAGE, Kind, Seen};
use crate::store::Store;

const IMAGES_SQL: &str = include_str!("../../sql/describe/images.sql");
const VIEWS_SQL: &str = include_str!("../../sql/describe/views.sql");
const IDS_SQL: &str = include_str!("../../sql/describe/image_ids.sql");
/// The temporary tables the answer lives in (see query.rs), and the few images a
/// `--query` needs picked from them.
pub(super) const ANSWER_TABLE: &str = "describe_answer";
pub(super) const VIEWS_TABLE: &str = "describe_views";
const PICK_TABLE: &str = "describe_pick";
/// images.sql's order, left out when [`Found::for_each_image`] orders the images.
const ORDER: &str = "ORDER BY pos";
/// Answers up to this long are put in order by DuckDB, sooner than through the
/// temporary file but holding more; longer ones of wide images by
/// [`Found::for_each_image`] (docs/decisions/0003-streamed-answers.md). In tests, most
/// answers go through the file, so that both ways are compared.
const SORTED_BY_DUCKDB: usize = if cfg!(test) { 16 } else { 65_536 };

/// What is called with each image's kept bytes and what `keep` answered for it.
pub type EachKept<'a, E> = dyn FnMut(&[u8], Flow) -> Result<Flow, E> + 'a;

/// The images of a long answer as [`Found::keep_images`] kept them, given in the
/// answer's order as many times as asked.
pub struct KeptImages {
    file: std::fs::File,
    places: Vec<(u64, u32, Flow)>,
}

impl KeptImages {
    /// Calls `each` with every image's bytes in order and whether its reader stopped
    /// after it, until `each` answers [`Flow::Done`].
    pub fn each<E: From<DescribeError>>(&self, each: &mut EachKept<'_, E>) -> Result<(), E> {
        let mut laid_out = Vec::new();
        for &(offset, len, flow) in &self.places {
            laid_out.resize(len as usize, 0);
            std::os::unix::fs::FileExt::read_exact_at(&self.file, &mut laid_out, offset)
                .map_err(|e| E::from(DescribeError::Spill(e)))?;
            if each(&laid_out, flow)? == Flow::Done {
                break;
            }
        }
        Ok(())
    }
}

/// An image of the answer as a reader gets it: a row of a batch read in order, or
/// the bytes it was kept as (see [`Found::for_each_image`]).
pub enum Image<'a> {
    Row(&'a ImageRows, usize),
    /// The bytes, and what `keep` answered when it laid them out.
    Kept(&'a [u8], Flow),
}

/// Why a read stopped before its end.
enum Stop<E> {
    Done,
    Failed(E),
}

impl<E> Stop<E> {
    /// A read that stopped: fine when the reader had all it wanted.
    fn ended(self) -> Result<(), E> {
        match self {
            Stop::Done => Ok(()),
            Stop::Failed(e) => Err(e),
        }
    }
}

impl<E: From<DescribeError>> From<DescribeError> for Stop<E> {
    fn from(e: DescribeError) -> Self {
        Stop::Failed(E::from(e))
    }
}

/// The images of one page of an answer, in the store's temporary tables.
pub struct Found<'s> {
    store: &'s Store,
    /// How many images the page has.
    pub len: usize,
    /// Whether the views table is made: only a reader of the images needs it.
    views: std::cell::Cell<bool>,
    /// While DuckDB reads the images under a lower memory limit than the store was
    /// opened with (see [`Found::limit_reading`]): that limit, in bytes.
    full_limit: std::cell::Cell<Option<u64>>,
    /// Whether the images are in the tables, or were only counted.
    kept: bool,
}

/// DuckDB's memory while an answer's images are read, per image of the answer, and
/// at least: the read's join holds about 300 bytes an image, and anything more holds
/// only blocks already read, which one pass over the answer never reads again
/// (docs/decisions/0015-text-and-memory-of-long-answers.md).
const READ_BYTES_PER_IMAGE: u64 = 384;
const READ_LIMIT_FLOOR: u64 = 128 << 20;

/// Which of an image's members to read: all, or only those named (API names); the
/// elements the reader did not know are always read, as they may belong to any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Members {
    #[default]
    All,
    Only(BTreeSet<String>),
}

impl Members {
    /// Whether they include a member holding structs or lists, which make an image
    /// take many times the room of its scalars.
    pub fn is_wide(&self) -> bool {
        match self {
            Members::All => true,
            Members::Only(names) => IMAGE.iter().any(|m| {
                matches!(m.kind, Kind::Struct(_) | Kind::List(_)) && names.contains(m.api)
            }),
        }
    }

    /// Whether they include a member each caller is shown its own way (views.sql).
    fn needs_views(&self) -> bool {
        match self {
            Members::All => true,
            Members::Only(names) => IMAGE
                .iter()
                .any(|m| m.seen == Seen::ByViewer && names.contains(m.api)),
        }
    }

    pub fn has(&self, api: &str) -> bool {
        match self {
            Members::All => true,
            Members::Only(names) => names.contains(api),
        }
    }
}

/// Some images of the answer, in an order, picked in SQL: what a `--query` that needs
/// only the first or last few of a (sorted) list reads instead of the whole answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// The member to order by (an API name); None: the answer's own order.
    pub key: Option<String>,
    /// From the end of that order rather than its start.
    pub from_end: bool,
    /// Ties on the key go to the later image first (a stable sort's end) or the
    /// earlier (`max_by`, which keeps the first of equals).
    pub ties_from_end: bool,
    pub count: usize,
}

/// One Arrow batch of images: their callers, regions and members.
pub struct ImageRows {
    callers: ArrayRef,
    regions: ArrayRef,
    ids: ArrayRef,
    images: Arc<StructArray>,
    positions: ArrayRef,
}

impl ImageRows {
    pub fn len(&self) -> usize {
        self.images.len()
    }

    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    pub fn caller(&self, row: usize) -> String {
        image_json::text(&self.callers, row).unwrap_or_default()
    }

    pub fn region(&self, row: usize) -> String {
        image_json::text(&self.regions, row).unwrap_or_default()
    }

    pub fn found(&self, row: usize) -> FoundImage {
        FoundImage::new(
            self.caller(row),
            self.region(row),
            image_json::text(&self.ids, row).unwrap_or_default(),
            self.images.clone(),
            row,
        )
    }

    /// The image at `row` as the AWS CLI prints it, with `Region` and `ViewerAccountId`
    /// when `with_origin`, keeping only `members`.
    pub fn json(&self, row: usize, with_origin: bool, members: &Members) -> Map<String, Value> {
        let mut image = image_json::image(&self.images, row);
        if let Members::Only(names) = members {
            // The elements the reader did not know were placed; keep only what was asked.
            image.retain(|key, _| names.contains(key));
        }
        if with_origin {
            if members.has("Region") {
                image.insert("Region".into(), self.region(row).into());
            }
            if members.has("ViewerAccountId") {
                image.insert("ViewerAccountId".into(), self.caller(row).into());
            }
        }
        image
    }

    /// Adds the members some image of the batch has to `scalar` or `container`
    /// (by what they hold), as [`ImageRows::json`] would give them.
    pub fn add_keys(
        &self,
        with_origin: bool,
        members: &Members,
        scalar: &mut BTreeSet<String>,
        container: &mut BTreeSet<String>,
    ) {
        use arrow::datatypes::DataType;
        for (field, column) in self.images.fields().iter().zip(self.images.columns()) {
            let name = field.name();
            let present =
                column.data_type() != &DataType::Null && column.null_count() < column.len();
            if !present || name == image_json::UNKNOWN_KEY || !members.has(name) {
                continue;
            }
            let keys = match column.data_type() {
                DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_) => &mut *container,
                _ => &mut *scalar,
            };
            if !keys.contains(name.as_str()) {
                keys.insert(name.clone());
            }
        }
        for row in (0..self.len()).filter(|row| image_json::has_unknown(&self.images, *row)) {
            // Rare: an element the reader did not know may add a key of its own.
            for (key, value) in self.json(row, false, members) {
                let keys = if value.is_array() || value.is_object() {
                    &mut *container
                } else {
                    &mut *scalar
                };
                keys.insert(key);
            }
        }
        if with_origin && !self.is_empty() {
            for origin in ["Region", "ViewerAccountId"] {
                if members.has(origin) {
                    scalar.insert(origin.to_string());
                }
            }
        }
    }

    /// The image at `row` as the AWS CLI's text under the scalar `keys` (upper-cased
    /// identifier `upper`), laid out straight from the columns with the batch's
    /// `layout` (made here when it is another batch's); None where only its JSON can
    /// be laid out (see image_text.rs).
    pub fn text(
        &self,
        row: usize,
        keys: &[&str],
        with_origin: bool,
        upper: Option<&str>,
        layout: &mut Option<(*const StructArray, image_text::Layout)>,
    ) -> Option<String> {
        let layout = self.layout(layout, |images| {
            image_text::Layout::new(images, keys, with_origin)
        });
        let (region, caller) = (str_at(&self.regions, row), str_at(&self.callers, row));
        let mut text = String::new();
        layout
            .write(&self.images, row, (region, caller), upper, &mut text)
            .ok()
            .map(|()| text)
    }

    /// Records the table events of the image at `row` under `table` (see
    /// image_table.rs) with the layout kept in `layout` for its batch; false when only
    /// its JSON can be laid out.
    pub fn table(
        &self,
        row: usize,
        table: &TableOfObjects<'_>,
        with_origin: bool,
        layout: &mut Option<(*const StructArray, image_table::Layout)>,
        out: &mut Vec<u8>,
    ) -> bool {
        let layout = self.layout(layout, |images| {
            image_table::Layout::new(images, table, with_origin)
        });
        let origin = (str_at(&self.regions, row), str_at(&self.callers, row));
        layout.record(&self.images, row, origin, table, out).is_ok()
    }

    /// The layout kept in `kept`, made again by `make` when it was made for another
    /// batch: a layout depends on the batch's columns alone.
    fn layout<'k, L>(
        &self,
        kept: &'k mut Option<(*const StructArray, L)>,
        make: impl FnOnce(&StructArray) -> L,
    ) -> &'k L {
        let batch = Arc::as_ptr(&self.images);
        if kept
            .as_ref()
            .is_some_and(|(made_for, _)| *made_for != batch)
        {
            *kept = None;
        }
        &kept.get_or_insert_with(|| (batch, make(&self.images))).1
    }

    /// The image's place in the answer.
    pub fn pos(&self, row: usize) -> usize {
        self.positions
            .as_primitive_opt::<arrow::datatypes::Int64Type>()
            .map_or(0, |p| p.value(row) as usize)
    }

    /// [`ImageRows::json`] as the JMESPath interpreter's value.
    pub fn variable(&self, row: usize, with_origin: bool, members: &Members) -> jmespath::Rcvar {
        if image_json::has_unknown(&self.images, row) {
            // Rare: the elements the reader did not know are placed through JSON.
            let image = Value::Object(self.json(row, with_origin, members));
            return super::cli_query::variable(image);
        }
        let mut image = image_json::variable(&self.images, row);
        if with_origin && let jmespath::Variable::Object(map) = std::rc::Rc::make_mut(&mut image) {
            for (key, value) in [
                ("Region", self.region(row)),
                ("ViewerAccountId", self.caller(row)),
            ] {
                if members.has(key) {
                    map.insert(
                        key.to_string(),
                        jmespath::Rcvar::new(jmespath::Variable::String(value)),
                    );
                }
            }
        }
        image
    }

    /// Writes the image at `row` as the next value of `json`.
    pub fn write_json<W: std::io::Write>(
        &self,
        json: &mut image_json::Pretty<'_, W>,
        row: usize,
        with_origin: bool,
    ) -> std::io::Result<()> {
        if image_json::has_unknown(&self.images, row) {
            // Rare: the elements the reader did not know go back in their places.
            let image = self.json(row, with_origin, &Members::All);
            return json.json(&Value::Object(image));
        }
        let (region, caller) = (self.region(row), self.caller(row));
        let origin = [
            ("Region", region.as_str()),
            ("ViewerAccountId", caller.as_str()),
        ];
        let origin: &[(&str, &str)] = if with_origin { &origin } else { &[] };
        json.struct_row(&self.images, row, origin)
    }
}

impl<'s> Found<'s> {
    pub(super) fn new(store: &'s Store, len: usize) -> Found<'s> {
        Found {
            store,
            len,
            views: std::cell::Cell::new(false),
            full_limit: std::cell::Cell::new(None),
            kept: true,
        }
    }

    /// An answer of `len` images that were counted, not kept: only its size can be
    /// read.
    pub(super) fn counted(store: &'s Store, len: usize) -> Found<'s> {
        let mut found = Found::new(store, len);
        found.kept = false;
        found
    }

    /// Lowers DuckDB's memory limit (`limit` bytes, what the store was opened with)
    /// to what reading this answer's images needs, when it is long enough to be read
    /// unsorted: DuckDB's sort of a shorter one holds every member of every image.
    /// A read that runs out of memory before it has given any image is run again at
    /// `limit`.
    pub fn limit_reading(&self, limit: u64) -> Result<(), DescribeError> {
        if self.len <= SORTED_BY_DUCKDB {
            return Ok(());
        }
        let reading = (self.len as u64)
            .saturating_mul(READ_BYTES_PER_IMAGE)
            .max(READ_LIMIT_FLOOR);
        if reading >= limit {
            return Ok(());
        }
        self.lower_limit(reading, limit);
        Ok(())
    }

    /// Lowers DuckDB's memory limit to `reading` bytes from `full`; where DuckDB
    /// cannot free enough for it, the limit stays as it was.
    fn lower_limit(&self, reading: u64, full: u64) {
        match self.set_limit(reading) {
            Ok(()) => {
                self.full_limit.set(Some(full));
                tracing::debug!(bytes = reading, "memory limit while the images are read");
            }
            Err(e) => tracing::debug!(error = %e, "memory limit kept while the images are read"),
        }
    }

    /// [`Found::limit_reading`] at `headroom` bytes over what DuckDB holds now.
    #[cfg(test)]
    pub fn limit_reading_to_headroom(&self, headroom: u64, full: u64) {
        let held: i64 = self
            .store
            .connection()
            .query_row(
                "SELECT sum(memory_usage_bytes)::BIGINT FROM duckdb_memory()",
                [],
                |r| r.get(0),
            )
            .unwrap();
        self.lower_limit(held as u64 + headroom, full);
    }

    /// Whether DuckDB reads under the lowered limit.
    #[cfg(test)]
    pub fn reading_limited(&self) -> bool {
        self.full_limit.get().is_some()
    }

    fn set_limit(&self, bytes: u64) -> Result<(), DescribeError> {
        self.store
            .connection()
            .execute_batch(&format!("SET memory_limit = '{}KiB'", bytes.div_ceil(1024)))
            .map_err(|e| self.store.error(e).into())
    }

    /// Whether `e` is DuckDB running out of a lowered limit: the limit is then raised
    /// back to the store's, and the statement can be run again.
    fn raised_after(&self, e: &duckdb::Error) -> Result<bool, DescribeError> {
        let Some(full) = self.full_limit.get() else {
            return Ok(false);
        };
        if crate::store::failure(e) != crate::store::Failure::OutOfMemory {
            return Ok(false);
        }
        self.full_limit.set(None);
        self.set_limit(full)?;
        tracing::debug!("out of the lowered memory limit: read again at the store's");
        Ok(true)
    }

    /// Runs `statement`, and once more at the store's memory limit if it ran out of
    /// the lowered one (it has given nothing yet).
    fn with_room<T>(&self, statement: impl Fn() -> duckdb::Result<T>) -> Result<T, DescribeError> {
        match statement() {
            Err(e) if self.raised_after(&e)? => statement(),
            done => done,
        }
        .map_err(|e| self.store.error(e).into())
    }

    /// Makes the views table (views.sql): the answer with what each caller was shown.
    fn views(&self) -> Result<(), DescribeError> {
        if !self.views.get() {
            let started = std::time::Instant::now();
            self.with_room(|| {
                self.store.connection().execute_batch(&format!(
                    "CREATE OR REPLACE TEMPORARY TABLE {VIEWS_TABLE} AS\n{VIEWS_SQL}"
                ))
            })?;
            self.views.set(true);
            tracing::debug!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "views read"
            );
        }
        Ok(())
    }

    /// Calls `each` with every batch of the page's images, in the answer's order,
    /// reading only `members`; with `pick`, only the images it picks.
    pub fn for_each<E: From<DescribeError>>(
        &self,
        members: &Members,
        pick: Option<&Pick>,
        each: impl FnMut(&ImageRows) -> Result<(), E>,
    ) -> Result<(), E> {
        self.read(members, pick, true, each)
    }

    /// Calls `each` with every image of the page, in the answer's order, until it
    /// answers [`Flow::Done`]. A long answer of wide images is read in whatever order
    /// DuckDB makes it, each image kept in a temporary file as `keep` lays it out, then
    /// given from there in order: DuckDB's sort would hold every member of every image
    /// at once (docs/decisions/0003-streamed-answers.md).
    pub fn for_each_image<E: From<DescribeError>>(
        &self,
        members: &Members,
        keep: &dyn Fn(&ImageRows, usize, &mut Vec<u8>) -> Flow,
        each: &mut dyn FnMut(Image<'_>) -> Result<Flow, E>,
    ) -> Result<(), E> {
        match self.keep_images(members, keep)? {
            None => self.each_row(members, true, &mut |rows, row| each(Image::Row(rows, row))),
            Some(kept) => kept.each(&mut |laid_out, flow| each(Image::Kept(laid_out, flow))),
        }
    }

    /// A long answer of wide images read in whatever order DuckDB makes it, each image
    /// kept in a temporary file as `keep` lays it out; None for an answer read in
    /// order straight from DuckDB (see [`Found::for_each_image`]).
    pub fn keep_images<E: From<DescribeError>>(
        &self,
        members: &Members,
        keep: &dyn Fn(&ImageRows, usize, &mut Vec<u8>) -> Flow,
    ) -> Result<Option<KeptImages>, E> {
        if self.len <= SORTED_BY_DUCKDB || !members.is_wide() {
            return Ok(None);
        }
        let spill = |e: std::io::Error| E::from(DescribeError::Spill(e));
        let file = tempfile::tempfile().map_err(spill)?;
        let mut file = std::io::BufWriter::with_capacity(1 << 20, file);
        // Where each image's bytes are, by its place in the answer, and whether the
        // reader stops after it.
        let mut places: Vec<(u64, u32, Flow)> = vec![(0, 0, Flow::More); self.len];
        let mut end = 0u64;
        let mut laid_out = Vec::new();
        self.read(members, None, false, |rows| {
            for row in 0..rows.len() {
                laid_out.clear();
                let flow = keep(rows, row, &mut laid_out);
                file.write_all(&laid_out)
                    .map_err(|e| Stop::Failed(spill(e)))?;
                if let Some(place) = places.get_mut(rows.pos(row)) {
                    *place = (end, laid_out.len() as u32, flow);
                }
                end += laid_out.len() as u64;
            }
            Ok(())
        })
        .or_else(Stop::ended)?;
        let file = file.into_inner().map_err(|e| spill(e.into_error()))?;
        Ok(Some(KeptImages { file, places }))
    }

    /// Every batch of the page's images in whatever order DuckDB makes them.
    pub fn for_each_batch_in_any_order<E: From<DescribeError>>(
        &self,
        members: &Members,
        each: impl FnMut(&ImageRows) -> Result<(), E>,
    ) -> Result<(), E> {
        self.read(members, None, false, each)
    }

    /// [`Found::for_each_image`] for a reader that does not need the answer's order.
    pub fn for_each_image_in_any_order<E: From<DescribeError>>(
        &self,
        members: &Members,
        each: &mut dyn FnMut(&ImageRows, usize) -> Result<Flow, E>,
    ) -> Result<(), E> {
        self.each_row(members, false, each)
    }

    /// Every image of the page as its batch and row, in the answer's order or not,
    /// until `each` answers [`Flow::Done`].
    fn each_row<E: From<DescribeError>>(
        &self,
        members: &Members,
        ordered: bool,
        each: &mut dyn FnMut(&ImageRows, usize) -> Result<Flow, E>,
    ) -> Result<(), E> {
        self.read(members, None, ordered, |rows| {
            for row in 0..rows.len() {
                if each(rows, row).map_err(Stop::Failed)? == Flow::Done {
                    return Err(Stop::Done);
                }
            }
            Ok(())
        })
        .or_else(Stop::ended)
    }

    fn read<E: From<DescribeError>>(
        &self,
        members: &Members,
        pick: Option<&Pick>,
        ordered: bool,
        mut each: impl FnMut(&ImageRows) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.len == 0 {
            // Nothing to read: the read would still set up its scans of both tables.
            return Ok(());
        }
        if !self.kept {
            return Err(DescribeError::Input(
                "the answer was counted, not kept: its images cannot be read".into(),
            )
            .into());
        }
        let store = self.store;
        let conn = store.connection();
        let table = match pick {
            // The answer's rows are in its order, so their rowid is their place.
            None if !members.needs_views() => ANSWER_TABLE,
            None => {
                self.views()?;
                VIEWS_TABLE
            }
            Some(pick) => {
                self.pick(pick)?;
                PICK_TABLE
            }
        };
        let in_the_answer = match members {
            Members::Only(names) => names
                .iter()
                .all(|n| ["ImageId", "Region", "ViewerAccountId"].contains(&n.as_str())),
            Members::All => false,
        };
        let mut sql = if in_the_answer && !self.any_unknown()? {
            IDS_SQL.replace(&format!("FROM {VIEWS_TABLE} w"), &format!("FROM {table} w"))
        } else {
            images_sql(members, table)
        };
        if table == ANSWER_TABLE {
            sql = sql.replace("w.pos", "w.rowid AS pos");
        }
        if !ordered {
            sql = sql.replace(ORDER, "");
        }
        let started = std::time::Instant::now();
        let mut read = 0;
        let mut again = true;
        while std::mem::take(&mut again) {
            let mut stmt = conn.prepare(&sql).map_err(|e| store.error(e).into())?;
            // Streamed: each chunk comes as DuckDB makes it, not after it has first copied
            // the whole result into a collection of its own.
            let batches = match stmt.stream_arrow([]) {
                Ok(batches) => batches,
                Err(e) if self.raised_after(&e)? => {
                    again = true;
                    continue;
                }
                Err(e) => return Err(DescribeError::from(store.error(e)).into()),
            };
            for batch in batches {
                let batch = match batch {
                    Ok(batch) => batch,
                    // Out of memory before any image was given: nothing was written yet.
                    Err(e) if read == 0 && self.raised_after(&e)? => {
                        again = true;
                        break;
                    }
                    Err(e) => return Err(DescribeError::from(store.error(e)).into()),
                };
                let images = image_json::ec2_members(batch.column(3));
                let Some(images) = images.as_struct_opt() else {
                    return Err(DescribeError::Input(format!(
                        "the store returned images of type {}, not a struct",
                        batch.column(3).data_type()
                    ))
                    .into());
                };
                let rows = ImageRows {
                    callers: batch.column(0).clone(),
                    regions: batch.column(1).clone(),
                    ids: batch.column(2).clone(),
                    images: Arc::new(images.clone()),
                    positions: batch.column(4).clone(),
                };
                read += rows.len();
                each(&rows)?;
            }
        }
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            images = read,
            ordered,
            "images read"
        );
        Ok(())
    }

    /// The members some image of the page holds, by what they hold (scalars, and
    /// structs or lists), as [`ImageRows::add_keys`] finds them, counted in SQL
    /// without reading the images; None where an image has elements the reader did not
    /// know, which may add members of their own.
    pub fn keys(
        &self,
        members: &Members,
        with_origin: bool,
    ) -> Result<Option<ObjectKeys>, DescribeError> {
        let (mut scalar, mut container) = (BTreeSet::new(), BTreeSet::new());
        if self.len == 0 {
            return Ok(Some(ObjectKeys::default()));
        }
        let asked: Vec<_> = IMAGE.iter().filter(|m| members.has(m.api)).collect();
        if asked.iter().any(|m| m.seen == Seen::ByViewer) {
            self.views()?;
        }
        let table = if self.views.get() {
            VIEWS_TABLE
        } else {
            ANSWER_TABLE
        };
        let counts: String = asked
            .iter()
            .map(|m| match m.seen {
                Seen::ByEveryone => format!("count(v.{}), ", m.column),
                Seen::ByViewer => format!("count(w.{}), ", m.column),
            })
            .collect();
        let sql = format!(
            "SELECT {counts}count(v.unknown_members) FROM {table} w \
             JOIN image_versions v ON v.rowid = w.version_row"
        );
        let conn = self.store.connection();
        let counted: Vec<i64> = self.with_room(|| {
            conn.query_row(&sql, [], |r| {
                (0..=asked.len()).map(|i| r.get::<_, i64>(i)).collect()
            })
        })?;
        if counted[asked.len()] > 0 {
            return Ok(None);
        }
        for (member, count) in asked.iter().zip(&counted) {
            if *count == 0 {
                continue;
            }
            match member.kind {
                Kind::Struct(_) | Kind::List(_) => container.insert(member.api.to_string()),
                _ => scalar.insert(member.api.to_string()),
            };
        }
        if with_origin {
            for origin in ["Region", "ViewerAccountId"] {
                if members.has(origin) {
                    scalar.insert(origin.to_string());
                }
            }
        }
        Ok(Some(ObjectKeys {
            count: self.len,
            scalar,
            container,
        }))
    }

    /// Whether any version in the store holds elements the reader did not know.
    fn any_unknown(&self) -> Result<bool, DescribeError> {
        self.store
            .connection()
            .query_row(
                "SELECT count(unknown_members) > 0 FROM image_versions",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.store.error(e).into())
    }

    /// Every image of the page, read whole: what the tests compare streamed writers
    /// with, and what the non-streamed answer is made of.
    pub fn collect(&self) -> Result<Vec<FoundImage>, DescribeError> {
        let mut found = Vec::with_capacity(self.len);
        self.for_each(&Members::All, None, |rows: &ImageRows| {
            found.extend((0..rows.len()).map(|row| rows.found(row)));
            Ok::<(), DescribeError>(())
        })?;
        Ok(found)
    }

    /// Whether `pick` can be answered in SQL exactly as the `--query` would pick: its
    /// key is a member that is text or a number in every image of the page (a JMESPath
    /// sort or `max_by` refuses anything else, and the whole answer then says so).
    pub fn can_pick(&self, pick: &Pick) -> Result<bool, DescribeError> {
        let Some(key) = pick.key.as_ref().filter(|_| self.len > 0) else {
            return Ok(true);
        };
        let Some((column, table)) = sort_key(key) else {
            return Ok(false);
        };
        if table == VIEWS_TABLE {
            self.views()?;
        }
        let conn = self.store.connection();
        let sql = format!(
            "SELECT count(*) FROM {table} w JOIN image_versions v ON v.rowid = w.version_row
             WHERE {column} IS NULL"
        );
        let nulls: i64 = self.with_room(|| conn.query_row(&sql, [], |r| r.get(0)))?;
        Ok(nulls == 0)
    }

    /// Fills the pick table with the images `pick` picks.
    fn pick(&self, pick: &Pick) -> Result<(), DescribeError> {
        let direction = |from_end: bool| if from_end { "DESC" } else { "ASC" };
        let position = ["w.caller", "w.region", "w.image_id"]
            .map(|c| format!("{c} {}", direction(pick.ties_from_end)))
            .join(", ");
        let (order, table) = match pick.key.as_deref().and_then(sort_key) {
            Some((column, table)) => (
                format!("{column} {}, {position}", direction(pick.from_end)),
                table,
            ),
            None => (position, ANSWER_TABLE),
        };
        let count = pick.count;
        let sql = if table == VIEWS_TABLE {
            self.views()?;
            format!(
                "CREATE OR REPLACE TEMPORARY TABLE {PICK_TABLE} AS
                 SELECT w.* FROM {VIEWS_TABLE} w JOIN image_versions v ON v.rowid = w.version_row
                 ORDER BY {order} LIMIT {count}"
            )
        } else {
            // Picked from the answer first, so that only the few picked are joined to
            // their views (views.sql's members, for them alone).
            format!(
                "CREATE OR REPLACE TEMPORARY TABLE {PICK_TABLE} AS
                 SELECT w.*, g.tags, g.last_launched_time, g.image_allowed
                 FROM (SELECT w.*, w.rowid AS pos
                       FROM {ANSWER_TABLE} w JOIN image_versions v ON v.rowid = w.version_row
                       ORDER BY {order} LIMIT {count}) w
                 JOIN image_sightings g ON g.rowid = w.sighting_row"
            )
        };
        tracing::debug!(sql = %sql, "images picked for --query");
        self.with_room(|| self.store.connection().execute_batch(&sql))
    }
}

impl Drop for Found<'_> {
    fn drop(&mut self) {
        let _ = self.store.connection().execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.{PICK_TABLE}; DROP TABLE IF EXISTS temp.{VIEWS_TABLE}; \
             DROP TABLE IF EXISTS temp.{ANSWER_TABLE};"
        ));
    }
}

/// The store column a sort on `api` orders by (a top-level member holding text or a
/// number: a JMESPath sort takes nothing else), and the table that has it beside the
/// answer's rows.
fn sort_key(api: &str) -> Option<(String, &'static str)> {
    let member = IMAGE.iter().find(|m| m.api == api)?;
    if !matches!(member.kind, Kind::Text | Kind::Time | Kind::Int) {
        return None;
    }
    Some(match member.seen {
        Seen::ByEveryone => (format!("v.{}", member.column), ANSWER_TABLE),
        Seen::ByViewer => (format!("w.{}", member.column), VIEWS_TABLE),
    })
}

/// The text at `row` of a column of text, empty where it is null.
fn str_at(array: &ArrayRef, row: usize) -> &str {
    if array.is_null(row) {
        return "";
    }
    match array.data_type() {
        arrow::datatypes::DataType::Utf8 => array.as_string::<i32>().value(row),
        arrow::datatypes::DataType::LargeUtf8 => array.as_string::<i64>().value(row),
        arrow::datatypes::DataType::Utf8View => array.as_string_view().value(row),
        _ => "",
    }
}

/// images.sql reading `members` from `table`: the struct's lines of the other members
/// left out, so DuckDB reads only the columns asked for.
fn images_sql(members: &Members, table: &str) -> String {
    static LINES: LazyLock<Vec<(Option<&'static str>, &'static str)>> = LazyLock::new(|| {
        IMAGES_SQL
            .lines()
            .map(|line| {
                let member = line
                    .trim_start()
                    .strip_prefix('\'')
                    .and_then(|rest| rest.split_once("': "))
                    .map(|(name, _)| name);
                (member, line)
            })
            .collect()
    });
    let mut sql = String::with_capacity(IMAGES_SQL.len());
    for (member, line) in LINES.iter() {
        let keep = match member {
            None => true,
            Some(name) => *name == image_json::UNKNOWN_KEY || members.has(name),
        };
        if keep {
            sql.push_str(line);
            sql.push('\n');
        }
    }
    sql.replace(&format!("FROM {VIEWS_TABLE} w"), &format!("FROM {table} w"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_sql_reads_only_the_members_asked_for_and_always_the_unknown_ones() {
        let all = images_sql(&Members::All, VIEWS_TABLE);
        assert_eq!(all.trim_end(), IMAGES_SQL.trim_end());
        let only = Members::Only(["ImageId".to_string(), "Tags".to_string()].into());
        let some = images_sql(&only, PICK_TABLE);
        assert!(some.contains("'ImageId': v.image_id,"), "{some}");
        assert!(some.contains("'Tags': w.tags,"), "{some}");
        assert!(
            some.contains("'UnknownMembers': v.unknown_members"),
            "{some}"
        );
        assert!(!some.contains("'Name'"), "{some}");
        assert!(some.contains(&format!("FROM {PICK_TABLE} w")), "{some}");
        // Every member of the shape has its line, so that each can be asked for alone.
        for member in IMAGE {
            assert!(
                all.contains(&format!("'{}': ", member.api)),
                "{} missing from images.sql",
                member.api
            );
        }
    }

    #[test]
    fn only_text_and_number_members_are_sort_keys() {
        assert_eq!(
            sort_key("CreationDate"),
            Some(("v.creation_date".to_string(), ANSWER_TABLE))
        );
        assert_eq!(
            sort_key("LastLaunchedTime"),
            Some(("w.last_launched_time".to_string(), VIEWS_TABLE))
        );
        assert_eq!(sort_key("Public"), None);
        assert_eq!(sort_key("Tags"), None);
        assert_eq!(sort_key("NoSuchMember"), None);
    }
}
