//! How a `--query` is answered without holding the whole answer, decided from the
//! expression's AST (the `jmespath` crate's; its interpreter evaluates every part).
//!
//! - A projection or filter over `Images` (`Images[]`, `Images[*]`, `Images[?...]`,
//!   `Images[2:]`, and what follows them, including pipes into further projections)
//!   is evaluated image by image: [`Plan::Stream`].
//! - `length(Images)` is the answer's count, and the length of a projection the number
//!   of elements it yields: [`Plan::Count`].
//! - An element of a projection (`Images[?Public] | [0]`, `... | [-1].ImageId`) is
//!   found as the projection streams: [`Plan::Nth`].
//! - An index or a bounded slice of `Images` (`Images[0]`, `Images[:5]`, `Images[-3:]`),
//!   of `sort_by(Images, &Member)` or of `reverse(Images)`, and
//!   `max_by`/`min_by(Images, &Member)`, need only the first or last few images of an
//!   order, which SQL picks: [`Plan::Pick`].
//! - Anything else is evaluated on the whole answer, each image holding only the
//!   members the expression reads: [`Plan::Whole`].
//!
//! Which members an expression reads ([`members_read`]) follows the values through
//! the AST: a field read of an image is a member read; an image used whole (printed,
//! compared, passed to a function, its values taken) needs every member.

use std::collections::BTreeSet;

use jmespath::ast::Ast;
use jmespath::{Context, DEFAULT_RUNTIME, JmespathError, Rcvar, Variable};

use super::found::{Members, Pick};

/// One step of a streamed `--query`, applied to each element in turn.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A projection's right-hand side: its non-null results go on.
    Project(Ast),
    /// `[]`: a list's elements go on in its place.
    Flatten,
    /// `[start:stop:step]` with no negative part: only those positions go on.
    Slice {
        start: usize,
        stop: Option<usize>,
        step: usize,
    },
}

/// How a `--query` is answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// The answer's images through `steps`, one at a time: the result is the list of
    /// what comes out.
    Stream { steps: Vec<Step>, members: Members },
    /// The expression with `node` (a `length(...)`) replaced by the number of images,
    /// or of what `steps` make of them.
    Count {
        node: Ast,
        steps: Option<Vec<Step>>,
        members: Members,
    },
    /// The expression with `node` (`<stream> | [index]`, then `rest` if any) replaced
    /// by the element at `index` of what `steps` make of the images, counted from the
    /// end when negative: the stream stops there, or keeps only the last few.
    Nth {
        node: Ast,
        steps: Vec<Step>,
        index: i32,
        rest: Option<Ast>,
        members: Members,
    },
    /// The expression on an answer of the images `pick` picks, holding `members`.
    Pick { pick: Pick, members: Members },
    /// The expression on the whole answer, its images holding `members`.
    Whole { members: Members },
}

/// The plan for `query`.
pub fn plan(query: &Ast) -> Plan {
    let members = members_read(query);
    let mut roots = Roots::default();
    roots.walk(query, true);
    let reduced = || {
        (roots.images.len() == 1 && !roots.whole_document)
            .then(|| {
                roots
                    .nodes
                    .iter()
                    .find_map(|node| reduction(node, &members))
            })
            .flatten()
    };
    if let Some(steps) = stream(query, None) {
        // `Images[:n]...` needs only the first n: SQL picks them, the stream would read all.
        if let Some(Step::Slice { stop: Some(_), .. }) = steps.first()
            && let Some(plan @ Plan::Pick { .. }) = reduced()
        {
            return plan;
        }
        return Plan::Stream { steps, members };
    }
    reduced().unwrap_or(Plan::Whole { members })
}

