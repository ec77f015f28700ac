//! Renders a Bulwark report as a table, JSON or SARIF 2.1.0, and image inventories as
//! CycloneDX 1.6 or SPDX 2.3 SBOMs.
//!
//! Renderers write to any [`std::io::Write`]; they never decide where output goes or whether a
//! terminal supports colour (the binary decides and passes [`TableStyle`]).

mod sarif;
mod sbom;
mod table;

use std::io::{self, Write};

use bulwark_model::{Report, Severity};

pub use sarif::{RuleInfo, render_sarif};
pub use sbom::{render_cyclonedx, render_cyclonedx_with_vulnerabilities, render_spdx};
pub use table::{TableStyle, render_table};

/// Writes the report as pretty-printed JSON (the format of `docs/report-format.md`).
pub fn render_json(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

/// One-line totals, e.g. `3 findings (1 high, 2 low); 1 suppressed; 0 errors; 12 resources in 2 files`.
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let by: Vec<String> = Severity::ALL_DESCENDING
        .iter()
        .filter(|sev| s.by_severity.get(**sev) > 0)
        .map(|sev| format!("{} {}", s.by_severity.get(*sev), sev.as_str()))
        .collect();
    let findings = match s.findings {
        0 => "no findings".to_string(),
        1 => format!("1 finding ({})", by.join(", ")),
        n => format!("{n} findings ({})", by.join(", ")),
    };
    format!(
        "{findings}; {} suppressed; {} {}; {} {} in {} {}",
        s.suppressed,
        s.errors,
        plural(s.errors, "error", "errors"),
        s.resources,
        plural(s.resources, "resource", "resources"),
        s.files,
        plural(s.files, "file", "files"),
    )
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
