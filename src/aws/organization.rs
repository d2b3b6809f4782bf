//! The accounts of an AWS Organization: its tree walked from each root with
//! ListOrganizationalUnitsForParent and ListAccountsForParent, so that every account
//! comes with its OU path. Each active account (under `include_ous`, when given) becomes
//! an account to sync through `role_name`; the others are skipped, and said to be.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_organizations::types::{Account, AccountState, AccountStatus};
use aws_smithy_types::date_time::Format;

use super::error::{ApiFailure, FailureKind};
use super::session::{AccountSession, ClientSettings};
use crate::config::{AccountConfig, OrganizationConfig};
use crate::records::OrgAccount;

/// What discovery found.
#[derive(Debug, Default)]
pub struct Members {
    /// The account whose credentials listed the organization.
    pub listed_by: String,
    /// Every member account with its place in the tree, in account id order.
    pub accounts: Vec<OrgAccount>,
    /// The active accounts to sync through the organization's role.
    pub active: Vec<AccountConfig>,
    /// Accounts not synced because of their state (suspended, closing): (id, name,
    /// state).
    pub skipped: Vec<(String, String, String)>,
}

/// Where an account or OU sits: its parent, and the path from the root by name and id.
#[derive(Debug, Clone)]
struct Place {
    parent_id: String,
    parent_name: String,
    names: Vec<String>,
    ids: Vec<String>,
}

/// Lists the organization's accounts with the base credentials, or through
/// `management_role_arn` when given.
pub async fn discover(
    org: &OrganizationConfig,
    settings: &ClientSettings,
) -> Result<Members, ApiFailure> {
    let caller = AccountConfig {
        role_arn: org.management_role_arn.clone(),
        ..AccountConfig::default()
    };
    let session = AccountSession::connect(&caller, settings).await?;
    let client = session.organizations();
    let mut parents: Vec<Place> = Vec::new();
    let mut roots = client.list_roots().into_paginator().send();
    while let Some(page) = roots.next().await {
        let page = page.map_err(|e| ApiFailure::from_sdk("organizations:ListRoots", &e))?;
        for root in page.roots.unwrap_or_default() {
            let (Some(id), name) = (root.id, root.name.unwrap_or_else(|| "Root".into())) else {
                continue;
            };
            parents.push(Place {
                parent_id: id.clone(),
                parent_name: name.clone(),
                names: vec![name],
                ids: vec![id],
            });
        }
    }
    let mut found: BTreeMap<String, (Account, Place)> = BTreeMap::new();
    let mut walked = HashSet::new();
    while let Some(place) = parents.pop() {
        let parent = place.parent_id.clone();
        if !walked.insert(parent.clone()) {
            continue;
        }
        let mut pages = client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                ApiFailure::from_sdk(
                    &format!("organizations:ListAccountsForParent ({parent})"),
                    &e,
                )
            })?;
            for account in page.accounts.unwrap_or_default() {
                if let Some(id) = account.id.clone() {
                    found.insert(id, (account, place.clone()));
                }
            }
        }
        let mut pages = client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                ApiFailure::from_sdk(
                    &format!("organizations:ListOrganizationalUnitsForParent ({parent})"),
                    &e,
                )
            })?;
            for unit in page.organizational_units.unwrap_or_default() {
                let Some(id) = unit.id else { continue };
                let name = unit.name.unwrap_or_else(|| id.clone());
                let mut child = Place {
                    parent_id: id.clone(),
                    parent_name: name.clone(),
                    names: place.names.clone(),
                    ids: place.ids.clone(),
                };
                child.names.push(name);
                child.ids.push(id);
                parents.push(child);
            }
        }
    }
    if let Some(missing) = org.include_ous.iter().find(|ou| !walked.contains(*ou)) {
        return Err(ApiFailure {
            kind: FailureKind::Permanent,
            code: None,
            message: format!(
                "organization.include_ous: {missing} is not a root or OU of the organization \
                 (ListOrganizationalUnitsForParent never named it); check the id"
            ),
        });
    }
    let mut members = members(org, found.into_values());
    members.listed_by = session.account_id;
    Ok(members)
}

