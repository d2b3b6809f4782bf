//! AWS Organizations over its JSON protocol (`X-Amz-Target:
//! AWSOrganizationsV20161128.<Operation>`), written from the Organizations API
//! reference: the configured accounts form one organization whose management account is
//! the first of them, in a small tree of organizational units, beside members that are
//! suspended or closing (they own no images here). Pages are short by default, as the
//! reference allows ("fewer results than the maximum even when there are more").
//!
//! After the first mutation the organization has changed as organizations do: the
//! closing member has left, a new active member has joined (an account with no role for
//! the inventory: AssumeRole into it is refused), and the last configured account has
//! moved to another OU.

use serde_json::{Value, json};

use super::caller::Caller;
use super::catalog::{OwnerKind, World};
use super::dice::mix;
use super::request::ApiError;

/// The `X-Amz-Target` prefix of every Organizations operation.
pub(crate) const TARGET_PREFIX: &str = "AWSOrganizationsV20161128.";

/// Items per page when MaxResults is not given, and the most it may ask for.
const DEFAULT_PAGE: usize = 5;
const MAX_PAGE: usize = 20;

/// Salts of the organization's ids.
mod salt {
    pub const ORGANIZATION: u64 = 0x6f72_6769;
    pub const ROOT: u64 = 0x726f_6f74;
    pub const UNIT: u64 = 0x6f75_6e74;
    pub const MEMBER: u64 = 0x6d65_6d62;
}

/// The OUs, by name and parent (an index into this list, or the root).
const UNITS: [(&str, Option<usize>); 3] = [
    ("Production", None),
    ("Development", None),
    ("Payments", Some(0)),
];

/// An organizational unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationalUnit {
    pub id: String,
    pub name: String,
    /// The root's or another OU's id.
    pub parent_id: String,
}

/// A member account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `ACTIVE`, `SUSPENDED` or `PENDING_CLOSURE`.
    pub status: String,
    /// The root's or an OU's id.
    pub parent_id: String,
    /// Seconds since the epoch.
    pub joined: i64,
}

/// The organization the fake serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub root_id: String,
    pub management_account: String,
    pub units: Vec<OrganizationalUnit>,
    /// The configured accounts in their order, then the ones that are not active.
    pub members: Vec<Member>,
}

/// Lowercase letters and digits drawn from `seed`.
fn base36(seed: u64, len: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut h = seed;
    (0..len)
        .map(|i| {
            h = mix(h, &[i as u64]);
            DIGITS[(h % 36) as usize] as char
        })
        .collect()
}

