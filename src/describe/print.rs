//! A stored answer printed as the AWS CLI prints it (`--output`, `--query`), read from
//! the store image by image: how each `--query` is answered is [`cli_query::plan`]'s
//! choice, the streamed output [`cli_stream`]'s, each byte for byte what the AWS CLI
//! prints for the whole answer (tests compare them with [`reference`]).

use std::io::Write;

use jmespath::{Expression, Rcvar, Variable};
use serde_json::Value;

use super::cli_query::{self, Plan, Step};
use super::cli_stream::{
    self, EachEvents, Elements, Flow, ObjectKeys, Place, Recorder, TableOfObjects,
};
use super::found::{Found, Image, ImageRows, KeptImages, Members};
use super::{DescribeError, Reading, StoredAnswer, image_json, output, query_filter};
use crate::shape::Kind;
use awscli_output as cli_output;
use jmespath::ast::Ast;

/// The AWS CLI's `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Text,
    /// At a terminal this wide.
    Table(usize),
}

/// The title the AWS CLI gives a table: the operation's name.
const TABLE_TITLE: &str = "DescribeImages";

/// Why an answer was not printed (whole).
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(transparent)]
    Describe(#[from] DescribeError),
    /// The `--query` failed on the answer, as the AWS CLI's would.
    #[error("--query: {0}")]
    Query(String),
    /// A `--query` that needs the whole answer, on an answer larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// Writing the answer failed (a closed pipe among others).
    #[error("writing the answer: {0}")]
    Io(#[from] std::io::Error),
}

/// How an answer is printed.
pub struct Printing<'q> {
    pub format: Format,
    pub query: Option<&'q Expression<'q>>,
    /// Each image names its `Region` and `ViewerAccountId`.
    pub with_origin: bool,
    /// What a `--query` that needs the whole answer may hold, in bytes.
    pub memory_budget: u64,
}

/// What printing the answer with `query` reads of it, for the answer to be found to
/// fit: a leading filter SQL applies (`query_filter.rs`), or only its size.
pub fn reading(query: Option<&Expression<'_>>) -> Reading {
    let Some(query) = query else {
        return Reading::default();
    };
    let plan = cli_query::plan(query.as_ast());
    Reading {
        narrowing: query_filter::narrowing(&plan),
        count_only: matches!(plan, Plan::Count { steps: None, .. }),
    }
}

