//! Kubernetes audit events in: what the API server writes (`audit.k8s.io/v1` `Event`s in an
//! `EventList` document, or one per line in its log backend's files), read from files — plain,
//! gzipped, rotated, followed as they grow, with offsets persisted so a restart neither loses
//! nor repeats events — and received as the API server's audit webhook backend (HTTPS, client
//! certificates). Events come out as `serde_json::Value` objects; evaluating rules on them is
//! the caller's (the CLI composes this crate with `bulwark-rules`).
//!
//! Input is untrusted: documents, lines and request bodies are bounded in size ([`Limits`]),
//! malformed events are counted and sampled, never fatal, and Secret payloads are redacted
//! on the way in ([`decode::redact`]).

pub mod decode;
pub mod files;
pub mod server;
pub mod testing;

pub use decode::{Decoded, Limits, Malformed, decode_document};

/// Why audit input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading a file or socket failed.
    #[error("{path}: {source}")]
    Io {
        /// The file (or address) involved.
        path: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A document or line exceeds the configured bound.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// The configuration is invalid (addresses, limits, state directory).
    #[error("{0}")]
    Config(String),
    /// A state file (persisted offsets) is not one this version wrote.
    #[error("{path}: not a valid state file: {reason}")]
    State {
        /// The state file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A certificate or key file holds nothing usable (no PEM block of the expected kind,
    /// broken PEM).
    #[error("{path}: {problem}")]
    Certificate {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// rustls refused the TLS configuration (a key that does not match its certificate, a
    /// client CA that cannot be used).
    #[error("TLS configuration: {what}")]
    Tls {
        /// What was being configured, naming the files.
        what: String,
        /// Why rustls refused.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