impl Organization {
    /// The organization of `world`'s configured accounts: the first (the management
    /// account) under the root, the others spread over the OUs, and two more members,
    /// one suspended and one closing.
    pub(crate) fn of(world: &World) -> Organization {
        let seed = world.seed;
        let root_suffix = base36(mix(seed, &[salt::ROOT]), 4);
        let root_id = format!("r-{root_suffix}");
        let unit_ids: Vec<String> = (0..UNITS.len())
            .map(|i| {
                format!(
                    "ou-{root_suffix}-{}",
                    base36(mix(seed, &[salt::UNIT, i as u64]), 8)
                )
            })
            .collect();
        let units: Vec<OrganizationalUnit> = UNITS
            .iter()
            .zip(&unit_ids)
            .map(|((name, parent), id)| OrganizationalUnit {
                id: id.clone(),
                name: (*name).to_string(),
                parent_id: parent.map_or_else(|| root_id.clone(), |p| unit_ids[p].clone()),
            })
            .collect();
        let accounts: Vec<&str> = world
            .owners
            .iter()
            .filter(|o| o.kind == OwnerKind::Account)
            .map(|o| o.id.as_str())
            .collect();
        let joined = |n: u64| 1_600_000_000 + (mix(seed, &[salt::MEMBER, n]) % 100_000_000) as i64;
        let mut members: Vec<Member> = accounts
            .iter()
            .enumerate()
            .map(|(i, id)| Member {
                id: (*id).to_string(),
                name: format!("account-{}", &id[8..]),
                email: format!("aws+{id}@example.com"),
                status: "ACTIVE".into(),
                parent_id: match i {
                    0 => root_id.clone(),
                    _ => units[(i - 1) % units.len()].id.clone(),
                },
                joined: joined(i as u64),
            })
            .collect();
        let changed = world.clock > 0;
        if changed && members.len() > 1 {
            let last = members.len() - 1;
            let moved = if members[last].parent_id == units[2].id {
                0
            } else {
                2
            };
            members[last].parent_id = units[moved].id.clone();
        }
        let outsiders: &[&str] = if changed {
            &["SUSPENDED", "ACTIVE"]
        } else {
            &["SUSPENDED", "PENDING_CLOSURE"]
        };
        for (n, status) in outsiders.iter().copied().enumerate() {
            // Ids no configured account has; the newcomer's is not the closing member's.
            let slot = if status == "ACTIVE" {
                1_010
            } else {
                1_000 + n as u64
            };
            let mut draw = mix(seed, &[salt::MEMBER, slot]);
            let id = loop {
                let id = format!("9{:011}", draw % 100_000_000_000);
                if !accounts.contains(&id.as_str()) {
                    break id;
                }
                draw = mix(draw, &[1]);
            };
            members.push(Member {
                name: match status {
                    "ACTIVE" => "newcomer".to_string(),
                    _ => format!("retired-{}", n + 1),
                },
                email: format!("aws+{id}@example.com"),
                status: status.into(),
                parent_id: units[1].id.clone(),
                joined: joined(slot),
                id,
            });
        }
        Organization {
            id: format!("o-{}", base36(mix(seed, &[salt::ORGANIZATION]), 10)),
            root_id,
            management_account: accounts.first().map_or_else(String::new, |a| a.to_string()),
            units,
            members,
        }
    }

    fn arn(&self, what: &str) -> String {
        format!(
            "arn:aws:organizations::{}:{what}/{}",
            self.management_account, self.id
        )
    }

    fn account_json(&self, m: &Member) -> Value {
        json!({
            "Id": m.id,
            "Arn": format!("{}/{}", self.arn("account"), m.id),
            "Email": m.email,
            "Name": m.name,
            "Status": m.status,
            "State": m.status,
            "JoinedMethod": if m.id == self.management_account { "CREATED" } else { "INVITED" },
            "JoinedTimestamp": m.joined,
        })
    }

    fn parent_exists(&self, id: &str) -> bool {
        id == self.root_id || self.units.iter().any(|u| u.id == id)
    }
}