/// Prints `answer` to `out`.
pub fn print(
    answer: &StoredAnswer<'_>,
    how: &Printing<'_>,
    out: &mut impl Write,
) -> Result<(), PrintError> {
    let next_token = answer.next_token.as_deref();
    let images = |members: Members| Images {
        found: &answer.found,
        with_origin: how.with_origin,
        members,
        table: Default::default(),
    };
    let Some(query) = how.query else {
        return match how.format {
            Format::Json => write_json(&answer.found, next_token, how.with_origin, out),
            Format::Text => cli_stream::text_response(&images(Members::All), next_token, out),
            Format::Table(width) => cli_stream::table_response(
                &images(Members::All),
                next_token,
                TABLE_TITLE,
                width,
                out,
            ),
        };
    };
    let plan = cli_query::plan(query.as_ast());
    tracing::debug!(plan = ?plan, "--query planned");
    let value = match plan {
        Plan::Stream { steps, members } => {
            let projected = Projected::new(images(members), &steps, query.as_str());
            if projected.may_fail && how.format == Format::Json {
                // An error leaves nothing printed, as when the whole answer was searched
                // first: a first pass finds it.
                projected.each(&mut |_| Ok(Flow::More))?;
            }
            return match how.format {
                Format::Json => cli_stream::json_list(&projected, out),
                Format::Text => cli_stream::text_list(&projected, out),
                Format::Table(width) => cli_stream::table_list(&projected, TABLE_TITLE, width, out),
            };
        }
        Plan::Count {
            node,
            steps,
            members,
        } => {
            let count = match steps {
                None => answer.found.len,
                Some(steps) => {
                    let projected = Projected::new(images(members), &steps, query.as_str());
                    let mut count = 0;
                    projected.each(&mut |_| {
                        count += 1;
                        Ok(Flow::More)
                    })?;
                    count
                }
            };
            let count = jmespath::ast::Ast::Literal {
                offset: 0,
                value: Rcvar::new(Variable::Number(count.into())),
            };
            let counted = cli_query::replaced(query.as_ast(), &node, &count);
            search(query.as_str(), &counted, document(Vec::new(), next_token))?
        }
        Plan::Nth {
            node,
            steps,
            index,
            rest,
            members,
        } => {
            let projected = Projected::new(images(members), &steps, query.as_str());
            let mut held = Held::new(how, query, answer.found.len);
            let element = nth(&projected, index, projected.may_fail, &mut held)?;
            let element = Ast::Literal {
                offset: 0,
                value: cli_query::variable(element.unwrap_or(Value::Null)),
            };
            let with = match rest {
                None => element,
                Some(rest) => Ast::Subexpr {
                    offset: 0,
                    lhs: Box::new(element),
                    rhs: Box::new(rest),
                },
            };
            let found = cli_query::replaced(query.as_ast(), &node, &with);
            search(query.as_str(), &found, document(Vec::new(), next_token))?
        }
        Plan::Pick { pick, members } if answer.found.can_pick(&pick)? => {
            let mut held = Held::new(how, query, answer.found.len);
            let mut picked = Vec::with_capacity(pick.count.min(answer.found.len));
            answer.found.for_each(&members, Some(&pick), |rows| {
                for row in 0..rows.len() {
                    let image = Value::Object(rows.json(row, how.with_origin, &members));
                    held.add(&image, picked.len())?;
                    picked.push(cli_query::variable(image));
                }
                Ok::<(), PrintError>(())
            })?;
            search(query.as_str(), query.as_ast(), document(picked, next_token))?
        }
        Plan::Pick { members, .. } | Plan::Whole { members } => whole(answer, how, query, members)?,
    };
    write_found(value, how.format, out)
}

/// The element at `index` of `elements` (from the end when negative), as a JMESPath
/// index gives it: reading stops at it (unless a later element may fail, as the whole
/// list would), or keeps only the last few.
fn nth(
    elements: &impl Elements<Error = PrintError>,
    index: i32,
    read_all: bool,
    held: &mut Held<'_>,
) -> Result<Option<Value>, PrintError> {
    let mut found = None;
    if index >= 0 {
        let mut left = index;
        elements.each(&mut |element| {
            if left == 0 && found.is_none() {
                found = Some(element);
                return Ok(if read_all { Flow::More } else { Flow::Done });
            }
            left = left.saturating_sub(1);
            Ok(Flow::More)
        })?;
        return Ok(found);
    }
    let keep = index.unsigned_abs() as usize;
    let mut last = std::collections::VecDeque::with_capacity(keep.min(1 << 16));
    elements.each(&mut |element| {
        if last.len() == keep
            && let Some((_, bytes)) = last.pop_front()
        {
            held.remove(bytes);
        }
        let bytes = held.add(&element, last.len())?;
        last.push_back((element, bytes));
        Ok(Flow::More)
    })?;
    Ok(if last.len() == keep {
        last.pop_front().map(|(element, _)| element)
    } else {
        None
    })
}

