//! What a run will fetch: partitions of account x region x scope, and of account x
//! region for each dataset beside images.
//!
//! Planning is pure: it takes the accounts as resolved (their ids and the regions each
//! has enabled) and the configuration, and decides which DescribeImages call sequences
//! to make. A public catalog is the same for every account, so it is planned once per
//! region, fetched by the first account that has the region.

use std::fmt;

/// One DescribeImages call sequence, as the user names it in `scopes`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Owners=self: the account's own images.
    Owned,
    /// ExecutableUsers=self: images shared with the account.
    Shared,
    /// Owners=amazon.
    Amazon,
    /// Owners=aws-marketplace.
    Marketplace,
    /// Owners=aws-backup-vault.
    BackupVault,
    /// ExecutableUsers=all: every public image.
    Public,
    /// `Owners=<account id>`.
    Owner(String),
}

/// The scope names a user may write, for error messages.
pub const SCOPE_NAMES: &str =
    "owned, shared, amazon, marketplace, backup-vault, public, owner:<12-digit account id>";

/// What a run keeps: the images (by scope) and the datasets beside them, each synced
/// per account and region into its own table with history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dataset {
    /// DescribeImages, under the configured scopes.
    Images,
    /// DescribeImageReferences: the account's resources that name its images.
    References,
    /// DescribeInstanceImageMetadata: instances with the image EC2 remembers.
    Instances,
    /// DescribeSnapshots OwnerIds=self.
    Snapshots,
    /// ListImagesInRecycleBin: deleted images still billed.
    RecycleBin,
    /// GetAllowedImagesSettings and GetImageBlockPublicAccessState.
    Settings,
    /// GetImageAncestry for the owned images that are copies: the chain to each root.
    Lineage,
    /// DescribeImageAttribute launchPermission for the owned images: who may launch them.
    LaunchPermissions,
    /// DescribeImageUsageReports and their entries: which accounts, outside the synced
    /// set too, use an owned image that is shared (and, when asked, new reports).
    UsageReports,
    /// The organization's member accounts with their OUs (AWS Organizations): listed
    /// once a run when `[organization]` is configured, never named by the user.
    Accounts,
}

impl Dataset {
    /// Every dataset, in the order the user names them.
    pub const ALL: [Dataset; 9] = [
        Dataset::Images,
        Dataset::References,
        Dataset::Instances,
        Dataset::Snapshots,
        Dataset::RecycleBin,
        Dataset::Settings,
        Dataset::Lineage,
        Dataset::LaunchPermissions,
        Dataset::UsageReports,
    ];

    /// The user's name, also the ledger's `scope` of the dataset's partitions.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Images => "images",
            Dataset::References => "references",
            Dataset::Instances => "instances",
            Dataset::Snapshots => "snapshots",
            Dataset::RecycleBin => "recycle-bin",
            Dataset::Settings => "settings",
            Dataset::Lineage => "lineage",
            Dataset::LaunchPermissions => "launch-permissions",
            Dataset::UsageReports => "usage-reports",
            Dataset::Accounts => "accounts",
        }
    }

    /// The dataset whose partitions the ledger records under `scope`, if any but images.
    pub fn of_scope(scope: &str) -> Option<Dataset> {
        Dataset::ALL
            .into_iter()
            .chain([Dataset::Accounts])
            .find(|d| *d != Dataset::Images && d.name() == scope)
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Dataset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dataset::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Dataset::ALL.iter().map(|d| d.name()).collect();
                format!(
                    "unknown dataset {s:?}; valid datasets are: {}",
                    names.join(", ")
                )
            })
    }
}

/// What one partition lists: images under a scope, or a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listing {
    Images(Scope),
    Dataset(Dataset),
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listing::Images(scope) => scope.fmt(f),
            Listing::Dataset(dataset) => dataset.fmt(f),
        }
    }
}

/// The request parameters a scope stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRequest {
    pub owners: Vec<String>,
    pub executable_users: Vec<String>,
}

