//! `amiq describe-images`: `aws ec2 describe-images`, answered from the store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::describe::print::{Format, PrintError, Printing, print};
use crate::describe::{AsOf, DescribeError, DescribeRequest, QuestionMark, answer_for, cli_args};
use crate::store::{Store, StoreSettings};

/// Arguments of `amiq describe-images`: the AWS CLI's, plus where and when to answer.
#[derive(Debug, clap::Args)]
pub struct DescribeImagesArgs {
    /// The database file.
    #[arg(long, default_value = crate::config::DEFAULT_DB)]
    pub db: PathBuf,
    /// The caller whose view is answered: an account id or its configured name.
    /// Without it, every synced account, each image naming its ViewerAccountId.
    #[arg(long)]
    pub account: Option<String>,
    /// The region answered. Without it, every synced region, each image naming its Region.
    #[arg(long)]
    pub region: Option<String>,
    /// Only the callers in this organizational unit at the as-of instant, at any depth:
    /// its id (ou-..., r-...), name or path (Root/Production).
    #[arg(long)]
    pub ou: Option<String>,
    /// Owners: self, amazon, aws-marketplace, aws-backup-vault or account ids.
    #[arg(long, num_args = 1.., value_name = "OWNER")]
    pub owners: Vec<String>,
    /// Executable users: self, all or account ids.
    #[arg(long, num_args = 1.., value_name = "USER")]
    pub executable_users: Vec<String>,
    /// Image ids.
    #[arg(long, num_args = 1.., value_name = "ID")]
    pub image_ids: Vec<String>,
    /// Filters, as the AWS CLI takes them: Name=name,Values=a,b (or JSON).
    #[arg(long, num_args = 1.., value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Include deprecated images.
    #[arg(long, overrides_with = "no_include_deprecated")]
    pub include_deprecated: bool,
    #[arg(long, hide = true)]
    pub no_include_deprecated: bool,
    /// Include disabled images.
    #[arg(long, overrides_with = "no_include_disabled")]
    pub include_disabled: bool,
    #[arg(long, hide = true)]
    pub no_include_disabled: bool,
    /// One page of at most this many images (5-1000), with a NextToken when more follow.
    #[arg(long)]
    pub max_results: Option<i64>,
    /// Continue from a NextToken.
    #[arg(long, alias = "next-token", value_name = "TOKEN")]
    pub starting_token: Option<String>,
    /// Answer as of a time (2026-10-01T00:00:00Z, 2026-10-01) or run id; default now.
    #[arg(long, default_value = "now", value_parser = parse_as_of)]
    pub as_of: AsOf,
    /// json (default), text or table, as the AWS CLI prints them.
    #[arg(long, value_enum, default_value_t = Output::Json)]
    pub output: Output,
    /// A JMESPath expression applied to the answer.
    #[arg(long)]
    pub query: Option<String>,
    /// Exit with a distinct code when the answer may be incomplete (see warnings).
    #[arg(long)]
    pub strict: bool,
    /// How `?` in a filter value matches.
    #[arg(long, value_enum, default_value_t = QuestionMark::ZeroOrOne)]
    pub question_mark: QuestionMark,
    /// The memory DuckDB may use, and a `--query` that needs the whole answer at once
    /// (e.g. `Images[].ImageId | sort(@)`) may hold: 1GB, 512MB.
    #[arg(long, default_value = "1GB", value_parser = parse_memory_limit)]
    pub memory_limit: MemoryLimit,
}

/// A memory limit as given and in bytes.
#[derive(Debug, Clone)]
pub struct MemoryLimit {
    pub text: String,
    pub bytes: u64,
}

/// `1GB`, `512MB`, `2GiB`, `100KB` or a number of bytes, as DuckDB reads them.
fn parse_memory_limit(s: &str) -> Result<MemoryLimit, String> {
    let text = s.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let scale: f64 = match unit.as_str() {
        "" | "b" | "byte" | "bytes" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0f64.powi(4),
        _ => f64::NAN,
    };
    match number.parse::<f64>() {
        Ok(n) if scale.is_finite() && n > 0.0 => Ok(MemoryLimit {
            text: text.to_string(),
            bytes: (n * scale) as u64,
        }),
        _ => Err(format!(
            "{s:?} is not a memory size; give a number and a unit, e.g. 1GB or 512MB"
        )),
    }
}

/// Output formats of the AWS CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Json,
    Text,
    Table,
}

fn parse_as_of(s: &str) -> Result<AsOf, String> {
    s.parse()
}