/// The answer's images, each holding only `members`, for a `--query` that needs them
/// all at once: refused beyond the memory budget rather than risking the machine.
fn whole(
    answer: &StoredAnswer<'_>,
    how: &Printing<'_>,
    query: &Expression<'_>,
    members: Members,
) -> Result<Rcvar, PrintError> {
    tracing::debug!(
        query = query.as_str(),
        members = ?members,
        "--query cannot be streamed: it is answered from the whole answer, in memory"
    );
    // An expression that fails whatever the images are (a slice step of 0, an unknown
    // function, a wrong number of arguments) says so before they are read.
    let empty = document(Vec::new(), answer.next_token.as_deref());
    if let Err(e) = cli_query::evaluate(query.as_str(), query.as_ast(), &empty) {
        use jmespath::{ErrorReason, RuntimeError};
        if matches!(
            e.reason,
            ErrorReason::Runtime(
                RuntimeError::InvalidSlice
                    | RuntimeError::UnknownFunction(_)
                    | RuntimeError::TooManyArguments { .. }
                    | RuntimeError::NotEnoughArguments { .. }
            )
        ) {
            return Err(PrintError::Query(e.to_string()));
        }
    }
    // Held as the interpreter's values: one copy of each image, not two.
    let mut held = Held::new(how, query, answer.found.len);
    let mut images = Vec::with_capacity(answer.found.len.min(1 << 16));
    answer.found.for_each(&members, None, |rows| {
        for row in 0..rows.len() {
            let image = Value::Object(rows.json(row, how.with_origin, &members));
            held.add(&image, images.len())?;
            images.push(cli_query::variable(image));
        }
        Ok::<(), PrintError>(())
    })?;
    search(
        query.as_str(),
        query.as_ast(),
        document(images, answer.next_token.as_deref()),
    )
}

/// What a `--query` holds of the answer at once, against its budget.
struct Held<'a> {
    bytes: u64,
    budget: u64,
    query: &'a str,
    images: usize,
}

impl<'a> Held<'a> {
    fn new(how: &Printing<'_>, query: &'a Expression<'_>, images: usize) -> Held<'a> {
        Held {
            bytes: 0,
            budget: how.memory_budget,
            query: query.as_str(),
            images,
        }
    }

    /// Counts `image` in, `holding` images being held already: an error once they are
    /// more than the budget allows.
    fn add(&mut self, image: &Value, holding: usize) -> Result<u64, PrintError> {
        let bytes = HELD_PER_JSON_BYTE * json_size(image);
        self.bytes += bytes;
        if self.bytes > self.budget {
            return Err(PrintError::TooLarge(format!(
                "--query {:?} needs {holding} or more of the answer's {} images in memory at \
                 once, more than --memory-limit allows; narrow the request (--filters, \
                 --owners, --max-results) or raise --memory-limit",
                self.query, self.images,
            )));
        }
        Ok(bytes)
    }

    fn remove(&mut self, bytes: u64) {
        self.bytes -= bytes;
    }
}

/// Bytes of memory a held image takes per byte of its compact JSON, as the
/// interpreter's value, with what evaluating and printing add
/// (docs/decisions/0003-streamed-answers.md).
const HELD_PER_JSON_BYTE: u64 = 12;

fn json_size(value: &Value) -> u64 {
    struct Count(u64);
    impl Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// `{"Images": [...], "NextToken": ...}`, the document a `--query` searches.
fn document(images: Vec<Rcvar>, next_token: Option<&str>) -> Rcvar {
    let mut document = std::collections::BTreeMap::new();
    document.insert("Images".to_string(), Rcvar::new(Variable::Array(images)));
    if let Some(token) = next_token {
        document.insert(
            "NextToken".to_string(),
            Rcvar::new(Variable::String(token.to_string())),
        );
    }
    Rcvar::new(Variable::Object(document))
}

fn search(query: &str, node: &jmespath::ast::Ast, document: Rcvar) -> Result<Rcvar, PrintError> {
    cli_query::evaluate(query, node, &document).map_err(|e| PrintError::Query(e.to_string()))
}

/// What a `--query` found, printed: a list element by element (its elements may be
/// the held images themselves, and are made JSON one at a time), anything else whole.
fn write_found(found: Rcvar, format: Format, out: &mut impl Write) -> Result<(), PrintError> {
    let Variable::Array(items) = &*found else {
        return write_value(json(&found), format, out);
    };
    let list = Listed(items);
    match format {
        Format::Json => cli_stream::json_list(&list, out),
        Format::Text => cli_stream::text_list(&list, out),
        Format::Table(width) => cli_stream::table_list(&list, TABLE_TITLE, width, out),
    }
}

/// A value the interpreter found as the AWS CLI prints it: JSON, keys in the model's
/// order.
fn json(found: &Rcvar) -> Value {
    output::model_order(serde_json::to_value(&**found).unwrap_or(Value::Null))
}

/// The elements of a list a `--query` found.
struct Listed<'a>(&'a [Rcvar]);

impl Elements for Listed<'_> {
    type Error = PrintError;

