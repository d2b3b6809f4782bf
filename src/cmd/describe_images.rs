//! `amiq describe-images`: `aws ec2 describe-images`, answered from the store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::describe::{
    AsOf, DescribeError, DescribeRequest, QuestionMark, cli_args, cli_output, describe_images,
    output,
};
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
    let store = match Store::open_read(&args.db, &StoreSettings::default()) {
        Ok(s) => s,
        Err(e) => return super::report_store_error(&e),
    };
    tracing::debug!("store opened");
    let answer = match describe_images(&store, &request) {
        Ok(a) => a,
        Err(DescribeError::Api(e)) => {
            eprintln!("{e}");
            return ExitCode::from(exit::API_ERROR);
        }
        Err(DescribeError::Input(e)) => {
            eprintln!("amiq: {e}");
            return ExitCode::from(super::exit::BAD_CONFIG);
        }
        Err(DescribeError::Store(e)) => return super::report_store_error(&e),
    };
    drop(store);
    tracing::debug!("store closed");
    for warning in &answer.warnings {
        eprintln!("amiq: warning: {warning}");
    }
    let with_origin = args.account.is_none() || args.region.is_none();
    let incomplete = !answer.warnings.is_empty();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = match (&query, args.output) {
        // The common case streams from the store's rows.
        (None, Output::Json) => answer.write_json(with_origin, &mut out),
        (query, output) => {
            let mut document = answer.into_json(with_origin);
            if let Some(q) = query {
                document = match q.search(&document) {
                    Ok(found) => output::model_order(
                        serde_json::to_value(&*found).unwrap_or(serde_json::Value::Null),
                    ),
                    Err(e) => {
                        eprintln!("amiq: --query: {}", one_line(&e.to_string()));
                        return ExitCode::from(super::exit::BAD_CONFIG);
                    }
                };
            }
            match output {
                Output::Json => output::write_json(&document, &mut out),
                Output::Text => out.write_all(cli_output::text(&document).as_bytes()),
                Output::Table => out.write_all(
                    cli_output::table(&document, "DescribeImages", terminal_width()).as_bytes(),
                ),
            }
        }
    };
    if written.and_then(|_| out.flush()).is_err() {
        // A closed pipe (`| head`) is not an error of ours.
        return ExitCode::from(super::exit::OK);
    }
    tracing::debug!("answer written");
    if args.strict && incomplete {
        return ExitCode::from(exit::INCOMPLETE);
    }
    ExitCode::from(super::exit::OK)
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
