//! The sync configuration: a TOML file, overridden by command-line flags.
//!
//! Unknown keys are rejected (a typo must not silently drop an account), and every
//! error names the file, the line and the key, so a scheduled job's log says what to fix.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::plan::{Dataset, Scope};

/// Where the store lives when neither the file nor `--db` says.
pub const DEFAULT_DB: &str = "amiq.duckdb";

/// A configuration the file could not give.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// One AWS account to inventory, as the `[[accounts]]` table gives it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// A label for reports and `--account`; defaults to the account id.
    pub name: Option<String>,
    /// A role assumed through STS; the role's account is the account inventoried.
    pub role_arn: Option<String>,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
    /// A named profile from the shared AWS config files.
    pub profile: Option<String>,
}

/// Every account of an AWS Organization, as the `[organization]` table gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationConfig {
    /// The role assumed in every member account: `arn:aws:iam::<id>:role/<role_name>`.
    pub role_name: String,
    /// The external id the members' role trust policies ask for.
    pub external_id: Option<String>,
    /// A role assumed to call Organizations (in the management or a delegated
    /// administrator account); the base credentials when absent.
    pub management_role_arn: Option<String>,
    /// Only the accounts under these OUs (or roots), at any depth.
    #[serde(default)]
    pub include_ous: Vec<String>,
    /// Accounts left out.
    #[serde(default)]
    pub exclude_accounts: Vec<String>,
}

/// The file as written. Every field is optional so flags can supply what is missing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    db: Option<PathBuf>,
    regions: Option<Vec<String>>,
    scopes: Option<Vec<String>>,
    datasets: Option<Vec<String>>,
    reference_version_depth: Option<u32>,
    create_usage_reports: Option<bool>,
    usage_report_wait_secs: Option<u64>,
    endpoint_url: Option<String>,
    accounts: Option<Vec<AccountConfig>>,
    organization: Option<OrganizationConfig>,
    concurrency: Option<usize>,
    max_attempts: Option<u32>,
    page_timeout_secs: Option<u64>,
    max_results: Option<i32>,
    memory_limit: Option<String>,
    staging_dir: Option<PathBuf>,
    log_format: Option<String>,
    schedule: Option<String>,
}

/// How the run reports what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Progress bars on a terminal, plain log lines otherwise.
    #[default]
    Auto,
    /// Plain text log lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(LogFormat::Auto),
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "unknown log format {other:?}; use one of: auto, text, json"
            )),
        }
    }
}

/// Which regions to sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// Every region DescribeRegions lists as enabled for the account.
    All,
    /// These regions, in this order.
    Listed(Vec<String>),
}

/// A complete, validated sync configuration.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub db: PathBuf,
    pub regions: Regions,
    pub scopes: Vec<Scope>,
    /// What each account and region keeps: images (under `scopes`) and the datasets
    /// beside them.
    pub datasets: Vec<Dataset>,
    /// Launch template versions DescribeImageReferences checks, newest first.
    pub reference_version_depth: u32,
    /// Whether the `usage-reports` dataset creates reports (CreateImageUsageReport, a
    /// write) for the owned images that are shared.
    pub create_usage_reports: bool,
    /// How long a run waits for the usage reports it created to become available.
    pub usage_report_wait: Duration,
    pub endpoint_url: Option<String>,
    /// The accounts named in the config; with `organization`, they win over the
    /// discovered entries of the same accounts.
    pub accounts: Vec<AccountConfig>,
    /// Every active account of an organization, discovered at the start of each run.
    pub organization: Option<OrganizationConfig>,
    /// Partitions fetched at once.
    pub concurrency: usize,
    /// Attempts per page before the partition fails (throttling, 5xx, connection faults).
    pub max_attempts: u32,
    /// How long one page request may take before it is retried.
    pub page_timeout: Duration,
    /// DescribeImages MaxResults: 5 to 1000.
    pub max_results: i32,
    /// DuckDB's memory limit while merging, e.g. "1GB".
    pub memory_limit: String,
    /// Where fetched pages are staged before their partition merges.
    pub staging_dir: Option<PathBuf>,
    pub log_format: LogFormat,
    /// Cron expression for `amiq daemon`.
    pub schedule: Option<String>,
    /// Base credentials instead of the default chain; not a file key (the demo and
    /// tests set it so nothing reads the machine's AWS setup).
    pub base_credentials: Option<StaticCredentials>,
}

