//! Whether a response the SDK read was whole. The SDK's XML deserializer accepts a body
//! that ends early (a connection cut after a few items), or with an element broken
//! open that swallows the rest as unknown markup: it returns the items it found and no
//! NextToken, so a listing would end there and look complete. An interceptor checks
//! that a 200 response's elements all close, in order; a call whose body does not is
//! retried like a cut connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use super::error::{ApiFailure, FailureKind};

/// The interceptor; one per request.
#[derive(Debug)]
pub struct WholeBody {
    cut: Arc<AtomicBool>,
}

/// What the interceptor found, read after the call.
#[derive(Debug, Clone)]
pub struct Whole(Arc<AtomicBool>);

impl WholeBody {
    pub fn new() -> (WholeBody, Whole) {
        let cut = Arc::new(AtomicBool::new(false));
        (WholeBody { cut: cut.clone() }, Whole(cut))
    }
}

impl Whole {
    /// A failure to retry if the last response's body was cut short.
    pub fn check(&self, operation: &str) -> Result<(), ApiFailure> {
        if self.0.load(Ordering::Relaxed) {
            return Err(ApiFailure {
                kind: FailureKind::Transient,
                code: None,
                message: format!("{operation}: the response ended before its document did"),
            });
        }
        Ok(())
    }
}

impl Intercept for WholeBody {
    fn name(&self) -> &'static str {
        "amiq::WholeBody"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(response) = context.response()
            && response.status().as_u16() == 200
            && let Some(body) = response.body().bytes()
        {
            self.cut.store(!closes_its_root(body), Ordering::Relaxed);
        }
        Ok(())
    }
}

/// True when every element the document opens is closed, in order, and nothing but
/// white space follows the root's end: a body cut short, or with an element broken
/// open, is not.
fn closes_its_root(body: &[u8]) -> bool {
    let mut open: Vec<&[u8]> = Vec::new();
    let mut seen_root = false;
    let mut i = 0;
    while let Some(at) = body[i..].iter().position(|b| *b == b'<') {
        let tag = i + at + 1;
        if seen_root && open.is_empty() {
            return false; // markup after the root element
        }
        let Some(rest) = body.get(tag..) else {
            return false;
        };
        if rest.starts_with(b"?") || rest.starts_with(b"!--") {
            let close: &[u8] = if rest.starts_with(b"?") {
                b"?>"
            } else {
                b"-->"
            };
            match rest.windows(close.len()).position(|w| w == close) {
                Some(n) => i = tag + n + close.len(),
                None => return false,
            }
            continue;
        }
        // The tag's end, skipping quoted attribute values.
        let mut quote = None;
        let Some(len) = rest.iter().position(|b| match quote {
            Some(q) => {
                if *b == q {
                    quote = None;
                }
                false
            }
            None if *b == b'"' || *b == b'\'' => {
                quote = Some(*b);
                false
            }
            None => *b == b'>',
        }) else {
            return false;
        };
        let inner = &rest[..len];
        i = tag + len + 1;
        if let Some(name) = inner.strip_prefix(b"/") {
            if open.pop() != Some(name.trim_ascii()) {
                return false;
            }
        } else {
            let self_closing = inner.ends_with(b"/");
            let name_end = inner
                .iter()
                .position(|b| matches!(b, b' ' | b'/' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(inner.len());
            if name_end == 0 {
                return false;
            }
            seen_root = true;
            if !self_closing {
                open.push(&inner[..name_end]);
            }
        }
    }
    seen_root && open.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_whole_when_its_root_closes_last() {
        let whole = b"<?xml version=\"1.0\"?>\n<DescribeSnapshotsResponse xmlns=\"x\"><snapshotSet><item/></snapshotSet></DescribeSnapshotsResponse>\n";
        assert!(closes_its_root(whole));
        assert!(closes_its_root(b"<A><b/></A>"));
        let cut = b"<?xml version=\"1.0\"?>\n<DescribeSnapshotsResponse xmlns=\"x\"><snapshotSet><item><snapshotId>snap-1</snapshotId></item>";
        assert!(!closes_its_root(cut));
        assert!(!closes_its_root(b"<A><b/></B>"));
        assert!(!closes_its_root(b""));
        assert!(!closes_its_root(b"<?xml version=\"1.0\"?>"));
        // An element broken open early swallows the rest, though the root closes last.
        let broken = b"<R><requestId>1</requestId><imagesSet><item><imageId><snapshotSet><item/></snapshotSet></R>";
        assert!(!closes_its_root(broken));
        assert!(closes_its_root(
            b"<R a=\"x>y\"><!-- <z> --><v>1 &gt; 0</v></R>"
        ));
        assert!(!closes_its_root(b"<R></R><R></R>"));
    }
}
