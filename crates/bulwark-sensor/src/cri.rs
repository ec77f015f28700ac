//! The Kubernetes CRI (containerd, CRI-O): gRPC over HTTP/2 on a unix socket, spoken by a small
//! synchronous client for the two calls the sensor needs, `RuntimeService/ContainerStatus` and
//! `RuntimeService/PodSandboxStatus` (both with `verbose`, API `runtime.v1`).
//!
//! No gRPC stack: a hand-written protobuf encoder/decoder for the few messages (field numbers
//! from cri-api's `api.proto`), and an HTTP/2 client that sends one request per connection
//! (HPACK literals without Huffman coding), answers SETTINGS and PING, opens the flow-control
//! windows wide, and reads the response's DATA. Response headers and trailers are not decoded
//! (that would need HPACK's Huffman table): a call that ends without a message is reported as
//! "not found", which is what a CRI answers for an unknown id (gRPC `NotFound`).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::container::Runtime;
use crate::metadata::{ContainerMetadata, LookupError, MetadataSource, PodMetadata};

const TIMEOUT: Duration = Duration::from_secs(2);
const MAX_MESSAGE: usize = 16 << 20;
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

const DATA: u8 = 0;
const HEADERS: u8 = 1;
const RST_STREAM: u8 = 3;
const SETTINGS: u8 = 4;
const PING: u8 = 6;
const GOAWAY: u8 = 7;
const WINDOW_UPDATE: u8 = 8;
const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

/// The CRI path of a call.
pub(crate) const CONTAINER_STATUS: &str = "/runtime.v1.RuntimeService/ContainerStatus";
pub(crate) const POD_SANDBOX_STATUS: &str = "/runtime.v1.RuntimeService/PodSandboxStatus";

// ---------- protobuf ----------

pub(crate) mod pb {
    //! Just enough protobuf: varints, length-delimited fields, and a field iterator.

    /// Appends a varint.
    #[allow(clippy::cast_possible_truncation)] // the low 7 bits, masked by the encoding
    pub(crate) fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// Appends a length-delimited field (string, bytes, message).
    pub(crate) fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
        varint(out, u64::from(field) << 3 | 2);
        varint(out, b.len() as u64);
        out.extend_from_slice(b);
    }

    /// Appends a varint field (bool, int, enum).
    pub(crate) fn uint(out: &mut Vec<u8>, field: u32, v: u64) {
        varint(out, u64::from(field) << 3);
        varint(out, v);
    }

    /// Appends a `map<string, string>` entry (the fake server writes them).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn map_entry(out: &mut Vec<u8>, field: u32, k: &str, v: &str) {
        let mut e = Vec::new();
        bytes(&mut e, 1, k.as_bytes());
        bytes(&mut e, 2, v.as_bytes());
        bytes(out, field, &e);
    }

    /// A decoded field's value.
    #[derive(Debug, PartialEq)]
    pub(crate) enum Value<'a> {
        Varint(u64),
        Bytes(&'a [u8]),
        Fixed,
    }

    fn read_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*pos)?;
            *pos += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(v);
            }
        }
        None
    }

    /// The fields of a message, in order; `None` ends the iteration at malformed input.
    pub(crate) fn fields(b: &[u8]) -> impl Iterator<Item = (u32, Value<'_>)> {
        let mut pos = 0;
        std::iter::from_fn(move || {
            if pos >= b.len() {
                return None;
            }
            let key = read_varint(b, &mut pos)?;
            let field = u32::try_from(key >> 3).ok()?;
            let value = match key & 7 {
                0 => Value::Varint(read_varint(b, &mut pos)?),
                1 => {
                    pos += 8;
                    Value::Fixed
                }
                2 => {
                    let n = usize::try_from(read_varint(b, &mut pos)?).ok()?;
                    let v = b.get(pos..pos.checked_add(n)?)?;
                    pos += n;
                    Value::Bytes(v)
                }
                5 => {
                    pos += 4;
                    Value::Fixed
                }
                _ => return None,
            };
            (pos <= b.len()).then_some((field, value))
        })
    }

    /// The string in `v` (lossy), or empty.
    pub(crate) fn string(v: &Value<'_>) -> String {
        match v {
            Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        }
    }

    /// A `map<string, string>` entry.
    pub(crate) fn entry(v: &Value<'_>) -> Option<(String, String)> {
        let Value::Bytes(b) = v else { return None };
        let (mut k, mut val) = (String::new(), String::new());
        for (f, x) in fields(b) {
            match f {
                1 => k = string(&x),
                2 => val = string(&x),
                _ => {}
            }
        }
        Some((k, val))
    }
}

