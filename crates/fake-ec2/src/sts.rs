//! The two STS actions a multi-account sync needs: AssumeRole into a configured account
//! (its credentials carry the account, see `caller`) and GetCallerIdentity.

use std::fmt::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::caller::{ASSUMED_KEY_PREFIX, Caller, is_account_id};
use super::catalog::{OwnerKind, World};
use super::request::{ApiError, Params};
use super::xml::{DECLARATION, STS_NAMESPACE, element};

/// `arn:aws:iam::<account>:role/<path/name>` split into account and role name.
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path = resource.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    (is_account_id(account) && !name.is_empty()).then_some((account, name))
}

/// Answers AssumeRole: credentials for the role's account, valid for an hour.
pub(crate) fn assume_role(
    world: &World,
    caller: &Caller,
    params: &Params,
    lifetime: std::time::Duration,
    request_id: &str,
) -> Result<String, ApiError> {
    let arn = params.get("RoleArn").unwrap_or_default();
    let (account, role) = parse_role_arn(arn).ok_or_else(|| {
        ApiError::new(
            400,
            "ValidationError",
            format!("{arn:?} is not a valid role ARN; expected arn:aws:iam::<12-digit account>:role/<name>"),
        )
    })?;
    if !world
        .owner_by_id(account)
        .is_some_and(|o| o.kind == OwnerKind::Account)
    {
        return Err(ApiError::new(
            403,
            "AccessDenied",
            format!(
                "User: arn:aws:iam::{}:user/amiq-fake is not authorized to perform: sts:AssumeRole on resource: {arn}",
                caller.account
            ),
        ));
    }
    let session = params.get("RoleSessionName").unwrap_or("amiq");
    let expires = chrono::Utc::now()
        + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(1));
    let expiration = expires.format("%Y-%m-%dT%H:%M:%SZ");
    let token = format!(
        "{}.{}",
        expires.timestamp(),
        STANDARD.encode(format!("amiq-fake-session:{account}:{role}:{session}"))
    );

    let mut out = String::with_capacity(1024);
    out.push_str(DECLARATION);
    let _ = write!(
        out,
        r#"<AssumeRoleResponse xmlns="{STS_NAMESPACE}"><AssumeRoleResult>"#
    );
    out.push_str("<AssumedRoleUser>");
    element(
        &mut out,
        "AssumedRoleId",
        &format!("AROAFAKE{account}:{session}"),
    );
    element(
        &mut out,
        "Arn",
        &format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
    );
    out.push_str("</AssumedRoleUser><Credentials>");
    element(
        &mut out,
        "AccessKeyId",
        &format!("{ASSUMED_KEY_PREFIX}{account}"),
    );
    element(
        &mut out,
        "SecretAccessKey",
        &format!("amiqFakeSecretKey/{account}/not-a-real-secret"),
    );
    element(
        &mut out,
        "SessionToken",
        &format!("AmiqFakeSessionToken/{token}"),
    );
    element(&mut out, "Expiration", &expiration.to_string());
    out.push_str("</Credentials></AssumeRoleResult>");
    response_metadata(&mut out, request_id);
    out.push_str("</AssumeRoleResponse>");
    Ok(out)
}

/// Answers GetCallerIdentity for the account the credentials stand for.
pub(crate) fn get_caller_identity(caller: &Caller, access_key: &str, request_id: &str) -> String {
    let account = &caller.account;
    let (user_id, arn) = if access_key.starts_with(ASSUMED_KEY_PREFIX) {
        (
            format!("AROAFAKE{account}:amiq"),
            format!("arn:aws:sts::{account}:assumed-role/amiq-fake/amiq"),
        )
    } else {
        (
            format!("AIDAFAKE{account}"),
            format!("arn:aws:iam::{account}:user/amiq-fake"),
        )
    };
    let mut out = String::with_capacity(512);
    out.push_str(DECLARATION);
    let _ = write!(
        out,
        r#"<GetCallerIdentityResponse xmlns="{STS_NAMESPACE}"><GetCallerIdentityResult>"#
    );
    element(&mut out, "Arn", &arn);
    element(&mut out, "UserId", &user_id);
    element(&mut out, "Account", account);
    out.push_str("</GetCallerIdentityResult>");
    response_metadata(&mut out, request_id);
    out.push_str("</GetCallerIdentityResponse>");
    out
}

