//! `amiq demo`: the main job without AWS. Starts the built-in EC2 endpoint in-process
//! with a few accounts and regions, syncs every dataset of it into
//! `./amiq-demo.duckdb`, changes the catalog and syncs again, so the store shows history
//! right away.

use std::path::PathBuf;
use std::process::ExitCode;

use super::exit;
use crate::config::StaticCredentials;
use crate::config::{AccountConfig, LogFormat, Regions, SyncConfig};
use crate::plan::{Dataset, Scope};
use crate::store::{Store, StoreSettings};
use amiq_fake_ec2::{FakeConfig, FakeEc2};

/// Arguments of `amiq demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the demo store goes.
    #[arg(long, default_value = "amiq-demo.duckdb")]
    pub db: PathBuf,
    /// Sync runs to make, with a change of the catalog between runs.
    #[arg(long, default_value_t = 2)]
    pub runs: u32,
}

/// The names the demo gives its accounts.
const NAMES: &[&str] = &["prod", "staging", "dev", "sandbox"];

pub async fn run(args: &DemoArgs, log_format: Option<LogFormat>) -> ExitCode {
    let fake_config = FakeConfig::demo();
    let regions: Vec<String> = fake_config
        .regions
        .iter()
        .filter(|r| r.enabled)
        .map(|r| r.name.clone())
        .collect();
    let accounts: Vec<AccountConfig> = fake_config
        .accounts
        .iter()
        .enumerate()
        .map(|(i, id)| AccountConfig {
            name: Some(
                NAMES
                    .get(i)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| id.clone()),
            ),
            role_arn: Some(format!("arn:aws:iam::{id}:role/AmiInventory")),
            external_id: None,
            profile: None,
        })
        .collect();
    let fake = FakeEc2::new(fake_config);
    let handle = match fake
        .serve("127.0.0.1:0".parse().expect("valid address"))
        .await
    {
        Ok(h) => h,
        Err(e) => {
            eprintln!("amiq demo: cannot start the demo endpoint on 127.0.0.1: {e}");
            return ExitCode::from(exit::ERROR);
        }
    };

    // Continue the catalog's story from where earlier demo runs left it.
    let earlier_runs = Store::open_read(&args.db, &StoreSettings::default())
        .and_then(|s| s.runs(100_000))
        .map(|r| r.len() as u64)
        .unwrap_or(0);
    for k in 0..earlier_runs {
        fake.mutate(0.02, k + 1);
    }

    let config = SyncConfig {
        db: args.db.clone(),
        regions: Regions::Listed(regions),
        scopes: vec![Scope::Owned, Scope::Shared, Scope::Amazon],
        datasets: Dataset::ALL.to_vec(),
        endpoint_url: Some(handle.url()),
        accounts,
        log_format: log_format.unwrap_or_default(),
        base_credentials: Some(StaticCredentials {
            access_key_id: "AKIADEMODEMODEMODEMO".into(),
            secret_access_key: "demo-secret-not-a-real-key".into(),
        }),
        ..SyncConfig::default()
    };
    println!(
        "amiq demo: a built-in EC2 endpoint at {} with {} accounts; syncing into {}",
        handle.url(),
        config.accounts.len(),
        args.db.display()
    );
    let mut code = ExitCode::SUCCESS;
    for i in 0..args.runs.max(1) {
        if i > 0 {
            let m = fake.mutate(0.02, earlier_runs + i as u64);
            println!(
                "\nthe catalog changed: {} images added, {} deregistered, {} modified; syncing again",
                m.added, m.deregistered, m.modified
            );
        }
        let progress = super::sync::progress_for(config.log_format);
        let outcome = match crate::sync::run_sync(&config, progress, super::stop_signal()).await {
            Ok(o) => o,
            Err(e) => return super::report_store_error(&e),
        };
        super::sync::print_summary(&outcome);
        code = super::sync::exit_code(&outcome);
        if outcome.interrupted {
            break;
        }
    }
    handle.shutdown().await;
    let db = args.db.display();
    println!("\nTry next:");
    for (command, what) in [
        (
            format!("amiq runs --db {db} --partitions"),
            "the run ledger",
        ),
        (
            format!(
                "amiq describe-images --db {db} --account prod --region us-east-1 --owners self --filters Name=architecture,Values=arm64 --query 'Images[].[ImageId,Name]' --output text"
            ),
            "DescribeImages, answered from the store",
        ),
        (
            format!("amiq describe-images --db {db} --owners amazon --as-of 1 --max-results 5"),
            "as run 1 left it, one page",
        ),
        (
            format!("amiq report cleanup --db {db}"),
            "what is in use, idle or unknown, and what deleting would free",
        ),
        (
            format!("amiq demo --db {db}"),
            "another run: the catalog changes again",
        ),
        (
            "amiq fake-ec2 --listen 127.0.0.1:5000".to_string(),
            "the endpoint on its own, for amiq sync --endpoint-url",
        ),
    ] {
        println!("  {command:<48} # {what}");
    }
    code
}
