//! The HTTP front end: one endpoint for EC2, STS and the control actions, dispatched on
//! `Action`, with the configured faults injected into DescribeImages, GetImageAncestry,
//! the calls about what references images, DescribeImageAttribute and the AMI usage
//! report calls, and `UnauthorizedOperation` for the accounts and actions the faults
//! name. CreateImageUsageReport and DescribeImageUsageReports change the world (a
//! report is created, pending reports move on) and take it for writing; the other
//! calls only read it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::FakeEc2;
use super::caller::{Caller, CredentialScope};
use super::catalog::World;
use super::dice::{Dice, mix};
use super::request::{ApiError, Params};
use super::stats::Counters;
use super::{
    ancestry, control, describe_images, image_attribute, instances, organizations, recycle_bin,
    references, regions, settings, snapshots, sts, usage_entries, usage_reports, xml,
};

/// A running fake endpoint. Dropping it leaves the server running until the runtime
/// ends; call [`FakeHandle::shutdown`] to stop it.
#[derive(Debug)]
pub struct FakeHandle {
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl FakeHandle {
    /// `http://127.0.0.1:PORT`, for an SDK's `endpoint_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and waits for the requests in flight.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let _ = self.task.await;
    }
}

pub(crate) async fn serve(fake: Arc<FakeEc2>, addr: SocketAddr) -> io::Result<FakeHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let app = Router::new().fallback(handle).with_state(fake);
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(error) = server.await {
            tracing::warn!(%error, "fake EC2 endpoint stopped");
        }
    });
    Ok(FakeHandle {
        addr,
        shutdown,
        task,
    })
}

/// Which error format an answer uses.
#[derive(Clone, Copy)]
enum Service {
    Ec2,
    Sts,
}

/// The EC2 calls answered through the fault path: throttling, server errors, resets,
/// damaged pages and spoiled tokens (for the calls that page), failing regions,
/// latency.
const FAULTED: [&str; 12] = [
    "DescribeImages",
    "DescribeImageReferences",
    "GetImageAncestry",
    "DescribeInstanceImageMetadata",
    "DescribeSnapshots",
    "ListImagesInRecycleBin",
    "GetAllowedImagesSettings",
    "GetImageBlockPublicAccessState",
    "DescribeImageAttribute",
    "CreateImageUsageReport",
    "DescribeImageUsageReports",
    "DescribeImageUsageReportEntries",
];

async fn handle(
    State(fake): State<Arc<FakeEc2>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = Counters::bump(&fake.counters.requests);
    let request_id = request_id(n);
    let session = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    if let Some(error) = sts::expired(session) {
        Counters::bump(&fake.counters.expired);
        if headers.contains_key("x-amz-target") {
            return json_response(Err(error), &request_id);
        }
        // STS and EC2 word errors alike but wrap them differently; GetCallerIdentity is
        // the only STS call made with a session.
        let sts = uri.query().is_some_and(|q| q.contains("GetCallerIdentity"))
            || body.windows(17).any(|w| w == b"GetCallerIdentity");
        let service = if sts { Service::Sts } else { Service::Ec2 };
        return error_response(service, &error, &request_id);
    }
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(organizations::TARGET_PREFIX));
    if let Some(operation) = target {
        let scope = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(CredentialScope::from_authorization);
        // Organizations throttles with its own error, which its clients retry.
        let faults = fake.faults();
        let roll = Dice::new(mix(faults.seed, &[n, 0x6f72_6773])).unit();
        let answered = if roll < faults.throttle_rate {
            Counters::bump(&fake.counters.throttled);
            Err(ApiError::new(
                400,
                "TooManyRequestsException",
                "AWS Organizations can't complete your request because another request is \
                 already in progress. Try again later.",
            ))
        } else if roll < faults.throttle_rate + faults.server_error_rate {
            Counters::bump(&fake.counters.server_errors);
            Err(ApiError::new(
                500,
                "ServiceException",
                "AWS Organizations can't complete your request because of an internal \
                 service error. Try again later.",
            ))
        } else {
            authenticated(&scope).and_then(|scope| {
                let world = fake.world();
                let caller = Caller::from_access_key(&world, &scope.access_key);
                organizations::answer(&world, &caller, operation, &body)
            })
        };
        return json_response(answered, &request_id);
    }
    let mut params = Params::default();
    if let Some(query) = uri.query() {
        params.extend_from_form(query.as_bytes());
    }
    params.extend_from_form(&body);
    let scope = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(CredentialScope::from_authorization);
    let session_token = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let action = params.get("Action").unwrap_or_default().to_string();
    let service = match action.as_str() {
        "AssumeRole" | "GetCallerIdentity" => Service::Sts,
        _ => Service::Ec2,
    };
    if FAULTED.contains(&action.as_str()) {
        let request = Request {
            action,
            params,
            scope,
            session_token,
            request_id,
        };
        return faulted(fake, request).await;
    }
    let result = match action.as_str() {
        "DescribeRegions" => authenticated(&scope)
            .and_then(|scope| {
                permitted(&fake, scope, session_token.as_deref(), "DescribeRegions").map(|()| scope)
            })
            .map(|scope| {
                let world = fake.world();
                let caller = Caller::from_access_key(&world, &scope.access_key);
                regions::describe_regions(&world, &caller, &params, &request_id)
            }),
        "AssumeRole" => authenticated(&scope).and_then(|scope| {
            let world = fake.world();
            let caller = Caller::from_access_key(&world, &scope.access_key);
            let lifetime = fake
                .faults()
                .session_lifetime
                .unwrap_or(Duration::from_secs(3600));
            let answer = sts::assume_role(&world, &caller, &params, lifetime, &request_id);
            if answer.is_ok() {
                Counters::bump(&fake.counters.sessions);
            }
            answer
        }),
        "GetCallerIdentity" => authenticated(&scope).map(|scope| {
            let caller = Caller::from_access_key(&fake.world(), &scope.access_key);
            sts::get_caller_identity(&caller, &scope.access_key, &request_id)
        }),
        "AmiqMutate" => control::mutate(&fake, &params),
        "AmiqStats" => Ok(control::stats(&fake)),
        "AmiqSetFaults" => control::set_faults(&fake, &params),
        other => Err(ApiError::new(
            400,
            "InvalidAction",
            format!("The action '{other}' is not valid for this web service."),
        )),
    };
    match result {
        Ok(body) => xml_response(StatusCode::OK, &request_id, Body::from(body), None),
        Err(error) => error_response(service, &error, &request_id),
    }
}