/// The answer (a JSON body) to `operation` with the JSON `body`, for `caller`.
pub(crate) fn answer(
    world: &World,
    caller: &Caller,
    operation: &str,
    body: &[u8],
) -> Result<String, ApiError> {
    let org = Organization::of(world);
    let input: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|_| {
            ApiError::new(
                400,
                "SerializationException",
                "The request body is not valid JSON",
            )
        })?
    };
    if !org.members.iter().any(|m| m.id == caller.account) {
        return Err(ApiError::new(
            400,
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        ));
    }
    if operation == "DescribeOrganization" {
        let management = &org.members[0];
        return Ok(json!({"Organization": {
            "Id": org.id,
            "Arn": org.arn("organization"),
            "FeatureSet": "ALL",
            "MasterAccountArn": format!("{}/{}", org.arn("account"), management.id),
            "MasterAccountId": management.id,
            "MasterAccountEmail": management.email,
            "AvailablePolicyTypes": [],
        }})
        .to_string());
    }
    if caller.account != org.management_account {
        return Err(ApiError::new(
            400,
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
        ));
    }
    let text = |name: &str| input.get(name).and_then(Value::as_str);
    let (key, items): (&str, Vec<Value>) = match operation {
        "ListRoots" => (
            "Roots",
            vec![json!({
                "Id": org.root_id,
                "Arn": format!("{}/{}", org.arn("root"), org.root_id),
                "Name": "Root",
                "PolicyTypes": [],
            })],
        ),
        "ListAccounts" => (
            "Accounts",
            org.members.iter().map(|m| org.account_json(m)).collect(),
        ),
        "ListAccountsForParent" => {
            let parent = required_parent(&org, text("ParentId"))?;
            (
                "Accounts",
                org.members
                    .iter()
                    .filter(|m| m.parent_id == parent)
                    .map(|m| org.account_json(m))
                    .collect(),
            )
        }
        "ListOrganizationalUnitsForParent" => {
            let parent = required_parent(&org, text("ParentId"))?;
            (
                "OrganizationalUnits",
                org.units
                    .iter()
                    .filter(|u| u.parent_id == parent)
                    .map(|u| {
                        json!({
                            "Id": u.id,
                            "Arn": format!("{}/{}", org.arn("ou"), u.id),
                            "Name": u.name,
                        })
                    })
                    .collect(),
            )
        }
        "ListParents" => {
            let child = text("ChildId").unwrap_or_default();
            let parent = org
                .members
                .iter()
                .find(|m| m.id == child)
                .map(|m| m.parent_id.clone())
                .or_else(|| {
                    org.units
                        .iter()
                        .find(|u| u.id == child)
                        .map(|u| u.parent_id.clone())
                })
                .ok_or_else(|| {
                    ApiError::new(
                        400,
                        "ChildNotFoundException",
                        "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
                    )
                })?;
            let kind = if parent == org.root_id {
                "ROOT"
            } else {
                "ORGANIZATIONAL_UNIT"
            };
            ("Parents", vec![json!({"Id": parent, "Type": kind})])
        }
        other => {
            return Err(ApiError::new(
                400,
                "UnknownOperationException",
                format!("The operation {other} is not supported by this endpoint."),
            ));
        }
    };
    let limit = match input.get("MaxResults") {
        None => DEFAULT_PAGE,
        Some(v) => match v.as_u64() {
            Some(n) if (1..=MAX_PAGE as u64).contains(&n) => n as usize,
            _ => {
                return Err(ApiError::new(
                    400,
                    "InvalidInputException",
                    format!("MaxResults must be between 1 and {MAX_PAGE}."),
                ));
            }
        },
    };
    let start = match text("NextToken") {
        None => 0,
        Some(token) => token
            .strip_prefix(operation)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "InvalidInputException",
                    "The provided NextToken is not valid.",
                )
            })?,
    };
    let end = (start + limit).min(items.len());
    let mut out = serde_json::Map::new();
    out.insert(key.into(), Value::Array(items[start..end].to_vec()));
    if end < items.len() {
        out.insert(
            "NextToken".into(),
            Value::String(format!("{operation}:{end}")),
        );
    }
    Ok(Value::Object(out).to_string())
}

