//! A bare Kafka connection: send one typed request, read one typed response.

use std::net::SocketAddr;

use automq_protocol::frame::encode_frame;
use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind, ResponseHeader, ResponseKind};
use kafka_protocol::protocol::{Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
pub struct KafkaConn {
    stream: TcpStream,
    next_correlation_id: i32,
}

impl KafkaConn {
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        Ok(Self {
            stream: TcpStream::connect(addr).await?,
            next_correlation_id: 1,
        })
    }

    /// Writes raw bytes, for malformed-input tests.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.stream.write_all(bytes).await?;
        Ok(())
    }

    /// Encodes and writes a request; returns its correlation id.
    pub async fn send(
        &mut self,
        key: ApiKey,
        version: i16,
        body: &RequestKind,
    ) -> anyhow::Result<i32> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        let mut payload = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("automq-testkit")))
            .encode(&mut payload, key.request_header_version(version))?;
        body.encode(&mut payload, version)?;
        let mut frame = BytesMut::new();
        encode_frame(&payload, &mut frame);
        self.stream.write_all(&frame).await?;
        Ok(correlation_id)
    }

    /// Reads one response frame; `None` when the broker closed the connection.
    pub async fn recv_frame(&mut self) -> anyhow::Result<Option<Bytes>> {
        let mut len = [0u8; 4];
        match self.stream.read_exact(&mut len).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let mut buf = vec![0u8; i32::from_be_bytes(len) as usize];
        self.stream.read_exact(&mut buf).await?;
        Ok(Some(Bytes::from(buf)))
    }

    /// Reads the response to a request of `key` at `version`.
    pub async fn recv(&mut self, key: ApiKey, version: i16) -> anyhow::Result<(i32, ResponseKind)> {
        let mut frame = self
            .recv_frame()
            .await?
            .ok_or_else(|| anyhow::anyhow!("connection closed"))?;
        let header = <ResponseHeader as kafka_protocol::protocol::Decodable>::decode(
            &mut frame,
            key.response_header_version(version),
        )?;
        let body = ResponseKind::decode(key, &mut frame, version)?;
        anyhow::ensure!(
            !frame.has_remaining(),
            "{} bytes left after the {key:?} response",
            frame.remaining()
        );
        Ok((header.correlation_id, body))
    }

    /// Sends a request and reads its response.
    pub async fn call(
        &mut self,
        key: ApiKey,
        version: i16,
        body: &RequestKind,
    ) -> anyhow::Result<ResponseKind> {
        let id = self.send(key, version, body).await?;
        let (got, resp) = self.recv(key, version).await?;
        anyhow::ensure!(got == id, "correlation id {got}, expected {id}");
        Ok(resp)
    }
}