impl Scope {
    /// The DescribeImages parameters of this scope.
    pub fn request(&self) -> ScopeRequest {
        let (owners, users): (&[&str], &[&str]) = match self {
            Scope::Owned => (&["self"], &[]),
            Scope::Shared => (&[], &["self"]),
            Scope::Amazon => (&["amazon"], &[]),
            Scope::Marketplace => (&["aws-marketplace"], &[]),
            Scope::BackupVault => (&["aws-backup-vault"], &[]),
            Scope::Public => (&[], &["all"]),
            Scope::Owner(id) => {
                return ScopeRequest {
                    owners: vec![id.clone()],
                    executable_users: vec![],
                };
            }
        };
        ScopeRequest {
            owners: owners.iter().map(|s| s.to_string()).collect(),
            executable_users: users.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// True when every account is shown the same images under this scope, so one
    /// fetch per region serves them all. `owner:<id>` is a catalog unless the id is one
    /// of the synced accounts.
    pub fn is_catalog(&self, synced_accounts: &[String]) -> bool {
        match self {
            Scope::Owned | Scope::Shared => false,
            Scope::Amazon | Scope::Marketplace | Scope::BackupVault | Scope::Public => true,
            Scope::Owner(id) => !synced_accounts.contains(id),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Owned => f.write_str("owned"),
            Scope::Shared => f.write_str("shared"),
            Scope::Amazon => f.write_str("amazon"),
            Scope::Marketplace => f.write_str("marketplace"),
            Scope::BackupVault => f.write_str("backup-vault"),
            Scope::Public => f.write_str("public"),
            Scope::Owner(id) => write!(f, "owner:{id}"),
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "owned" => Scope::Owned,
            "shared" => Scope::Shared,
            "amazon" => Scope::Amazon,
            "marketplace" => Scope::Marketplace,
            "backup-vault" => Scope::BackupVault,
            "public" => Scope::Public,
            other => match other.strip_prefix("owner:") {
                Some(id) if is_account_id(id) => Scope::Owner(id.to_string()),
                Some(id) => {
                    return Err(format!(
                        "scope {other:?}: {id:?} is not a 12-digit account id"
                    ));
                }
                None => {
                    return Err(format!(
                        "unknown scope {other:?}; valid scopes are: {SCOPE_NAMES}"
                    ));
                }
            },
        })
    }
}

/// True for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account of `arn:aws:iam::<account>:role/<name>` (any partition).
pub fn account_of_role_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_, _partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let ok = arn_ == "arn"
        && service == "iam"
        && region.is_empty()
        && is_account_id(account)
        && resource.len() > "role/".len()
        && resource.starts_with("role/");
    ok.then_some(account)
}

/// An account whose credentials were resolved, as planning needs it.
#[derive(Debug, Clone)]
pub struct ResolvedAccount {
    /// The account id the credentials act as.
    pub id: String,
    /// The label from the config, or the id.
    pub name: String,
    /// Regions known to the account, with whether each is enabled; `None` when the
    /// region list could not be read (the configured regions are then tried as given).
    pub regions: Option<Vec<(String, bool)>>,
}

/// One (account, region, scope) listing of a run, or one (account, region) of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Index of the account in the config: which credentials fetch it.
    pub account_index: usize,
    /// The viewer: the account whose view the listing is.
    pub account_id: String,
    pub account_name: String,
    pub region: String,
    pub listing: Listing,
    /// A public catalog fetched once for every account.
    pub catalog: bool,
    /// Set when the partition cannot be fetched at all: the region does not exist.
    pub precondition_failure: Option<String>,
    /// Set when the region is not enabled for the account: recorded as skipped, not
    /// fetched, and not a failure.
    pub skipped: Option<String>,
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.account_name, self.region, self.listing)
    }
}

/// Plans the partitions of a run. `regions` is `None` for "all". Images are listed
/// under `scopes` when `datasets` has them; every other dataset once per account and
/// region.
pub fn plan(
    accounts: &[ResolvedAccount],
    regions: Option<&[String]>,
    scopes: &[Scope],
    datasets: &[Dataset],
) -> Vec<Partition> {
    let no_scopes: &[Scope] = &[];
    let scopes = if datasets.contains(&Dataset::Images) {
        scopes
    } else {
        no_scopes
    };
    let synced: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    let mut partitions = Vec::new();
    let mut catalogs_planned: Vec<(String, Scope)> = Vec::new();
    for (account_index, account) in accounts.iter().enumerate() {
        // With every region, the ones not enabled for the account are planned to be
        // recorded as skipped.
        let wanted: Vec<(String, Option<RegionProblem>)> = match (regions, &account.regions) {
            (Some(list), known) => list
                .iter()
                .map(|r| (r.clone(), region_problem(r, &account.id, known.as_deref())))
                .collect(),
            (None, Some(known)) => known
                .iter()
                .map(|(r, _)| (r.clone(), region_problem(r, &account.id, Some(known))))
                .collect(),
            (None, None) => Vec::new(),
        };
        for (region, problem) in wanted {
            for scope in scopes {
                let catalog = scope.is_catalog(&synced);
                if catalog {
                    // Only an account that can fetch it takes the catalog.
                    if problem.is_some()
                        || catalogs_planned.contains(&(region.clone(), scope.clone()))
                    {
                        continue;
                    }
                    catalogs_planned.push((region.clone(), scope.clone()));
                }
                partitions.push(Partition {
                    account_index,
                    account_id: account.id.clone(),
                    account_name: account.name.clone(),
                    region: region.clone(),
                    listing: Listing::Images(scope.clone()),
                    catalog,
                    precondition_failure: problem.as_ref().and_then(RegionProblem::failure),
                    skipped: problem.as_ref().and_then(RegionProblem::skipped),
                });
            }
            for dataset in datasets.iter().filter(|d| **d != Dataset::Images) {
                partitions.push(Partition {
                    account_index,
                    account_id: account.id.clone(),
                    account_name: account.name.clone(),
                    region: region.clone(),
                    listing: Listing::Dataset(*dataset),
                    catalog: false,
                    precondition_failure: problem.as_ref().and_then(RegionProblem::failure),
                    skipped: problem.as_ref().and_then(RegionProblem::skipped),
                });
            }
        }
    }
    partitions
}

