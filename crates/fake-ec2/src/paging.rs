//! What the paginated calls besides DescribeImages share: a page of plain truth, tokens
//! bound to the request that made them, and the truth as all pages in order.

use std::fmt::Debug;

use super::caller::Caller;
use super::dice::mix_text;
use super::request::ApiError;
use super::token::{self, Position};

/// One response's worth of items.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// What a call's tokens are bound to: the caller, the region, the action and the
/// request's parameters but the page size and position (`request` is their `Debug`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Binding(u64);

impl Binding {
    pub(crate) fn new(
        caller: &Caller,
        region: &str,
        action: &str,
        request: &impl Debug,
    ) -> Binding {
        let text = format!("{}|{region}|{action}|{request:?}", caller.account);
        Binding(mix_text(0x7061_6765, &text))
    }

    pub(crate) fn token(self, position: Position) -> String {
        token::encode(position, self.0)
    }

    /// Where a page starts: the token's position, or the start.
    pub(crate) fn start(self, next_token: Option<&str>) -> Result<Position, ApiError> {
        match next_token {
            Some(t) => token::decode(t, self.0),
            None => Ok(Position { owner: 0, index: 0 }),
        }
    }
}

/// Every page of a call, from the first, concatenated: what the truth API returns.
pub(crate) fn all_pages<T>(
    mut page: impl FnMut(Option<String>) -> Result<Page<T>, ApiError>,
) -> Result<Vec<T>, ApiError> {
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let next = page(token)?;
        items.extend(next.items);
        match next.next_token {
            Some(t) => token = Some(t),
            None => return Ok(items),
        }
    }
}
