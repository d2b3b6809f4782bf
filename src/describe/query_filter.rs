//! The filter of a `--query` that starts `Images[?<predicate>]`, applied by SQL while
//! the answer is found, where the predicate reads only members every caller is shown
//! alike (the image's version): only the images it keeps are then read and evaluated.
//!
//! The JMESPath interpreter still evaluates the predicate on every image read, so the
//! SQL need only keep every image the predicate keeps; it is written to keep exactly
//! those, and it keeps every image with elements the reader did not know, which the
//! interpreter alone sees whole. Only an answer that is not paged is narrowed: a
//! page's bounds and its `NextToken` are the unfiltered answer's.

use jmespath::Variable;
use jmespath::ast::{Ast, Comparator};

use super::cli_query::{Plan, Step};
use super::filter::Sql;
use crate::shape::{IMAGE, Kind, Seen};

/// The SQL (over a version aliased `v`) that keeps the images `plan`'s leading filter
/// keeps, when it has one SQL can apply.
pub fn narrowing(plan: &Plan) -> Option<Sql> {
    let steps = match plan {
        Plan::Stream { steps, .. } | Plan::Nth { steps, .. } => steps,
        Plan::Count {
            steps: Some(steps), ..
        } => steps,
        _ => return None,
    };
    let Some(Step::Project(Ast::Condition { predicate, .. })) = steps.first() else {
        return None;
    };
    let mut params = Vec::new();
    let test = truthy(predicate, &mut params)?;
    Some(Sql {
        text: format!("(v.unknown_members IS NOT NULL OR {test})"),
        params,
    })
}

/// SQL that is true exactly where `node`, evaluated on an image, is truthy (never
/// NULL), with its parameters added to `params`.
fn truthy(node: &Ast, params: &mut Vec<String>) -> Option<String> {
    match node {
        Ast::Field { name, .. } => {
            let (column, kind) = version_member(name)?;
            match kind {
                Kind::Bool => Some(format!("coalesce({column}, false)")),
                // JMESPath's false values: null, false, "", [] and {}.
                Kind::Text | Kind::Time => Some(format!("coalesce({column} <> '', false)")),
                _ => None,
            }
        }
        Ast::Not { node, .. } => Some(format!("NOT {}", truthy(node, params)?)),
        Ast::And { lhs, rhs, .. } => {
            let lhs = truthy(lhs, params)?;
            Some(format!("({lhs} AND {})", truthy(rhs, params)?))
        }
        Ast::Or { lhs, rhs, .. } => {
            let lhs = truthy(lhs, params)?;
            Some(format!("({lhs} OR {})", truthy(rhs, params)?))
        }
        Ast::Comparison {
            comparator,
            lhs,
            rhs,
            ..
        } => {
            let equal = match comparator {
                Comparator::Equal => true,
                Comparator::NotEqual => false,
                // Ordering compares numbers only, and no top-level member is one.
                _ => return None,
            };
            let (name, literal) = match (&**lhs, &**rhs) {
                (Ast::Field { name, .. }, Ast::Literal { value, .. })
                | (Ast::Literal { value, .. }, Ast::Field { name, .. }) => (name, value),
                _ => return None,
            };
            let (column, kind) = version_member(name)?;
            let same = match (kind, &**literal) {
                (_, Variable::Null) => format!("{column} IS NULL"),
                (Kind::Text | Kind::Time, Variable::String(s)) => {
                    params.push(s.clone());
                    format!("coalesce({column} = ?, false)")
                }
                (Kind::Bool, Variable::Bool(b)) => format!("coalesce({column} = {b}, false)"),
                _ => return None,
            };
            Some(if equal { same } else { format!("NOT {same}") })
        }
        _ => None,
    }
}

/// The version column of a top-level member every caller is shown alike, and its kind.
fn version_member(api: &str) -> Option<(String, Kind)> {
    let member = IMAGE
        .iter()
        .find(|m| m.api == api && m.seen == Seen::ByEveryone)?;
    Some((format!("v.{}", member.column), member.kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::describe::cli_query::plan;

    fn narrowed(query: &str) -> Option<Sql> {
        narrowing(&plan(jmespath::compile(query).unwrap().as_ast()))
    }

    #[test]
    fn a_leading_filter_on_version_members_becomes_sql_that_keeps_the_unknown() {
        let sql = narrowed("Images[?Public].[ImageId,Name]").unwrap();
        assert_eq!(
            sql.text,
            "(v.unknown_members IS NOT NULL OR coalesce(v.public, false))"
        );
        assert!(sql.params.is_empty());
        let sql = narrowed(
            "Images[?State == 'available' && !(Name == `null`) || Public != `true`] | length(@)",
        )
        .unwrap();
        assert_eq!(
            sql.text,
            "(v.unknown_members IS NOT NULL OR ((coalesce(v.state = ?, false) AND NOT v.name IS NULL) \
             OR NOT coalesce(v.public = true, false)))"
        );
        assert_eq!(sql.params, ["available"]);
        assert!(narrowed("Images[?'x' == ImageId] | [0]").is_some());
        assert!(narrowed("Images[?Description].ImageId").is_some());
    }

    #[test]
    fn what_sql_cannot_apply_exactly_is_left_to_the_interpreter() {
        for query in [
            // Not a leading filter of the images.
            "Images[].ImageId",
            "Images[0]",
            "Images[*].[ImageId][?@ == 'x']",
            "length(Images)",
            // A member each caller is shown its own way, a nested one, an unknown one.
            "Images[?Tags].ImageId",
            "Images[?LastLaunchedTime == 'x']",
            "Images[?BlockDeviceMappings]",
            "Images[?NoSuchMember]",
            "Images[?Region == 'us-east-1']",
            // Comparisons SQL would answer otherwise.
            "Images[?CreationDate > '2024']",
            "Images[?Name == ImageId]",
            "Images[?Public == 'true']",
            "Images[?contains(Name, 'x')]",
            // One part SQL cannot apply spoils the whole.
            "Images[?Public && Tags]",
        ] {
            assert_eq!(narrowed(query), None, "{query}");
        }
    }
}
