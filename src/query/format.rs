//! Result formats. Every sink takes Arrow batches as they stream from DuckDB; only the
//! terminal table holds rows, and at most `max_rows` of them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use comfy_table::{CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::QueryError;

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned for a terminal (the first `--max-rows` rows).
    Table,
    /// A header row, then one line per row.
    Csv,
    /// A JSON array of row objects.
    Json,
    /// Apache Parquet (needs --out).
    Parquet,
}

/// Where a result goes.
pub trait Sink {
    fn begin(&mut self, schema: &SchemaRef) -> Result<(), QueryError>;
    fn write(&mut self, batch: &RecordBatch) -> Result<(), QueryError>;
    /// After the last batch; `rows` were written in all.
    fn finish(&mut self, rows: u64) -> Result<(), QueryError>;
}

/// A sink for `format` writing to `out`.
pub fn sink_for<'a>(
    format: Format,
    out: Box<dyn Write + Send + 'a>,
    max_rows: usize,
) -> Box<dyn Sink + 'a> {
    match format {
        Format::Table => Box::new(TableSink {
            out,
            max_rows,
            table: Table::new(),
            shown: 0,
        }),
        Format::Csv => Box::new(CsvSink { out, writer: None }),
        Format::Json => Box::new(JsonSink {
            writer: Some(
                arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, arrow::json::writer::JsonArray>(out),
            ),
        }),
        Format::Parquet => Box::new(ParquetSink {
            out: Some(out),
            writer: None,
        }),
    }
}

fn write_err(e: impl std::fmt::Display) -> QueryError {
    QueryError::Output {
        path: PathBuf::from("the output"),
        message: e.to_string(),
    }
}

/// Display text of every value of a column (nested values as `[{key: a, value: b}]`).
fn texts(column: &ArrayRef) -> Result<Vec<String>, QueryError> {
    let options = FormatOptions::default().with_null("");
    let formatter = ArrayFormatter::try_new(column.as_ref(), &options).map_err(write_err)?;
    Ok((0..column.len())
        .map(|i| formatter.value(i).to_string())
        .collect())
}

struct TableSink<'a> {
    out: Box<dyn Write + Send + 'a>,
    max_rows: usize,
    table: Table,
    shown: usize,
}

impl Sink for TableSink<'_> {
    fn begin(&mut self, schema: &SchemaRef) -> Result<(), QueryError> {
        self.table
            .load_style(UTF8_FULL_CONDENSED)
            .set_header(schema.fields().iter().map(|f| f.name().clone()));
        for (i, field) in schema.fields().iter().enumerate() {
            if field.data_type().is_numeric()
                && let Some(column) = self.table.column_mut(i)
            {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), QueryError> {
        let room = self.max_rows.saturating_sub(self.shown);
        if room == 0 {
            return Ok(());
        }
        let batch = batch.slice(0, batch.num_rows().min(room));
        let columns: Vec<Vec<String>> = batch
            .columns()
            .iter()
            .map(texts)
            .collect::<Result<_, _>>()?;
        for row in 0..batch.num_rows() {
            self.table
                .add_row(columns.iter().map(|c| c[row].clone()).collect::<Vec<_>>());
        }
        self.shown += batch.num_rows();
        Ok(())
    }

    fn finish(&mut self, rows: u64) -> Result<(), QueryError> {
        writeln!(self.out, "{}", self.table).map_err(write_err)?;
        let note = if rows as usize > self.shown {
            format!(
                "({rows} rows, the first {} shown; --max-rows N shows more, --format csv or json all)",
                self.shown
            )
        } else if rows == 1 {
            "(1 row)".to_string()
        } else {
            format!("({rows} rows)")
        };
        writeln!(self.out, "{note}").map_err(write_err)?;
        self.out.flush().map_err(write_err)
    }
}

struct CsvSink<'a> {
    out: Box<dyn Write + Send + 'a>,
    writer: Option<arrow::csv::Writer<Box<dyn Write + Send + 'a>>>,
}

