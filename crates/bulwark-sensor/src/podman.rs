//! Podman's REST API over its unix socket: `GET /v4.0.0/libpod/containers/{id}/json`
//! (HTTP/1.1, `Connection: close`, a plain or chunked body).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::container::Runtime;
use crate::metadata::{ContainerMetadata, LookupError, MetadataSource, PodMetadata};

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(2);
/// The largest answer read.
const MAX_BODY: u64 = 16 << 20;

/// Podman's API at a unix socket (`podman system service`, or `podman.socket` under systemd).
#[derive(Clone, Debug)]
pub struct PodmanSource {
    socket: PathBuf,
}

impl PodmanSource {
    /// The API at `socket`.
    pub fn new(socket: &Path) -> PodmanSource {
        PodmanSource {
            socket: socket.to_path_buf(),
        }
    }

    fn io(&self, error: std::io::Error) -> LookupError {
        LookupError::Io {
            source_name: "podman",
            socket: self.socket.clone(),
            error,
        }
    }

    fn protocol(message: String) -> LookupError {
        LookupError::Protocol {
            source_name: "podman",
            message,
        }
    }
}

/// An HTTP/1.1 GET over a unix socket: (status, body).
pub(crate) fn http_get(socket: &Path, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = UnixStream::connect(socket)?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: d\r\nUser-Agent: bulwark-sensor\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.take(MAX_BODY).read_to_end(&mut raw)?;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed HTTP answer")
    })
}

/// Splits an HTTP/1.1 response into status and (de-chunked) body.
pub(crate) fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let mut chunked = false;
    let mut length = None;
    for l in lines {
        let (k, v) = l.split_once(':')?;
        let v = v.trim();
        if k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if k.eq_ignore_ascii_case("content-length") {
            length = v.parse::<usize>().ok();
        }
    }
    let body = &raw[end + 4..];
    if !chunked {
        let n = length.unwrap_or(body.len()).min(body.len());
        return Some((status, body[..n].to_vec()));
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Some((status, out));
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

fn labels(v: &serde_json::Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Metadata from podman's container inspect JSON.
pub(crate) fn from_inspect(id: &str, v: &serde_json::Value) -> ContainerMetadata {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut m = ContainerMetadata {
        id: s("/Id").unwrap_or_else(|| id.to_string()),
        source: "podman".into(),
        name: s("/Name").map(|n| n.trim_start_matches('/').to_string()),
        image_digest: s("/ImageDigest"),
        image_id: s("/Image"),
        privileged: v
            .pointer("/HostConfig/Privileged")
            .and_then(serde_json::Value::as_bool),
        labels: labels(
            v.pointer("/Config/Labels")
                .unwrap_or(&serde_json::Value::Null),
        ),
        ..ContainerMetadata::default()
    };
    if let Some(image) = s("/ImageName").or_else(|| s("/Config/Image")) {
        m.set_image(&image);
    }
    // `podman kube play` and CRI-style labels or annotations name the pod
    let mut k8s = m.labels.clone();
    k8s.extend(labels(
        v.pointer("/Config/Annotations")
            .unwrap_or(&serde_json::Value::Null),
    ));
    m.pod = PodMetadata::from_container_labels(&k8s);
    m
}

impl MetadataSource for PodmanSource {
    fn name(&self) -> &'static str {
        "podman"
    }

    fn handles(&self, runtime: Runtime) -> bool {
        matches!(runtime, Runtime::Podman | Runtime::Unknown)
    }

    fn available(&self) -> bool {
        self.socket.exists()
    }

    fn lookup(&self, id: &str) -> Result<Option<ContainerMetadata>, LookupError> {
        if !id.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Self::protocol(format!("not a container id: {id:?}")));
        }
        let (status, body) = http_get(
            &self.socket,
            &format!("/v4.0.0/libpod/containers/{id}/json"),
        )
        .map_err(|e| self.io(e))?;
        match status {
            200 => {
                let v: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| Self::protocol(format!("inspect JSON: {e}")))?;
                Ok(Some(from_inspect(id, &v)))
            }
            404 => Ok(None),
            other => Err(Self::protocol(format!(
                "HTTP {other}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_parse_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain), Some((200, b"{}".to_vec())));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((404, b"abcde".to_vec())));
        assert_eq!(parse_response(b"garbage"), None);
    }

    #[test]
    fn inspect_json_maps_to_metadata() {
        let v = serde_json::json!({
            "Id": "ab".repeat(32),
            "Name": "web",
            "Image": "cd".repeat(32),
            "ImageName": "localhost/alpine-base:latest",
            "ImageDigest": "sha256:1234",
            "HostConfig": {"Privileged": true},
            "Config": {
                "Labels": {"app": "shop"},
                "Annotations": {
                    "io.kubernetes.pod.name": "shop-7d9",
                    "io.kubernetes.pod.namespace": "prod",
                    "io.kubernetes.pod.uid": "u-1"
                }
            }
        });
        let m = from_inspect("x", &v);
        assert_eq!(m.name.as_deref(), Some("web"));
        assert_eq!(m.image.as_deref(), Some("localhost/alpine-base:latest"));
        assert_eq!(m.image_repository.as_deref(), Some("localhost/alpine-base"));
        assert_eq!(m.image_tag.as_deref(), Some("latest"));
        assert_eq!(m.image_digest.as_deref(), Some("sha256:1234"));
        assert_eq!(m.labels.get("app").map(String::as_str), Some("shop"));
        assert_eq!(m.privileged, Some(true));
        let pod = m.pod.unwrap();
        assert_eq!(
            (pod.name.as_str(), pod.namespace.as_str(), pod.uid.as_str()),
            ("shop-7d9", "prod", "u-1")
        );
    }
}