/// `ContainerStatusRequest { container_id = 1; verbose = 2 }`, or the same shape of
/// `PodSandboxStatusRequest { pod_sandbox_id = 1; verbose = 2 }`.
pub(crate) fn status_request(id: &str) -> Vec<u8> {
    let mut out = Vec::new();
    pb::bytes(&mut out, 1, id.as_bytes());
    pb::uint(&mut out, 2, 1);
    out
}

/// What `ContainerStatusResponse` carries that the sensor uses.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ContainerStatus {
    pub id: String,
    pub name: String,
    /// `ImageSpec.image`
    pub image: String,
    /// `ImageSpec.user_specified_image` (newer runtimes)
    pub user_image: String,
    pub image_ref: String,
    pub image_id: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `info["info"]`'s `sandboxID` (verbose)
    pub sandbox_id: Option<String>,
    /// `info["info"]`'s privileged flag (verbose): CRI-O's `privileged`, containerd's
    /// `config.linux.security_context.privileged`
    pub privileged: Option<bool>,
}

/// Decodes `ContainerStatusResponse { ContainerStatus status = 1; map<string,string> info = 2 }`.
pub(crate) fn decode_container_status(b: &[u8]) -> ContainerStatus {
    let mut out = ContainerStatus::default();
    for (f, v) in pb::fields(b) {
        match (f, &v) {
            (1, pb::Value::Bytes(status)) => {
                for (f, v) in pb::fields(status) {
                    match (f, &v) {
                        (1, _) => out.id = pb::string(&v),
                        (2, pb::Value::Bytes(meta)) => {
                            for (f, v) in pb::fields(meta) {
                                if f == 1 {
                                    out.name = pb::string(&v);
                                }
                            }
                        }
                        (8, pb::Value::Bytes(spec)) => {
                            for (f, v) in pb::fields(spec) {
                                match f {
                                    1 => out.image = pb::string(&v),
                                    18 => out.user_image = pb::string(&v),
                                    _ => {}
                                }
                            }
                        }
                        (9, _) => out.image_ref = pb::string(&v),
                        (12, _) => out.labels.extend(pb::entry(&v)),
                        (13, _) => out.annotations.extend(pb::entry(&v)),
                        (17, _) => out.image_id = pb::string(&v),
                        _ => {}
                    }
                }
            }
            (2, _) => {
                if let Some((k, json)) = pb::entry(&v)
                    && k == "info"
                    && let Ok(info) = serde_json::from_str::<serde_json::Value>(&json)
                {
                    out.sandbox_id = sandbox_from_info(&info);
                    out.privileged = ["/privileged", "/config/linux/security_context/privileged"]
                        .iter()
                        .find_map(|p| info.pointer(p)?.as_bool());
                }
            }
            _ => {}
        }
    }
    out
}

fn sandbox_from_info(v: &serde_json::Value) -> Option<String> {
    ["/sandboxID", "/sandboxId", "/sandbox_id"]
        .iter()
        .find_map(|p| v.pointer(p)?.as_str().map(str::to_string))
        .filter(|s| !s.is_empty())
}

