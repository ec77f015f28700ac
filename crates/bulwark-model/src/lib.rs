//! The report model every Bulwark engine speaks: findings, severities, resources, locations and
//! the versioned report.
//!
//! This crate is the contract between the engines (which produce [`Finding`]s) and the renderers
//! and integrations (which consume a [`Report`]). It also holds what several engines must read
//! alike: package URLs ([`purl`]) and timestamps ([`time`]). It does no I/O and depends on no
//! other workspace crate. The JSON form of [`Report`] is documented in `docs/report-format.md`,
//! and its JSON Schema (`docs/report.schema.json`) is generated from these types by
//! `cargo xtask codegen`.

mod analysis;
pub mod document;
mod finding;
mod fingerprint;
mod package;
pub mod purl;
mod report;
mod severity;
pub mod time;
mod vulnerability;

pub use analysis::AnalysisCheck;
pub use finding::{
    Category, CommitRef, Finding, Location, ResourceRef, Suppression, SuppressionSource, Text,
};
pub use fingerprint::Fingerprint;
pub use package::{Ecosystem, ImageReport, Package};
pub use report::{
    BySeverity, Note, NoteKind, Report, SCHEMA_VERSION, ScanError, Summary, SuppressedFinding, Tool,
};
pub use severity::{ParseSeverityError, Severity};
pub use vulnerability::{Confidence, CvssScore, FixStatus, Vulnerability};