    fn each(
        &self,
        each: &mut dyn FnMut(Value) -> Result<Flow, PrintError>,
    ) -> Result<(), PrintError> {
        for item in self.0 {
            if each(json(item))? == Flow::Done {
                break;
            }
        }
        Ok(())
    }
}

/// A value held whole, printed as the AWS CLI prints it.
fn write_value(value: Value, format: Format, out: &mut impl Write) -> Result<(), PrintError> {
    match format {
        Format::Json => output::write_json(&value, out)?,
        Format::Text => out.write_all(cli_output::text(&value).as_bytes())?,
        Format::Table(width) => {
            out.write_all(cli_output::table(&value, TABLE_TITLE, width).as_bytes())?
        }
    }
    Ok(())
}

/// The response as `aws --output json` prints it, straight from the store's rows.
fn write_json(
    found: &Found<'_>,
    next_token: Option<&str>,
    with_origin: bool,
    out: &mut impl Write,
) -> Result<(), PrintError> {
    let mut json = image_json::Pretty::new(out);
    json.begin_object()?;
    json.key("Images")?;
    json.begin_array()?;
    // An image kept aside is laid out as it will stand: in the list, in the document.
    let keep = |rows: &ImageRows, row: usize, laid_out: &mut Vec<u8>| {
        let mut kept = image_json::Pretty::at_depth(laid_out, 2);
        let _ = rows.write_json(&mut kept, row, with_origin);
        Flow::More
    };
    found.for_each_image(&Members::All, &keep, &mut |image| {
        json.item()?;
        match image {
            Image::Row(rows, row) => rows.write_json(&mut json, row, with_origin)?,
            Image::Kept(laid_out, _) => json.raw(laid_out)?,
        }
        Ok::<Flow, PrintError>(Flow::More)
    })?;
    json.end_array()?;
    if let Some(token) = next_token {
        json.key("NextToken")?;
        json.string(token)?;
    }
    json.end_object()?;
    json.finish()?;
    Ok(())
}

/// The answer's images, one JSON object each.
struct Images<'a> {
    found: &'a Found<'a>,
    with_origin: bool,
    members: Members,
    /// A long answer's table events, kept by the measuring pass for the writing one.
    table: std::cell::OnceCell<Option<KeptImages>>,
}

