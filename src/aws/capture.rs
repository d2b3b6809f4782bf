//! Hands a successful DescribeImages response body to amiq's own reader instead of the
//! SDK's XML deserializer.
//!
//! The SDK still signs, sends, times out and classifies errors; only the body of a
//! 200 response is diverted: an interceptor wraps it so that, once it has been read
//! whole, its bytes land in a [`Captured`] slot and the SDK sees an empty
//! `DescribeImagesResponse`. The SDK's generated deserializer matches every element
//! name against every member name and dominated the cost of a sync;
//! [`super::images_xml`] reads the same document several times faster. Error
//! responses are left untouched, so EC2's error codes reach the SDK as before.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame};

/// What the SDK is given instead of the diverted body.
const EMPTY_RESPONSE: &[u8] = b"<DescribeImagesResponse></DescribeImagesResponse>";

/// The most a response's Content-Length may reserve ahead of its bytes arriving; a
/// larger body still grows as it arrives.
const PRESIZE_LIMIT: u64 = 64 << 20;

/// The body of one response, once read.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Option<Bytes>>>);

impl Captured {
    /// The body, if the response was a success and was read whole.
    pub fn take(&self) -> Option<Bytes> {
        self.0.lock().map(|mut slot| slot.take()).unwrap_or(None)
    }
}

/// The interceptor; one per request.
#[derive(Debug)]
pub struct CaptureBody {
    slot: Captured,
}

impl CaptureBody {
    pub fn new() -> (CaptureBody, Captured) {
        let slot = Captured::default();
        (CaptureBody { slot: slot.clone() }, slot)
    }
}

impl Intercept for CaptureBody {
    fn name(&self) -> &'static str {
        "amiq::CaptureBody"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response_mut();
        if response.status().as_u16() != 200 {
            return Ok(());
        }
        let body = response.take_body();
        // Sized once from Content-Length, where the response has one, rather than
        // grown by doubling (and copied at each step) as a page's megabytes arrive.
        let capacity = body
            .content_length()
            .map_or(0, |n| n.min(PRESIZE_LIMIT) as usize);
        *response.body_mut() = SdkBody::from_body_1_x(Diverted {
            inner: body,
            buffer: BytesMut::with_capacity(capacity),
            slot: self.slot.clone(),
            done: false,
        });
        Ok(())
    }
}

/// Reads the real body to its end into the slot, then yields the empty response.
struct Diverted {
    inner: SdkBody,
    buffer: BytesMut,
    slot: Captured,
    done: bool,
}

impl Body for Diverted {
    type Data = Bytes;
    type Error = aws_smithy_types::body::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
                Poll::Ready(None) => {
                    self.done = true;
                    let body = std::mem::take(&mut self.buffer).freeze();
                    if let Ok(mut slot) = self.slot.0.lock() {
                        *slot = Some(body);
                    }
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(EMPTY_RESPONSE)))));
                }
            }
        }
    }
}
