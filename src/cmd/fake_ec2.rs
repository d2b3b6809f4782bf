//! `amiq fake-ec2`: serve the built-in EC2 endpoint, for trying amiq without AWS,
//! tests in other languages and benchmarks.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use amiq_fake_ec2::{FakeConfig, FakeEc2, FakeRegion, FakeResources, Faults};

/// Arguments of `amiq fake-ec2`.
#[derive(Debug, clap::Args)]
pub struct FakeEc2Args {
    /// Address to listen on (loopback only is sensible).
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub listen: SocketAddr,
    /// Accounts that own images: 111111111111, 222222222222, ...
    #[arg(long, default_value_t = 3)]
    pub accounts: usize,
    /// Enabled regions.
    #[arg(long, value_delimiter = ',', default_value = "us-east-1,eu-west-1")]
    pub regions: Vec<String>,
    /// Regions that exist but are not enabled (opt-in).
    #[arg(long, value_delimiter = ',')]
    pub disabled_regions: Vec<String>,
    /// An account that opted in to one of the --disabled-regions, as REGION:ACCOUNT
    /// (comma-separated or repeated): the region is enabled for that account alone.
    #[arg(long, value_delimiter = ',', value_name = "REGION:ACCOUNT")]
    pub opted_in: Vec<String>,
    /// Images each account owns in each region.
    #[arg(long, default_value_t = 1000)]
    pub owned: usize,
    /// Images owned by `amazon` in each region.
    #[arg(long, default_value_t = 1000)]
    pub amazon: usize,
    /// Images owned by `aws-marketplace` in each region.
    #[arg(long, default_value_t = 200)]
    pub marketplace: usize,
    /// Seed of the catalog generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The least time each page of the EC2 calls takes, the endpoint's own work included, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// How long the sessions STS AssumeRole hands out last, in seconds (default: an
    /// hour); a request signed with an expired session is refused with ExpiredToken.
    #[arg(long)]
    pub session_seconds: Option<u64>,
    /// Fraction of DescribeImages requests throttled (RequestLimitExceeded).
    #[arg(long, default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Fraction of DescribeImages requests answered with a 500.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Fraction of DescribeImages responses cut mid-body.
    #[arg(long, default_value_t = 0.0)]
    pub reset_rate: f64,
    /// Fraction of pages whose NextToken the endpoint will then refuse.
    #[arg(long, default_value_t = 0.0)]
    pub bad_token_rate: f64,
    /// Fraction of pages sent damaged: cut short, a broken tag, or an unknown large element.
    #[arg(long, default_value_t = 0.0)]
    pub garbled_rate: f64,
    /// Fraction of images carrying elements DescribeImages does not document (members a
    /// later EC2 could add), which a reader must keep.
    #[arg(long, default_value_t = 0.0)]
    pub unknown_member_rate: f64,
    /// Instances each account runs in each region (DescribeInstanceImageMetadata).
    #[arg(long, default_value_t = FakeResources::default().instances_per_account_region)]
    pub instances: usize,
    /// Launch templates each account keeps in each region.
    #[arg(long, default_value_t = FakeResources::default().launch_templates_per_account_region)]
    pub launch_templates: usize,
    /// SSM parameters naming images, per account and region.
    #[arg(long, default_value_t = FakeResources::default().ssm_parameters_per_account_region)]
    pub ssm_parameters: usize,
    /// Image Builder recipes naming images, per account and region.
    #[arg(long, default_value_t = FakeResources::default().image_recipes_per_account_region)]
    pub recipes: usize,
    /// Snapshots no image maps, per account and region.
    #[arg(long, default_value_t = FakeResources::default().orphan_snapshots_per_account_region)]
    pub orphan_snapshots: usize,
    /// Images in the Recycle Bin at start, per account and region.
    #[arg(long, default_value_t = FakeResources::default().recycle_bin_per_account_region)]
    pub recycle_bin: usize,
    /// Share of an account's available images shared with each other account (0 to 1).
    #[arg(long, default_value_t = FakeResources::default().share_rate)]
    pub share_rate: f64,
}

/// The account ids the fake endpoint uses: 111111111111, 222222222222, ...
pub fn account_ids(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            if i < 9 {
                (111_111_111_111u64 * (i as u64 + 1)).to_string()
            } else {
                format!("{:012}", 100_000_000_000u64 + i as u64)
            }
        })
        .collect()
}

pub async fn run(args: &FakeEc2Args) -> ExitCode {
    let accounts = account_ids(args.accounts);
    let mut opted_in: Vec<(String, String)> = Vec::new();
    for pair in &args.opted_in {
        match pair.split_once(':') {
            Some((region, account))
                if args.disabled_regions.iter().any(|r| r == region)
                    && accounts.iter().any(|a| a == account) =>
            {
                opted_in.push((region.to_string(), account.to_string()));
            }
            _ => {
                eprintln!(
                    "amiq fake-ec2: --opted-in {pair:?} must be REGION:ACCOUNT, with a region of \
                     --disabled-regions and one of the {} accounts (111111111111, \
                     222222222222, ...; see --accounts)",
                    accounts.len()
                );
                return ExitCode::from(super::exit::BAD_CONFIG);
            }
        }
    }
    let mut regions: Vec<FakeRegion> = args
        .regions
        .iter()
        .map(|name| FakeRegion {
            name: name.clone(),
            enabled: true,
            opted_in: Vec::new(),
        })
        .collect();
    regions.extend(args.disabled_regions.iter().map(|name| {
        FakeRegion {
            name: name.clone(),
            enabled: false,
            opted_in: opted_in
                .iter()
                .filter(|(region, _)| region == name)
                .map(|(_, account)| account.clone())
                .collect(),
        }
    }));
    let config = FakeConfig {
        seed: args.seed,
        accounts,
        regions,
        owned_per_account_region: args.owned,
        amazon_per_region: args.amazon,
        marketplace_per_region: args.marketplace,
        faults: Faults {
            seed: args.seed,
            throttle_rate: args.throttle_rate,
            server_error_rate: args.error_rate,
            reset_rate: args.reset_rate,
            bad_token_rate: args.bad_token_rate,
            garbled_rate: args.garbled_rate,
            page_latency: Duration::from_millis(args.latency_ms),
            session_lifetime: args.session_seconds.map(Duration::from_secs),
            ..Faults::default()
        },
        unknown_member_rate: args.unknown_member_rate,
    };
    let resources = FakeResources {
        instances_per_account_region: args.instances,
        launch_templates_per_account_region: args.launch_templates,
        ssm_parameters_per_account_region: args.ssm_parameters,
        image_recipes_per_account_region: args.recipes,
        orphan_snapshots_per_account_region: args.orphan_snapshots,
        recycle_bin_per_account_region: args.recycle_bin,
        share_rate: args.share_rate,
        ..FakeResources::default()
    };
    let accounts = config.accounts.clone();
    let fake = FakeEc2::with_resources(config, resources);
    let handle = match fake.serve(args.listen).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("amiq fake-ec2: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(super::exit::BAD_CONFIG);
        }
    };
    println!("fake EC2 endpoint listening on {}", handle.url());
    println!("accounts: {}", accounts.join(", "));
    println!("role ARNs: arn:aws:iam::<account>:role/<any name>");
    super::stop_signal().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}
