//! Images in registries, pulled over the OCI distribution API: references, credentials from the
//! docker and podman auth files, anonymous, basic and bearer-token authentication.
//!
//! Blobs are streamed from the registry as the layers are read, never stored; digests are
//! verified exactly as for archives.

use std::io::Read;
use std::sync::Mutex;

use serde_json::Value;

use crate::ImageError;

/// Where an image lives in a registry: `registry.example.com:5000/team/app:1.2` or
/// `…/app@sha256:…`. Docker Hub names (`alpine`, `library/alpine:3.20`) are completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host (and port).
    pub registry: String,
    /// Repository path.
    pub repository: String,
    /// Tag or digest to pull (`latest` when neither is given).
    pub reference: String,
}

impl Reference {
    /// Parses a reference; `None` when `s` cannot be one.
    ///
    /// Short Docker Hub names (`alpine`) parse too; callers that must tell references from
    /// file names should use [`Reference::parse_qualified`].
    pub fn parse(s: &str) -> Option<Reference> {
        if s.is_empty() || s.contains(char::is_whitespace) || s.contains("://") {
            return None;
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) if d.starts_with("sha256:") && d.len() == 71 => (r, Some(d.to_string())),
            Some(_) => return None,
            None => (s, None),
        };
        let (first, remainder) = rest.split_once('/').unwrap_or(("", rest));
        // The first component is a registry when it looks like a host: it has a dot or a port,
        // or is `localhost`.
        let is_host = !first.is_empty()
            && !first.starts_with('.')
            && (first.contains('.') || first.contains(':') || first == "localhost");
        let (registry, path) = if is_host {
            let host = match first {
                "docker.io" | "index.docker.io" => "registry-1.docker.io",
                h => h,
            };
            (host.to_string(), remainder.to_string())
        } else {
            ("registry-1.docker.io".to_string(), rest.to_string())
        };
        let (path, tag) = match path.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p.to_string(), Some(t.to_string())),
            _ => (path, None),
        };
        let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c);
        // Components are lowercase alphanumerics with single separators inside: never `.`,
        // `..` or empty (those are file paths).
        let component_ok = |c: &str| {
            c.chars().next().is_some_and(|x| x.is_ascii_alphanumeric())
                && c.chars().last().is_some_and(|x| x.is_ascii_alphanumeric())
        };
        if path.is_empty() || !path.chars().all(valid) || !path.split('/').all(component_ok) {
            return None;
        }
        let repository = if registry == "registry-1.docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Some(Reference {
            registry,
            repository,
            reference: digest.or(tag).unwrap_or_else(|| "latest".to_string()),
        })
    }
}

impl Reference {
    /// Parses a reference that names its registry (`registry.example.com/app`,
    /// `docker.io/library/alpine`, `localhost:5000/app`): a mistyped file name is never taken
    /// for one.
    pub fn parse_qualified(s: &str) -> Option<Reference> {
        let first = s.split('/').next().unwrap_or_default();
        let qualified = s.contains('/')
            && !first.starts_with('.')
            && (first.contains('.') || first.contains(':') || first == "localhost");
        if qualified { Reference::parse(s) } else { None }
    }
}

/// User name and password for a registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    user: String,
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        write!(f, "Credentials({}, [redacted])", self.user)
    }
}

/// The credentials the docker and podman auth files hold for `registry`: `REGISTRY_AUTH_FILE`,
/// `$XDG_RUNTIME_DIR/containers/auth.json`, `~/.config/containers/auth.json`,
/// `~/.docker/config.json`, first match wins.
pub fn credentials_for(registry: &str) -> Option<Credentials> {
    let home = std::env::var("HOME").unwrap_or_default();
    let mut files = Vec::new();
    if let Ok(f) = std::env::var("REGISTRY_AUTH_FILE") {
        files.push(f);
    }
    if let Ok(d) = std::env::var("XDG_RUNTIME_DIR") {
        files.push(format!("{d}/containers/auth.json"));
    }
    files.push(format!("{home}/.config/containers/auth.json"));
    files.push(format!("{home}/.docker/config.json"));
    credentials_from(&files, registry)
}

