//! Bounded YAML and JSON parsing into trees that remember the line and column of every node.
//!
//! Kubernetes manifests, secret rule files and configuration files are all untrusted YAML or
//! JSON. This crate parses them the way the Kubernetes API server reads them (YAML 1.1 scalars,
//! merge keys, several documents per stream), within [`Limits`], into [`Node`] trees.

mod json;
mod node;
mod yaml;

pub use node::{Entry, Node, Pos, Scalar, ScalarStyle, Value, resolve_bool, resolve_int};

/// Parses a YAML stream into its documents, bounded by `limits`. Empty documents are dropped; a
/// broken document is an error and the others are still returned.
pub fn parse_yaml(text: &str, limits: &Limits) -> Vec<Result<Node, ParseError>> {
    yaml::parse_stream(text, limits)
}

/// Parses a stream of JSON values (one after another), bounded by `limits`. Parsing stops at
/// the first error, which is returned after the values before it.
pub fn parse_json(text: &str, limits: &Limits) -> Vec<Result<Node, ParseError>> {
    json::parse_stream(text, limits)
}

/// Bounds on untrusted input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes.
    pub max_file_size: u64,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes in one file, counting alias expansions.
    pub max_nodes: usize,
    /// Most nodes created by alias and merge-key expansion in one file.
    pub max_alias_nodes: usize,
    /// Most parse errors reported for one file before giving up on it.
    pub max_errors_per_file: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 64 * 1024 * 1024,
            max_depth: 200,
            max_nodes: 8_000_000,
            max_alias_nodes: 1_000_000,
            max_errors_per_file: 50,
        }
    }
}

/// Why a file or document could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text is not valid YAML.
    #[error("invalid YAML: {message}")]
    Yaml {
        /// The parser's description of the problem.
        message: String,
        /// Where the parser stopped.
        pos: Pos,
    },
    /// The text is not valid JSON.
    #[error("invalid JSON: {message}")]
    Json {
        /// The parser's description of the problem.
        message: String,
        /// Where the parser stopped.
        pos: Pos,
    },
    /// Mappings and sequences nest deeper than [`Limits::max_depth`].
    #[error("nesting deeper than {limit} levels")]
    TooDeep {
        /// The limit that was exceeded.
        limit: usize,
        /// The node that went past it.
        pos: Pos,
    },
    /// The file holds more nodes than the limits allow, once aliases are expanded.
    #[error(
        "more than {limit} nodes once anchors and aliases are expanded (a huge file or an alias bomb); the rest of the file is not read"
    )]
    TooManyNodes {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// An alias (`*name`) that refers to no earlier anchor (`&name`).
    #[error("alias refers to an anchor that is not defined before it")]
    UnknownAnchor {
        /// Where the alias is.
        pos: Pos,
    },
    /// The file is not UTF-8 text.
    #[error("not UTF-8 text")]
    NotUtf8 {
        /// Where the first invalid byte is.
        pos: Pos,
    },
    /// The file is larger than [`Limits::max_file_size`].
    #[error("file is {size} bytes, larger than the limit of {limit} bytes (see --max-file-size)")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The document parses but is not a usable Kubernetes object.
    #[error("{message}")]
    Invalid {
        /// What is wrong with it.
        message: String,
        /// Where.
        pos: Pos,
    },
}

impl ParseError {
    /// Where the problem is, when the error knows.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            ParseError::Yaml { pos, .. }
            | ParseError::Json { pos, .. }
            | ParseError::TooDeep { pos, .. }
            | ParseError::UnknownAnchor { pos }
            | ParseError::NotUtf8 { pos }
            | ParseError::Invalid { pos, .. } => Some(*pos),
            ParseError::TooManyNodes { .. } | ParseError::TooLarge { .. } => None,
        }
    }
}
