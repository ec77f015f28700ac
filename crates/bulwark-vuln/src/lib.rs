//! Known vulnerabilities: OSV advisories in an embedded database, exact per-ecosystem version
//! ordering, CVSS scoring, VEX, and matching inventories to advisories.

pub mod cvss;
pub mod db;
pub mod fetch;
pub mod ignore;
pub mod import;
pub mod matcher;
pub mod osv;
pub mod purl;
pub mod version;
pub mod vex;
