//! The `amiq` command line.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use amiq::cmd::{self, exit};
use amiq::config::LogFormat;

/// jemalloc, for Rust and for DuckDB's C++ alike (the crate's unprefixed feature makes
/// it the process's malloc), as in DuckDB's own Linux builds: a sync is faster and peaks
/// lower than with glibc's (docs/decisions/0002-allocator-and-xml-reader.md). Its
/// options are in .cargo/config.toml.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A complete, historical inventory of Amazon Machine Images, answered locally.
#[derive(Debug, Parser)]
#[command(name = "amiq", version, about)]
struct Cli {
    /// Log format: auto (progress bars on a terminal), text or json.
    #[arg(long, global = true, value_parser = parse_log_format)]
    log_format: Option<LogFormat>,
    /// More log detail: -v debug, -vv trace (amiq's own modules).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One full sync run of every account, region and scope, then exit.
    Sync(cmd::sync::SyncArgs),
    /// The run ledger: one line per run, with per-partition status.
    Runs(cmd::runs::RunsArgs),
    /// DescribeImages answered from the store, with the AWS CLI's arguments and output.
    DescribeImages(cmd::describe_images::DescribeImagesArgs),
    /// Analysts' SQL over the store, read-only: table, csv, json or parquet.
    Query(cmd::query::QueryArgs),
    /// A report: deprecation, last-launched, changes or summary.
    Report(cmd::report::ReportArgs),
    /// Parquet for data lakes, in a Hive-style layout.
    Export(cmd::export::ExportArgs),
    /// Syncs on a cron schedule until stopped (SIGTERM or Ctrl-C).
    Daemon(cmd::daemon::DaemonArgs),
    /// The main job without AWS: a built-in endpoint synced into ./amiq-demo.duckdb.
    Demo(cmd::demo::DemoArgs),
    /// Serve the built-in fake EC2 endpoint (tests, demos, benchmarks).
    FakeEc2(cmd::fake_ec2::FakeEc2Args),
}

fn parse_log_format(s: &str) -> Result<LogFormat, String> {
    s.parse()
}

fn init_logging(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "amiq=info",
        1 => "amiq=debug",
        _ => "amiq=trace",
    };
    let filter = EnvFilter::try_from_env("AMIQ_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        _ => builder.init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = amiq::store::lock_timeout_from_env() {
        eprintln!("amiq: {e}");
        return ExitCode::from(exit::BAD_CONFIG);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("amiq: cannot start the async runtime: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };
    match cli.command {
        Command::Sync(args) => {
            let config = match args.load(cli.log_format) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("amiq: {e}");
                    return ExitCode::from(exit::BAD_CONFIG);
                }
            };
            init_logging(config.log_format, cli.verbose);
            runtime.block_on(cmd::sync::run(config))
        }
        Command::Runs(args) => {
            init_logging(cli.log_format.unwrap_or_default(), cli.verbose);
            cmd::runs::run(&args)
        }
        Command::DescribeImages(args) => {
            init_logging(cli.log_format.unwrap_or_default(), cli.verbose);
            cmd::describe_images::run(&args)
        }
        Command::Query(args) => {
            init_logging(cli.log_format.unwrap_or_default(), cli.verbose);
            cmd::query::run(&args)
        }
        Command::Report(args) => {
            init_logging(cli.log_format.unwrap_or_default(), cli.verbose);
            cmd::report::run(&args)
        }
        Command::Export(args) => {
            init_logging(cli.log_format.unwrap_or_default(), cli.verbose);
            cmd::export::run(&args)
        }
        Command::Daemon(args) => {
            let (config, schedule) = match cmd::daemon::prepare(&args, cli.log_format) {
                Ok(ready) => ready,
                Err(code) => return code,
            };
            init_logging(config.log_format, cli.verbose);
            runtime.block_on(cmd::daemon::serve(config, schedule, args.export_to.clone()))
        }
        Command::Demo(args) => {
            init_logging(cli.log_format.unwrap_or_default(), cli.verbose);
            runtime.block_on(cmd::demo::run(&args, cli.log_format))
        }
        Command::FakeEc2(args) => {
            init_logging(cli.log_format.unwrap_or_default(), cli.verbose);
            runtime.block_on(cmd::fake_ec2::run(&args))
        }
    }
}
