//! `--account` and `--ou`: the accounts a reader narrows its answer to, resolved
//! against the store. An account is its id or a name (the config's, or the
//! organization's); an OU is its id (`ou-...`, or the root's `r-...`), its name, or its
//! path from the root (`Root/Production`), as the `accounts` table placed the members
//! at the instant asked about. An OU selects its accounts at any depth.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::{Store, StoreError};
use crate::plan::is_account_id;

/// Why `--account` or `--ou` selects nothing the store knows.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Input(String),
}

/// The account ids `account` and `ou` select at `at` (both given: the accounts of both);
/// `None` when neither is given, which is every account.
pub fn select_accounts(
    store: &Store,
    account: Option<&str>,
    ou: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Option<Vec<String>>, SelectionError> {
    let account = account.map(|a| resolve_account(store, a)).transpose()?;
    let Some(ou) = ou else {
        return Ok(account.map(|a| vec![a]));
    };
    let (_, members) = resolve_ou(store, ou, at)?;
    Ok(Some(match account {
        Some(a) => members.into_iter().filter(|m| *m == a).collect(),
        None => members,
    }))
}

/// The id of the account `account` names: an id as given, or the one account a
/// configured or organization name belongs to.
pub fn resolve_account(store: &Store, account: &str) -> Result<String, SelectionError> {
    if is_account_id(account) {
        return Ok(account.to_string());
    }
    let ids = strings(
        store,
        "SELECT account_id FROM sync_partitions WHERE account_name = $1
         UNION SELECT member_account_id FROM accounts_history WHERE name = $1
         ORDER BY 1",
        &[account],
    )?;
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => {
            let known = strings(
                store,
                "SELECT DISTINCT CASE WHEN account_name = account_id THEN account_id
                                      ELSE account_name || ' (' || account_id || ')' END
                 FROM sync_partitions ORDER BY 1 LIMIT 30",
                &[],
            )?;
            Err(SelectionError::Input(format!(
                "--account {account:?} is neither a 12-digit account id nor the name of a synced or organization account; synced accounts: {}",
                if known.is_empty() {
                    "none yet (run `amiq sync`)".to_string()
                } else {
                    known.join(", ")
                }
            )))
        }
        many => Err(SelectionError::Input(format!(
            "--account {account:?} names several accounts ({}); give the account id",
            many.join(", ")
        ))),
    }
}

/// The OU `ou` names at `at` (its id) and the accounts under it at any depth, in id
/// order.
pub fn resolve_ou(
    store: &Store,
    ou: &str,
    at: DateTime<Utc>,
) -> Result<(String, Vec<String>), SelectionError> {
    // Every placement ever recorded names the OUs (an OU left empty stays known); the
    // ones valid at `at` say who is under them then.
    let placed = store
        .connection()
        .prepare(
            "SELECT member_account_id, ou_path, ou_path_ids,
                    valid_from <= make_timestamp(?::BIGINT)::TIMESTAMPTZ
                    AND (valid_to IS NULL OR valid_to > make_timestamp(?::BIGINT)::TIMESTAMPTZ)
             FROM accounts_history ORDER BY valid_from",
        )
        .and_then(|mut s| {
            let t = at.timestamp_micros();
            s.query_map([t, t], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get::<_, bool>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| store.error(e))?;
    if placed.is_empty() {
        return Err(SelectionError::Input(format!(
            "--ou {ou:?}: the store has no organization accounts; sync with an [organization] section first"
        )));
    }
    // Every OU on the paths: its id, its latest path of names.
    let mut ous: BTreeMap<String, String> = BTreeMap::new();
    for (_, path, ids, _) in &placed {
        let names: Vec<&str> = path.split('/').collect();
        for (depth, id) in ids.split('/').enumerate().filter(|(_, id)| !id.is_empty()) {
            let upto = names[..(depth + 1).min(names.len())].join("/");
            ous.insert(id.to_string(), upto);
        }
    }
    let wanted: Vec<&String> = ous
        .iter()
        .filter(|(id, path)| {
            id.as_str() == ou || path.as_str() == ou || path.rsplit('/').next() == Some(ou)
        })
        .map(|(id, _)| id)
        .collect();
    match wanted.as_slice() {
        [id] => {
            let members = placed
                .iter()
                .filter(|(_, _, ids, valid)| *valid && ids.split('/').any(|p| p == id.as_str()))
                .map(|(account, _, _, _)| account.clone())
                .collect::<BTreeSet<_>>();
            Ok((id.to_string(), members.into_iter().collect()))
        }
        [] => {
            let known: Vec<String> = ous
                .iter()
                .take(30)
                .map(|(id, path)| format!("{path} ({id})"))
                .collect();
            Err(SelectionError::Input(format!(
                "--ou {ou:?} is no OU of the organization: give an OU id, name or path; OUs: {}",
                known.join(", ")
            )))
        }
        many => Err(SelectionError::Input(format!(
            "--ou {ou:?} names several OUs ({}); give its id or path",
            many.iter()
                .map(|id| format!("{} ({id})", ous[*id]))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn strings(store: &Store, sql: &str, params: &[&str]) -> Result<Vec<String>, StoreError> {
    store
        .connection()
        .prepare(sql)
        .and_then(|mut s| {
            s.query_map(duckdb::params_from_iter(params), |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .map_err(|e| store.error(e))
}