/// Why a planned region cannot be listed for an account.
#[derive(Debug, Clone)]
enum RegionProblem {
    /// The account does not know the region: the config names it wrongly.
    Missing(String),
    /// The region exists and is not enabled (opt-in) for the account.
    NotEnabled(String),
}

impl RegionProblem {
    fn failure(&self) -> Option<String> {
        match self {
            RegionProblem::Missing(why) => Some(why.clone()),
            RegionProblem::NotEnabled(_) => None,
        }
    }

    fn skipped(&self) -> Option<String> {
        match self {
            RegionProblem::NotEnabled(why) => Some(why.clone()),
            RegionProblem::Missing(_) => None,
        }
    }
}

fn region_problem(
    region: &str,
    account: &str,
    known: Option<&[(String, bool)]>,
) -> Option<RegionProblem> {
    let known = known?;
    match known.iter().find(|(name, _)| name == region) {
        None => Some(RegionProblem::Missing(format!(
            "region {region} does not exist for account {account} (DescribeRegions does not list it)"
        ))),
        Some((_, false)) => Some(RegionProblem::NotEnabled(format!(
            "region {region} is not enabled for account {account}"
        ))),
        Some((_, true)) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print_round_trip() {
        for name in [
            "owned",
            "shared",
            "amazon",
            "marketplace",
            "backup-vault",
            "public",
            "owner:123456789012",
        ] {
            let scope: Scope = name.parse().unwrap();
            assert_eq!(scope.to_string(), name);
        }
        let err = "everything".parse::<Scope>().unwrap_err();
        assert!(err.contains(SCOPE_NAMES), "{err}");
        assert!(
            "owner:12"
                .parse::<Scope>()
                .unwrap_err()
                .contains("12-digit")
        );
    }

    #[test]
    fn scope_requests_match_the_api_parameters() {
        let table: &[(&str, &[&str], &[&str])] = &[
            ("owned", &["self"], &[]),
            ("shared", &[], &["self"]),
            ("amazon", &["amazon"], &[]),
            ("marketplace", &["aws-marketplace"], &[]),
            ("backup-vault", &["aws-backup-vault"], &[]),
            ("public", &[], &["all"]),
            ("owner:123456789012", &["123456789012"], &[]),
        ];
        for (name, owners, users) in table {
            let r = name.parse::<Scope>().unwrap().request();
            assert_eq!(r.owners, *owners, "{name}");
            assert_eq!(r.executable_users, *users, "{name}");
        }
    }

    #[test]
    fn role_arns() {
        assert_eq!(
            account_of_role_arn("arn:aws:iam::111111111111:role/Inv"),
            Some("111111111111")
        );
        assert_eq!(
            account_of_role_arn("arn:aws-cn:iam::111111111111:role/path/Inv"),
            Some("111111111111")
        );
        for bad in [
            "arn:aws:iam::11111111111:role/Inv",
            "arn:aws:iam::111111111111:user/Inv",
            "arn:aws:iam::111111111111:role/",
            "arn:aws:sts::111111111111:role/Inv",
            "111111111111",
        ] {
            assert_eq!(account_of_role_arn(bad), None, "{bad}");
        }
    }

    const IMAGES: &[Dataset] = &[Dataset::Images];

    fn account(id: &str, regions: &[(&str, bool)]) -> ResolvedAccount {
        ResolvedAccount {
            id: id.into(),
            name: id.into(),
            regions: Some(regions.iter().map(|(r, e)| (r.to_string(), *e)).collect()),
        }
    }

    #[test]
    fn catalogs_are_planned_once_per_region() {
        let accounts = [
            account("111111111111", &[("us-east-1", true), ("eu-west-1", true)]),
            account("222222222222", &[("us-east-1", true), ("eu-west-1", true)]),
        ];
        let regions = ["us-east-1".to_string(), "eu-west-1".to_string()];
        let p = plan(
            &accounts,
            Some(&regions),
            &[Scope::Owned, Scope::Amazon],
            IMAGES,
        );
        let owned = p
            .iter()
            .filter(|p| p.listing == Listing::Images(Scope::Owned))
            .count();
        let amazon: Vec<_> = p
            .iter()
            .filter(|p| p.listing == Listing::Images(Scope::Amazon))
            .collect();
        assert_eq!(owned, 4);
        assert_eq!(amazon.len(), 2);
        assert!(
            amazon
                .iter()
                .all(|p| p.catalog && p.account_id == "111111111111")
        );
    }

    #[test]
    fn owner_scope_of_a_synced_account_is_per_viewer() {
        let accounts = [
            account("111111111111", &[("us-east-1", true)]),
            account("222222222222", &[("us-east-1", true)]),
        ];
        let regions = ["us-east-1".to_string()];
        let scope: Scope = "owner:111111111111".parse().unwrap();
        let p = plan(
            &accounts,
            Some(&regions),
            std::slice::from_ref(&scope),
            IMAGES,
        );
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|p| !p.catalog));
    }

    #[test]
    fn a_missing_region_fails_its_partitions_and_one_not_enabled_skips_them() {
        let accounts = [account(
            "111111111111",
            &[("us-east-1", true), ("me-central-1", false)],
        )];
        let regions = [
            "us-east-1".to_string(),
            "me-central-1".to_string(),
            "xx-nowhere-1".to_string(),
        ];
        let p = plan(&accounts, Some(&regions), &[Scope::Owned], IMAGES);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].precondition_failure, None);
        assert_eq!(p[0].skipped, None);
        assert_eq!(p[1].precondition_failure, None);
        assert!(p[1].skipped.as_ref().unwrap().contains("not enabled"));
        assert!(
            p[2].precondition_failure
                .as_ref()
                .unwrap()
                .contains("does not exist")
        );
    }

    #[test]
    fn all_regions_means_the_enabled_ones() {
        let accounts = [account(
            "111111111111",
            &[
                ("us-east-1", true),
                ("me-central-1", false),
                ("eu-west-1", true),
            ],
        )];
        let p = plan(&accounts, None, &[Scope::Owned], IMAGES);
        let fetched: Vec<_> = p
            .iter()
            .filter(|p| p.skipped.is_none())
            .map(|p| p.region.as_str())
            .collect();
        assert_eq!(fetched, ["us-east-1", "eu-west-1"]);
        let skipped: Vec<_> = p
            .iter()
            .filter(|p| p.skipped.is_some())
            .map(|p| p.region.as_str())
            .collect();
        assert_eq!(skipped, ["me-central-1"]);
        assert!(p.iter().all(|p| p.precondition_failure.is_none()));
    }

    #[test]
    fn datasets_are_planned_once_per_account_and_region_beside_the_scopes() {
        let accounts = [
            account("111111111111", &[("us-east-1", true), ("eu-west-1", true)]),
            account("222222222222", &[("us-east-1", true), ("eu-west-1", false)]),
        ];
        let regions = ["us-east-1".to_string(), "eu-west-1".to_string()];
        let datasets = [Dataset::Images, Dataset::Snapshots, Dataset::References];
        let p = plan(
            &accounts,
            Some(&regions),
            &[Scope::Owned, Scope::Amazon],
            &datasets,
        );
        let of = |d: Dataset| -> Vec<&Partition> {
            p.iter()
                .filter(|p| p.listing == Listing::Dataset(d))
                .collect()
        };
        assert_eq!(of(Dataset::Snapshots).len(), 4);
        assert_eq!(of(Dataset::References).len(), 4);
        assert!(of(Dataset::Snapshots).iter().all(|p| !p.catalog));
        let disabled = of(Dataset::Snapshots)
            .into_iter()
            .find(|p| p.account_id == "222222222222" && p.region == "eu-west-1")
            .unwrap();
        assert!(disabled.skipped.is_some() && disabled.precondition_failure.is_none());
        let without_images = plan(
            &accounts,
            Some(&regions),
            &[Scope::Owned],
            &[Dataset::Settings],
        );
        assert_eq!(without_images.len(), 4);
        assert!(
            without_images
                .iter()
                .all(|p| p.listing == Listing::Dataset(Dataset::Settings))
        );
    }

    #[test]
    fn datasets_parse_and_print_round_trip_and_name_the_valid_ones() {
        for d in Dataset::ALL {
            assert_eq!(d.name().parse::<Dataset>().unwrap(), d);
            assert_eq!(
                Dataset::of_scope(d.name()),
                (d != Dataset::Images).then_some(d)
            );
        }
        let err = "volumes".parse::<Dataset>().unwrap_err();
        assert!(
            err.contains("recycle-bin") && err.contains("volumes"),
            "{err}"
        );
        assert_eq!(Dataset::of_scope("owned"), None);
    }
}