/// A fixed access key pair. Its Debug output never shows the secret.
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            db: PathBuf::from(DEFAULT_DB),
            regions: Regions::Listed(vec!["us-east-1".to_string()]),
            scopes: vec![Scope::Owned, Scope::Shared],
            datasets: vec![Dataset::Images],
            reference_version_depth: DEFAULT_REFERENCE_VERSION_DEPTH,
            create_usage_reports: false,
            usage_report_wait: Duration::from_secs(300),
            endpoint_url: None,
            accounts: vec![AccountConfig::default()],
            organization: None,
            concurrency: 8,
            max_attempts: 8,
            page_timeout: Duration::from_secs(60),
            max_results: 1000,
            memory_limit: "200MB".to_string(),
            staging_dir: None,
            log_format: LogFormat::Auto,
            schedule: None,
            base_credentials: None,
        }
    }
}

/// Launch template versions DescribeImageReferences checks, newest first, when the
/// config does not say: EC2's own default for `version-depth`.
pub const DEFAULT_REFERENCE_VERSION_DEPTH: u32 = 10;
/// The deepest `version-depth` DescribeImageReferences accepts (1 to 10,000).
pub const MAX_REFERENCE_VERSION_DEPTH: u32 = 10_000;

/// Values given on the command line; each replaces the file's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub db: Option<PathBuf>,
    pub regions: Vec<String>,
    pub scopes: Vec<String>,
    pub datasets: Vec<String>,
    pub endpoint_url: Option<String>,
    pub concurrency: Option<usize>,
    pub log_format: Option<LogFormat>,
}

impl SyncConfig {
    /// Reads `path` (if any) and applies `overrides` on top.
    pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<SyncConfig, ConfigError> {
        let (file, origin) = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                (parse_file(path, &text)?, path.display().to_string())
            }
            None => (FileConfig::default(), "(flags)".to_string()),
        };
        build(file, overrides, &origin)
    }

    /// Parses a configuration from text, as if read from `origin`.
    pub fn from_toml(text: &str, origin: &str) -> Result<SyncConfig, ConfigError> {
        let file = parse_file(Path::new(origin), text)?;
        build(file, &Overrides::default(), origin)
    }
}

fn parse_file(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let message = match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                let key = text
                    .lines()
                    .nth(line - 1)
                    .and_then(|l| l.split_once('='))
                    .map(|(k, _)| k.trim())
                    .filter(|k| !k.is_empty());
                match key {
                    Some(key) => format!("line {line}, key `{key}`: {}", e.message()),
                    None => format!("line {line}: {}", e.message()),
                }
            }
            None => e.message().to_string(),
        };
        ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        }
    })
}