impl Elements for Images<'_> {
    type Error = PrintError;

    fn each(
        &self,
        each: &mut dyn FnMut(Value) -> Result<Flow, PrintError>,
    ) -> Result<(), PrintError> {
        self.found
            .for_each_image(
                &self.members,
                &|r, i, o| self.keep(r, i, o),
                &mut |image| match image {
                    Image::Row(rows, row) => each(Value::Object(rows.json(
                        row,
                        self.with_origin,
                        &self.members,
                    ))),
                    Image::Kept(laid_out, _) => each(kept(laid_out)?),
                },
            )
    }

    fn write_each(
        &self,
        render: &mut dyn FnMut(&Value, &mut Vec<u8>) -> Flow,
        out: &mut dyn Write,
    ) -> Result<(), PrintError> {
        // Kept aside, an image is kept as it will be printed.
        let render = std::cell::RefCell::new(render);
        self.write_laid_out(
            &|rows, row, laid_out| {
                let image = Value::Object(rows.json(row, self.with_origin, &self.members));
                (render.borrow_mut())(&image, laid_out)
            },
            out,
        )
    }

    fn object_keys(&self) -> Option<Result<ObjectKeys, PrintError>> {
        let mut keys = ObjectKeys {
            count: self.found.len,
            ..ObjectKeys::default()
        };
        match self.found.keys(&self.members, self.with_origin) {
            Ok(Some(counted)) => return Some(Ok(counted)),
            Ok(None) => {}
            Err(e) => return Some(Err(e.into())),
        }
        // Elements the reader did not know: every image is read to find its keys.
        let read = self
            .found
            .for_each_batch_in_any_order(&self.members, |rows| {
                rows.add_keys(
                    self.with_origin,
                    &self.members,
                    &mut keys.scalar,
                    &mut keys.container,
                );
                Ok::<(), PrintError>(())
            });
        Some(read.map(|()| keys))
    }

    fn each_in_any_order(
        &self,
        each: &mut dyn FnMut(Value, Place) -> Result<Flow, PrintError>,
    ) -> Result<(), PrintError> {
        self.found
            .for_each_image_in_any_order(&self.members, &mut |rows, row| {
                let image = rows.json(row, self.with_origin, &self.members);
                each(Value::Object(image), (rows.pos(row), 0))
            })
    }

    fn write_text_objects(
        &self,
        identifier: Option<&str>,
        keys: &[&str],
        out: &mut dyn Write,
    ) -> Option<Result<(), PrintError>> {
        if self.members != Members::All {
            return None;
        }
        let upper = identifier.map(cli_output::py_upper);
        // Each batch's layout, made at its first image.
        let layout = std::cell::RefCell::new(None);
        let keep = |rows: &ImageRows, row: usize, laid_out: &mut Vec<u8>| {
            let mut layout = layout.borrow_mut();
            let text = rows.text(row, keys, self.with_origin, upper.as_deref(), &mut layout);
            match text {
                Some(text) => {
                    laid_out.extend_from_slice(text.as_bytes());
                    Flow::More
                }
                None => {
                    // Laid out as JSON, as the AWS CLI would, stopping where it raises.
                    let image = Value::Object(rows.json(row, self.with_origin, &self.members));
                    let mut text = String::new();
                    let formatted =
                        cli_output::format_text(&image, identifier, Some(keys), &mut text);
                    laid_out.extend_from_slice(text.as_bytes());
                    if formatted.is_ok() {
                        Flow::More
                    } else {
                        Flow::Done
                    }
                }
            }
        };
        Some(self.write_laid_out(&keep, out))
    }

    fn table_objects(
        &self,
        table: &TableOfObjects<'_>,
        each: &mut EachEvents<'_, PrintError>,
    ) -> Option<Result<(), PrintError>> {
        (self.members == Members::All).then(|| self.table_events(table, each))
    }
}