fn authenticated(scope: &Option<CredentialScope>) -> Result<&CredentialScope, ApiError> {
    scope.as_ref().ok_or_else(ApiError::auth_failure)
}

/// EC2's refusal when the caller's account may not call `action` (see
/// `Faults::unauthorized`), worded as IAM words it.
fn permitted(
    fake: &FakeEc2,
    scope: &CredentialScope,
    session_token: Option<&str>,
    action: &str,
) -> Result<(), ApiError> {
    let caller = Caller::from_access_key(&fake.world(), &scope.access_key);
    if !fake.faults().forbids(&caller.account, action) {
        return Ok(());
    }
    Counters::bump(&fake.counters.unauthorized);
    let user = sts::principal(&caller, &scope.access_key, session_token);
    Err(ApiError::new(
        403,
        "UnauthorizedOperation",
        format!(
            "You are not authorized to perform this operation. User: {user} is not \
             authorized to perform: ec2:{action} because no identity-based policy allows \
             the ec2:{action} action"
        ),
    ))
}

/// One request of a faulted call, as it arrived.
struct Request {
    action: String,
    params: Params,
    scope: Option<CredentialScope>,
    session_token: Option<String>,
    request_id: String,
}

/// A faulted call, answered no sooner than the configured latency after it arrived:
/// the latency is the call's whole time at the endpoint, its own work included, as a
/// service's is (with 16 pages rendered at once, work added after the latency made
/// each page about 13 ms longer than the latency asked for).
async fn faulted(fake: Arc<FakeEc2>, request: Request) -> Response {
    let due = tokio::time::Instant::now() + fake.faults().page_latency;
    let response = answer_faulted(fake, request).await;
    tokio::time::sleep_until(due).await;
    response
}

