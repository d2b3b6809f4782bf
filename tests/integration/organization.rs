//! Every account of an organization, discovered through the fake's AWS Organizations:
//! the active members are synced through the organization's role, the others are
//! skipped, OUs and exclusions narrow the set, a named account wins over its discovered
//! entry, and a refused listing fails only itself.

use std::collections::BTreeSet;

use amiq::config::{AccountConfig, OrganizationConfig, Regions};
use amiq::store::PartitionStatus;
use amiq_fake_ec2::{FakeConfig, Organization};

use crate::support::{A, B, Env, small_catalog};

const C: &str = "333333333333";
const D: &str = "444444444444";

fn catalog() -> FakeConfig {
    let mut catalog = small_catalog();
    catalog.accounts = vec![A.into(), B.into(), C.into(), D.into()];
    catalog.owned_per_account_region = 20;
    catalog
}

fn organization_config(env: &Env, org: OrganizationConfig) -> amiq::config::SyncConfig {
    let mut config = env.config(&["owned"]);
    config.regions = Regions::Listed(vec!["us-east-1".into()]);
    config.accounts = Vec::new();
    config.organization = Some(org);
    config
}

fn org(role_name: &str) -> OrganizationConfig {
    OrganizationConfig {
        role_name: role_name.into(),
        ..OrganizationConfig::default()
    }
}

