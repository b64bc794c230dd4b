//! One TCP connection to one broker, pipelined: many requests may be in flight, each answer finds its caller by
//! correlation id.
//!
//! A writer task sends frames in the order callers hand them over; a reader task splits answers off the socket
//! and hands each to the caller waiting on its correlation id. The caller registers before its frame is written,
//! so an answer can never arrive unclaimed. When either side fails, or a request times out, the connection is
//! closed and every waiting caller learns whether its request may have reached the broker
//! ([`Error::Disconnected`] with `sent`). Callers reconnect; a closed connection is never reused.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automq_protocol::frame::FrameDecoder;
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::versions::{
    API_VERSIONS_FIRST_TRY, ApiVersionsOutcome, BrokerVersions, NoCommonVersion, client_range,
    read_api_versions,
};

/// Why a waiting caller got no answer.
#[derive(Debug, Clone, Copy)]
enum Lost {
    /// The frame was never written whole: the broker cannot have acted on it.
    NotSent,
    /// The frame was written; the broker may have acted on it.
    InFlight,
}

type Reply = oneshot::Sender<std::result::Result<Bytes, Lost>>;

#[derive(Debug, Default)]
struct Shared {
    pending: Mutex<HashMap<i32, Reply>>,
    closed: AtomicBool,
    tasks: Mutex<Vec<AbortHandle>>,
}

impl Shared {
    /// Marks the connection closed, fails every waiting caller and stops both tasks.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let waiting: Vec<Reply> = lock(&self.pending).drain().map(|(_, r)| r).collect();
        for reply in waiting {
            let _ = reply.send(Err(Lost::InFlight));
        }
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }
}

/// A poisoned lock only means another caller panicked mid-update of a map we can still use.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Outgoing {
    correlation_id: i32,
    frame: Bytes,
}

/// An open, handshaken connection to one broker.
#[derive(Debug)]
pub struct Connection {
    addr: String,
    client_id: StrBytes,
    request_timeout: Duration,
    versions: BrokerVersions,
    next_correlation_id: AtomicI32,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    shared: Arc<Shared>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.shared.close();
    }
}

impl Connection {
    /// Connects to `addr` (`host:port`) and negotiates API versions.
    pub async fn open(addr: &str, config: &ClientConfig) -> Result<Connection> {
        let stream =
            match tokio::time::timeout(config.connect_timeout, TcpStream::connect(addr)).await {
                Err(_) => {
                    return Err(Error::ConnectTimeout {
                        addr: addr.to_string(),
                        timeout: config.connect_timeout,
                    });
                }
                Ok(Err(e)) => {
                    return Err(Error::Connect {
                        addr: addr.to_string(),
                        reason: e.to_string(),
                    });
                }
                Ok(Ok(s)) => s,
            };
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = tokio::spawn(write_loop(write, rx, shared.clone()));
        let reader = tokio::spawn(read_loop(
            read,
            FrameDecoder::for_responses(config.max_response_bytes),
            shared.clone(),
        ));
        lock(&shared.tasks).extend([writer.abort_handle(), reader.abort_handle()]);
        let mut conn = Connection {
            addr: addr.to_string(),
            client_id: StrBytes::from_string(config.client_id.clone()),
            request_timeout: config.request_timeout,
            versions: BrokerVersions::default(),
            next_correlation_id: AtomicI32::new(1),
            outgoing: tx,
            shared,
        };
        conn.versions = conn.handshake().await?;
        Ok(conn)
    }