/// The credentials for `registry` in the first of `files` that has some.
fn credentials_from(files: &[String], registry: &str) -> Option<Credentials> {
    let hub = registry == "registry-1.docker.io";
    for f in files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let Some(auths) = doc["auths"].as_object() else {
            continue;
        };
        for (key, entry) in auths {
            let host = key
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .split('/')
                .next()
                .unwrap_or_default();
            let matches =
                host == registry || (hub && (host == "docker.io" || host == "index.docker.io"));
            if !matches {
                continue;
            }
            if let Some(encoded) = entry["auth"].as_str()
                && let Some(decoded) = base64_decode(encoded)
                && let Some((user, password)) = decoded.split_once(':')
            {
                return Some(Credentials {
                    user: user.to_string(),
                    password: password.to_string(),
                });
            }
            if let (Some(u), Some(p)) = (entry["username"].as_str(), entry["password"].as_str()) {
                return Some(Credentials {
                    user: u.to_string(),
                    password: p.to_string(),
                });
            }
        }
    }
    None
}

fn base64_decode(s: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()?;
    String::from_utf8(bytes).ok()
}

fn base64_encode(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A connection to one repository of a registry.
#[derive(Debug)]
pub(crate) struct Client {
    agent: ureq::Agent,
    base: String,
    pub(crate) reference: Reference,
    credentials: Option<Credentials>,
    /// The `Authorization` header value that worked last (basic or a bearer token).
    authorization: Mutex<Option<String>>,
}

/// Media types a registry may answer a manifest request with.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
                      application/vnd.oci.image.manifest.v1+json, \
                      application/vnd.docker.distribution.manifest.list.v2+json, \
                      application/vnd.docker.distribution.manifest.v2+json";

impl Client {
    /// A client for `reference`; `insecure` speaks plain HTTP.
    pub(crate) fn new(reference: Reference, insecure: bool) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(std::time::Duration::from_secs(15))
            .timeout_read(std::time::Duration::from_secs(120))
            .redirects(5)
            .build();
        let scheme = if insecure { "http" } else { "https" };
        let credentials = credentials_for(&reference.registry);
        Client {
            agent,
            base: format!("{scheme}://{}", reference.registry),
            reference,
            credentials,
            authorization: Mutex::new(None),
        }
    }

    fn error(&self, what: &str, message: String) -> ImageError {
        ImageError::Registry {
            what: format!(
                "{}/{} {what}",
                self.reference.registry, self.reference.repository
            ),
            message,
        }
    }

    /// GETs `path` (under `/v2/<repository>/`), authenticating as the registry asks.
    fn get(&self, path: &str, accept: Option<&str>) -> Result<ureq::Response, ImageError> {
        let url = format!("{}/v2/{}/{path}", self.base, self.reference.repository);
        for attempt in 0..2 {
            let mut req = self.agent.get(&url);
            if let Some(a) = accept {
                req = req.set("Accept", a);
            }
            if let Some(auth) = self.authorization.lock().ok().and_then(|g| g.clone()) {
                req = req.set("Authorization", &auth);
            }
            match req.call() {
                Ok(resp) => return Ok(resp),
                Err(ureq::Error::Status(401, resp)) if attempt == 0 => {
                    let challenge = resp
                        .header("WWW-Authenticate")
                        .unwrap_or_default()
                        .to_string();
                    let auth = self.authenticate(&challenge)?;
                    if let Ok(mut g) = self.authorization.lock() {
                        *g = Some(auth);
                    }
                }
                Err(ureq::Error::Status(code, resp)) => {
                    let body = resp.into_string().unwrap_or_default();
                    return Err(self.error(
                        path,
                        format!(
                            "HTTP {code}: {}",
                            body.chars().take(200).collect::<String>()
                        ),
                    ));
                }
                Err(e) => return Err(self.error(path, e.to_string())),
            }
        }
        Err(self.error(path, "authentication was refused".to_string()))
    }

    /// Answers a `WWW-Authenticate` challenge: basic credentials, or a bearer token fetched
    /// from the realm (with the credentials, when there are any).
    fn authenticate(&self, challenge: &str) -> Result<String, ImageError> {
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let c = self.credentials.as_ref().ok_or_else(|| {
                self.error(
                    "",
                    "the registry needs credentials (docker login)".to_string(),
                )
            })?;
            return Ok(format!(
                "Basic {}",
                base64_encode(&format!("{}:{}", c.user, c.password))
            ));
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(self.error("", format!("unsupported authentication {scheme:?}")));
        }
        let param = |name: &str| -> Option<String> {
            params.split(',').find_map(|kv| {
                let (k, v) = kv.trim().split_once('=')?;
                (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
            })
        };
        let realm = param("realm")
            .ok_or_else(|| self.error("", "bearer challenge without realm".to_string()))?;
        let mut req = self.agent.get(&realm);
        if let Some(service) = param("service") {
            req = req.query("service", &service);
        }
        let scope = param("scope")
            .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository));
        req = req.query("scope", &scope);
        if let Some(c) = &self.credentials {
            req = req.set(
                "Authorization",
                &format!(
                    "Basic {}",
                    base64_encode(&format!("{}:{}", c.user, c.password))
                ),
            );
        }
        let body: Value = req
            .call()
            .map_err(|e| self.error("token", e.to_string()))?
            .into_json()
            .map_err(|e| self.error("token", e.to_string()))?;
        let token = body["token"]
            .as_str()
            .or_else(|| body["access_token"].as_str())
            .ok_or_else(|| self.error("token", "no token in the answer".to_string()))?;
        Ok(format!("Bearer {token}"))
    }

    /// A manifest or index by tag or digest, at most `max` bytes.
    pub(crate) fn manifest(&self, reference: &str, max: u64) -> Result<Vec<u8>, ImageError> {
        let resp = self.get(&format!("manifests/{reference}"), Some(ACCEPT))?;
        let mut out = Vec::new();
        resp.into_reader()
            .take(max + 1)
            .read_to_end(&mut out)
            .map_err(|e| self.error("manifest", e.to_string()))?;
        if out.len() as u64 > max {
            return Err(self.error("manifest", format!("larger than {max} bytes")));
        }
        Ok(out)
    }

    /// A blob, streamed, with its size when the registry says it.
    pub(crate) fn blob(&self, digest: &str) -> Result<(Box<dyn Read + Send>, u64), ImageError> {
        let resp = self.get(&format!("blobs/{digest}"), None)?;
        let size = resp
            .header("Content-Length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        Ok((Box::new(resp.into_reader()), size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let r = |s: &str| Reference::parse(s).map(|r| (r.registry, r.repository, r.reference));
        assert_eq!(
            r("alpine"),
            Some((
                "registry-1.docker.io".into(),
                "library/alpine".into(),
                "latest".into()
            ))
        );
        assert_eq!(
            r("127.0.0.1:5000/team/app:1.2"),
            Some(("127.0.0.1:5000".into(), "team/app".into(), "1.2".into()))
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            r(&format!("registry.example.com/app@{d}")),
            Some(("registry.example.com".into(), "app".into(), d.clone()))
        );
        assert_eq!(
            r("localhost/app"),
            Some(("localhost".into(), "app".into(), "latest".into()))
        );
        assert_eq!(
            r("docker.io/alpine:3.20"),
            Some((
                "registry-1.docker.io".into(),
                "library/alpine".into(),
                "3.20".into()
            ))
        );
        assert!(Reference::parse_qualified("alpine").is_none());
        assert!(Reference::parse_qualified("deploy.yaml").is_none());
        assert!(Reference::parse_qualified("./x/y.yaml").is_none());
        assert!(Reference::parse_qualified("ghcr.io/org/app:1").is_some());
        for bad in [
            "",
            "Upper/Case",
            "a b",
            "https://x/y",
            "x@md5:1",
            "./deploy.yaml",
            "/abs/path",
        ] {
            assert_eq!(r(bad), None, "{bad}");
        }
    }

    #[test]
    fn credentials_come_from_auth_files() {
        let dir = std::env::temp_dir().join(format!("bulwark-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("auth.json");
        std::fs::write(
            &file,
            r#"{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"},"https://index.docker.io/v1/":{"username":"hub","password":"pw"}}}"#,
        )
        .expect("write");
        let files = vec![
            dir.join("missing.json").display().to_string(),
            file.display().to_string(),
        ];
        let c = credentials_from(&files, "registry.example.com").expect("found");
        assert_eq!((c.user.as_str(), c.password.as_str()), ("user", "pass"));
        assert!(!format!("{c:?}").contains("pass"));
        let hub = credentials_from(&files, "registry-1.docker.io").expect("hub");
        assert_eq!(hub.user, "hub");
        assert!(credentials_from(&files, "other.example.com").is_none());
    }
}