/// The steps that make `node` from the answer's images, when `node` is a list made
/// element by element: evaluated on the response document (`base` None) or on a
/// list already streamed by `base`'s steps.
fn stream(node: &Ast, base: Option<&[Step]>) -> Option<Vec<Step>> {
    match node {
        Ast::Field { name, .. } if name == "Images" && base.is_none() => Some(Vec::new()),
        Ast::Identity { .. } => base.map(<[Step]>::to_vec),
        Ast::Projection { lhs, rhs, .. } => {
            let mut steps = stream(lhs, base)?;
            steps.push(Step::Project((**rhs).clone()));
            Some(steps)
        }
        Ast::Flatten { node, .. } => {
            let mut steps = stream(node, base)?;
            steps.push(Step::Flatten);
            Some(steps)
        }
        Ast::Slice {
            start, stop, step, ..
        } => {
            let mut steps = base?.to_vec();
            let whole =
                |n: Option<i32>| n.map_or(Some(None), |n| usize::try_from(n).ok().map(Some));
            steps.push(Step::Slice {
                start: whole(*start)?.unwrap_or(0),
                stop: whole(*stop)?,
                step: usize::try_from(*step).ok().filter(|s| *s > 0)?,
            });
            Some(steps)
        }
        // A pipe (or a sub-expression) into a projection of the list so far.
        Ast::Subexpr { lhs, rhs, .. } => {
            let steps = stream(lhs, base)?;
            stream(rhs, Some(&steps))
        }
        _ => None,
    }
}

/// The root document's uses in an expression: where it reads `Images`, whether it is
/// used whole, and every node evaluated against it.
#[derive(Default)]
struct Roots<'a> {
    images: Vec<&'a Ast>,
    whole_document: bool,
    nodes: Vec<&'a Ast>,
}

impl<'a> Roots<'a> {
    /// `at_root`: whether `node` is evaluated against the response document.
    fn walk(&mut self, node: &'a Ast, at_root: bool) {
        if at_root {
            self.nodes.push(node);
        }
        match node {
            Ast::Field { name, .. } => {
                if at_root && name == "Images" {
                    self.images.push(node);
                }
            }
            Ast::Identity { .. } => self.whole_document |= at_root,
            Ast::ObjectValues { node, .. } | Ast::Flatten { node, .. } | Ast::Not { node, .. } => {
                self.walk(node, at_root)
            }
            Ast::Subexpr { lhs, rhs, .. } | Ast::Projection { lhs, rhs, .. } => {
                self.walk(lhs, at_root);
                self.walk(rhs, false);
            }
            Ast::Comparison { lhs, rhs, .. }
            | Ast::And { lhs, rhs, .. }
            | Ast::Or { lhs, rhs, .. } => {
                self.walk(lhs, at_root);
                self.walk(rhs, at_root);
            }
            Ast::Condition {
                predicate, then, ..
            } => {
                self.walk(predicate, at_root);
                self.walk(then, at_root);
            }
            Ast::Function { args, .. } => {
                for arg in args {
                    self.walk(arg, at_root);
                }
            }
            Ast::Expref { ast, .. } => self.walk(ast, false),
            Ast::MultiList { elements, .. } => {
                for element in elements {
                    self.walk(element, at_root);
                }
            }
            Ast::MultiHash { elements, .. } => {
                for pair in elements {
                    self.walk(&pair.value, at_root);
                }
            }
            Ast::Literal { .. } | Ast::Index { .. } | Ast::Slice { .. } => {}
        }
    }
}