/// The accounts the run's ledger lists, with their names.
fn synced(env: &Env) -> BTreeSet<(String, String)> {
    let store = env.store();
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT DISTINCT account_id, account_name FROM sync_partitions WHERE scope = 'owned'",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The active members of `org` under `parents` (the root, or OUs at any depth),
/// as (id, name).
fn active_under(org: &Organization, parents: &[&str]) -> BTreeSet<(String, String)> {
    let mut within: BTreeSet<String> = parents.iter().map(|p| p.to_string()).collect();
    loop {
        let more: Vec<String> = org
            .units
            .iter()
            .filter(|u| within.contains(&u.parent_id) && !within.contains(&u.id))
            .map(|u| u.id.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        within.extend(more);
    }
    org.members
        .iter()
        .filter(|m| m.status == "ACTIVE")
        .filter(|m| parents.contains(&org.root_id.as_str()) || within.contains(&m.parent_id))
        .map(|m| (m.id.clone(), m.name.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_active_member_is_synced_through_the_organization_role() {
    let env = Env::start(catalog()).await;
    let truth = env.fake.organization();
    assert!(truth.members.iter().any(|m| m.status == "SUSPENDED"));
    assert!(truth.members.iter().any(|m| m.status == "PENDING_CLOSURE"));
    let mut settings = org("AmiInventory");
    settings.exclude_accounts = vec![D.into()];
    let outcome = env.sync(&organization_config(&env, settings)).await;
    assert!(
        outcome.failed().next().is_none(),
        "{:?}",
        outcome.failed().collect::<Vec<_>>()
    );
    let mut expected = active_under(&truth, &[truth.root_id.as_str()]);
    expected.retain(|(id, _)| id != D);
    assert_eq!(expected.len(), 3);
    assert_eq!(synced(&env), expected);
    // The run planned what it recorded: the organization's listing too.
    let store = env.store();
    let (planned, completed) = store
        .connection()
        .query_row(
            "SELECT partitions_planned, partitions_completed FROM sync_runs",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .unwrap();
    assert_eq!(
        (planned, completed),
        (outcome.partitions.len() as i64, planned)
    );
    drop(store);
    // What each member owns was listed whole.
    let store = env.store();
    for (id, _) in &expected {
        let truth = env.truth(id, "us-east-1", "owned");
        let n = crate::support::count(
            &store,
            &format!(
                "SELECT count(*) FROM image_views_as_of('infinity'::TIMESTAMPTZ) WHERE viewer_account_id = '{id}' AND scope = 'owned'"
            ),
        );
        assert_eq!(n as usize, truth.len(), "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_ous_narrow_to_the_accounts_under_them_at_any_depth() {
    let env = Env::start(catalog()).await;
    let truth = env.fake.organization();
    let production = truth.units.iter().find(|u| u.name == "Production").unwrap();
    // Payments sits under Production: its members are included too.
    assert!(
        truth
            .units
            .iter()
            .any(|u| u.parent_id == production.id && u.name == "Payments")
    );
    let mut settings = org("AmiInventory");
    settings.include_ous = vec![production.id.clone()];
    let outcome = env.sync(&organization_config(&env, settings)).await;
    assert!(outcome.failed().next().is_none());
    let expected = active_under(&truth, &[production.id.as_str()]);
    assert_eq!(expected.len(), 2, "{expected:?}");
    assert_eq!(synced(&env), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_account_wins_and_a_refused_listing_fails_only_the_organization() {
    let env = Env::start(catalog()).await;
    let named = AccountConfig {
        name: Some("special".into()),
        role_arn: Some(format!("arn:aws:iam::{B}:role/Other")),
        ..AccountConfig::default()
    };
    let mut config = organization_config(&env, org("AmiInventory"));
    config.accounts = vec![named.clone()];
    let outcome = env.sync(&config).await;
    assert!(outcome.failed().next().is_none());
    let accounts = synced(&env);
    assert_eq!(accounts.len(), 4, "{accounts:?}");
    assert!(accounts.contains(&(B.to_string(), "special".to_string())));

    // Organizations answers only its management account: through a member's role the
    // listing is refused, and only the named account is synced.
    let mut settings = org("AmiInventory");
    settings.management_role_arn = Some(format!("arn:aws:iam::{C}:role/OrgReader"));
    let mut config = organization_config(&env, settings);
    config.db = env.dir.path().join("refused.duckdb");
    config.accounts = vec![named];
    let outcome = env.sync(&config).await;
    let failed: Vec<_> = outcome.failed().collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].scope, "accounts");
    assert_eq!(failed[0].status, PartitionStatus::Failed);
    let error = failed[0].error.as_deref().unwrap();
    assert!(
        error.contains("organizations:ListRoots") && error.contains("AccessDenied"),
        "{error}"
    );
    let ok: BTreeSet<&str> = outcome
        .partitions
        .iter()
        .filter(|p| p.status == PartitionStatus::Completed)
        .map(|p| p.account_id.as_str())
        .collect();
    assert_eq!(ok, BTreeSet::from([B]));
}

type AccountRow = (String, String, String, String, String);

/// The members as the store holds them at `at` (a SQL instant): (id, name, status,
/// parent, path of ids).
fn stored_accounts(env: &Env, at: &str) -> BTreeSet<AccountRow> {
    let store = env.store();
    let mut stmt = store
        .connection()
        .prepare(&format!(
            "SELECT account_id, name, status, parent_id, ou_path_ids FROM accounts_as_of({at})"
        ))
        .unwrap();
    stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The same, from the endpoint's truth: each path walked up from the member's parent.
fn true_accounts(org: &Organization) -> BTreeSet<AccountRow> {
    org.members
        .iter()
        .map(|m| {
            let mut path = vec![m.parent_id.clone()];
            while let Some(unit) = org.units.iter().find(|u| &u.id == path.last().unwrap()) {
                path.push(unit.parent_id.clone());
            }
            path.reverse();
            (
                m.id.clone(),
                m.name.clone(),
                m.status.clone(),
                m.parent_id.clone(),
                path.join("/"),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accounts_table_keeps_joins_leaves_and_moves_and_a_missing_role_fails_one_account() {
    let env = Env::start(catalog()).await;
    let config = organization_config(&env, org("AmiInventory"));
    let first = env.fake.organization();
    let outcome = env.sync(&config).await;
    assert!(outcome.failed().next().is_none());
    assert_eq!(
        stored_accounts(&env, "'infinity'::TIMESTAMPTZ"),
        true_accounts(&first)
    );

    // One member leaves, one joins (with no role to assume), one moves to another OU.
    env.fake.mutate(0.0, 1);
    let second = env.fake.organization();
    assert_ne!(true_accounts(&first), true_accounts(&second));
    let outcome = env.sync(&config).await;
    assert_eq!(
        stored_accounts(&env, "'infinity'::TIMESTAMPTZ"),
        true_accounts(&second)
    );
    assert_eq!(stored_accounts(&env, "run_time(1)"), true_accounts(&first));

    let newcomer = second
        .members
        .iter()
        .find(|m| m.name == "newcomer")
        .unwrap();
    let failed: Vec<_> = outcome.failed().collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].account_name, "newcomer");
    let error = failed[0].error.as_deref().unwrap();
    assert!(
        error.contains(&format!("arn:aws:iam::{}:role/AmiInventory", newcomer.id))
            && error.contains("AccessDenied")
            && !error.contains('\n'),
        "{error}"
    );
    // The other members were synced, the run's listing of the organization too.
    let completed: BTreeSet<&str> = outcome
        .partitions
        .iter()
        .filter(|p| p.status == PartitionStatus::Completed)
        .map(|p| p.scope.as_str())
        .collect();
    assert_eq!(completed, BTreeSet::from(["accounts", "owned"]));
    let store = env.store();
    let versions = |id: &str| {
        crate::support::count(
            &store,
            &format!("SELECT count(*) FROM accounts_history WHERE member_account_id = '{id}'"),
        )
    };
    assert_eq!(
        versions(D),
        2,
        "the account that moved has a version per OU"
    );
    assert_eq!(versions(A), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_assumed_once_per_account_and_renewed_when_they_expire_mid_run() {
    let env = Env::start(catalog()).await;
    let mut config = organization_config(&env, org("AmiInventory"));
    config.scopes = vec!["owned".parse().unwrap(), "shared".parse().unwrap()];
    config.regions = Regions::Listed(vec!["us-east-1".into(), "eu-west-1".into()]);
    let before = env.fake.stats().sessions;
    let outcome = env.sync(&config).await;
    assert!(outcome.failed().next().is_none());
    // 4 accounts x 2 regions x 2 scopes, and the organization's listing: one session
    // per account however many partitions it has.
    assert_eq!(outcome.partitions.len(), 17);
    assert_eq!(env.fake.stats().sessions - before, 4);

    // Sessions of 12 s, which the SDK renews 10 s before they end, on a run of about
    // 6 s: each account's session is renewed during the run, and no request goes out
    // with an expired one.
    env.fake.set_faults(amiq_fake_ec2::Faults {
        session_lifetime: Some(std::time::Duration::from_secs(12)),
        page_latency: std::time::Duration::from_millis(1500),
        ..Default::default()
    });
    config.max_results = 5;
    config.concurrency = 16;
    let before = env.fake.stats();
    let started = std::time::Instant::now();
    let outcome = env.sync(&config).await;
    let took = started.elapsed();
    let after = env.fake.stats();
    assert!(
        outcome.failed().next().is_none(),
        "{:?}",
        outcome.failed().collect::<Vec<_>>()
    );
    assert!(
        took.as_secs() >= 4,
        "the run must outlive a session: {took:?}"
    );
    let sessions = after.sessions - before.sessions;
    let requests = after.requests - before.requests;
    assert!(sessions > 4, "sessions were renewed: {sessions}");
    assert!(
        sessions * 5 < requests,
        "not one per call: {sessions} of {requests}"
    );
    assert_eq!(
        after.expired, before.expired,
        "no request used an expired session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_organization_is_listed_whole() {
    let env = Env::start(catalog()).await;
    let truth = env.fake.organization();
    env.fake.set_faults(amiq_fake_ec2::Faults {
        seed: 3,
        throttle_rate: 0.3,
        ..Default::default()
    });
    let before = env.fake.stats().throttled;
    let outcome = env
        .sync(&organization_config(&env, org("AmiInventory")))
        .await;
    assert!(
        outcome.failed().next().is_none(),
        "{:?}",
        outcome.failed().collect::<Vec<_>>()
    );
    assert!(env.fake.stats().throttled > before);
    assert_eq!(
        stored_accounts(&env, "'infinity'::TIMESTAMPTZ"),
        true_accounts(&truth)
    );
    assert_eq!(
        synced(&env),
        active_under(&truth, &[truth.root_id.as_str()])
    );
}

/// The distinct values of `key` in the JSON an `amiq` command printed.
fn values_of(out: &std::process::Output, key: &str) -> BTreeSet<String> {
    assert!(out.status.success(), "{}", crate::support::stderr(out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = json
        .get("Images")
        .and_then(|i| i.as_array())
        .or(json.as_array())
        .cloned()
        .unwrap_or_default();
    rows.iter()
        .filter_map(|r| r.get(key).and_then(|v| v.as_str()).map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_answers_and_exports_narrow_to_an_ou_as_of_each_run() {
    let env = Env::start(catalog()).await;
    let config = organization_config(&env, org("AmiInventory"));
    let first = env.fake.organization();
    env.sync(&config).await;
    env.fake.mutate(0.0, 1);
    let second = env.fake.organization();
    env.sync(&config).await;

    // An OU the moving account was under as of run 1 and is not now, or the reverse.
    let synced: BTreeSet<String> = [A, B, C, D].iter().map(|s| s.to_string()).collect();
    let under = |o: &Organization, ou: &str| -> BTreeSet<String> {
        active_under(o, &[ou])
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| synced.contains(id))
            .collect()
    };
    let unit = second
        .units
        .iter()
        .find(|u| under(&first, &u.id).contains(D) != under(&second, &u.id).contains(D))
        .expect("the moving account went to another OU");
    let ou = unit.id.clone();
    let (then, now) = (under(&first, &ou), under(&second, &ou));
    assert_ne!(then, now);
    let path = {
        let mut names = vec![unit.name.clone()];
        let mut parent = unit.parent_id.clone();
        while let Some(u) = second.units.iter().find(|u| u.id == parent) {
            names.push(u.name.clone());
            parent = u.parent_id.clone();
        }
        names.push("Root".into());
        names.reverse();
        names.join("/")
    };

    let db = config.db.to_string_lossy().into_owned();
    let dir = env.dir.path();
    // The OU by id, by name and by path selects the same accounts, as of each run.
    for selector in [ou.as_str(), unit.name.as_str(), path.as_str()] {
        for (as_of, expected) in [("1", &then), ("now", &now)] {
            let report = crate::support::amiq(
                &[
                    "report", "summary", "--db", &db, "--ou", selector, "--as-of", as_of,
                    "--format", "json",
                ],
                dir,
            );
            assert_eq!(
                &values_of(&report, "account_id"),
                expected,
                "report --ou {selector} at {as_of}"
            );
            let answer = crate::support::amiq(
                &[
                    "describe-images",
                    "--db",
                    &db,
                    "--ou",
                    selector,
                    "--as-of",
                    as_of,
                ],
                dir,
            );
            assert_eq!(
                &values_of(&answer, "ViewerAccountId"),
                expected,
                "describe-images --ou {selector} at {as_of}"
            );
        }
    }
    // An OU's accounts as an export's partitions: the owners under the OU the moving
    // account is in now.
    let now_in = &second.members.iter().find(|m| m.id == D).unwrap().parent_id;
    let lake = dir.join("lake");
    let export = crate::support::amiq(
        &[
            "export",
            "--db",
            &db,
            "--to",
            lake.to_str().unwrap(),
            "--ou",
            now_in,
            "--partition-by",
            "account",
        ],
        dir,
    );
    assert!(
        export.status.success(),
        "{}",
        crate::support::stderr(&export)
    );
    let exported: BTreeSet<String> = std::fs::read_dir(lake.join("current"))
        .unwrap()
        .filter_map(|e| {
            e.unwrap()
                .file_name()
                .to_str()?
                .strip_prefix("account=")
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        exported,
        under(&second, now_in),
        "{}",
        String::from_utf8_lossy(&export.stdout)
    );
    assert!(exported.contains(D) && exported.len() < synced.len());
    // A member's organization name stands for its id.
    let named = second.members.iter().find(|m| m.id == A).unwrap();
    let report = crate::support::amiq(
        &[
            "report",
            "summary",
            "--db",
            &db,
            "--account",
            &named.name,
            "--format",
            "json",
        ],
        dir,
    );
    assert_eq!(
        values_of(&report, "account_id"),
        BTreeSet::from([A.to_string()])
    );
    // An OU the organization does not have is refused, naming it and the OUs there are.
    for command in [
        vec!["report", "summary", "--db", &db, "--ou", "ou-none-nothere"],
        vec!["describe-images", "--db", &db, "--ou", "ou-none-nothere"],
        vec![
            "export",
            "--db",
            &db,
            "--to",
            lake.to_str().unwrap(),
            "--ou",
            "ou-none-nothere",
        ],
    ] {
        let out = crate::support::amiq(&command, dir);
        let error = crate::support::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {error}");
        assert!(
            error.contains("ou-none-nothere") && error.contains(&path),
            "{command:?}: {error}"
        );
    }
}

/// More accounts than the SDK's credentials cache holds providers (64): each account
/// keeps its own session, assumed once, whatever the number of accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_accounts_each_assume_their_role_once() {
    let mut catalog = small_catalog();
    catalog.accounts = (0..100).map(|n| format!("5{n:011}")).collect();
    catalog.owned_per_account_region = 2;
    catalog.amazon_per_region = 0;
    catalog.marketplace_per_region = 0;
    let env = Env::start(catalog).await;
    let mut config = organization_config(&env, org("AmiInventory"));
    config.scopes = vec!["owned".parse().unwrap(), "shared".parse().unwrap()];
    config.regions = Regions::Listed(vec!["us-east-1".into(), "eu-west-1".into()]);
    config.concurrency = 16;
    let before = env.fake.stats().sessions;
    let outcome = env.sync(&config).await;
    assert!(
        outcome.failed().next().is_none(),
        "{:?}",
        outcome.failed().collect::<Vec<_>>()
    );
    assert_eq!(outcome.partitions.len(), 100 * 2 * 2 + 1);
    assert_eq!(env.fake.stats().sessions - before, 100);
}