/// Nested columns as text, for formats that only take flat values.
fn flatten(batch: &RecordBatch) -> Result<RecordBatch, QueryError> {
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if field.data_type().is_nested() {
            let text: Vec<Option<String>> = texts(column)?
                .into_iter()
                .enumerate()
                .map(|(i, t)| column.is_valid(i).then_some(t))
                .collect();
            fields.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(Arc::new(StringArray::from(text)) as ArrayRef);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(write_err)
}

impl Sink for CsvSink<'_> {
    fn begin(&mut self, schema: &SchemaRef) -> Result<(), QueryError> {
        let out = std::mem::replace(&mut self.out, Box::new(std::io::sink()));
        let mut writer = arrow::csv::WriterBuilder::new()
            .with_header(true)
            .build(out);
        // An empty result still gets its header row.
        let empty = RecordBatch::new_empty(schema.clone());
        writer.write(&flatten(&empty)?).map_err(write_err)?;
        self.writer = Some(writer);
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), QueryError> {
        let writer = self.writer.as_mut().expect("begin comes first");
        writer.write(&flatten(batch)?).map_err(write_err)
    }

    fn finish(&mut self, _rows: u64) -> Result<(), QueryError> {
        if let Some(writer) = self.writer.take() {
            let mut out = writer.into_inner();
            out.flush().map_err(write_err)?;
        }
        Ok(())
    }
}

struct JsonSink<'a> {
    writer: Option<arrow::json::Writer<Box<dyn Write + Send + 'a>, arrow::json::writer::JsonArray>>,
}

impl Sink for JsonSink<'_> {
    fn begin(&mut self, _schema: &SchemaRef) -> Result<(), QueryError> {
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), QueryError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let writer = self.writer.as_mut().expect("writer until finish");
        writer.write(batch).map_err(write_err)
    }

    fn finish(&mut self, _rows: u64) -> Result<(), QueryError> {
        if let Some(mut writer) = self.writer.take() {
            writer.finish().map_err(write_err)?;
            let mut out = writer.into_inner();
            out.write_all(b"\n").map_err(write_err)?;
            out.flush().map_err(write_err)?;
        }
        Ok(())
    }
}

struct ParquetSink<'a> {
    out: Option<Box<dyn Write + Send + 'a>>,
    writer: Option<parquet::arrow::ArrowWriter<Box<dyn Write + Send + 'a>>>,
}

impl Sink for ParquetSink<'_> {
    fn begin(&mut self, schema: &SchemaRef) -> Result<(), QueryError> {
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
            .build();
        let out = self.out.take().expect("begin once");
        self.writer = Some(
            parquet::arrow::ArrowWriter::try_new(out, schema.clone(), Some(props))
                .map_err(write_err)?,
        );
        Ok(())
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), QueryError> {
        let writer = self.writer.as_mut().expect("begin comes first");
        writer.write(batch).map_err(write_err)
    }

    fn finish(&mut self, _rows: u64) -> Result<(), QueryError> {
        if let Some(writer) = self.writer.take() {
            let mut out = writer.into_inner().map_err(write_err)?;
            out.flush().map_err(write_err)?;
        }
        Ok(())
    }
}

/// Where results go: stdout, or a file written whole and then renamed into place, so
/// a reader never sees half of it and a failed query leaves no file.
pub struct Output {
    target: Option<PathBuf>,
    temp: Option<tempfile::NamedTempFile>,
}

impl Output {
    pub fn new(target: Option<&Path>) -> Result<Output, QueryError> {
        let temp = match target {
            None => None,
            Some(path) => {
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                Some(
                    tempfile::Builder::new()
                        .prefix(".amiq-")
                        .tempfile_in(dir)
                        .map_err(|e| QueryError::Output {
                            path: path.to_path_buf(),
                            message: e.to_string(),
                        })?,
                )
            }
        };
        Ok(Output {
            target: target.map(Path::to_path_buf),
            temp,
        })
    }

    /// The writer results go to.
    pub fn writer(&mut self) -> Result<Box<dyn Write + Send + '_>, QueryError> {
        Ok(match &mut self.temp {
            Some(f) => Box::new(std::io::BufWriter::new(f.as_file_mut())),
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        })
    }

    /// Moves a finished file into place.
    pub fn commit(self) -> Result<(), QueryError> {
        if let (Some(temp), Some(target)) = (self.temp, self.target) {
            temp.persist(&target).map_err(|e| QueryError::Output {
                path: target.clone(),
                message: e.error.to_string(),
            })?;
            // A temporary file is private; a result file is as readable as any other.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644));
            }
        }
        Ok(())
    }
}