/// Every account as a record; the accounts to sync and the ones skipped, in account
/// id order.
fn members(org: &OrganizationConfig, accounts: impl Iterator<Item = (Account, Place)>) -> Members {
    let mut out = Members::default();
    let mut names = HashSet::new();
    for (account, place) in accounts {
        let Some(id) = account.id.clone() else {
            continue;
        };
        out.accounts.push(OrgAccount {
            member_account_id: id.clone(),
            name: account.name.clone(),
            email: account.email.clone(),
            status: account
                .state
                .as_ref()
                .map(|s| s.as_str().to_string())
                .or_else(|| account.status.as_ref().map(|s| s.as_str().to_string())),
            joined_method: account
                .joined_method
                .as_ref()
                .map(|m| m.as_str().to_string()),
            joined_time_ts: account
                .joined_timestamp
                .and_then(|t| t.fmt(Format::DateTime).ok()),
            parent_id: place.parent_id.clone(),
            parent_name: place.parent_name.clone(),
            ou_path: place.names.join("/"),
            ou_path_ids: place.ids.join("/"),
        });
        let included =
            org.include_ous.is_empty() || place.ids.iter().any(|p| org.include_ous.contains(p));
        if org.exclude_accounts.contains(&id) || !included {
            continue;
        }
        let name = account.name.clone().unwrap_or_else(|| id.clone());
        if let Some(state) = inactive(&account) {
            out.skipped.push((id, name, state));
            continue;
        }
        // Organizations does not make names unique; the report labels must be.
        let name = if names.insert(name.clone()) {
            name
        } else {
            format!("{name} ({id})")
        };
        out.active.push(AccountConfig {
            name: Some(name),
            role_arn: Some(format!("arn:aws:iam::{id}:role/{}", org.role_name)),
            external_id: org.external_id.clone(),
            profile: None,
        });
    }
    out
}

/// The account's state when it is not active. `State` is the newer field; `Status`
/// is what older answers carry.
fn inactive(account: &Account) -> Option<String> {
    if let Some(state) = &account.state {
        return (*state != AccountState::Active).then(|| state.as_str().to_string());
    }
    match &account.status {
        Some(status) if *status != AccountStatus::Active => Some(status.as_str().to_string()),
        _ => None,
    }
}

/// The accounts a run syncs: those named in the config, then the organization's other
/// members. A named account wins over its discovered entry (it may use another role
/// or a profile); a named account given by profile only is matched after its
/// credentials are resolved.
pub fn with_members(named: &[AccountConfig], members: Vec<AccountConfig>) -> Vec<AccountConfig> {
    let named_ids: HashSet<&str> = named
        .iter()
        .filter_map(|a| a.role_arn.as_deref())
        .filter_map(crate::plan::account_of_role_arn)
        .collect();
    let mut out = named.to_vec();
    out.extend(members.into_iter().filter(|m| {
        m.role_arn
            .as_deref()
            .and_then(crate::plan::account_of_role_arn)
            .is_none_or(|id| !named_ids.contains(id))
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(
        id: &str,
        name: &str,
        state: Option<AccountState>,
        status: Option<AccountStatus>,
    ) -> (Account, Place) {
        let account = Account::builder()
            .id(id)
            .name(name)
            .set_state(state)
            .set_status(status)
            .build();
        let place = Place {
            parent_id: "ou-ab12-11111111".into(),
            parent_name: "Production".into(),
            names: vec!["Root".into(), "Production".into()],
            ids: vec!["r-ab12".into(), "ou-ab12-11111111".into()],
        };
        (account, place)
    }

    fn org() -> OrganizationConfig {
        OrganizationConfig {
            role_name: "AmiInventory".into(),
            external_id: Some("x".into()),
            exclude_accounts: vec!["333333333333".into()],
            ..OrganizationConfig::default()
        }
    }

    #[test]
    fn active_members_become_accounts_and_the_others_are_skipped() {
        let found = members(
            &org(),
            [
                account("111111111111", "prod", Some(AccountState::Active), None),
                account(
                    "222222222222",
                    "old",
                    Some(AccountState::Suspended),
                    Some(AccountStatus::Active),
                ),
                account("333333333333", "excluded", Some(AccountState::Active), None),
                account("444444444444", "prod", None, Some(AccountStatus::Active)),
                account(
                    "555555555555",
                    "closing",
                    None,
                    Some(AccountStatus::PendingClosure),
                ),
            ]
            .into_iter(),
        );
        let names: Vec<_> = found
            .active
            .iter()
            .map(|a| a.name.clone().unwrap())
            .collect();
        assert_eq!(names, ["prod", "prod (444444444444)"]);
        assert_eq!(
            found.active[0].role_arn.as_deref(),
            Some("arn:aws:iam::111111111111:role/AmiInventory")
        );
        assert_eq!(found.active[0].external_id.as_deref(), Some("x"));
        let skipped: Vec<_> = found
            .skipped
            .iter()
            .map(|(id, _, s)| (id.as_str(), s.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                ("222222222222", "SUSPENDED"),
                ("555555555555", "PENDING_CLOSURE")
            ]
        );
    }

    #[test]
    fn a_named_account_wins_over_its_discovered_entry() {
        let named = vec![AccountConfig {
            name: Some("special".into()),
            role_arn: Some("arn:aws:iam::111111111111:role/Other".into()),
            ..AccountConfig::default()
        }];
        let found = members(
            &org(),
            [
                account("111111111111", "prod", Some(AccountState::Active), None),
                account("222222222222", "dev", Some(AccountState::Active), None),
            ]
            .into_iter(),
        );
        let all = with_members(&named, found.active);
        let arns: Vec<_> = all.iter().map(|a| a.role_arn.clone().unwrap()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::111111111111:role/Other",
                "arn:aws:iam::222222222222:role/AmiInventory"
            ]
        );
    }
}