impl Images<'_> {
    /// [`Elements::table_objects`]: each image's events recorded from its columns,
    /// or from its JSON where only that can be laid out. A long answer is read once:
    /// the first call keeps its events in a temporary file, and later calls read them
    /// from there.
    fn table_events(
        &self,
        table: &TableOfObjects<'_>,
        each: &mut EachEvents<'_, PrintError>,
    ) -> Result<(), PrintError> {
        // Each batch's layout, made at its first image.
        let layout = std::cell::RefCell::new(None);
        let keep = |rows: &ImageRows, row: usize, laid_out: &mut Vec<u8>| {
            let mut layout = layout.borrow_mut();
            if rows.table(row, table, self.with_origin, &mut layout, laid_out) {
                return Flow::More;
            }
            let image = Value::Object(rows.json(row, self.with_origin, &self.members));
            let mut recorder = Recorder::new(laid_out);
            let recorded = cli_output::table_list_element(
                &mut recorder,
                &image,
                false,
                table.headers,
                table.more,
                table.title,
                table.indent_level,
            );
            if recorded.is_ok() {
                Flow::More
            } else {
                recorder.raised();
                Flow::Done
            }
        };
        if self.table.get().is_none() {
            let kept = self.found.keep_images::<PrintError>(&self.members, &keep)?;
            let _ = self.table.set(kept);
        }
        if let Some(Some(kept)) = self.table.get() {
            return kept.each(&mut |events, _| each(events));
        }
        let mut laid_out = Vec::new();
        self.found
            .for_each_image(&self.members, &keep, &mut |image| match image {
                Image::Row(rows, row) => {
                    laid_out.clear();
                    keep(rows, row, &mut laid_out);
                    each(&laid_out)
                }
                Image::Kept(laid_out, _) => each(laid_out),
            })
    }

    /// Writes each image to `out` in order as `keep` lays it out (also when it is kept
    /// aside), stopping after the first it answers [`Flow::Done`] for.
    fn write_laid_out(
        &self,
        keep: &dyn Fn(&ImageRows, usize, &mut Vec<u8>) -> Flow,
        out: &mut dyn Write,
    ) -> Result<(), PrintError> {
        let mut laid_out = Vec::new();
        self.found
            .for_each_image(&self.members, keep, &mut |image| match image {
                Image::Row(rows, row) => {
                    laid_out.clear();
                    let flow = keep(rows, row, &mut laid_out);
                    out.write_all(&laid_out)?;
                    Ok(flow)
                }
                Image::Kept(laid_out, flow) => {
                    out.write_all(laid_out)?;
                    Ok(flow)
                }
            })
    }

    /// [`Elements::each`], each image made the interpreter's value straight from its
    /// columns (a streamed `--query` reads it as that).
    fn each_variable(
        &self,
        each: &mut dyn FnMut(Rcvar) -> Result<Flow, PrintError>,
    ) -> Result<(), PrintError> {
        self.found
            .for_each_image(
                &self.members,
                &|r, i, o| self.keep(r, i, o),
                &mut |image| match image {
                    Image::Row(rows, row) => {
                        each(rows.variable(row, self.with_origin, &self.members))
                    }
                    Image::Kept(laid_out, _) => each(cli_query::variable(kept(laid_out)?)),
                },
            )
    }

    /// An image kept aside for a reader of JSON values: its compact JSON.
    fn keep(&self, rows: &ImageRows, row: usize, laid_out: &mut Vec<u8>) -> Flow {
        let image = rows.json(row, self.with_origin, &self.members);
        let _ = serde_json::to_writer(laid_out, &image);
        Flow::More
    }
}

/// An image [`Images::keep`] kept, read back.
fn kept(laid_out: &[u8]) -> Result<Value, PrintError> {
    serde_json::from_slice(laid_out).map_err(|e| {
        PrintError::from(DescribeError::Spill(std::io::Error::other(format!(
            "an image kept there could not be read back: {e}"
        ))))
    })
}

/// The answer's images through a streamed `--query`'s steps.
struct Projected<'a> {
    images: Images<'a>,
    steps: &'a [Step],
    query: &'a str,
    /// Whether a step can fail on some element (see [`steps_may_fail`]).
    may_fail: bool,
}