/// A faulted call's answer: authentication and authorization, then a failing region
/// or a drawn fault, else the answer (cut mid-body if a reset was drawn, damaged if a
/// garbled page was, with a token EC2 would refuse if a bad token was). DescribeImages
/// draws from its own request count, as it always has; the other calls from theirs.
async fn answer_faulted(fake: Arc<FakeEc2>, request: Request) -> Response {
    let Request {
        action,
        params,
        scope,
        session_token,
        request_id,
    } = request;
    let images = action == "DescribeImages";
    let n = if images {
        Counters::bump(&fake.counters.describe_images_requests)
    } else {
        Counters::bump(&fake.counters.resource_requests)
    };
    let faults = fake.faults();
    let scope = match scope {
        Some(scope) => scope,
        None => return error_response(Service::Ec2, &ApiError::auth_failure(), &request_id),
    };
    if let Err(error) = permitted(&fake, &scope, session_token.as_deref(), &action) {
        return error_response(Service::Ec2, &error, &request_id);
    }
    let caller = Caller::from_access_key(&fake.world(), &scope.access_key);
    let roll = if images {
        Dice::new(mix(faults.seed, &[n])).unit()
    } else {
        Dice::new(mix(faults.seed, &[n, 0x7265_736f])).unit()
    };
    // One draw picks at most one fault: each rate is the next slice of [0, 1).
    let throttle_edge = faults.throttle_rate;
    let server_error_edge = throttle_edge + faults.server_error_rate;
    let reset_edge = server_error_edge + faults.reset_rate;
    let bad_token_edge = reset_edge + faults.bad_token_rate;
    let garbled_edge = bad_token_edge + faults.garbled_rate;
    let fault = if faults.region_fails(&scope.region, &caller.account) {
        Some(n.is_multiple_of(2))
    } else if roll < throttle_edge {
        Some(true)
    } else if roll < server_error_edge {
        Some(false)
    } else {
        None
    };
    match fault {
        Some(true) => {
            Counters::bump(&fake.counters.throttled);
            let error = ApiError::new(503, "RequestLimitExceeded", "Request limit exceeded.");
            return error_response(Service::Ec2, &error, &request_id);
        }
        Some(false) => {
            Counters::bump(&fake.counters.server_errors);
            let error = ApiError::new(500, "InternalError", "An internal error has occurred");
            return error_response(Service::Ec2, &error, &request_id);
        }
        None => {}
    }
    let reset = roll < reset_edge;
    let bad_token = !reset && roll < bad_token_edge;
    let garbled = !reset && !bad_token && roll < garbled_edge;

    let worker = Arc::clone(&fake);
    let id = request_id.clone();
    // A page renders up to a thousand images or resources: keep it off the async workers.
    let answer = tokio::task::spawn_blocking(move || {
        let spoil = |token: Option<String>| match token {
            Some(_) if bad_token => {
                Counters::bump(&worker.counters.bad_tokens);
                Some(format!("expired-token-{id}"))
            }
            other => other,
        };
        let region = scope.region.as_str();
        let (mut body, count) = match action.as_str() {
            "CreateImageUsageReport" => {
                let request = usage_reports::CreateRequest::from_params(&params)?;
                let report =
                    usage_reports::create(&mut worker.world_mut(), &caller, region, &request)?;
                (usage_reports::write_created(&id, &report), 0)
            }
            "DescribeImageUsageReports" => {
                let request = usage_reports::ReportQuery::from_params(&params)?;
                let mut page =
                    usage_reports::describe(&mut worker.world_mut(), &caller, region, &request)?;
                page.next_token = spoil(page.next_token);
                (usage_reports::write(&id, &page), 0)
            }
            action => {
                let call = Call {
                    action,
                    params: &params,
                    caller: &caller,
                    region,
                    request_id: &id,
                };
                call.answer(&worker.world(), &spoil)?
            }
        };
        if garbled {
            let variant = Counters::bump(&worker.counters.garbled) % 3;
            body = garble(body, variant);
        }
        Ok::<_, ApiError>((body, count))
    })
    .await
    .unwrap_or_else(|e| {
        Err(ApiError::new(
            500,
            "InternalError",
            format!("fake endpoint failure: {e}"),
        ))
    });
    let (body, count) = match answer {
        Ok(answer) => answer,
        Err(error) => return error_response(Service::Ec2, &error, &request_id),
    };
    if reset {
        Counters::bump(&fake.counters.resets);
        return cut_mid_body(body, &request_id);
    }
    if images {
        Counters::bump(&fake.counters.pages);
        Counters::add(&fake.counters.images_served, count as u64);
    }
    xml_response(StatusCode::OK, &request_id, Body::from(body), None)
}

/// One request of a faulted call that only reads the world.
struct Call<'a> {
    action: &'a str,
    params: &'a Params,
    caller: &'a Caller,
    region: &'a str,
    request_id: &'a str,
}