fn build(file: FileConfig, o: &Overrides, origin: &str) -> Result<SyncConfig, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        origin: origin.to_string(),
        message,
    };
    let defaults = SyncConfig::default();

    let regions = if !o.regions.is_empty() {
        o.regions.clone()
    } else {
        file.regions
            .unwrap_or_else(|| vec!["us-east-1".to_string()])
    };
    let regions = parse_regions(&regions).map_err(invalid)?;

    let scope_names = if !o.scopes.is_empty() {
        o.scopes.clone()
    } else {
        file.scopes
            .unwrap_or_else(|| vec!["owned".to_string(), "shared".to_string()])
    };
    if scope_names.is_empty() {
        return Err(invalid(
            "key `scopes`: the list is empty; name at least one scope".into(),
        ));
    }
    let mut scopes: Vec<Scope> = Vec::new();
    for name in &scope_names {
        let scope: Scope = name
            .parse()
            .map_err(|e: String| invalid(format!("key `scopes`: {e}")))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }

    let dataset_names = if !o.datasets.is_empty() {
        o.datasets.clone()
    } else {
        file.datasets
            .unwrap_or_else(|| vec![Dataset::Images.name().to_string()])
    };
    if dataset_names.is_empty() {
        return Err(invalid(
            "key `datasets`: the list is empty; name at least one dataset, e.g. [\"images\"]"
                .into(),
        ));
    }
    let mut datasets: Vec<Dataset> = Vec::new();
    for name in &dataset_names {
        let dataset: Dataset = name
            .parse()
            .map_err(|e: String| invalid(format!("key `datasets`: {e}")))?;
        if !datasets.contains(&dataset) {
            datasets.push(dataset);
        }
    }
    let reference_version_depth = file
        .reference_version_depth
        .unwrap_or(DEFAULT_REFERENCE_VERSION_DEPTH);
    if !(1..=MAX_REFERENCE_VERSION_DEPTH).contains(&reference_version_depth) {
        return Err(invalid(format!(
            "key `reference_version_depth`: {reference_version_depth} is out of range; use 1 to {MAX_REFERENCE_VERSION_DEPTH}"
        )));
    }
    let create_usage_reports = file.create_usage_reports.unwrap_or(false);
    if create_usage_reports && !datasets.contains(&Dataset::UsageReports) {
        return Err(invalid(
            "key `create_usage_reports`: true, but the `usage-reports` dataset is not synced; add \"usage-reports\" to `datasets` (or pass --dataset usage-reports)".into(),
        ));
    }
    let usage_report_wait = file
        .usage_report_wait_secs
        .map(Duration::from_secs)
        .unwrap_or(defaults.usage_report_wait);

    let organization = file.organization;
    if let Some(org) = &organization {
        check_organization(org).map_err(invalid)?;
    }
    // With an organization, no [[accounts]] means no account besides its members.
    let accounts = file.accounts.unwrap_or_else(|| match organization {
        Some(_) => Vec::new(),
        None => vec![AccountConfig::default()],
    });
    if accounts.is_empty() && organization.is_none() {
        return Err(invalid(
            "key `accounts`: the list is empty; add an [[accounts]] table or remove the key to use the default credentials".into(),
        ));
    }
    for (i, account) in accounts.iter().enumerate() {
        if account.role_arn.is_some() && account.profile.is_some() {
            return Err(invalid(format!(
                "accounts[{i}]: give either `role_arn` or `profile`, not both (the profile's credentials assume the role? use the profile's own role_arn setting)"
            )));
        }
        if let Some(arn) = &account.role_arn {
            crate::plan::account_of_role_arn(arn).ok_or_else(|| {
                invalid(format!(
                    "accounts[{i}].role_arn: {arn:?} is not a role ARN like arn:aws:iam::111111111111:role/Name"
                ))
            })?;
        }
        if account.external_id.is_some() && account.role_arn.is_none() {
            return Err(invalid(format!(
                "accounts[{i}]: `external_id` needs a `role_arn`"
            )));
        }
    }
    let mut names = std::collections::HashSet::new();
    for account in &accounts {
        if let Some(name) = &account.name
            && !names.insert(name.clone())
        {
            return Err(invalid(format!(
                "accounts: the name {name:?} is used twice; names must be unique"
            )));
        }
    }

    let concurrency = o
        .concurrency
        .or(file.concurrency)
        .unwrap_or(defaults.concurrency);
    if concurrency == 0 {
        return Err(invalid("key `concurrency`: must be at least 1".into()));
    }
    let max_attempts = file.max_attempts.unwrap_or(defaults.max_attempts);
    if max_attempts == 0 {
        return Err(invalid("key `max_attempts`: must be at least 1".into()));
    }
    let max_results = file.max_results.unwrap_or(defaults.max_results);
    if !(5..=1000).contains(&max_results) {
        return Err(invalid(format!(
            "key `max_results`: {max_results} is out of range; DescribeImages accepts 5 to 1000"
        )));
    }
    let page_timeout = match file.page_timeout_secs {
        Some(0) => {
            return Err(invalid(
                "key `page_timeout_secs`: must be at least 1".into(),
            ));
        }
        Some(s) => Duration::from_secs(s),
        None => defaults.page_timeout,
    };
    let log_format = match (o.log_format, &file.log_format) {
        (Some(f), _) => f,
        (None, Some(s)) => s
            .parse()
            .map_err(|e: String| invalid(format!("key `log_format`: {e}")))?,
        (None, None) => LogFormat::Auto,
    };
    let endpoint_url = o.endpoint_url.clone().or(file.endpoint_url);
    if let Some(url) = &endpoint_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(invalid(format!(
            "key `endpoint_url`: {url:?} must start with http:// or https://"
        )));
    }

    Ok(SyncConfig {
        db: o.db.clone().or(file.db).unwrap_or(defaults.db),
        regions,
        scopes,
        datasets,
        reference_version_depth,
        create_usage_reports,
        usage_report_wait,
        endpoint_url,
        accounts,
        organization,
        concurrency,
        max_attempts,
        page_timeout,
        max_results,
        memory_limit: file.memory_limit.unwrap_or(defaults.memory_limit),
        staging_dir: file.staging_dir,
        log_format,
        schedule: file.schedule,
        base_credentials: None,
    })
}