impl Elements for Projected<'_> {
    type Error = PrintError;

    fn each(
        &self,
        each: &mut dyn FnMut(Value) -> Result<Flow, PrintError>,
    ) -> Result<(), PrintError> {
        let mut seen = vec![0usize; self.steps.len()];
        let mut emit = |value: Rcvar| each(json(&value));
        self.images
            .each_variable(&mut |image| self.push(0, image, &mut seen, &mut emit))
    }

    fn each_in_any_order(
        &self,
        each: &mut dyn FnMut(Value, Place) -> Result<Flow, PrintError>,
    ) -> Result<(), PrintError> {
        if self.steps.iter().any(|s| matches!(s, Step::Slice { .. })) {
            // A slice counts places.
            let mut place = 0;
            return self.each(&mut |element| {
                place += 1;
                each(element, (place, 0))
            });
        }
        let mut seen = vec![0usize; self.steps.len()];
        // An image's results stand at its place, in the order they come.
        let place = std::cell::Cell::new((0, 0));
        let mut emit = |value: Rcvar| {
            let (image, result) = place.get();
            place.set((image, result + 1));
            each(json(&value), (image, result))
        };
        self.images
            .found
            .for_each_image_in_any_order(&self.images.members, &mut |rows, row| {
                place.set((rows.pos(row), 0));
                let image = rows.variable(row, self.images.with_origin, &self.images.members);
                self.push(0, image, &mut seen, &mut emit)
            })
    }

    fn known_scalars(&self) -> bool {
        if self.may_fail {
            // An element that fails must leave nothing printed: the survey reads all first.
            return false;
        }
        // Images (a flattened or sliced list of them is one still), then one scalar
        // member of each, or of those a filter keeps.
        let Some((Step::Project(last), before)) = self.steps.split_last() else {
            return false;
        };
        let images = before
            .iter()
            .all(|s| matches!(s, Step::Flatten | Step::Slice { .. }));
        let member = match last {
            Ast::Field { name, .. } => Some(name),
            Ast::Condition { then, .. } => match &**then {
                Ast::Field { name, .. } => Some(name),
                _ => None,
            },
            _ => None,
        };
        images
            && member.is_some_and(|name| {
                crate::shape::IMAGE.iter().any(|m| {
                    m.api == name
                        && matches!(m.kind, Kind::Text | Kind::Time | Kind::Bool | Kind::Int)
                })
            })
    }
}

impl<'a> Projected<'a> {
    fn new(images: Images<'a>, steps: &'a [Step], query: &'a str) -> Projected<'a> {
        Projected {
            images,
            steps,
            query,
            may_fail: steps_may_fail(steps),
        }
    }

    /// Sends `value` through the steps from `step` on.
    fn push(
        &self,
        step: usize,
        value: Rcvar,
        seen: &mut [usize],
        emit: &mut dyn FnMut(Rcvar) -> Result<Flow, PrintError>,
    ) -> Result<Flow, PrintError> {
        let Some(this) = self.steps.get(step) else {
            return emit(value);
        };
        match this {
            Step::Project(rhs) => {
                let result = cli_query::evaluate(self.query, rhs, &value)
                    .map_err(|e| PrintError::Query(e.to_string()))?;
                if result.is_null() {
                    return Ok(Flow::More);
                }
                self.push(step + 1, result, seen, emit)
            }
            Step::Flatten => match value.as_array() {
                Some(items) => {
                    for item in items {
                        if self.push(step + 1, item.clone(), seen, emit)? == Flow::Done {
                            return Ok(Flow::Done);
                        }
                    }
                    Ok(Flow::More)
                }
                None => self.push(step + 1, value, seen, emit),
            },
            Step::Slice {
                start,
                stop,
                step: every,
            } => {
                let position = seen[step];
                seen[step] += 1;
                if stop.is_some_and(|stop| position >= stop) {
                    // Past the slice nothing more comes through it; but the whole list
                    // would have met a failing element further on.
                    return Ok(if self.may_fail {
                        Flow::More
                    } else {
                        Flow::Done
                    });
                }
                if position < *start || !(position - start).is_multiple_of(*every) {
                    return Ok(Flow::More);
                }
                self.push(step + 1, value, seen, emit)
            }
        }
    }
}

/// Whether a streamed step can fail on some element (see [`cli_query::may_fail`]).
fn steps_may_fail(steps: &[Step]) -> bool {
    steps
        .iter()
        .any(|s| matches!(s, Step::Project(rhs) if cli_query::may_fail(rhs)))
}

/// The answer printed as it was before streaming: the whole document built, searched
/// and formatted in memory. The tests' reference for [`print`].
#[cfg(test)]
pub fn reference(answer: super::Answer, how: &Printing<'_>) -> Result<Vec<u8>, String> {
    let mut document = answer.into_json(how.with_origin);
    if let Some(q) = how.query {
        document = output::model_order(
            serde_json::to_value(&*q.search(&document).map_err(|e| e.to_string())?)
                .unwrap_or(Value::Null),
        );
    }
    let mut out = Vec::new();
    write_value(document, how.format, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}
