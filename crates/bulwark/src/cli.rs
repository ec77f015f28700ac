//! The command-line interface: every flag and subcommand.

use std::path::PathBuf;

use bulwark_model::Severity;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Bulwark: one security scanner for Kubernetes and cloud-native stacks.
#[derive(Debug, Parser)]
#[command(
    name = "bulwark",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, directories or stdin for security problems.
    Scan(Box<ScanArgs>),
    /// List every check, or explain one.
    Checks(ChecksArgs),
    /// List the secret rules, or run their examples (`bulwark rules check`).
    Rules(RulesArgs),
    /// Write the software bill of materials of a container image (CycloneDX or SPDX JSON).
    Sbom(SbomArgs),
    /// Manage the vulnerability advisory database: import, update, info.
    Db(DbArgs),
    /// Who can reach whom: the allowed connections between workloads under the manifests'
    /// NetworkPolicies (and AdminNetworkPolicies, Ingresses and service-mesh policies).
    Reach(crate::cmd::reach::ReachArgs),
    /// Who can do what: the subjects RBAC allows a request (`who-can get secrets -n prod`).
    WhoCan(crate::cmd::who_can::WhoCanArgs),
    /// Watch this host's processes, files and connections with eBPF and alert on runtime
    /// threats (Falco-compatible rules and JSON alerts). Needs root.
    Sensor(Box<crate::cmd::sensor::SensorArgs>),
    /// Read Kubernetes audit logs (files, followed files, or the API server's audit webhook)
    /// and alert on control-plane threats (Falco-compatible k8s_audit rules and JSON alerts).
    Audit(Box<crate::cmd::audit::AuditArgs>),
}

/// Where the advisory database is: `--db`, else `BULWARK_DB`, else the cache directory.
#[derive(Debug, Clone, Args)]
pub struct DbLocation {
    /// The advisory database file [default: $BULWARK_DB, else
    /// $XDG_CACHE_HOME/bulwark/advisories.db, else ~/.cache/bulwark/advisories.db].
    #[arg(long, value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
}

/// Arguments of `bulwark db`.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: DbAction,

    /// Where the database is.
    #[command(flatten)]
    pub location: DbLocation,
}

/// What `bulwark db` does.
#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Import OSV advisories: a directory of JSON or YAML records, an osv.dev `all.zip`, one
    /// record file, or the URL of a zip. Every source replaces its earlier import.
    Import(DbImportArgs),
    /// Download the configured sources (osv.dev's per-ecosystem zips, or a mirror) and import
    /// them: conditional, resumable, verified.
    Update(DbUpdateArgs),
    /// Show the database's sources, record counts and age.
    Info(DbInfoArgs),
}

/// Arguments of `bulwark db import`.
#[derive(Debug, Args)]
pub struct DbImportArgs {
    /// Directories, zips, record files or URLs.
    #[arg(value_name = "PATH|URL", required = true)]
    pub sources: Vec<String>,

    /// The source name to store them under [default: the absolute path, or the URL]. Only
    /// with one source.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Import the valid records of a source that has invalid ones (each is reported) instead of
    /// refusing the whole import.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// Arguments of `bulwark db update`.
#[derive(Debug, Args)]
pub struct DbUpdateArgs {
    /// Ecosystems to download, comma-separated (`Debian,PyPI,Go`) [default: those already in
    /// the database, or every ecosystem Bulwark matches when it is empty].
    #[arg(long, value_delimiter = ',', value_name = "ECOSYSTEM")]
    pub ecosystems: Vec<String>,

    /// Download from this mirror instead of osv.dev: a URL or directory laid out like
    /// osv.dev's bucket (`MIRROR/Debian/all.zip`) [default: $BULWARK_DB_MIRROR, else osv.dev].
    #[arg(long, value_name = "URL")]
    pub mirror: Option<String>,

    /// Print nothing on stderr but errors (no progress bar).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Arguments of `bulwark db info`.
#[derive(Debug, Args)]
pub struct DbInfoArgs {
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = InfoFormat::Table)]
    pub format: InfoFormat,
}

/// Output formats of `db info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InfoFormat {
    /// For people.
    Table,
    /// JSON.
    Json,
}

/// SBOM formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// Arguments of `bulwark sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// The image: an OCI or docker archive, or an OCI layout directory.
    #[arg(value_name = "IMAGE")]
    pub image: PathBuf,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub format: SbomFormat,

    /// Write the SBOM to FILE instead of stdout (written whole or not at all).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The platform to pick from multi-platform images (default: this machine's).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
}

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// Findings grouped by file and resource, for people.
    Table,
    /// The versioned JSON report (docs/report-format.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF tools.
    Sarif,
    /// CycloneDX 1.6 JSON: the scanned images' components with their vulnerabilities.
    Cyclonedx,
}

/// Output formats of `checks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChecksFormat {
    /// A list (or, for one check, its explanation) for people.
    Table,
    /// Check metadata as JSON.
    Json,
    /// The check's documentation page in Markdown.
    Markdown,
}