/// The `[organization]` table's values, each checked against what AWS accepts.
fn check_organization(org: &OrganizationConfig) -> Result<(), String> {
    let iam_name = |s: &str| {
        (1..=64).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    };
    if !iam_name(&org.role_name) {
        return Err(format!(
            "organization.role_name: {:?} is not an IAM role name (1 to 64 letters, digits and +=,.@_-); give the name only, e.g. \"AmiInventory\"",
            org.role_name
        ));
    }
    if let Some(arn) = &org.management_role_arn {
        crate::plan::account_of_role_arn(arn).ok_or_else(|| {
            format!(
                "organization.management_role_arn: {arn:?} is not a role ARN like arn:aws:iam::111111111111:role/Name"
            )
        })?;
    }
    for ou in &org.include_ous {
        let valid = |rest: &str| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        let ok =
            ou.strip_prefix("ou-").is_some_and(valid) || ou.strip_prefix("r-").is_some_and(valid);
        if !ok {
            return Err(format!(
                "organization.include_ous: {ou:?} is not an OU or root id like \"ou-ab12-34cd5678\" or \"r-ab12\""
            ));
        }
    }
    for account in &org.exclude_accounts {
        if !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!(
                "organization.exclude_accounts: {account:?} is not a 12-digit account id"
            ));
        }
    }
    Ok(())
}

