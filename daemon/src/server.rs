//! The Kafka listener: accept, read frames, answer each request in order, shut down gracefully.
//!
//! Responses leave in the order the requests came. A request starts only once the one before it has finished its
//! ordered part: for a produce, that is handing out offsets and queueing the batches in the WAL
//! ([`ordered_part_done`]); for every other request, its whole handling. So a producer's pipelined requests are
//! appended in the order sent, while their wait for the WAL overlaps (up to `pipeline_depth` per connection): a
//! WAL that makes data durable every few milliseconds costs one round trip per interval, not one per request.
//!
//! Input that breaks framing (negative or oversized lengths) or cannot be decoded closes that connection only,
//! with a log line; it never affects another connection and never panics the broker.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use automq_protocol::ApiKey;
use automq_protocol::frame::FrameDecoder;
use automq_protocol::kafka_protocol::messages::ResponseKind;
use automq_protocol::request::{RequestError, decode_request};
use automq_protocol::response::encode_response;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::broker::Broker;
use crate::handlers::{self, Reply};

/// Limits that apply to every connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_request_bytes: usize,
    pub idle_timeout: Duration,
    /// Requests of one connection handled at once (their responses still leave in order).
    pub pipeline_depth: usize,
    /// How long in-flight requests may take to finish after shutdown begins.
    pub drain_timeout: Duration,
}

/// Serves Kafka clients on `listeners` until `shutdown` resolves; then stops accepting, lets each connection
/// finish the request it is handling, and returns.
pub async fn run(
    listeners: Vec<TcpListener>,
    broker: Arc<Broker>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut accept_loops = JoinSet::new();
    for listener in listeners {
        accept_loops.spawn(accept_loop(
            listener,
            broker.clone(),
            limits,
            stop_rx.clone(),
        ));
    }
    shutdown.await;
    info!("shutting down: no new connections; finishing in-flight requests");
    let _ = stop_tx.send(true);
    let drain = async { while accept_loops.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.drain_timeout + Duration::from_secs(1), drain)
        .await
        .is_err()
    {
        warn!(
            "in-flight requests did not finish within {:?}; closing their connections",
            limits.drain_timeout
        );
    }
}

