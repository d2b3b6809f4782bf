//! SSM parameters whose value is an image id (data type `aws:ec2:image`): how pipelines
//! publish their latest image and templates find it.

use super::catalog::{Owner, Region};
use super::estate::ImageRef;

/// One parameter of an estate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parameter {
    pub serial: u32,
    pub image: ImageRef,
}

const ROLES: [&str; 8] = [
    "web-base",
    "api-server",
    "batch-worker",
    "bastion",
    "ci-runner",
    "db-proxy",
    "k8s-node",
    "windows-build",
];

impl Parameter {
    /// Its name: a hierarchy (`/golden/ami/web-base`) for most, a flat name for every
    /// fifth; a suffix keeps names apart once the roles are used up.
    pub(crate) fn name(&self) -> String {
        let role = ROLES[self.serial as usize % ROLES.len()];
        let round = self.serial as usize / ROLES.len();
        let suffix = if round == 0 {
            String::new()
        } else {
            format!("-{round}")
        };
        if self.serial % 5 == 4 {
            format!("golden-ami-{role}{suffix}")
        } else {
            format!("/golden/ami/{role}{suffix}")
        }
    }

    /// `arn:aws:ssm:<region>:<account>:parameter/<name>`, the name's leading slash
    /// dropped as SSM drops it.
    pub(crate) fn arn(&self, region: &Region, account: &Owner) -> String {
        let name = self.name();
        format!(
            "arn:aws:ssm:{}:{}:parameter/{}",
            region.name,
            account.id,
            name.trim_start_matches('/')
        )
    }
}