/// The principal a request acts as, for messages that name it: the role and session
/// the session token of AssumeRole carries, else the fake's user.
pub(crate) fn principal(caller: &Caller, access_key: &str, session_token: Option<&str>) -> String {
    let account = &caller.account;
    let session = session_token
        .and_then(|t| t.strip_prefix("AmiqFakeSessionToken/"))
        .and_then(|t| t.split_once('.'))
        .and_then(|(_, t)| STANDARD.decode(t).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let assumed = session.as_deref().and_then(|s| {
        let mut parts = s.strip_prefix("amiq-fake-session:")?.splitn(3, ':');
        let (_, role, name) = (parts.next()?, parts.next()?, parts.next()?);
        Some(format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"))
    });
    match assumed {
        Some(arn) => arn,
        None if access_key.starts_with(ASSUMED_KEY_PREFIX) => {
            format!("arn:aws:sts::{account}:assumed-role/amiq-fake/amiq")
        }
        None => format!("arn:aws:iam::{account}:user/amiq-fake"),
    }
}

/// The refusal of a request signed with a session this endpoint handed out that has
/// expired, as STS words it; none for other credentials or a live session.
pub(crate) fn expired(session_token: Option<&str>) -> Option<ApiError> {
    let expires: i64 = session_token?
        .strip_prefix("AmiqFakeSessionToken/")?
        .split_once('.')?
        .0
        .parse()
        .ok()?;
    (chrono::Utc::now().timestamp() >= expires).then(|| {
        ApiError::new(
            400,
            "ExpiredToken",
            "The security token included in the request is expired",
        )
    })
}

fn response_metadata(out: &mut String, request_id: &str) {
    out.push_str("<ResponseMetadata>");
    element(out, "RequestId", request_id);
    out.push_str("</ResponseMetadata>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::222222222222:role/amiq-reader"),
            Some(("222222222222", "amiq-reader"))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::222222222222:role/org/amiq"),
            Some(("222222222222", "amiq"))
        );
        for bad in [
            "",
            "arn:aws:iam::22222222222:role/x",
            "arn:aws:iam::222222222222:user/x",
            "arn:aws:iam::222222222222:role/",
            "role/x",
        ] {
            assert_eq!(parse_role_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_session_is_refused_once_it_has_expired() {
        let world = crate::catalog::World::new(&crate::config::FakeConfig {
            seed: 1,
            accounts: vec!["111111111111".into(), "222222222222".into()],
            regions: vec![],
            owned_per_account_region: 0,
            amazon_per_region: 0,
            marketplace_per_region: 0,
            faults: Default::default(),
            unknown_member_rate: 0.0,
        });
        let caller = Caller::new(&world, "111111111111");
        let mut params = Params::default();
        params.extend_from_form(b"RoleArn=arn:aws:iam::222222222222:role/R&RoleSessionName=s");
        let token = |lifetime: u64| {
            let xml = assume_role(
                &world,
                &caller,
                &params,
                std::time::Duration::from_secs(lifetime),
                "r",
            )
            .unwrap();
            let start = xml.find("<SessionToken>").unwrap() + "<SessionToken>".len();
            let end = xml.find("</SessionToken>").unwrap();
            xml[start..end].to_string()
        };
        let live = token(3600);
        assert!(expired(Some(&live)).is_none());
        assert_eq!(
            principal(&caller, "ASIAFAKE222222222222", Some(&live)),
            "arn:aws:sts::111111111111:assumed-role/R/s"
        );
        let ended = token(0);
        assert_eq!(expired(Some(&ended)).unwrap().code, "ExpiredToken");
        assert!(expired(Some("someone-elses-token")).is_none());
        assert!(expired(None).is_none());
    }
}