    /// ApiVersions, stepping down once when the broker does not know the version first sent.
    async fn handshake(&self) -> Result<BrokerVersions> {
        let mut version = API_VERSIONS_FIRST_TRY;
        for _ in 0..2 {
            let req = ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("automq-client"))
                .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
            let body = self.call_raw(ApiKey::ApiVersions, version, &req).await?;
            match read_api_versions(body, version) {
                ApiVersionsOutcome::Supported(resp) => {
                    return Ok(BrokerVersions::from_response(&resp));
                }
                ApiVersionsOutcome::RetryAt(v) => version = v,
                ApiVersionsOutcome::Failed(reason) => {
                    return Err(self.protocol(ApiKey::ApiVersions, reason));
                }
            }
        }
        Err(self.protocol(
            ApiKey::ApiVersions,
            "the broker refused every ApiVersions version".to_string(),
        ))
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Closes the connection: requests in flight fail with [`Error::Disconnected`], later ones are refused.
    pub fn close(&self) {
        self.shared.close();
    }

    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }

    pub fn versions(&self) -> &BrokerVersions {
        &self.versions
    }

    /// The version to speak for `api` on this connection.
    pub fn version(&self, api: ApiKey) -> Result<i16> {
        self.versions.pick(api).map_err(|why| Error::Unsupported {
            api,
            addr: self.addr.clone(),
            ours: client_range(api)
                .unwrap_or(kafka_protocol::protocol::VersionRange { min: 0, max: -1 }),
            theirs: match why {
                NoCommonVersion::Disjoint { theirs, .. } => Some(theirs),
                _ => None,
            },
        })
    }

    /// Sends `req` at `version` and reads its typed answer.
    pub async fn call<R: Request>(&self, req: &R, version: i16) -> Result<R::Response> {
        let api = api_key::<R>()?;
        let mut body = self.call_raw(api, version, req).await?;
        let resp = guarded(|| R::Response::decode(&mut body, version))
            .map_err(|reason| self.protocol(api, format!("v{version}: {reason}")))?;
        if !body.is_empty() {
            return Err(self.protocol(
                api,
                format!("v{version}: {} bytes left after the body", body.len()),
            ));
        }
        Ok(resp)
    }

    /// Sends one request and returns the answer's body, its header already read.
    async fn call_raw<B: Encodable>(&self, api: ApiKey, version: i16, body: &B) -> Result<Bytes> {
        if self.is_closed() {
            return Err(self.disconnected(api, false));
        }
        let correlation_id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        let frame = self
            .encode(api, version, correlation_id, body)
            .map_err(|e| Error::Invalid(format!("cannot encode {api:?} v{version}: {e}")))?;
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.pending).insert(correlation_id, tx);
        if self
            .outgoing
            .send(Outgoing {
                correlation_id,
                frame,
            })
            .is_err()
        {
            lock(&self.shared.pending).remove(&correlation_id);
            return Err(self.disconnected(api, false));
        }
        let mut answer = match tokio::time::timeout(self.request_timeout, rx).await {
            Err(_) => {
                lock(&self.shared.pending).remove(&correlation_id);
                // Like Kafka's clients: a broker that let one request time out gets a fresh connection.
                self.shared.close();
                return Err(Error::RequestTimeout {
                    api,
                    addr: self.addr.clone(),
                    timeout: self.request_timeout,
                });
            }
            Ok(Err(_)) | Ok(Ok(Err(Lost::InFlight))) => return Err(self.disconnected(api, true)),
            Ok(Ok(Err(Lost::NotSent))) => return Err(self.disconnected(api, false)),
            Ok(Ok(Ok(frame))) => frame,
        };
        let header =
            guarded(|| ResponseHeader::decode(&mut answer, api.response_header_version(version)))
                .map_err(|reason| self.protocol(api, format!("header: {reason}")))?;
        if header.correlation_id != correlation_id {
            return Err(self.protocol(
                api,
                format!(
                    "correlation id {} answers request {correlation_id}",
                    header.correlation_id
                ),
            ));
        }
        Ok(answer)
    }

    fn encode<B: Encodable>(
        &self,
        api: ApiKey,
        version: i16,
        correlation_id: i32,
        body: &B,
    ) -> std::result::Result<Bytes, String> {
        let mut out = BytesMut::with_capacity(128);
        out.put_i32(0); // patched below
        RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()))
            .encode(&mut out, api.request_header_version(version))
            .map_err(|e| format!("header: {e:#}"))?;
        body.encode(&mut out, version)
            .map_err(|e| format!("{e:#}"))?;
        let len = (out.len() - 4) as i32;
        out[..4].copy_from_slice(&len.to_be_bytes());
        Ok(out.freeze())
    }

    fn disconnected(&self, api: ApiKey, sent: bool) -> Error {
        Error::Disconnected {
            api,
            addr: self.addr.clone(),
            sent,
        }
    }

    fn protocol(&self, api: ApiKey, reason: String) -> Error {
        Error::Protocol {
            api,
            addr: self.addr.clone(),
            reason,
        }
    }
}

fn api_key<R: Request>() -> Result<ApiKey> {
    ApiKey::try_from(R::KEY).map_err(|_| Error::Invalid(format!("unknown API key {}", R::KEY)))
}

/// Runs a decoder, turning a panic on a malformed answer into an error: a bad broker must not crash the tool.
fn guarded<T, E: std::fmt::Display>(
    f: impl FnOnce() -> std::result::Result<T, E>,
) -> std::result::Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the decoder panicked on this answer".to_string()),
    }
}

async fn write_loop(
    mut socket: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    shared: Arc<Shared>,
) {
    while let Some(out) = rx.recv().await {
        if socket.write_all(&out.frame).await.is_err() {
            if let Some(reply) = lock(&shared.pending).remove(&out.correlation_id) {
                let _ = reply.send(Err(Lost::NotSent));
            }
            break;
        }
    }
    shared.close();
}

async fn read_loop(mut socket: OwnedReadHalf, decoder: FrameDecoder, shared: Arc<Shared>) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    'read: loop {
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    let id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
                    // An unclaimed id is the late answer to a request that timed out: dropped.
                    if let Some(reply) = lock(&shared.pending).remove(&id) {
                        let _ = reply.send(Ok(frame));
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!("closing a broker connection: {e}");
                    break 'read;
                }
            }
        }
        match socket.read_buf(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    shared.close();
}
