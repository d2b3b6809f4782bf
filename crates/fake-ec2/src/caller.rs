//! Who is asking, and where. The fake reads the SigV4 credential scope of the
//! `Authorization` header and never verifies a signature: identity is all it needs.

use super::catalog::World;

/// Prefix of the access key ids AssumeRole hands out; the 12 digits after it are the
/// account the credentials belong to.
pub(crate) const ASSUMED_KEY_PREFIX: &str = "ASIAFAKE";

/// The account a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub account: String,
    /// The owner ordinal when the account is a configured one.
    pub ordinal: Option<u16>,
}

impl Caller {
    pub(crate) fn new(world: &World, account: &str) -> Caller {
        Caller {
            account: account.to_string(),
            ordinal: world.owner_by_id(account).map(|o| o.ordinal),
        }
    }

    /// The caller an access key id stands for: assumed-role keys name their account,
    /// anything else (static test keys) is the first configured account.
    pub(crate) fn from_access_key(world: &World, access_key: &str) -> Caller {
        match access_key.strip_prefix(ASSUMED_KEY_PREFIX) {
            Some(account) if is_account_id(account) => Caller::new(world, account),
            _ => Caller::new(world, &world.owners[0].id),
        }
    }
}

/// The parts of a SigV4 credential scope: `AKID/DATE/REGION/SERVICE/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CredentialScope {
    pub access_key: String,
    pub region: String,
    pub service: String,
}

impl CredentialScope {
    /// Reads the scope from an `Authorization: AWS4-HMAC-SHA256 Credential=…, …` header.
    pub(crate) fn from_authorization(header: &str) -> Option<CredentialScope> {
        let start = header.find("Credential=")? + "Credential=".len();
        let credential = header[start..].split([',', ' ']).next()?;
        let mut parts = credential.split('/');
        let access_key = parts.next()?.to_string();
        let _date = parts.next()?;
        let region = parts.next()?.to_string();
        let service = parts.next()?.to_string();
        (!access_key.is_empty() && !region.is_empty()).then_some(CredentialScope {
            access_key,
            region,
            service,
        })
    }
}

/// Twelve ASCII digits.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=ASIAFAKE222222222222/20241010/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        let scope = CredentialScope::from_authorization(header).unwrap();
        assert_eq!(scope.access_key, "ASIAFAKE222222222222");
        assert_eq!(scope.region, "eu-west-1");
        assert_eq!(scope.service, "ec2");
        assert_eq!(CredentialScope::from_authorization("Bearer x"), None);
        assert_eq!(
            CredentialScope::from_authorization("AWS4-HMAC-SHA256 Credential=AKID/20241010"),
            None
        );
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("12345678901a"));
    }
}