fn parse_regions(names: &[String]) -> Result<Regions, String> {
    if names.is_empty() {
        return Err("key `regions`: the list is empty; name regions or use [\"all\"]".into());
    }
    if names.iter().any(|r| r == "all") {
        if names.len() > 1 {
            return Err("key `regions`: \"all\" cannot be combined with named regions".into());
        }
        return Ok(Regions::All);
    }
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(format!(
                "key `regions`: {name:?} is not a region name like \"us-east-1\""
            ));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(Regions::Listed(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SyncConfig, String> {
        SyncConfig::from_toml(text, "amiq.toml").map_err(|e| e.to_string())
    }

    #[test]
    fn documented_example_parses() {
        let c = parse(
            r#"
db = "inv.duckdb"
regions = ["us-east-1", "eu-west-1"]
scopes = ["owned", "shared", "amazon"]
endpoint_url = "http://127.0.0.1:5000"

[[accounts]]
name = "prod"
role_arn = "arn:aws:iam::111111111111:role/AmiInventory"
external_id = "x"

[[accounts]]
profile = "dev"
"#,
        )
        .unwrap();
        assert_eq!(c.db, PathBuf::from("inv.duckdb"));
        assert_eq!(
            c.regions,
            Regions::Listed(vec!["us-east-1".into(), "eu-west-1".into()])
        );
        assert_eq!(c.scopes, vec![Scope::Owned, Scope::Shared, Scope::Amazon]);
        assert_eq!(c.accounts.len(), 2);
        assert_eq!(c.accounts[0].name.as_deref(), Some("prod"));
        assert_eq!(c.accounts[1].profile.as_deref(), Some("dev"));
    }

    #[test]
    fn defaults_apply_when_keys_are_absent() {
        let c = parse("").unwrap();
        assert_eq!(c.db, PathBuf::from(DEFAULT_DB));
        assert_eq!(c.scopes, vec![Scope::Owned, Scope::Shared]);
        assert_eq!(c.datasets, vec![Dataset::Images]);
        assert_eq!(c.reference_version_depth, 10);
        assert_eq!(c.accounts, vec![AccountConfig::default()]);
    }

    #[test]
    fn datasets_come_from_the_file_or_the_flag() {
        let c = parse(
            "datasets = [\"images\", \"snapshots\", \"images\"]\nreference_version_depth = 3",
        )
        .unwrap();
        assert_eq!(c.datasets, vec![Dataset::Images, Dataset::Snapshots]);
        assert_eq!(c.reference_version_depth, 3);
        let file = FileConfig {
            datasets: Some(vec!["images".into()]),
            ..Default::default()
        };
        let o = Overrides {
            datasets: vec!["references".into(), "settings".into()],
            ..Default::default()
        };
        let c = build(file, &o, "x").unwrap();
        assert_eq!(c.datasets, vec![Dataset::References, Dataset::Settings]);
    }

    #[test]
    fn an_organization_replaces_the_default_account() {
        let c = parse(
            "[organization]\nrole_name = \"AmiInventory\"\nexternal_id = \"x\"\ninclude_ous = [\"ou-ab12-34cd5678\", \"r-ab12\"]\nexclude_accounts = [\"444455556666\"]\nmanagement_role_arn = \"arn:aws:iam::123456789012:role/OrgReader\"",
        )
        .unwrap();
        assert!(c.accounts.is_empty());
        let org = c.organization.unwrap();
        assert_eq!(org.role_name, "AmiInventory");
        assert_eq!(org.include_ous.len(), 2);
        assert_eq!(org.exclude_accounts, ["444455556666"]);
        let c = parse(
            "[organization]\nrole_name = \"R\"\n[[accounts]]\nrole_arn = \"arn:aws:iam::111111111111:role/Other\"",
        )
        .unwrap();
        assert_eq!(c.accounts.len(), 1);
        for (text, key) in [
            (
                "[organization]\nrole_name = \"arn:aws:iam::1:role/R\"",
                "organization.role_name",
            ),
            (
                "[organization]\nrole_name = \"R\"\ninclude_ous = [\"Production\"]",
                "organization.include_ous",
            ),
            (
                "[organization]\nrole_name = \"R\"\nexclude_accounts = [\"12\"]",
                "organization.exclude_accounts",
            ),
            (
                "[organization]\nrole_name = \"R\"\nmanagement_role_arn = \"x\"",
                "organization.management_role_arn",
            ),
            ("[organization]\nrole = \"R\"", "role"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn creating_usage_reports_needs_their_dataset() {
        let c = parse("").unwrap();
        assert!(!c.create_usage_reports);
        assert_eq!(c.usage_report_wait, Duration::from_secs(300));
        let err = parse("create_usage_reports = true")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("create_usage_reports") && err.contains("usage-reports"),
            "{err}"
        );
        let c = parse(
            "datasets = [\"images\", \"usage-reports\"]\ncreate_usage_reports = true\nusage_report_wait_secs = 5",
        )
        .unwrap();
        assert!(c.create_usage_reports);
        assert_eq!(c.usage_report_wait, Duration::from_secs(5));
    }

    #[test]
    fn bad_input_names_the_key_and_line() {
        let cases: &[(&str, &[&str])] = &[
            (
                "regions = [\"us-east-1\"]\nbogus = 1\n",
                &["line 2", "bogus"],
            ),
            ("regions = \"us-east-1\"\n", &["line 1", "sequence"]),
            (
                "scopes = [\"owned\", \"everything\"]",
                &["everything", "owned, shared, amazon"],
            ),
            (
                "[[accounts]]\nrole_arn = \"arn:aws:iam::1:role\"\n",
                &["role_arn", "not a role ARN"],
            ),
            (
                "[[accounts]]\nname = \"a\"\nprofil = \"x\"\n",
                &["line 3", "profil"],
            ),
            ("concurrency = 0", &["concurrency"]),
            (
                "datasets = [\"images\", \"volumes\"]",
                &["datasets", "volumes", "recycle-bin"],
            ),
            ("datasets = []", &["datasets", "empty"]),
            (
                "reference_version_depth = 0",
                &["reference_version_depth", "1 to 10000"],
            ),
            ("max_results = 2000", &["max_results", "5 to 1000"]),
            ("regions = [\"all\", \"us-east-1\"]", &["all"]),
            ("regions = [\"US East\"]", &["US East"]),
            ("endpoint_url = \"localhost:5000\"", &["endpoint_url"]),
            (
                "[[accounts]]\nname=\"a\"\n[[accounts]]\nname=\"a\"\n",
                &["used twice"],
            ),
        ];
        for (text, needles) in cases {
            let err = parse(text).expect_err(text);
            assert!(err.contains("amiq.toml"), "{err}");
            for needle in *needles {
                assert!(err.contains(needle), "{text:?}: {err:?} lacks {needle:?}");
            }
        }
    }

    #[test]
    fn flags_override_the_file() {
        let file = FileConfig {
            db: Some("a.duckdb".into()),
            regions: Some(vec!["us-east-1".into()]),
            ..Default::default()
        };
        let o = Overrides {
            db: Some("b.duckdb".into()),
            regions: vec!["eu-west-1".into()],
            ..Default::default()
        };
        let c = build(file, &o, "x").unwrap();
        assert_eq!(c.db, PathBuf::from("b.duckdb"));
        assert_eq!(c.regions, Regions::Listed(vec!["eu-west-1".into()]));
    }
}