/// The plan for an expression whose one use of `Images` is in `node`, if `node`
/// is one of the forms SQL answers.
fn reduction(node: &Ast, members: &Members) -> Option<Plan> {
    // Of `Images` itself, SQL picks the element (below); of a projection, the stream.
    if let Ast::Subexpr { lhs, rhs, .. } = node
        && !is_images(lhs)
        && let Some(steps) = stream(lhs, None)
    {
        let (index, rest) = match &**rhs {
            Ast::Index { idx, .. } => (*idx, None),
            Ast::Subexpr { lhs, rhs, .. } => match **lhs {
                Ast::Index { idx, .. } => (idx, Some((**rhs).clone())),
                _ => return None,
            },
            Ast::Function { name, args, .. }
                if name == "length" && matches!(args[..], [Ast::Identity { .. }]) =>
            {
                return Some(Plan::Count {
                    node: node.clone(),
                    steps: Some(steps),
                    members: members.clone(),
                });
            }
            _ => return None,
        };
        return Some(Plan::Nth {
            node: node.clone(),
            steps,
            index,
            rest,
            members: members.clone(),
        });
    }
    match node {
        Ast::Function { name, args, .. } if name == "length" && args.len() == 1 => {
            let steps = match &args[0] {
                Ast::Field { name, .. } if name == "Images" => None,
                list => Some(stream(list, None)?),
            };
            Some(Plan::Count {
                node: node.clone(),
                steps,
                members: members.clone(),
            })
        }
        Ast::Function { name, args, .. }
            if (name == "max_by" || name == "min_by") && args.len() == 2 =>
        {
            is_images(&args[0]).then_some(())?;
            let key = sort_member(&args[1])?;
            Some(Plan::Pick {
                pick: Pick {
                    key: Some(key),
                    from_end: name == "max_by",
                    // Both keep the first of equal keys.
                    ties_from_end: false,
                    count: 1,
                },
                members: members.clone(),
            })
        }
        Ast::Subexpr { lhs, rhs, .. } => {
            let (from_end, count) = needed(rhs)?;
            match &**lhs {
                images if is_images(images) => Some(Plan::Pick {
                    pick: Pick {
                        key: None,
                        from_end,
                        ties_from_end: from_end,
                        count,
                    },
                    members: members.clone(),
                }),
                Ast::Function { name, args, .. } if name == "sort_by" && args.len() == 2 => {
                    is_images(&args[0]).then_some(())?;
                    // The stable sort's first (or last) few, equal keys in the answer's
                    // order (or its reverse).
                    Some(Plan::Pick {
                        pick: Pick {
                            key: Some(sort_member(&args[1])?),
                            from_end,
                            ties_from_end: from_end,
                            count,
                        },
                        members: members.clone(),
                    })
                }
                Ast::Function { name, args, .. } if name == "reverse" && args.len() == 1 => {
                    is_images(&args[0]).then_some(())?;
                    Some(Plan::Pick {
                        pick: Pick {
                            key: None,
                            from_end: !from_end,
                            ties_from_end: !from_end,
                            count,
                        },
                        members: members.clone(),
                    })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_images(node: &Ast) -> bool {
    matches!(node, Ast::Field { name, .. } if name == "Images")
}

/// `&Member`: the member a sort orders by.
fn sort_member(node: &Ast) -> Option<String> {
    match node {
        Ast::Expref { ast, .. } => match &**ast {
            Ast::Field { name, .. } => Some(name.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// How many elements from the start (or, `true`, from the end) of a list an index or
/// slice of it reads, when it reads no others: evaluated on only those, it answers
/// the same, as long as its positions count from the same end.
fn needed(node: &Ast) -> Option<(bool, usize)> {
    match node {
        Ast::Index { idx, .. } if *idx >= 0 => Some((false, *idx as usize + 1)),
        Ast::Index { idx, .. } => Some((true, idx.unsigned_abs() as usize)),
        Ast::Projection { lhs, .. } => match **lhs {
            Ast::Slice {
                start, stop, step, ..
            } if step > 0 => match (start, stop) {
                (None | Some(0..), Some(stop @ 0..)) => Some((false, stop as usize)),
                (Some(start @ ..0), None | Some(..0)) => {
                    Some((true, start.unsigned_abs() as usize))
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

// What a value may be, as the expression is followed: the response document, its
// list of images, one image, or anything else.
const DOCUMENT: u8 = 1;
const IMAGES: u8 = 2;
const IMAGE: u8 = 4;
const OTHER: u8 = 8;
const WHOLE: u8 = DOCUMENT | IMAGES | IMAGE;

/// The members of an image `query` reads (API names), or [`Members::All`] when it may
/// use an image whole.
pub fn members_read(query: &Ast) -> Members {
    let mut reads = Reads::default();
    let result = reads.kinds(query, DOCUMENT);
    if result & WHOLE != 0 || reads.whole {
        Members::All
    } else {
        Members::Only(reads.members)
    }
}

#[derive(Default)]
struct Reads {
    members: BTreeSet<String>,
    whole: bool,
}

impl Reads {
    /// What `node` may give when evaluated on a value of `input`'s kinds.
    fn kinds(&mut self, node: &Ast, input: u8) -> u8 {
        match node {
            Ast::Field { name, .. } => {
                let mut out = 0;
                if input & DOCUMENT != 0 {
                    out |= if name == "Images" { IMAGES } else { OTHER };
                }
                if input & IMAGE != 0 {
                    self.members.insert(name.clone());
                    out |= OTHER;
                }
                if input & (IMAGES | OTHER) != 0 {
                    out |= OTHER;
                }
                out
            }
            Ast::Identity { .. } => input,
            Ast::Literal { .. } => OTHER,
            Ast::Index { .. } => {
                (if input & IMAGES != 0 { IMAGE } else { 0 })
                    | (if input & !IMAGES != 0 { OTHER } else { 0 })
            }
            Ast::Slice { .. } => (input & IMAGES) | (if input & !IMAGES != 0 { OTHER } else { 0 }),
            Ast::Subexpr { lhs, rhs, .. } => {
                let left = self.kinds(lhs, input);
                self.kinds(rhs, left)
            }
            Ast::Projection { lhs, rhs, .. } => {
                let left = self.kinds(lhs, input);
                let elements = (if left & IMAGES != 0 { IMAGE } else { 0 }) | (left & OTHER);
                if elements == 0 {
                    return OTHER;
                }
                let right = self.kinds(rhs, elements);
                self.list_of(right)
            }
            Ast::Flatten { node, .. } => {
                let inner = self.kinds(node, input);
                (inner & IMAGES) | (if inner & !IMAGES != 0 { OTHER } else { 0 })
            }
            Ast::ObjectValues { node, .. } => {
                let inner = self.kinds(node, input);
                self.used_whole(inner);
                OTHER
            }
            Ast::Condition {
                predicate, then, ..
            } => {
                let test = self.kinds(predicate, input);
                self.used_whole(test);
                self.kinds(then, input) | OTHER
            }
            Ast::Comparison { lhs, rhs, .. } => {
                let (left, right) = (self.kinds(lhs, input), self.kinds(rhs, input));
                self.used_whole(left | right);
                OTHER
            }
            Ast::And { lhs, rhs, .. } | Ast::Or { lhs, rhs, .. } => {
                let left = self.kinds(lhs, input);
                // Its truth is tested.
                self.used_whole(left & IMAGE);
                left | self.kinds(rhs, input)
            }
            Ast::Not { node, .. } => {
                let inner = self.kinds(node, input);
                self.used_whole(inner & IMAGE);
                OTHER
            }
            Ast::MultiList { elements, .. } => {
                for element in elements {
                    let kind = self.kinds(element, input);
                    self.used_whole(kind);
                }
                OTHER
            }
            Ast::MultiHash { elements, .. } => {
                for pair in elements {
                    let kind = self.kinds(&pair.value, input);
                    self.used_whole(kind);
                }
                OTHER
            }
            Ast::Function { name, args, .. } => self.function(name, args, input),
            Ast::Expref { .. } => {
                self.whole = true;
                OTHER
            }
        }
    }

    /// A list of values of `elements`' kinds.
    fn list_of(&mut self, elements: u8) -> u8 {
        if elements & IMAGE != 0 {
            if elements & (DOCUMENT | IMAGES) != 0 {
                self.whole = true;
            }
            IMAGES | OTHER
        } else {
            self.used_whole(elements);
            OTHER
        }
    }

    /// A value of `kinds` is used whole: if it may hold images, every member counts.
    fn used_whole(&mut self, kinds: u8) {
        if kinds & WHOLE != 0 {
            self.whole = true;
        }
    }

    fn function(&mut self, name: &str, args: &[Ast], input: u8) -> u8 {
        let expref = |arg: &Ast| match arg {
            Ast::Expref { ast, .. } => Some((**ast).clone()),
            _ => None,
        };
        match (name, args) {
            ("sort_by" | "max_by" | "min_by", [list, key]) if expref(key).is_some() => {
                let list = self.kinds(list, input);
                let elements = (if list & IMAGES != 0 { IMAGE } else { 0 }) | OTHER;
                let key = self.kinds(
                    &expref(&args[1]).unwrap_or(Ast::Identity { offset: 0 }),
                    elements,
                );
                self.used_whole(key);
                match name {
                    "sort_by" => (list & IMAGES) | OTHER,
                    _ => (if list & IMAGES != 0 { IMAGE } else { 0 }) | OTHER,
                }
            }
            ("map", [f, list]) if expref(f).is_some() => {
                let list = self.kinds(list, input);
                let elements = (if list & IMAGES != 0 { IMAGE } else { 0 }) | OTHER;
                let mapped = self.kinds(
                    &expref(&args[0]).unwrap_or(Ast::Identity { offset: 0 }),
                    elements,
                );
                self.list_of(mapped)
            }
            ("reverse", [list]) => {
                let list = self.kinds(list, input);
                self.used_whole(list & (DOCUMENT | IMAGE));
                (list & IMAGES) | OTHER
            }
            ("length", [list]) => {
                // A list's length does not depend on what its images hold.
                let list = self.kinds(list, input);
                self.used_whole(list & (DOCUMENT | IMAGE));
                OTHER
            }
            ("not_null", _) => {
                let mut out = 0;
                for arg in args {
                    out |= self.kinds(arg, input);
                }
                out
            }
            _ => {
                for arg in args {
                    match expref(arg) {
                        // The function applies it to elements it was given.
                        Some(ast) => {
                            let kind = self.kinds(&ast, IMAGE | OTHER);
                            self.used_whole(kind);
                        }
                        None => {
                            let kind = self.kinds(arg, input);
                            self.used_whole(kind);
                        }
                    }
                }
                OTHER
            }
        }
    }
}

/// Whether evaluating `node` can fail: it calls a function or slices with a step of
/// 0 somewhere (nothing else in the interpreter fails).
pub fn may_fail(node: &Ast) -> bool {
    match node {
        Ast::Function { .. } | Ast::Slice { step: 0, .. } => true,
        Ast::Subexpr { lhs, rhs, .. }
        | Ast::Projection { lhs, rhs, .. }
        | Ast::Comparison { lhs, rhs, .. }
        | Ast::And { lhs, rhs, .. }
        | Ast::Or { lhs, rhs, .. } => may_fail(lhs) || may_fail(rhs),
        Ast::Condition {
            predicate, then, ..
        } => may_fail(predicate) || may_fail(then),
        Ast::Not { node, .. }
        | Ast::Flatten { node, .. }
        | Ast::ObjectValues { node, .. }
        | Ast::Expref { ast: node, .. } => may_fail(node),
        Ast::MultiList { elements, .. } => elements.iter().any(may_fail),
        Ast::MultiHash { elements, .. } => elements.iter().any(|p| may_fail(&p.value)),
        Ast::Field { .. }
        | Ast::Identity { .. }
        | Ast::Index { .. }
        | Ast::Literal { .. }
        | Ast::Slice { .. } => false,
    }
}

/// `query`'s `node` evaluated on `data`.
pub fn evaluate(query: &str, node: &Ast, data: &Rcvar) -> Result<Rcvar, JmespathError> {
    let mut context = Context::new(query, &DEFAULT_RUNTIME);
    jmespath::interpret(data, node, &mut context)
}

/// `query` with `node` replaced by `with`.
pub fn replaced(query: &Ast, node: &Ast, with: &Ast) -> Ast {
    if query == node {
        return with.clone();
    }
    let r = |child: &Ast| Box::new(replaced(child, node, with));
    match query {
        Ast::Subexpr { offset, lhs, rhs } => Ast::Subexpr {
            offset: *offset,
            lhs: r(lhs),
            rhs: r(rhs),
        },
        Ast::Projection { offset, lhs, rhs } => Ast::Projection {
            offset: *offset,
            lhs: r(lhs),
            rhs: r(rhs),
        },
        Ast::Comparison {
            offset,
            comparator,
            lhs,
            rhs,
        } => Ast::Comparison {
            offset: *offset,
            comparator: comparator.clone(),
            lhs: r(lhs),
            rhs: r(rhs),
        },
        Ast::And { offset, lhs, rhs } => Ast::And {
            offset: *offset,
            lhs: r(lhs),
            rhs: r(rhs),
        },
        Ast::Or { offset, lhs, rhs } => Ast::Or {
            offset: *offset,
            lhs: r(lhs),
            rhs: r(rhs),
        },
        Ast::Condition {
            offset,
            predicate,
            then,
        } => Ast::Condition {
            offset: *offset,
            predicate: r(predicate),
            then: r(then),
        },
        Ast::Not {
            offset,
            node: inner,
        } => Ast::Not {
            offset: *offset,
            node: r(inner),
        },
        Ast::Flatten {
            offset,
            node: inner,
        } => Ast::Flatten {
            offset: *offset,
            node: r(inner),
        },
        Ast::ObjectValues {
            offset,
            node: inner,
        } => Ast::ObjectValues {
            offset: *offset,
            node: r(inner),
        },
        Ast::Function { offset, name, args } => Ast::Function {
            offset: *offset,
            name: name.clone(),
            args: args.iter().map(|a| replaced(a, node, with)).collect(),
        },
        Ast::MultiList { offset, elements } => Ast::MultiList {
            offset: *offset,
            elements: elements.iter().map(|e| replaced(e, node, with)).collect(),
        },
        Ast::MultiHash { offset, elements } => Ast::MultiHash {
            offset: *offset,
            elements: elements
                .iter()
                .map(|pair| jmespath::ast::KeyValuePair {
                    key: pair.key.clone(),
                    value: replaced(&pair.value, node, with),
                })
                .collect(),
        },
        other => other.clone(),
    }
}

/// A JSON value as the interpreter's.
pub fn variable(value: serde_json::Value) -> Rcvar {
    use serde_json::Value;
    Rcvar::new(match value {
        Value::Null => Variable::Null,
        Value::Bool(b) => Variable::Bool(b),
        Value::Number(n) => Variable::Number(n),
        Value::String(s) => Variable::String(s),
        Value::Array(items) => Variable::Array(items.into_iter().map(variable).collect()),
        Value::Object(map) => {
            Variable::Object(map.into_iter().map(|(k, v)| (k, variable(v))).collect())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(query: &str) -> Plan {
        plan(&jmespath::parse(query).unwrap())
    }

    fn only(names: &[&str]) -> Members {
        Members::Only(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn projections_and_filters_over_images_stream() {
        for (query, steps, members) in [
            ("Images[].ImageId", 2, only(&["ImageId"])),
            ("Images[*]", 1, Members::All),
            (
                "Images[?Public].[ImageId,Name]",
                1,
                only(&["ImageId", "Name", "Public"]),
            ),
            ("Images[] | [?Public]", 3, Members::All),
            ("Images[2:].Name", 2, only(&["Name"])),
            ("Images[].Tags[]", 4, only(&["Tags"])),
            (
                "Images[*].{id: ImageId, t: Tags[?Key=='Name'].Value | [0]}",
                1,
                only(&["ImageId", "Tags"]),
            ),
        ] {
            match plan_of(query) {
                Plan::Stream {
                    steps: s,
                    members: m,
                } => {
                    assert_eq!(s.len(), steps, "{query}: {s:?}");
                    assert_eq!(m, members, "{query}");
                }
                other => panic!("{query}: {other:?}"),
            }
        }
    }

    #[test]
    fn whole_list_forms_map_onto_sql() {
        let pick = |key: Option<&str>, from_end, ties_from_end, count| Pick {
            key: key.map(str::to_string),
            from_end,
            ties_from_end,
            count,
        };
        let picked = |query: &str| match plan_of(query) {
            Plan::Pick { pick, .. } => pick,
            other => panic!("{query}: {other:?}"),
        };
        assert_eq!(
            picked("sort_by(Images,&CreationDate)[-1].ImageId"),
            pick(Some("CreationDate"), true, true, 1)
        );
        assert_eq!(
            picked("sort_by(Images, &Name)[:3]"),
            pick(Some("Name"), false, false, 3)
        );
        assert_eq!(picked("Images[-3:]"), pick(None, true, true, 3));
        assert_eq!(picked("Images[0].ImageId"), pick(None, false, false, 1));
        assert_eq!(picked("Images[:5].Name"), pick(None, false, false, 5));
        assert_eq!(picked("reverse(Images)[0]"), pick(None, true, true, 1));
        assert_eq!(
            picked("max_by(Images, &CreationDate).Name"),
            pick(Some("CreationDate"), true, false, 1)
        );
        assert_eq!(
            picked("min_by(Images, &CreationDate)"),
            pick(Some("CreationDate"), false, false, 1)
        );
        assert!(matches!(
            plan_of("length(Images)"),
            Plan::Count { steps: None, .. }
        ));
        assert!(matches!(
            plan_of("length(Images[?Public])"),
            Plan::Count { steps: Some(_), .. }
        ));
    }

    #[test]
    fn other_expressions_read_the_whole_answer_and_only_their_members() {
        for (query, members) in [
            ("Images[].ImageId | sort(@)", only(&["ImageId"])),
            (
                "{ids: Images[].ImageId, next: NextToken}",
                only(&["ImageId"]),
            ),
            ("Images[-3:0]", Members::All),
            ("[Images[0], length(Images)]", Members::All),
            (
                "Images[?length(keys(@)) > `3`].ImageId | sort(@)",
                Members::All,
            ),
            (
                "sort_by(Images, &Tags[0].Value)[0].ImageId",
                only(&["ImageId", "Tags"]),
            ),
            ("@", Members::All),
        ] {
            assert_eq!(
                plan_of(query),
                Plan::Whole {
                    members: members.clone()
                },
                "{query}"
            );
        }
    }
}