/// Decodes `PodSandboxStatusResponse { PodSandboxStatus status = 1; … }`: the pod's
/// metadata (name = 1, uid = 2, namespace = 3) and labels (7).
pub(crate) fn decode_pod_status(b: &[u8]) -> Option<PodMetadata> {
    let mut pod = None;
    for (f, v) in pb::fields(b) {
        let (1, pb::Value::Bytes(status)) = (f, &v) else {
            continue;
        };
        let mut p = PodMetadata::default();
        for (f, v) in pb::fields(status) {
            match (f, &v) {
                (1, _) => p.sandbox_id = Some(pb::string(&v)),
                (2, pb::Value::Bytes(meta)) => {
                    for (f, v) in pb::fields(meta) {
                        match f {
                            1 => p.name = pb::string(&v),
                            2 => p.uid = pb::string(&v),
                            3 => p.namespace = pb::string(&v),
                            _ => {}
                        }
                    }
                }
                (7, _) => p.labels.extend(pb::entry(&v)),
                _ => {}
            }
        }
        pod = Some(p);
    }
    pod
}

// ---------- HTTP/2 ----------

fn frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let n = u32::try_from(payload.len()).expect("frames are small");
    out.extend_from_slice(&n.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

/// An HPACK string literal, no Huffman coding (lengths below 127 fit the 7-bit prefix;
/// longer ones use the continuation bytes).
fn hpack_string(out: &mut Vec<u8>, s: &str) {
    hpack_int(out, 0, 7, s.len());
    out.extend_from_slice(s.as_bytes());
}

#[allow(clippy::cast_possible_truncation)] // each byte pushed is below its prefix's maximum
fn hpack_int(out: &mut Vec<u8>, first: u8, prefix_bits: u32, mut v: usize) {
    let max = (1usize << prefix_bits) - 1;
    if v < max {
        out.push(first | v as u8);
        return;
    }
    out.push(first | max as u8);
    v -= max;
    while v >= 128 {
        out.push((v % 128) as u8 | 0x80);
        v /= 128;
    }
    out.push(v as u8);
}

/// The request's header block: `:method POST`, `:scheme http` (static table), `:path`,
/// `:authority`, `content-type` (indexed names, literal values), `te: trailers`.
pub(crate) fn request_headers(path: &str) -> Vec<u8> {
    let mut h = vec![0x83, 0x86];
    hpack_int(&mut h, 0, 4, 4); // literal without indexing, name = static 4 (:path)
    hpack_string(&mut h, path);
    hpack_int(&mut h, 0, 4, 1); // :authority
    hpack_string(&mut h, "localhost");
    hpack_int(&mut h, 0, 4, 31); // content-type
    hpack_string(&mut h, "application/grpc");
    h.push(0); // literal without indexing, new name
    hpack_string(&mut h, "te");
    hpack_string(&mut h, "trailers");
    h
}

fn io_err(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

/// One unary gRPC call on a fresh connection: the response message, or `None` when the call
/// ended without one (an error status).
pub(crate) fn grpc_call(
    socket: &Path,
    path: &str,
    request: &[u8],
) -> std::io::Result<Option<Vec<u8>>> {
    let mut s = UnixStream::connect(socket)?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    let mut out = PREFACE.to_vec();
    // SETTINGS: ENABLE_PUSH = 0, INITIAL_WINDOW_SIZE = 16 MiB
    let mut settings = Vec::new();
    settings.extend_from_slice(&2u16.to_be_bytes());
    settings.extend_from_slice(&0u32.to_be_bytes());
    settings.extend_from_slice(&4u16.to_be_bytes());
    settings.extend_from_slice(&(16u32 << 20).to_be_bytes());
    frame(&mut out, SETTINGS, 0, 0, &settings);
    frame(&mut out, WINDOW_UPDATE, 0, 0, &(16u32 << 20).to_be_bytes());
    frame(&mut out, HEADERS, END_HEADERS, 1, &request_headers(path));
    let mut msg = vec![0u8];
    msg.extend_from_slice(
        &u32::try_from(request.len())
            .map_err(|_| io_err("request too large"))?
            .to_be_bytes(),
    );
    msg.extend_from_slice(request);
    frame(&mut out, DATA, END_STREAM, 1, &msg);
    s.write_all(&out)?;

    let mut body = Vec::new();
    loop {
        let mut head = [0u8; 9];
        s.read_exact(&mut head)?;
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        let (kind, flags) = (head[3], head[4]);
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        if len > MAX_MESSAGE {
            return Err(io_err("oversized HTTP/2 frame"));
        }
        let mut payload = vec![0u8; len];
        s.read_exact(&mut payload)?;
        match kind {
            SETTINGS if flags & ACK == 0 => {
                let mut ack = Vec::new();
                frame(&mut ack, SETTINGS, ACK, 0, &[]);
                s.write_all(&ack)?;
            }
            PING if flags & ACK == 0 => {
                let mut pong = Vec::new();
                frame(&mut pong, PING, ACK, 0, &payload);
                s.write_all(&pong)?;
            }
            GOAWAY => return Err(io_err("the server closed the connection (GOAWAY)")),
            RST_STREAM if stream == 1 => return Err(io_err("the server reset the call")),
            DATA if stream == 1 => {
                let data = if flags & PADDED != 0 {
                    let pad = usize::from(*payload.first().ok_or_else(|| io_err("bad padding"))?);
                    payload
                        .get(1..payload.len().saturating_sub(pad))
                        .ok_or_else(|| io_err("bad padding"))?
                } else {
                    &payload[..]
                };
                body.extend_from_slice(data);
                if body.len() > MAX_MESSAGE {
                    return Err(io_err("oversized gRPC message"));
                }
            }
            HEADERS if stream == 1 => {
                let _ = flags & (PRIORITY | END_HEADERS); // response headers and trailers are not decoded
            }
            _ => {}
        }
        if stream == 1 && flags & END_STREAM != 0 && matches!(kind, DATA | HEADERS) {
            break;
        }
    }
    // gRPC framing: compressed flag, big-endian length, message
    if body.len() < 5 {
        return Ok(None);
    }
    if body[0] != 0 {
        return Err(io_err("compressed gRPC messages are not supported"));
    }
    let n = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    let msg = body
        .get(5..5 + n)
        .ok_or_else(|| io_err("truncated gRPC message"))?;
    Ok(Some(msg.to_vec()))
}

/// A CRI runtime (containerd, CRI-O) at its socket.
#[derive(Clone, Debug)]
pub struct CriSource {
    socket: PathBuf,
}

impl CriSource {
    /// The CRI at `socket`.
    pub fn new(socket: &Path) -> CriSource {
        CriSource {
            socket: socket.to_path_buf(),
        }
    }

    fn io(&self, error: std::io::Error) -> LookupError {
        LookupError::Io {
            source_name: "cri",
            socket: self.socket.clone(),
            error,
        }
    }
}

impl MetadataSource for CriSource {
    fn name(&self) -> &'static str {
        "cri"
    }

    fn handles(&self, runtime: Runtime) -> bool {
        matches!(
            runtime,
            Runtime::Containerd | Runtime::CriO | Runtime::Unknown
        )
    }

    fn available(&self) -> bool {
        self.socket.exists()
    }

    fn lookup(&self, id: &str) -> Result<Option<ContainerMetadata>, LookupError> {
        let Some(reply) = grpc_call(&self.socket, CONTAINER_STATUS, &status_request(id))
            .map_err(|e| self.io(e))?
        else {
            return Ok(None);
        };
        let status = decode_container_status(&reply);
        let mut m = ContainerMetadata {
            id: if status.id.is_empty() {
                id.to_string()
            } else {
                status.id.clone()
            },
            source: "cri".into(),
            name: (!status.name.is_empty()).then(|| status.name.clone()),
            image_id: (!status.image_id.is_empty()).then(|| status.image_id.clone()),
            labels: status.labels.clone(),
            ..ContainerMetadata::default()
        };
        // image_ref is `repo@sha256:…` (containerd) or the image id
        if let Some((_, digest)) = status.image_ref.split_once('@') {
            m.image_digest = Some(digest.to_string());
        }
        let named = [&status.user_image, &status.image]
            .into_iter()
            .find(|s| !s.is_empty() && !s.starts_with("sha256:"))
            .cloned()
            .or_else(|| {
                status
                    .annotations
                    .get("io.kubernetes.cri.image-name")
                    .cloned()
            });
        if let Some(image) = named {
            m.set_image(&image);
        } else if status.image_ref.contains('@') {
            m.set_image(&status.image_ref);
        }
        if m.image_id.is_none() && status.image.starts_with("sha256:") {
            m.image_id = Some(status.image.clone());
        }
        let mut pod = PodMetadata::from_container_labels(&status.labels);
        if let Some(sandbox) = &status.sandbox_id {
            // pod labels live on the sandbox; a failure here keeps what the container gave
            if let Ok(Some(reply)) =
                grpc_call(&self.socket, POD_SANDBOX_STATUS, &status_request(sandbox))
                && let Some(p) = decode_pod_status(&reply)
            {
                let base = pod.take().unwrap_or_default();
                pod = Some(PodMetadata {
                    name: if p.name.is_empty() { base.name } else { p.name },
                    namespace: if p.namespace.is_empty() {
                        base.namespace
                    } else {
                        p.namespace
                    },
                    uid: if p.uid.is_empty() { base.uid } else { p.uid },
                    labels: p.labels,
                    sandbox_id: Some(sandbox.clone()),
                });
            } else if let Some(p) = &mut pod {
                p.sandbox_id = Some(sandbox.clone());
            }
        }
        m.pod = pod;
        m.privileged = status.privileged;
        Ok(Some(m))
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! `FakeCriServer`: a CRI stand-in on a unix socket (no containerd or CRI-O can run here).
    //! It speaks HTTP/2 as a server would (preface, SETTINGS exchange, HPACK header blocks
    //! with static-table references, a response HEADERS/DATA/trailers sequence, or a
    //! trailers-only error), and answers ContainerStatus and PodSandboxStatus from a table.

    use std::collections::HashMap;
    use std::io::{Read as _, Write as _};
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    use super::{DATA, END_HEADERS, END_STREAM, HEADERS, PREFACE, SETTINGS, frame, pb};

    /// A container the fake knows.
    #[derive(Clone, Debug, Default)]
    pub(crate) struct FakeContainer {
        pub name: String,
        pub image: String,
        pub image_ref: String,
        pub labels: Vec<(String, String)>,
        pub sandbox_id: String,
        /// The verbose info's extra JSON members (after `"pid":42`), as a runtime writes them.
        pub info_extra: String,
    }

    /// A pod sandbox the fake knows.
    #[derive(Clone, Debug, Default)]
    pub(crate) struct FakePod {
        pub name: String,
        pub namespace: String,
        pub uid: String,
        pub labels: Vec<(String, String)>,
    }

    pub(crate) struct FakeCriServer {
        pub socket: PathBuf,
        /// The `:path` of every call received.
        pub calls: Arc<Mutex<Vec<String>>>,
    }

    impl FakeCriServer {
        pub(crate) fn start(
            containers: HashMap<String, FakeContainer>,
            pods: HashMap<String, FakePod>,
        ) -> FakeCriServer {
            let socket = std::env::temp_dir().join(format!(
                "bulwark-fake-cri-{}-{:?}.sock",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_file(&socket);
            let listener = UnixListener::bind(&socket).expect("binding the fake CRI socket");
            let calls = Arc::new(Mutex::new(Vec::new()));
            let seen = calls.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    let Ok(conn) = conn else { return };
                    let _ = serve(conn, &containers, &pods, &seen);
                }
            });
            FakeCriServer { socket, calls }
        }
    }

    impl Drop for FakeCriServer {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.socket);
        }
    }

    /// Decodes a header block as our client writes it (indexed static entries, literals
    /// without Huffman coding), returning `:path`.
    fn path_of(block: &[u8]) -> Option<String> {
        const STATIC_NAMES: [&str; 32] = [
            "",
            ":authority",
            ":method",
            ":method",
            ":path",
            ":path",
            ":scheme",
            ":scheme",
            ":status",
            ":status",
            ":status",
            ":status",
            ":status",
            ":status",
            ":status",
            "accept-charset",
            "accept-encoding",
            "accept-language",
            "accept-ranges",
            "accept",
            "access-control-allow-origin",
            "age",
            "allow",
            "authorization",
            "cache-control",
            "content-disposition",
            "content-encoding",
            "content-language",
            "content-length",
            "content-location",
            "content-range",
            "content-type",
        ];
        fn int(b: &[u8], pos: &mut usize, bits: u32) -> Option<usize> {
            let max = (1usize << bits) - 1;
            let mut v = usize::from(*b.get(*pos)?) & max;
            *pos += 1;
            if v < max {
                return Some(v);
            }
            let mut shift = 0;
            loop {
                let byte = *b.get(*pos)?;
                *pos += 1;
                v += usize::from(byte & 0x7f) << shift;
                shift += 7;
                if byte < 0x80 {
                    return Some(v);
                }
            }
        }
        fn string(b: &[u8], pos: &mut usize) -> Option<String> {
            assert_eq!(
                b.get(*pos)? & 0x80,
                0,
                "the client sends no Huffman strings"
            );
            let n = int(b, pos, 7)?;
            let s = String::from_utf8(b.get(*pos..*pos + n)?.to_vec()).ok()?;
            *pos += n;
            Some(s)
        }
        let mut pos = 0;
        let mut path = None;
        while pos < block.len() {
            let first = block[pos];
            if first & 0x80 != 0 {
                int(block, &mut pos, 7)?;
                continue;
            }
            let bits = if first & 0x40 != 0 { 6 } else { 4 };
            let index = int(block, &mut pos, bits)?;
            let name = if index == 0 {
                string(block, &mut pos)?
            } else {
                STATIC_NAMES.get(index)?.to_string()
            };
            let value = string(block, &mut pos)?;
            if name == ":path" {
                path = Some(value);
            }
        }
        path
    }

    fn serve(
        mut conn: UnixStream,
        containers: &HashMap<String, FakeContainer>,
        pods: &HashMap<String, FakePod>,
        calls: &Mutex<Vec<String>>,
    ) -> std::io::Result<()> {
        let mut preface = [0u8; 24];
        conn.read_exact(&mut preface)?;
        assert_eq!(&preface[..], PREFACE);
        let mut out = Vec::new();
        frame(&mut out, SETTINGS, 0, 0, &[0, 3, 0, 0, 0, 100]); // MAX_CONCURRENT_STREAMS 100
        conn.write_all(&out)?;
        let (mut path, mut body) = (None, Vec::new());
        loop {
            let mut head = [0u8; 9];
            conn.read_exact(&mut head)?;
            let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
            let mut payload = vec![0u8; len];
            conn.read_exact(&mut payload)?;
            let (kind, flags) = (head[3], head[4]);
            match kind {
                HEADERS => path = path_of(&payload),
                DATA => body.extend_from_slice(&payload),
                _ => {}
            }
            if flags & END_STREAM != 0 {
                break;
            }
        }
        let path = path.unwrap_or_default();
        calls.lock().unwrap().push(path.clone());
        let request = &body[5..];
        let mut id = String::new();
        let mut verbose = false;
        for (f, v) in pb::fields(request) {
            match (f, v) {
                (1, v) => id = pb::string(&v),
                (2, pb::Value::Varint(1)) => verbose = true,
                _ => {}
            }
        }
        let reply = match path.as_str() {
            super::CONTAINER_STATUS => containers.get(&id).map(|c| {
                let mut status = Vec::new();
                pb::bytes(&mut status, 1, id.as_bytes());
                let mut meta = Vec::new();
                pb::bytes(&mut meta, 1, c.name.as_bytes());
                pb::uint(&mut meta, 2, 0);
                pb::bytes(&mut status, 2, &meta);
                pb::uint(&mut status, 3, 1); // CONTAINER_RUNNING
                pb::uint(&mut status, 4, 1_700_000_000_000_000_000);
                let mut spec = Vec::new();
                pb::bytes(&mut spec, 1, c.image.as_bytes());
                pb::bytes(&mut status, 8, &spec);
                pb::bytes(&mut status, 9, c.image_ref.as_bytes());
                for (k, v) in &c.labels {
                    pb::map_entry(&mut status, 12, k, v);
                }
                pb::bytes(&mut status, 15, b"/var/log/pods/x/0.log");
                let mut resp = Vec::new();
                pb::bytes(&mut resp, 1, &status);
                if verbose {
                    let info = format!(
                        r#"{{"sandboxID":"{}","pid":42{}}}"#,
                        c.sandbox_id, c.info_extra
                    );
                    pb::map_entry(&mut resp, 2, "info", &info);
                }
                resp
            }),
            super::POD_SANDBOX_STATUS => pods.get(&id).map(|p| {
                let mut status = Vec::new();
                pb::bytes(&mut status, 1, id.as_bytes());
                let mut meta = Vec::new();
                pb::bytes(&mut meta, 1, p.name.as_bytes());
                pb::bytes(&mut meta, 2, p.uid.as_bytes());
                pb::bytes(&mut meta, 3, p.namespace.as_bytes());
                pb::bytes(&mut status, 2, &meta);
                for (k, v) in &p.labels {
                    pb::map_entry(&mut status, 7, k, v);
                }
                let mut resp = Vec::new();
                pb::bytes(&mut resp, 1, &status);
                resp
            }),
            _ => None,
        };
        let mut out = Vec::new();
        // literal header without indexing, name = static 31 (content-type)
        let ct = [&[0x0f, 0x10, 16][..], b"application/grpc"].concat();
        let trailer = |status: &str, message: &str| {
            let mut t = vec![0x00, 11];
            t.extend_from_slice(b"grpc-status");
            t.push(u8::try_from(status.len()).unwrap());
            t.extend_from_slice(status.as_bytes());
            t.extend_from_slice(&[0x00, 12]);
            t.extend_from_slice(b"grpc-message");
            t.push(u8::try_from(message.len()).unwrap());
            t.extend_from_slice(message.as_bytes());
            t
        };
        if let Some(msg) = reply {
            frame(
                &mut out,
                HEADERS,
                END_HEADERS,
                1,
                &[&[0x88][..], &ct].concat(),
            );
            let mut data = vec![0u8];
            data.extend_from_slice(&u32::try_from(msg.len()).unwrap().to_be_bytes());
            data.extend_from_slice(&msg);
            frame(&mut out, DATA, 0, 1, &data);
            frame(
                &mut out,
                HEADERS,
                END_HEADERS | END_STREAM,
                1,
                &trailer("0", ""),
            );
        } else {
            // trailers-only: NotFound
            let block = [&[0x88][..], &ct, &trailer("5", "not found")].concat();
            frame(&mut out, HEADERS, END_HEADERS | END_STREAM, 1, &block);
        }
        conn.write_all(&out)?;
        // wait for the client to hang up
        let mut rest = Vec::new();
        let _ = conn.read_to_end(&mut rest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::fake::{FakeContainer, FakeCriServer, FakePod};
    use super::*;
    use crate::container::ContainerRef;
    use crate::metadata::MetadataCache;

    #[test]
    fn requests_encode_as_protobuf() {
        // ContainerStatusRequest { container_id: "abc", verbose: true }
        assert_eq!(status_request("abc"), [0x0a, 3, b'a', b'b', b'c', 0x10, 1]);
        let mut long = Vec::new();
        pb::varint(&mut long, 300);
        assert_eq!(long, [0xac, 0x02]);
        let mut h = Vec::new();
        hpack_string(&mut h, &"x".repeat(130));
        assert_eq!(&h[..2], &[0x7f, 3]);
    }

    fn fake() -> FakeCriServer {
        let mut containers = HashMap::new();
        containers.insert(
            "c1".repeat(32),
            FakeContainer {
                name: "nginx".into(),
                image: "sha256:9f".into(),
                image_ref: "docker.io/library/nginx@sha256:abcd".into(),
                labels: vec![
                    ("io.kubernetes.pod.name".into(), "web-5d8f".into()),
                    ("io.kubernetes.pod.namespace".into(), "shop".into()),
                    ("io.kubernetes.pod.uid".into(), "1111-2222".into()),
                    ("io.kubernetes.container.name".into(), "nginx".into()),
                ],
                sandbox_id: "5b".repeat(32),
                // containerd's verbose info carries the CRI ContainerConfig
                info_extra: r#","config":{"linux":{"security_context":{"privileged":true}}}"#
                    .into(),
            },
        );
        containers.insert(
            "d2".repeat(32),
            FakeContainer {
                name: "app".into(),
                image: "registry.local:5000/team/app:2.1".into(),
                image_ref: "registry.local:5000/team/app@sha256:ef01".into(),
                // CRI-O's
                info_extra: r#","privileged":false"#.into(),
                ..FakeContainer::default()
            },
        );
        let mut pods = HashMap::new();
        pods.insert(
            "5b".repeat(32),
            FakePod {
                name: "web-5d8f".into(),
                namespace: "shop".into(),
                uid: "1111-2222".into(),
                labels: vec![
                    ("app".into(), "web".into()),
                    ("tier".into(), "front".into()),
                ],
            },
        );
        FakeCriServer::start(containers, pods)
    }

    #[test]
    fn cri_lookups_give_container_image_and_pod() {
        let server = fake();
        let cri = CriSource::new(&server.socket);
        assert!(cri.available());
        let m = cri
            .lookup(&"c1".repeat(32))
            .unwrap()
            .expect("known container");
        assert_eq!(m.name.as_deref(), Some("nginx"));
        assert_eq!(
            m.image_repository.as_deref(),
            Some("docker.io/library/nginx")
        );
        assert_eq!(m.image_digest.as_deref(), Some("sha256:abcd"));
        assert_eq!(m.image_id.as_deref(), Some("sha256:9f"));
        let pod = m.pod.expect("a pod");
        assert_eq!(pod.name, "web-5d8f");
        assert_eq!(pod.namespace, "shop");
        assert_eq!(pod.uid, "1111-2222");
        assert_eq!(pod.labels.get("app").map(String::as_str), Some("web"));
        assert_eq!(pod.sandbox_id.as_deref(), Some("5b".repeat(32).as_str()));
        assert_eq!(m.privileged, Some(true));

        let m = cri
            .lookup(&"d2".repeat(32))
            .unwrap()
            .expect("known container");
        assert_eq!(m.image.as_deref(), Some("registry.local:5000/team/app:2.1"));
        assert_eq!(m.image_tag.as_deref(), Some("2.1"));
        assert_eq!(m.image_digest.as_deref(), Some("sha256:ef01"));
        assert!(m.pod.is_none());
        assert_eq!(m.privileged, Some(false));

        assert!(cri.lookup(&"ee".repeat(32)).unwrap().is_none(), "NotFound");
        let calls = server.calls.lock().unwrap().clone();
        assert_eq!(
            calls,
            [
                CONTAINER_STATUS,
                POD_SANDBOX_STATUS,
                CONTAINER_STATUS,
                CONTAINER_STATUS
            ]
        );
        let missing = CriSource::new(Path::new("/nonexistent/cri.sock"));
        assert!(!missing.available());
        assert!(missing.lookup("x").is_err());
    }

    #[test]
    fn the_cache_fills_from_the_cri() {
        let server = fake();
        let cache = MetadataCache::new(vec![Arc::new(CriSource::new(&server.socket))]).unwrap();
        let c = ContainerRef {
            id: "c1".repeat(32),
            runtime: Runtime::Containerd,
            pod_uid: Some("1111-2222".into()),
        };
        assert!(cache.get(&c).is_none());
        let deadline = Instant::now() + Duration::from_secs(5);
        let m = loop {
            if let Some(m) = cache.get(&c) {
                break m;
            }
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(5));
        };
        assert_eq!(m.pod.as_ref().unwrap().name, "web-5d8f");
        let s = cache.stats();
        assert_eq!((s.lookups, s.found), (1, 1));
        assert!(s.latency_max_seconds > 0.0);
    }
}
