//! Image Builder recipes: an image recipe's parent image, or the image a container
//! recipe builds on. Each version is a resource of its own (`<name>/<version>`).

use super::catalog::{Owner, Region};
use super::estate::ImageRef;

/// One recipe version of an estate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recipe {
    pub serial: u32,
    /// A container recipe (else an image recipe).
    pub container: bool,
    /// The serial of the recipe's first version, which names it.
    pub name: u32,
    /// The patch number of its semantic version `1.0.<patch>`.
    pub patch: u32,
    pub image: ImageRef,
}

const ROLES: [&str; 6] = [
    "web-base",
    "api-server",
    "batch-worker",
    "ci-runner",
    "k8s-node",
    "hardened-base",
];

impl Recipe {
    /// The first version of a recipe; every third is a container recipe.
    pub(crate) fn first(serial: u32, image: ImageRef) -> Recipe {
        Recipe {
            serial,
            container: serial % 3 == 2,
            name: serial,
            patch: 0,
            image,
        }
    }

    /// The next version of this recipe's name, made from `image`.
    pub(crate) fn next_version(&self, serial: u32, image: ImageRef, all: &[Recipe]) -> Recipe {
        let patch = all
            .iter()
            .filter(|r| r.name == self.name)
            .map(|r| r.patch)
            .max()
            .unwrap_or(self.patch)
            + 1;
        Recipe {
            serial,
            patch,
            image,
            ..*self
        }
    }

    pub(crate) fn name(&self) -> String {
        let role = ROLES[self.name as usize % ROLES.len()];
        let kind = if self.container {
            "container"
        } else {
            "recipe"
        };
        format!("{role}-{kind}-{}", self.name)
    }

    /// `imagebuilder:ImageRecipe` or `imagebuilder:ContainerRecipe`.
    pub(crate) fn resource_type(&self) -> &'static str {
        if self.container {
            "imagebuilder:ContainerRecipe"
        } else {
            "imagebuilder:ImageRecipe"
        }
    }

    /// `arn:aws:imagebuilder:<region>:<account>:image-recipe/<name>/<version>` (or
    /// `container-recipe/`).
    pub(crate) fn arn(&self, region: &Region, account: &Owner) -> String {
        let kind = if self.container {
            "container-recipe"
        } else {
            "image-recipe"
        };
        format!(
            "arn:aws:imagebuilder:{}:{}:{kind}/{}/1.0.{}",
            region.name,
            account.id,
            self.name(),
            self.patch
        )
    }
}