impl Call<'_> {
    /// The answer's body and, for DescribeImages, the number of images in it; `spoil`
    /// replaces a page's NextToken when a bad token was drawn.
    fn answer(
        &self,
        world: &World,
        spoil: &dyn Fn(Option<String>) -> Option<String>,
    ) -> Result<(String, usize), ApiError> {
        let Call {
            params,
            caller,
            region,
            request_id: id,
            ..
        } = *self;
        Ok(match self.action {
            "DescribeImages" => {
                let request = params.describe_request()?;
                let page = describe_images::page(world, caller, region, &request)?;
                let token = spoil(page.next_token);
                let body = xml::describe_images_response(id, &page.images, token.as_deref());
                (body, page.images.len())
            }
            "DescribeImageReferences" => {
                let request = references::ReferencesRequest::from_params(params)?;
                let mut page = references::page(world, caller, region, &request)?;
                page.next_token = spoil(page.next_token);
                (references::write(id, &page), 0)
            }
            "DescribeInstanceImageMetadata" => {
                let request = instances::MetadataRequest::from_params(params)?;
                let mut page = instances::page(world, caller, region, &request)?;
                page.next_token = spoil(page.next_token);
                (instances::write(id, &page), 0)
            }
            "DescribeSnapshots" => {
                let request = snapshots::SnapshotsRequest::from_params(params)?;
                let mut page = snapshots::page(world, caller, region, &request)?;
                page.next_token = spoil(page.next_token);
                (snapshots::write(id, &page), 0)
            }
            "ListImagesInRecycleBin" => {
                let request = recycle_bin::BinRequest::from_params(params)?;
                let mut page = recycle_bin::page(world, caller, region, &request)?;
                page.next_token = spoil(page.next_token);
                (recycle_bin::write(id, &page), 0)
            }
            "GetImageAncestry" => {
                let request = ancestry::AncestryRequest::from_params(params)?;
                let entries = ancestry::answer(world, caller, region, &request)?;
                (ancestry::write(id, &entries), 0)
            }
            "DescribeImageAttribute" => {
                let request = image_attribute::AttributeRequest::from_params(params)?;
                let answer = image_attribute::answer(world, caller, region, &request)?;
                (image_attribute::write(id, &answer), 0)
            }
            "DescribeImageUsageReportEntries" => {
                let request = usage_reports::ReportQuery::from_params(params)?;
                let mut page = usage_entries::page(world, caller, region, &request)?;
                page.next_token = spoil(page.next_token);
                (usage_entries::write(id, &page), 0)
            }
            "GetAllowedImagesSettings" => {
                let settings = settings::allowed_for(world, caller, region)?;
                (settings::write_allowed(id, &settings), 0)
            }
            _ => {
                let settings = settings::block_for(world, caller, region)?;
                (settings::write_block(id, &settings), 0)
            }
        })
    }
}

/// Sends the headers (with the full Content-Length) and half the body, then fails the
/// body stream, which makes the server drop the connection: a reset mid-transfer.
fn cut_mid_body(body: String, request_id: &str) -> Response {
    let body = Bytes::from(body);
    let length = body.len();
    let half = body.slice(..length / 2);
    let stream = futures::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok(half), 1)),
                1 => {
                    // Let the first half reach the socket before the connection drops.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Some((
                        Err(io::Error::new(
                            io::ErrorKind::ConnectionReset,
                            "fault: connection reset",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    xml_response(
        StatusCode::OK,
        request_id,
        Body::from_stream(stream),
        Some(length),
    )
}

fn error_response(service: Service, error: &ApiError, request_id: &str) -> Response {
    let body = match service {
        Service::Ec2 => xml::ec2_error(error, request_id),
        Service::Sts => xml::sts_error(error, request_id),
    };
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    xml_response(status, request_id, Body::from(body), None)
}

/// An answer of the JSON protocol (Organizations): the body, or the error as the
/// protocol spells it (`__type` and the `x-amzn-ErrorType` header).
fn json_response(answered: Result<String, ApiError>, request_id: &str) -> Response {
    let (status, body, error_type) = match answered {
        Ok(body) => (StatusCode::OK, body, None),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            serde_json::json!({"__type": e.code, "message": e.message}).to_string(),
            Some(e.code),
        ),
    };
    let mut response = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/x-amz-json-1.1")
        .header("x-amzn-requestid", request_id);
    if let Some(code) = error_type {
        response = response.header("x-amzn-ErrorType", code);
    }
    response
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn xml_response(
    status: StatusCode,
    request_id: &str,
    body: Body,
    length: Option<usize>,
) -> Response {
    let mut response = Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "text/xml;charset=UTF-8")
        .header("x-amzn-requestid", request_id);
    if let Some(length) = length {
        response = response.header(CONTENT_LENGTH, length);
    }
    response
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// A UUID-shaped request id, unique per request of this endpoint.
fn request_id(n: u64) -> String {
    let a = mix(0x0072_6571_7565_7374, &[n]);
    let b = mix(a, &[n]);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// A whole but damaged page: 0 cut short, 1 a broken tag, 2 a large element EC2 does
/// not have, before the images (valid XML a reader must read past).
fn garble(body: String, variant: u64) -> String {
    match variant {
        0 => {
            let mut cut = body.len() / 2;
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body[..cut].to_string()
        }
        1 => body.replacen("</requestId>", "</requestId><imagesSet><item><imageId>", 1),
        _ => {
            let padding = format!(
                "<amiqUnexpected kind=\"padding\"><blob>{}</blob><nested><x/></nested></amiqUnexpected>",
                "0123456789abcdef".repeat(256 * 1024)
            );
            body.replacen("</requestId>", &format!("</requestId>{padding}"), 1)
        }
    }
}