/// Exit codes of describe-images, documented in the README.
pub mod exit {
    /// EC2 would have refused the request (the AWS CLI's code for a service error).
    pub const API_ERROR: u8 = 254;
    /// `--strict` and the answer may be incomplete.
    pub const INCOMPLETE: u8 = 5;
}

pub fn run(args: &DescribeImagesArgs) -> ExitCode {
    let filters = match cli_args::parse_filters(&args.filters) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("amiq: {e}");
            return ExitCode::from(super::exit::BAD_CONFIG);
        }
    };
    let query = match args.query.as_deref().map(jmespath::compile) {
        None => None,
        Some(Ok(q)) => Some(q),
        Some(Err(e)) => {
            eprintln!("amiq: --query: {}", one_line(&e.to_string()));
            return ExitCode::from(super::exit::BAD_CONFIG);
        }
    };
    let request = DescribeRequest {
        account: args.account.clone(),
        region: args.region.clone(),
        ou: args.ou.clone(),
        owners: args.owners.clone(),
        executable_users: args.executable_users.clone(),
        image_ids: args.image_ids.clone(),
        filters,
        include_deprecated: args.include_deprecated,
        include_disabled: args.include_disabled,
        max_results: args.max_results,
        next_token: args.starting_token.clone(),
        as_of: args.as_of.clone(),
        question_mark: args.question_mark,
    };
    if let Err(e) = crate::describe::validate(&request) {
        eprintln!("{e}");
        return ExitCode::from(exit::API_ERROR);
    }
    let settings = StoreSettings {
        memory_limit: args.memory_limit.text.clone(),
        ..StoreSettings::default()
    };
    let store = match Store::open_read(&args.db, &settings) {
        Ok(s) => s,
        Err(e) => return super::report_store_error(&e),
    };
    tracing::debug!("store opened");
    // What the printing reads of the answer: the answer is found to fit it.
    let reading = crate::describe::print::reading(query.as_ref());
    let answer = match answer_for(&store, &request, &reading) {
        Ok(a) => a,
        Err(e) => return report_describe_error(e),
    };
    if let Err(e) = answer.found.limit_reading(args.memory_limit.bytes) {
        return report_describe_error(e);
    }
    for warning in &answer.warnings {
        eprintln!("amiq: warning: {warning}");
    }

    let incomplete = !answer.warnings.is_empty();
    let printing = Printing {
        format: match args.output {
            Output::Json => Format::Json,
            Output::Text => Format::Text,
            Output::Table => Format::Table(terminal_width()),
        },
        query: query.as_ref(),
        with_origin: args.account.is_none() || args.region.is_none(),
        memory_budget: args.memory_limit.bytes,
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let printed = print(&answer, &printing, &mut out).and_then(|()| Ok(out.flush()?));
    if printed.is_err() {
        // What a failed answer left unwritten stays so: no half document after the error.
        let _ = out.into_parts();
    }
    tracing::debug!("answer written");
    drop(answer);
    drop(store);
    tracing::debug!("store closed");
    match printed {
        Ok(()) => {}
        // A closed pipe (`| head`) is not an error of ours.
        Err(PrintError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            return ExitCode::from(super::exit::OK);
        }
        Err(PrintError::Io(e)) => {
            eprintln!("amiq: writing the answer to standard output: {e}");
            return ExitCode::from(super::exit::ERROR);
        }
        Err(PrintError::Describe(e)) => return report_describe_error(e),
        Err(e @ PrintError::Query(_)) => {
            eprintln!("amiq: {}", one_line(&e.to_string()));
            return ExitCode::from(super::exit::BAD_CONFIG);
        }
        Err(e @ PrintError::TooLarge(_)) => {
            eprintln!("amiq: {e}");
            return ExitCode::from(super::exit::BAD_CONFIG);
        }
    }
    if args.strict && incomplete {
        return ExitCode::from(exit::INCOMPLETE);
    }
    ExitCode::from(super::exit::OK)
}

fn report_describe_error(e: DescribeError) -> ExitCode {
    match e {
        DescribeError::Api(e) => {
            eprintln!("{e}");
            ExitCode::from(exit::API_ERROR)
        }
        DescribeError::Input(e) => {
            eprintln!("amiq: {e}");
            ExitCode::from(super::exit::BAD_CONFIG)
        }
        DescribeError::Store(e) => super::report_store_error(&e),
        e @ DescribeError::Spill(_) => {
            eprintln!("amiq: {e}");
            ExitCode::from(super::exit::ERROR)
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The terminal's width, or the AWS CLI's default when not on a terminal.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(80)
}