fn required_parent<'a>(org: &Organization, id: Option<&'a str>) -> Result<&'a str, ApiError> {
    match id {
        Some(id) if org.parent_exists(id) => Ok(id),
        Some(_) => Err(ApiError::new(
            400,
            "ParentNotFoundException",
            "We can't find a root or OU with the ParentId that you specified.",
        )),
        None => Err(ApiError::new(
            400,
            "InvalidInputException",
            "You must specify a ParentId.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FakeConfig, FakeRegion, Faults};

    fn world(accounts: usize) -> World {
        World::new(&FakeConfig {
            seed: 9,
            accounts: (1..=accounts).map(|i| format!("{i:012}")).collect(),
            regions: vec![FakeRegion {
                name: "us-east-1".into(),
                enabled: true,
                opted_in: Vec::new(),
            }],
            owned_per_account_region: 5,
            amazon_per_region: 5,
            marketplace_per_region: 0,
            faults: Faults::default(),
            unknown_member_rate: 0.0,
        })
    }

    fn call(world: &World, caller: &str, op: &str, body: Value) -> Result<Value, ApiError> {
        let caller = Caller::new(world, caller);
        answer(world, &caller, op, body.to_string().as_bytes())
            .map(|s| serde_json::from_str(&s).unwrap())
    }

    #[test]
    fn every_member_is_listed_once_across_short_pages() {
        let w = world(7);
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut body = json!({});
            if let Some(t) = &token {
                body["NextToken"] = json!(t);
            }
            let page = call(&w, "000000000001", "ListAccounts", body).unwrap();
            pages += 1;
            for a in page["Accounts"].as_array().unwrap() {
                ids.push(a["Id"].as_str().unwrap().to_string());
            }
            match page.get("NextToken") {
                Some(t) => token = Some(t.as_str().unwrap().to_string()),
                None => break,
            }
        }
        assert_eq!(
            ids.len(),
            9,
            "7 configured accounts and 2 that are not active"
        );
        assert_eq!(pages, 2);
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
    }

    #[test]
    fn the_tree_walked_from_the_root_holds_every_member() {
        let w = world(5);
        let org = Organization::of(&w);
        let mut parents = vec![org.root_id.clone()];
        let mut found = 0;
        while let Some(parent) = parents.pop() {
            let body = json!({"ParentId": parent, "MaxResults": 20});
            let units = call(
                &w,
                "000000000001",
                "ListOrganizationalUnitsForParent",
                body.clone(),
            )
            .unwrap();
            for u in units["OrganizationalUnits"].as_array().unwrap() {
                parents.push(u["Id"].as_str().unwrap().to_string());
            }
            found += call(&w, "000000000001", "ListAccountsForParent", body).unwrap()["Accounts"]
                .as_array()
                .unwrap()
                .len();
        }
        assert_eq!(found, org.members.len());
        assert!(
            org.units
                .iter()
                .all(|u| u.id.starts_with(&format!("ou-{}-", &org.root_id[2..])))
        );
    }

    #[test]
    fn after_a_mutation_one_member_has_left_one_joined_and_one_moved() {
        let mut w = world(4);
        let before = Organization::of(&w);
        w.mutate(0.0, 1);
        let after = Organization::of(&w);
        let ids =
            |o: &Organization| -> Vec<String> { o.members.iter().map(|m| m.id.clone()).collect() };
        let left: Vec<_> = before
            .members
            .iter()
            .filter(|m| !ids(&after).contains(&m.id))
            .collect();
        let joined: Vec<_> = after
            .members
            .iter()
            .filter(|m| !ids(&before).contains(&m.id))
            .collect();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].status, "PENDING_CLOSURE");
        assert_eq!(joined.len(), 1);
        assert_eq!(
            (joined[0].status.as_str(), joined[0].name.as_str()),
            ("ACTIVE", "newcomer")
        );
        let moved: Vec<_> = after
            .members
            .iter()
            .filter(|m| {
                before
                    .members
                    .iter()
                    .any(|b| b.id == m.id && b.parent_id != m.parent_id)
            })
            .collect();
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].id, "000000000004");
    }

    #[test]
    fn members_may_not_list_and_strangers_are_told_there_is_no_organization() {
        let w = world(3);
        let e = call(&w, "000000000002", "ListAccounts", json!({})).unwrap_err();
        assert_eq!(e.code, "AccessDeniedException");
        let d = call(&w, "000000000002", "DescribeOrganization", json!({})).unwrap();
        assert_eq!(d["Organization"]["MasterAccountId"], "000000000001");
        let e = call(&w, "123456789012", "ListAccounts", json!({})).unwrap_err();
        assert_eq!(e.code, "AWSOrganizationsNotInUseException");
        let e = call(
            &w,
            "000000000001",
            "ListAccounts",
            json!({"MaxResults": 21}),
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidInputException");
        let e = call(
            &w,
            "000000000001",
            "ListAccountsForParent",
            json!({"ParentId": "ou-zzzz-zzzzzzzz"}),
        )
        .unwrap_err();
        assert_eq!(e.code, "ParentNotFoundException");
        let e = call(
            &w,
            "000000000001",
            "ListAccounts",
            json!({"NextToken": "ListRoots:1"}),
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidInputException");
    }
}