async fn accept_loop(
    listener: TcpListener,
    broker: Arc<Broker>,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    let _ = socket.set_nodelay(true);
                    connections.spawn(serve_connection(socket, peer, broker.clone(), limits, stop.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.drain_timeout, drain)
        .await
        .is_err()
    {
        connections.abort_all();
    }
}

/// Why a connection ended, for the log.
enum Closed {
    ByPeer,
    Idle,
    Shutdown,
    Protocol(String),
    Io(std::io::Error),
}

tokio::task_local! {
    /// The signal a request's handling gives when its ordered part is done (see the module notes).
    static ORDERED: Cell<Option<oneshot::Sender<()>>>;
}

/// Lets the connection start its next request: called by a handler once what must happen in request order is
/// done (a produce, once its batches have their offsets). Requests that never call it release the next one when
/// they finish. Outside a connection (unit tests of handlers) it does nothing.
pub(crate) fn ordered_part_done() {
    let _ = ORDERED.try_with(|slot| {
        if let Some(tx) = slot.take() {
            let _ = tx.send(());
        }
    });
}

type Answering<'a> = Pin<Box<dyn Future<Output = Result<Option<Bytes>, String>> + Send + 'a>>;

async fn serve_connection(
    mut socket: TcpStream,
    peer: SocketAddr,
    broker: Arc<Broker>,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
) {
    debug!(%peer, "connection opened");
    crate::metrics::global().connection_opened();
    let decoder = FrameDecoder::new(limits.max_request_bytes);
    let depth = limits.pipeline_depth.max(1);
    let mut buf = BytesMut::with_capacity(8 * 1024);
    // Requests being handled, oldest first; the next frame, read but not started; and the signal that lets it
    // start (the newest request's ordered part is done).
    let mut in_flight: FuturesOrdered<Answering<'_>> = FuturesOrdered::new();
    let mut next: Option<Bytes> = None;
    let mut gate: Option<oneshot::Receiver<()>> = None;
    let mut stopping = *stop.borrow();
    let closed = loop {
        if next.is_none() && !stopping {
            match decoder.decode(&mut buf) {
                Ok(frame) => next = frame,
                // What came before the bad frame is still answered: the close waits for it.
                Err(e) => {
                    if let Some(r) = drain(&mut socket, &mut in_flight).await {
                        break r;
                    }
                    break Closed::Protocol(e.to_string());
                }
            }
        }
        if gate.is_none()
            && in_flight.len() < depth
            && !stopping
            && let Some(frame) = next.take()
        {
            let (tx, rx) = oneshot::channel();
            in_flight.push_back(Box::pin(
                ORDERED.scope(Cell::new(Some(tx)), answer(&broker, peer, frame)),
            ));
            gate = Some(rx);
            continue;
        }
        if stopping && in_flight.is_empty() {
            break Closed::Shutdown;
        }
        let idle = in_flight.is_empty();
        let may_read = next.is_none() && !stopping;
        tokio::select! {
            _ = stop.changed(), if !stopping => stopping = true,
            Some(answered) = in_flight.next(), if !in_flight.is_empty() => match answered {
                Ok(Some(bytes)) => {
                    if let Err(e) = socket.write_all(&bytes).await {
                        break Closed::Io(e);
                    }
                }
                Ok(None) => {}
                Err(reason) => {
                    // Requests after a fatal one are not answered: the client sees the connection close.
                    break Closed::Protocol(reason);
                }
            },
            _ = async {
                match gate.as_mut() {
                    Some(g) => {
                        let _ = g.await;
                    }
                    None => std::future::pending().await,
                }
            }, if gate.is_some() => gate = None,
            read = async {
                if idle {
                    tokio::time::timeout(limits.idle_timeout, socket.read_buf(&mut buf)).await
                } else {
                    Ok(socket.read_buf(&mut buf).await)
                }
            }, if may_read => match read {
                Err(_) => break Closed::Idle,
                Ok(Ok(0)) => {
                    // The client closed its side; answers to what it sent may still be wanted (a half close).
                    if let Some(r) = drain(&mut socket, &mut in_flight).await {
                        break r;
                    }
                    break Closed::ByPeer;
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => break Closed::Io(e),
            },
        }
    };
    crate::metrics::global().connection_ended(match closed {
        Closed::Protocol(_) => Some("protocol"),
        Closed::Idle => Some("idle"),
        _ => None,
    });
    match closed {
        Closed::ByPeer => debug!(%peer, "connection closed by client"),
        Closed::Idle => debug!(%peer, "connection idle for {:?}; closed", limits.idle_timeout),
        Closed::Shutdown => debug!(%peer, "connection closed for shutdown"),
        Closed::Protocol(reason) => warn!(%peer, "closing connection: {reason}"),
        Closed::Io(e) => debug!(%peer, "connection error: {e}"),
    }
}

/// Finishes the requests in flight and writes their answers, in order; `Some` when that ends the connection
/// for another reason.
async fn drain(
    socket: &mut TcpStream,
    in_flight: &mut FuturesOrdered<Answering<'_>>,
) -> Option<Closed> {
    while let Some(answered) = in_flight.next().await {
        match answered {
            Ok(Some(bytes)) => {
                if let Err(e) = socket.write_all(&bytes).await {
                    return Some(Closed::Io(e));
                }
            }
            Ok(None) => {}
            Err(reason) => return Some(Closed::Protocol(reason)),
        }
    }
    None
}

/// Decodes one frame and produces its framed answer; `Err` closes the connection.
async fn answer(
    broker: &Broker,
    peer: SocketAddr,
    frame: bytes::Bytes,
) -> Result<Option<bytes::Bytes>, String> {
    let request = match decode_request(frame, handlers::supported) {
        Ok(r) => r,
        Err(RequestError::UnsupportedVersion {
            api_key: ApiKey::ApiVersions,
            correlation_id,
            ..
        }) => {
            // Answered at v0 with our version list, so the client can retry at a version we support.
            let body = ResponseKind::ApiVersions(handlers::unsupported_version_response());
            return encode_response(ApiKey::ApiVersions, 0, correlation_id, &body)
                .map(Some)
                .map_err(|e| e.to_string());
        }
        Err(e) => return Err(e.to_string()),
    };
    let version = request.header.request_api_version;
    let correlation_id = request.header.correlation_id;
    let client = handlers::Client {
        id: request
            .header
            .client_id
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        host: format!("/{}", peer.ip()),
    };
    let metrics = crate::metrics::global();
    let produced = metrics.produced(broker, &request.body);
    let started = std::time::Instant::now();
    let reply = handlers::handle(broker, &client, version, request.body).await;
    let response = match &reply {
        Some(Reply::Respond(body)) => Some(body.as_ref()),
        _ => None,
    };
    metrics.answered(
        broker,
        request.api_key,
        started.elapsed(),
        &produced,
        response,
    );
    match reply {
        Some(Reply::Respond(body)) => {
            encode_response(request.api_key, version, correlation_id, &body)
                .map(Some)
                .map_err(|e| e.to_string())
        }
        Some(Reply::Nothing) => Ok(None),
        Some(Reply::Close(reason)) => Err(reason),
        None => Err(format!(
            "{:?} is advertised but has no handler",
            request.api_key
        )),
    }
}