/// Arguments of `bulwark scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, directories and container images (OCI or docker archives, OCI layout
    /// directories, registry references such as `registry.example.com/app:1.2`) to scan; `-`
    /// reads stdin (e.g. `helm template … | bulwark scan -`).
    /// SBOMs (CycloneDX or SPDX JSON) are scanned for vulnerabilities like images.
    #[arg(value_name = "PATH", required_unless_present_any = ["git_history", "rootfs"])]
    pub paths: Vec<PathBuf>,

    /// Scan the root file system in directory DIR like an image: its package inventory,
    /// secrets, Dockerfiles and manifests (an unpacked image, a mounted container, a VM disk).
    #[arg(long, value_name = "DIR")]
    pub rootfs: Vec<PathBuf>,

    /// Scan the whole history of the git repository REPO for secrets: every blob ever added,
    /// on any branch or tag, scanned once; each finding lists the commits and paths that added
    /// it. Combines with PATHs.
    #[arg(long, value_name = "REPO")]
    pub git_history: Option<PathBuf>,

    /// Scanners to run, comma-separated [default: all]. Available: misconfig (Kubernetes
    /// manifests, images, Dockerfiles), secret (credentials in any text file), vuln (known
    /// vulnerabilities in the packages of images, root file systems and SBOMs), network
    /// (NetworkPolicy reachability), rbac (RBAC permissions), mesh (Istio and Linkerd).
    #[arg(long, value_delimiter = ',', value_name = "SCANNER")]
    pub scanners: Vec<String>,

    /// Add the secret rules in FILE (YAML, the format of `bulwark rules`); repeatable.
    #[arg(long = "rules", value_name = "FILE")]
    pub rule_files: Vec<PathBuf>,

    /// Include the secrets themselves in the report (they are redacted by default).
    #[arg(long)]
    pub show_secrets: bool,

    /// Where the advisory database is.
    #[command(flatten)]
    pub db: DbLocation,

    /// Also match against the OSV advisories in PATH (a directory, zip or record file), read
    /// for this scan only; with no database, only against them. Repeatable.
    #[arg(long, value_name = "PATH")]
    pub advisories: Vec<PathBuf>,

    /// Report only vulnerabilities that have a fixed version.
    #[arg(long)]
    pub ignore_unfixed: bool,

    /// Suppress vulnerabilities a VEX document (OpenVEX or CycloneDX VEX JSON) says do not
    /// affect the product; repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,

    /// Vulnerability ids to ignore, one per line, with optional `exp:YYYY-MM-DD` [default:
    /// .bulwarkignore in the current directory, if present].
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,

    /// Suppress the findings whose fingerprints are in FILE (written by --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write the fingerprints of every finding of this scan to FILE, as a baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,

    /// Write the report to FILE instead of stdout (written whole or not at all).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Report only findings of these severities, comma-separated (CRITICAL,HIGH,MEDIUM,LOW,INFO).
    #[arg(long, value_delimiter = ',', value_name = "SEVERITY", value_parser = parse_severity)]
    pub severity: Vec<Severity>,

    /// Exit with this code when findings at or above --fail-on remain.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub exit_code: u8,

    /// The lowest severity that triggers --exit-code [default: info].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,

    /// Do not run these checks (ids or names, comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub skip: Vec<String>,

    /// Run only these checks (ids or names, comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub only: Vec<String>,

    /// Namespace for objects that name none (as `kubectl apply -n NS` would use).
    #[arg(long, value_name = "NS")]
    pub default_namespace: Option<String>,

    /// Configuration file [default: .bulwark.yaml in the current directory, if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore `bulwark.dev/ignore` annotations: every finding is reported (for admins).
    #[arg(long)]
    pub no_annotation_ignores: bool,

    /// Report Secrets whose `creationTimestamp` is older than this many days (K8S056;
    /// default 90, or `secret-max-age` in the configuration).
    #[arg(long, value_name = "DAYS")]
    pub secret_max_age: Option<u32>,

    /// Skip files larger than this (bytes, or with a K/M/G suffix).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    /// Print nothing on stderr but errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// The platform to pick from multi-platform images (`linux/arm64`; default: this
    /// machine's).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,

    /// Talk to registries over plain HTTP instead of HTTPS (a local test registry).
    #[arg(long)]
    pub insecure_registry: bool,

    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Explain on stderr which files were skipped and why.
    #[arg(short, long)]
    pub verbose: bool,

    /// Never colour the output (also: the NO_COLOR environment variable).
    #[arg(long)]
    pub no_color: bool,
}

/// What `bulwark rules` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesAction {
    /// List every rule.
    List,
    /// Run every secret rule's examples and negative examples, and load the built-in runtime
    /// rules; with FILEs, validate those instead (Falco runtime or audit rule files, loaded in
    /// order as the sensor would, or secret rule files). Exit 1 on any problem.
    Check,
}

/// Arguments of `bulwark rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// What to do.
    #[arg(value_enum, default_value_t = RulesAction::List)]
    pub action: RulesAction,

    /// Also load the rules in FILE; repeatable.
    #[arg(long = "rules", value_name = "FILE")]
    pub rule_files: Vec<PathBuf>,

    /// Rule files to validate with `check`.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Output format of `list`.
    #[arg(short = 'f', long, value_enum, default_value_t = ChecksFormat::Table)]
    pub format: ChecksFormat,
}

/// Arguments of `bulwark checks`.
#[derive(Debug, Args)]
pub struct ChecksArgs {
    /// Explain this check (id or name) instead of listing all.
    #[arg(value_name = "ID")]
    pub id: Option<String>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = ChecksFormat::Table)]
    pub format: ChecksFormat,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse::<Severity>().map_err(|e| e.to_string())
}

/// Parses `1048576`, `512K`, `64M`, `1G` (binary multiples).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let mult = match c.to_ascii_uppercase() {
                'K' => 1u64 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("unknown size suffix in {s:?} (use K, M or G)")),
            };
            (&t[..i], mult)
        }
        _ => (t, 1),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 1048576, 512K, 64M)"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("2K"), Ok(2048));
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert!(parse_size("1T").is_err());
        assert!(parse_size("lots").is_err());
    }
}
