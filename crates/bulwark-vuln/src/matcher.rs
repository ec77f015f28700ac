//! Matching an inventory against the advisory database.
//!
//! - Distribution packages match the distribution's own advisories, by release and SOURCE
//!   package with the source version (`Debian:12` / `openssl` / `3.0.20-1~deb12u2` for
//!   `libssl3`), never upstream ranges: distributions backport fixes without changing the
//!   upstream version. The release comes from the purl's `distro` qualifier.
//! - Language packages match by ecosystem and normalised name.
//! - Ranges are evaluated as the OSV specification says: events sorted by the ecosystem's
//!   ordering (`SEMVER` ranges by Semantic Versioning; Go's by Go's), `introduced`/`fixed`/
//!   `last_affected`, `limit` bounding the range from above, several ranges united, and
//!   explicit `versions` lists.
//! - Matches of one package whose ids or aliases overlap (a CVE from the distribution and the
//!   same CVE from GHSA) are one finding listing every advisory.
//! - Language packages an OS package installed (Debian's `python3-pip`) are the OS package's
//!   business: they are not matched against the language ecosystem's upstream ranges.
//! - The Go standard library inside a binary an OS package installed is the exception: it is
//!   matched, with low confidence, because the distribution's advisories do not name it and
//!   distributions patch Go without changing the toolchain version.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use bulwark_model::purl::Purl;
use bulwark_model::{
    Category, Confidence, CvssScore, Ecosystem, Finding, Fingerprint, FixStatus, Location, Package,
    Severity, Vulnerability,
};

use crate::db::{Database, DbError};
use crate::osv::{
    Event, RangeKind, StoredAdvisory, StoredAffected, StoredRange, VendorStatus,
    canonical_ecosystem, normalise_name,
};
use crate::version::Scheme;

/// What matching did besides finding vulnerabilities.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MatchStats {
    /// Packages looked up.
    pub packages: usize,
    /// Distribution packages whose release is unknown (no `distro` qualifier): they cannot be
    /// matched without guessing.
    pub no_distro: usize,
    /// Packages of ecosystems the database has no advisories for, by ecosystem.
    pub unsupported: Vec<String>,
    /// Advisories that matched.
    pub matched_advisories: usize,
    /// Matches a distribution marked "not affected".
    pub vendor_not_affected: usize,
    /// Language packages an OS package installed, left to the OS package's advisories
    /// (Debian's `python3-pip` is not matched against PyPI advisories).
    pub os_owned: usize,
    /// Matches of informational records (RustSec `unmaintained`, `unsound`, `notice`): not
    /// vulnerabilities, so not reported.
    pub informational: usize,
}

/// The key a package is looked up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LookupKey {
    /// The canonical OSV ecosystem (`Debian:12`, `PyPI`).
    pub ecosystem: String,
    /// The normalised name (the source package for distributions).
    pub name: String,
    /// The version compared (the source version for distributions).
    pub version: String,
}

/// The OSV ecosystem of a distribution, from a purl `distro` qualifier's (decoded) value
/// (`debian-12`, `alpine-3.18.9`, `ubuntu-22.04`, `wolfi`).
pub fn distro_ecosystem(distro: &str) -> Option<String> {
    let distro = distro.to_ascii_lowercase();
    let (id, version) = match distro.split_once('-') {
        Some((id, v)) => (id.to_owned(), v.to_owned()),
        None => (distro.clone(), String::new()),
    };
    let major_minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    let major = |v: &str| v.split('.').next().unwrap_or("").to_owned();
    Some(match id.as_str() {
        "debian" if !version.is_empty() => format!("Debian:{}", major(&version)),
        "ubuntu" if !version.is_empty() => format!("Ubuntu:{}", major_minor(&version)),
        "alpine" if !version.is_empty() => format!("Alpine:v{}", major_minor(&version)),
        "wolfi" => "Wolfi".to_owned(),
        "chainguard" => "Chainguard".to_owned(),
        "rocky" if !version.is_empty() => format!("Rocky Linux:{}", major(&version)),
        "almalinux" if !version.is_empty() => format!("AlmaLinux:{}", major(&version)),
        "mageia" if !version.is_empty() => format!("Mageia:{}", major(&version)),
        "opensuse" if version.starts_with("leap-") => {
            format!("openSUSE:Leap {}", version.trim_start_matches("leap-"))
        }
        _ => return None,
    })
}

/// How a package is looked up, or `None` when it cannot be (a distribution package without a
/// known release).
pub fn lookup_key(package: &Package) -> Option<LookupKey> {
    let language = |ecosystem: &str| LookupKey {
        ecosystem: ecosystem.to_owned(),
        name: normalise_name(ecosystem, &package.name),
        version: package.version.clone(),
    };
    Some(match package.ecosystem {
        Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => {
            let purl = Purl::parse(&package.purl).ok()?;
            let ecosystem = distro_ecosystem(purl.qualifier("distro")?)?;
            let name = package.source_name.as_deref().unwrap_or(&package.name);
            let version = package
                .source_version
                .as_deref()
                .unwrap_or(&package.version);
            LookupKey {
                name: normalise_name(&ecosystem, name),
                version: version.to_owned(),
                ecosystem,
            }
        }
        Ecosystem::Pypi => language("PyPI"),
        Ecosystem::Npm => language("npm"),
        Ecosystem::Cargo => language("crates.io"),
        Ecosystem::Golang => language("Go"),
        Ecosystem::Maven => language("Maven"),
        Ecosystem::Gem => language("RubyGems"),
        Ecosystem::Composer => language("Packagist"),
        Ecosystem::Nuget => language("NuGet"),
    })
}

/// Whether `version` is affected by one range, and the version that fixes it if one is named.
///
/// The OSV evaluation: events sorted by version (`introduced: 0` first), a version is affected
/// after an `introduced` at or below it until a `fixed` at or below it or a `last_affected`
/// below it; a `limit` bounds the range from above.
pub fn range_affects(scheme: Scheme, range: &StoredRange, version: &str) -> Option<Option<String>> {
    let scheme = match range.kind {
        RangeKind::Ecosystem => scheme,
        RangeKind::Semver if scheme == Scheme::Go => Scheme::Go,
        RangeKind::Semver => Scheme::Semver,
    };
    let cmp = |a: &str, b: &str| -> Ordering {
        match (a == "0", b == "0") {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => scheme.compare(a, b),
        }
    };
    let mut events: Vec<&Event> = range.events.iter().collect();
    sort_tolerantly(&mut events, |a, b| cmp(a.version(), b.version()));
    let limits: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Limit(l) => Some(l.as_str()),
            _ => None,
        })
        .collect();
    if !limits.is_empty()
        && !limits
            .iter()
            .any(|l| *l == "*" || cmp(version, l) == Ordering::Less)
    {
        return None;
    }
    let mut affected = false;
    for e in &events {
        match e {
            Event::Introduced(i) if i == "0" || cmp(version, i) != Ordering::Less => {
                affected = true;
            }
            Event::Fixed(f) if cmp(version, f) != Ordering::Less => affected = false,
            Event::LastAffected(l) if cmp(version, l) == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    if !affected {
        return None;
    }
    let fixed = events.iter().find_map(|e| match e {
        Event::Fixed(f) if cmp(version, f) == Ordering::Less => Some(f.clone()),
        _ => None,
    });
    Some(fixed)
}

/// Sorts stably by `cmp`, as `sort_by` does, but without trusting `cmp` to be a total order:
/// `sort_by` may panic when it is not, and Maven's order is not transitive on odd versions
/// (nor is `ComparableVersion`), nor Packagist's with a `#` (nor PHP's `version_compare`).
/// Such an order gives some order of the items, never a panic. A bottom-up merge sort.
fn sort_tolerantly<T: Copy>(items: &mut Vec<T>, cmp: impl Fn(T, T) -> Ordering) {
    let mut merged = Vec::with_capacity(items.len());
    let mut width = 1;
    while width < items.len() {
        merged.clear();
        for chunk in items.chunks(2 * width) {
            let (left, right) = chunk.split_at(width.min(chunk.len()));
            let (mut l, mut r) = (0, 0);
            while l < left.len() && r < right.len() {
                // Ties take the left item, which keeps the sort stable.
                if cmp(right[r], left[l]) == Ordering::Less {
                    merged.push(right[r]);
                    r += 1;
                } else {
                    merged.push(left[l]);
                    l += 1;
                }
            }
            merged.extend_from_slice(&left[l..]);
            merged.extend_from_slice(&right[r..]);
        }
        std::mem::swap(items, &mut merged);
        width *= 2;
    }
}

/// One advisory's verdict on one package: affected or not, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The lowest fixed version above the installed one, when the advisory names one.
    pub fixed: Option<String>,
    /// The distribution's status, when it gives one.
    pub vendor: Option<VendorStatus>,
}

/// Whether an `affected` entry covers `version`.
pub fn entry_affects(scheme: Scheme, entry: &StoredAffected, version: &str) -> Option<Verdict> {
    let mut hit = false;
    let mut fixed: Option<String> = None;
    for range in &entry.ranges {
        if let Some(f) = range_affects(scheme, range, version) {
            hit = true;
            if let Some(f) = f {
                let lower = fixed
                    .as_deref()
                    .is_none_or(|cur| scheme.compare(&f, cur) == Ordering::Less);
                if lower {
                    fixed = Some(f);
                }
            }
        }
    }
    if !hit
        && entry
            .versions
            .iter()
            .any(|v| v == version || scheme.compare(v, version) == Ordering::Equal)
    {
        hit = true;
    }
    if !hit && entry.ranges.is_empty() && entry.versions.is_empty() && entry.status.is_some() {
        // A status without versions: the distribution's statement about every version.
        hit = true;
    }
    hit.then_some(Verdict {
        fixed,
        vendor: entry.status,
    })
}

struct RawMatch {
    advisory: StoredAdvisory,
    entry: StoredAffected,
    verdict: Verdict,
}

/// Matches packages against one or more databases and returns one finding per (package,
/// vulnerability). `target` names the scanned image or SBOM in each finding's location.
pub fn scan(
    dbs: &[&Database],
    packages: &[Package],
    target: &str,
) -> Result<(Vec<Finding>, MatchStats), DbError> {
    let mut stats = MatchStats::default();
    let mut known: BTreeSet<String> = BTreeSet::new();
    for db in dbs {
        known.extend(db.ecosystem_names()?);
    }
    let mut unsupported: BTreeSet<String> = BTreeSet::new();
    let mut cache: HashMap<(String, String), Vec<StoredAffected>> = HashMap::new();
    let mut advisories: HashMap<String, Option<StoredAdvisory>> = HashMap::new();
    let mut matched_ids: BTreeSet<String> = BTreeSet::new();
    let mut findings = Vec::new();
    for package in packages {
        stats.packages += 1;
        let is_os = matches!(
            package.ecosystem,
            Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm
        );
        let go_stdlib = package.ecosystem == Ecosystem::Golang && package.name == "stdlib";
        if package.os_owned && !is_os && !go_stdlib {
            stats.os_owned += 1;
            continue;
        }
        let Some(key) = lookup_key(package) else {
            stats.no_distro += 1;
            continue;
        };
        if !known.contains(&key.ecosystem) {
            unsupported.insert(key.ecosystem.clone());
            continue;
        }
        let Some(scheme) = Scheme::for_ecosystem(&key.ecosystem) else {
            continue;
        };
        let entries = match cache.entry((key.ecosystem.clone(), key.name.clone())) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let mut all = Vec::new();
                for db in dbs {
                    all.extend(db.affected(&key.ecosystem, &key.name)?);
                }
                v.insert(all)
            }
        };
        let mut raw = Vec::new();
        for entry in entries.iter() {
            let Some(verdict) = entry_affects(scheme, entry, &key.version) else {
                continue;
            };
            if verdict.vendor == Some(VendorStatus::NotAffected) {
                stats.vendor_not_affected += 1;
                continue;
            }
            let advisory = if let Some(a) = advisories.get(&entry.advisory) {
                a.clone()
            } else {
                let mut found = None;
                for db in dbs {
                    if let Some(a) = db.advisory(&entry.advisory)? {
                        found = Some(a);
                        break;
                    }
                }
                advisories.insert(entry.advisory.clone(), found.clone());
                found
            };
            let Some(advisory) = advisory else { continue };
            if advisory.informational.is_some() {
                stats.informational += 1;
                continue;
            }
            matched_ids.insert(advisory.id.clone());
            raw.push(RawMatch {
                advisory,
                entry: entry.clone(),
                verdict,
            });
        }
        findings.extend(merge(package, &key, scheme, &raw, target));
    }
    stats.unsupported = unsupported.into_iter().collect();
    stats.matched_advisories = matched_ids.len();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| location_of(a).cmp(&location_of(b)))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok((findings, stats))
}

fn location_of(f: &Finding) -> (&str, &str) {
    let v = f.vulnerability.as_deref();
    (
        v.map_or("", |v| v.package.as_str()),
        v.map_or("", |v| v.installed_version.as_str()),
    )
}

/// The root of `i` in a union-find forest, compressing the path.
fn find_root(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        r = parent[r];
    }
    let mut j = i;
    while parent[j] != r {
        let next = parent[j];
        parent[j] = r;
        j = next;
    }
    r
}

/// Groups one package's matches whose ids overlap, and makes one finding per group.
fn merge(
    package: &Package,
    key: &LookupKey,
    scheme: Scheme,
    raw: &[RawMatch],
    target: &str,
) -> Vec<Finding> {
    // Union-find over matches sharing an id or alias.
    let mut parent: Vec<usize> = (0..raw.len()).collect();
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, m) in raw.iter().enumerate() {
        for id in std::iter::once(&m.advisory.id).chain(&m.advisory.aliases) {
            if let Some(&j) = owner.get(id.as_str()) {
                let (a, b) = (find_root(&mut parent, i), find_root(&mut parent, j));
                parent[a] = b;
            } else {
                owner.insert(id.as_str(), i);
            }
        }
    }
    let mut groups: HashMap<usize, Vec<&RawMatch>> = HashMap::new();
    for (i, m) in raw.iter().enumerate() {
        let root = find_root(&mut parent, i);
        groups.entry(root).or_default().push(m);
    }
    let mut out: Vec<Finding> = groups
        .into_values()
        .map(|group| finding(package, key, scheme, &group, target))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn finding(
    package: &Package,
    key: &LookupKey,
    scheme: Scheme,
    group: &[&RawMatch],
    target: &str,
) -> Finding {
    let mut advisories: Vec<String> = group.iter().map(|m| m.advisory.id.clone()).collect();
    advisories.sort();
    advisories.dedup();
    let mut names: BTreeSet<String> = BTreeSet::new();
    for m in group {
        names.insert(m.advisory.id.clone());
        names.extend(m.advisory.aliases.iter().cloned());
    }
    // Report under the CVE when there is one (the name users search for), else the
    // lowest advisory id.
    let id = names
        .iter()
        .find(|n| n.starts_with("CVE-"))
        .cloned()
        .unwrap_or_else(|| advisories[0].clone());
    let aliases: Vec<String> = names.into_iter().filter(|n| *n != id).collect();

    // The fix: when advisories disagree, the highest fixed version any of them names (each
    // advisory's fix is needed); no fix only when none names one.
    let mut fixed: Option<String> = None;
    let mut unfixed = false;
    let mut will_not_fix = false;
    for m in group {
        if let Some(f) = &m.verdict.fixed {
            if fixed
                .as_deref()
                .is_none_or(|cur| scheme.compare(f, cur) == Ordering::Greater)
            {
                fixed = Some(f.clone());
            }
        } else {
            unfixed = true;
            will_not_fix |= m.verdict.vendor == Some(VendorStatus::WillNotFix);
        }
    }
    let (status, fixed) = if unfixed && fixed.is_none() {
        (
            if will_not_fix {
                FixStatus::WillNotFix
            } else {
                FixStatus::Affected
            },
            None,
        )
    } else {
        (FixStatus::Fixed, fixed)
    };

    let mut cvss: Vec<CvssScore> = Vec::new();
    for m in group {
        for s in m.entry.severity.iter().chain(&m.advisory.severity) {
            if !s.kind.starts_with("CVSS") {
                continue;
            }
            let Ok(parsed) = crate::cvss::parse(&s.score) else {
                continue;
            };
            if cvss.iter().any(|c| c.vector == parsed.vector) {
                continue;
            }
            cvss.push(CvssScore {
                version: parsed.version.as_str().to_owned(),
                vector: parsed.vector.clone(),
                score: parsed.base_score,
                severity: parsed.severity(),
                source: m.advisory.id.clone(),
            });
        }
    }
    cvss.sort_by(|a, b| {
        b.version
            .cmp(&a.version)
            .then(b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal))
    });
    let vendor_severity = group.iter().find_map(|m| m.entry.vendor_severity.clone());
    let severity = cvss.first().map_or_else(
        || {
            vendor_severity
                .as_deref()
                .map_or(Severity::Medium, vendor_rating)
        },
        |c| c.severity,
    );

    let (confidence, confidence_reason) =
        if package.ecosystem == Ecosystem::Golang && package.name == "stdlib" && package.os_owned {
            (
                Confidence::Low,
                Some(
                    "the Go standard library of a binary an OS package installed: distributions \
                 backport Go fixes without changing the toolchain version"
                        .to_owned(),
                ),
            )
        } else {
            (Confidence::High, None)
        };

    let mut references: Vec<String> = Vec::new();
    for m in group {
        for r in &m.advisory.references {
            if !references.contains(r) && references.len() < 10 {
                references.push(r.clone());
            }
        }
    }
    let summary = group.iter().find_map(|m| m.advisory.summary.clone());
    let published = group
        .iter()
        .filter_map(|m| m.advisory.published.clone())
        .min();
    let is_os = matches!(
        package.ecosystem,
        Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm
    );
    let source_package = is_os
        .then(|| key.name.clone())
        .filter(|n| *n != package.name);
    let source_version = is_os
        .then(|| key.version.clone())
        .filter(|v| *v != package.version);

    let shown_version = match &source_version {
        Some(sv) => format!("{} (source {} {sv})", package.version, key.name),
        None if source_package.is_some() => {
            format!("{} (source {})", package.version, key.name)
        }
        None => package.version.clone(),
    };
    let message = match (status, &fixed) {
        (FixStatus::Fixed, Some(f)) => format!(
            "{} {shown_version} is affected by {id}; fixed in {f}",
            package.name
        ),
        (FixStatus::WillNotFix, _) => format!(
            "{} {shown_version} is affected by {id}; the distribution will not fix it",
            package.name
        ),
        _ => format!(
            "{} {shown_version} is affected by {id}; no fix is available yet",
            package.name
        ),
    };
    // Both ratings, where there are: the computed CVSS score and the distribution's own.
    let mut ratings: Vec<String> = Vec::new();
    if let Some(c) = cvss.first() {
        ratings.push(format!("CVSS {} {:.1}", c.version, c.score));
    }
    if let Some(v) = &vendor_severity {
        ratings.push(v.clone());
    }
    if confidence == Confidence::Low {
        ratings.push("low confidence".to_owned());
    }
    let message = if ratings.is_empty() {
        message
    } else {
        format!("{message} ({})", ratings.join("; "))
    };
    let remediation = match (&fixed, is_os) {
        (Some(f), true) => format!(
            "Rebuild the image on a base with {} {f} or later (upgrade the {} package); replace running containers rather than patching them.",
            key.name, package.name
        ),
        (Some(f), false) => format!("Upgrade {} to {f} or later.", package.name),
        (None, _) => "No fixed version exists: assess exposure, mitigate, or record the decision in a VEX document or .bulwarkignore with an expiry date.".to_owned(),
    };
    let location_path = if package.location.is_empty() || package.location == target {
        target.to_owned()
    } else {
        format!("{target}!{}", package.location)
    };
    Finding {
        fingerprint: Fingerprint::new("vulnerability")
            .part(&id)
            .part(package.ecosystem.purl_type())
            .part(&package.name)
            .part(&location_path)
            .finish(),
        id: id.clone().into(),
        check: None,
        category: Category::Vulnerability,
        severity,
        title: summary
            .clone()
            .unwrap_or_else(|| format!("{id} in {}", package.name))
            .into(),
        message,
        resource: None,
        location: Some(Location {
            path: Arc::from(location_path.as_str()),
            line: None,
            column: None,
            field: Some(format!("{}@{}", package.name, package.version)),
        }),
        standards: Vec::new(),
        remediation: remediation.into(),
        secret: None,
        commits: Vec::new(),
        vulnerability: Some(Box::new(Vulnerability {
            id,
            advisories,
            aliases,
            package: package.name.clone(),
            ecosystem: package.ecosystem,
            purl: package.purl.clone(),
            installed_version: package.version.clone(),
            source_package,
            source_version,
            fixed_version: fixed,
            status,
            confidence,
            confidence_reason,
            cvss,
            vendor_severity,
            summary,
            references,
            package_location: package.location.clone(),
            layer: package.layer.clone(),
            published,
        })),
    }
}

/// A distribution's rating as a severity: Debian urgencies (`low` … `emergency`), Ubuntu
/// priorities (`negligible` … `critical`), GHSA (`LOW` … `CRITICAL`), Red Hat (`moderate`,
/// `important`). Unknown or unassigned ratings count as medium.
pub fn vendor_rating(vendor: &str) -> Severity {
    let rating = vendor.rsplit(": ").next().unwrap_or(vendor);
    match rating.trim() {
        "critical" | "emergency" => Severity::Critical,
        "high" | "important" => Severity::High,
        "low" | "negligible" | "unimportant" => Severity::Low,
        _ => Severity::Medium,
    }
}

/// The OSV ecosystem a package would be looked up in, for messages.
pub fn ecosystem_of(package: &Package) -> Option<String> {
    lookup_key(package).map(|k| canonical_ecosystem(&k.ecosystem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::SourceInfo;
    use crate::osv::{parse_json, reduce};

    fn range(kind: RangeKind, events: &[(&str, &str)]) -> StoredRange {
        StoredRange {
            kind,
            events: events
                .iter()
                .map(|(k, v)| match *k {
                    "introduced" => Event::Introduced((*v).to_owned()),
                    "fixed" => Event::Fixed((*v).to_owned()),
                    "last_affected" => Event::LastAffected((*v).to_owned()),
                    _ => Event::Limit((*v).to_owned()),
                })
                .collect(),
        }
    }

    #[allow(clippy::option_option)] // the function under test's own shape
    fn affects(scheme: Scheme, r: &StoredRange, v: &str) -> Option<Option<String>> {
        range_affects(scheme, r, v)
    }

    #[test]
    fn a_range_in_an_intransitive_order_does_not_panic() {
        // Regression (fuzz target `versions`): Maven's order, like `ComparableVersion`, is not
        // transitive (`1-0.1 = 1` but `1-0.1 > 1-a > 1`), and `sort_by` panicked on it once a
        // range had more than 20 events to sort.
        let versions = [
            "1-0.3", "1-a", "1-sp", "1-0.3", "1-a", "1-sp", "1-0.1", "1", "1-a", "1-a", "1.0",
            "1.0", "1-sp", "1.0", "1-0.1", "1", "1-0.2", "1-0.1", "1-a", "1-0.2", "1-0.2",
        ];
        let events: Vec<(&str, &str)> = versions
            .iter()
            .enumerate()
            .map(|(i, v)| (if i % 3 == 1 { "introduced" } else { "fixed" }, *v))
            .collect();
        let r = range(RangeKind::Ecosystem, &events);
        for v in versions {
            let _ = affects(Scheme::Maven, &r, v);
        }
        // A total order is sorted as before.
        let r = range(
            RangeKind::Ecosystem,
            &[
                ("fixed", "2.0"),
                ("introduced", "1.0"),
                ("fixed", "1.5"),
                ("introduced", "1.8"),
            ],
        );
        assert_eq!(affects(Scheme::Maven, &r, "1.2"), Some(Some("1.5".into())));
        assert_eq!(affects(Scheme::Maven, &r, "1.6"), None);
        assert_eq!(affects(Scheme::Maven, &r, "1.9"), Some(Some("2.0".into())));
    }

    proptest::proptest! {
        /// On a total order the tolerant sort is `sort_by`: stable, and the same order.
        #[test]
        fn tolerant_sort_is_sort_by_on_total_orders(
            keys in proptest::collection::vec(0u8..8, 0..80)
        ) {
            let mut ours: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
            let mut theirs = ours.clone();
            theirs.sort_by_key(|a| a.0);
            sort_tolerantly(&mut ours, |a, b| a.0.cmp(&b.0));
            proptest::prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn ranges_follow_the_osv_evaluation() {
        let r = range(
            RangeKind::Ecosystem,
            &[("introduced", "0"), ("fixed", "1.2.3-1+deb12u1")],
        );
        assert_eq!(
            affects(Scheme::Dpkg, &r, "1.2.3-1"),
            Some(Some("1.2.3-1+deb12u1".into()))
        );
        assert_eq!(affects(Scheme::Dpkg, &r, "1.2.3-1+deb12u1"), None);
        // A backport with a tilde sorts below the fix.
        assert!(affects(Scheme::Dpkg, &r, "1.2.3-1~deb12u1").is_some());
        // Several introduced/fixed pairs in one range, events out of order.
        let r = range(
            RangeKind::Semver,
            &[
                ("fixed", "2.0.1"),
                ("introduced", "1.0.0"),
                ("fixed", "1.4.2"),
                ("introduced", "2.0.0"),
            ],
        );
        assert_eq!(affects(Scheme::Semver, &r, "0.9.0"), None);
        assert_eq!(
            affects(Scheme::Semver, &r, "1.4.1"),
            Some(Some("1.4.2".into()))
        );
        assert_eq!(affects(Scheme::Semver, &r, "1.5.0"), None);
        assert_eq!(
            affects(Scheme::Semver, &r, "2.0.0"),
            Some(Some("2.0.1".into()))
        );
        assert_eq!(affects(Scheme::Semver, &r, "3.0.0"), None);
        // last_affected: inclusive, no fix.
        let r = range(
            RangeKind::Ecosystem,
            &[("introduced", "1.0"), ("last_affected", "1.5")],
        );
        assert_eq!(affects(Scheme::Pep440, &r, "1.5"), Some(None));
        assert_eq!(affects(Scheme::Pep440, &r, "1.5.0"), Some(None));
        assert_eq!(affects(Scheme::Pep440, &r, "1.5.1"), None);
        // limit bounds the range from above.
        let r = range(
            RangeKind::Ecosystem,
            &[("introduced", "0"), ("limit", "2.0")],
        );
        assert!(affects(Scheme::Pep440, &r, "1.9").is_some());
        assert_eq!(affects(Scheme::Pep440, &r, "2.0"), None);
        // Only introduced: every later version, no fix.
        let r = range(RangeKind::Ecosystem, &[("introduced", "3.0")]);
        assert_eq!(affects(Scheme::Pep440, &r, "9.9"), Some(None));
        assert_eq!(affects(Scheme::Pep440, &r, "2.9"), None);
        // SEMVER ranges of Go records order Go versions (the standard library's go1.x form).
        let r = range(
            RangeKind::Semver,
            &[("introduced", "1.21.0-0"), ("fixed", "1.21.5")],
        );
        assert!(affects(Scheme::Go, &r, "1.21.3").is_some());
        assert!(affects(Scheme::Go, &r, "v1.21.4").is_some());
        assert!(affects(Scheme::Go, &r, "1.21.5").is_none());
    }

    #[test]
    fn explicit_versions_and_vendor_status() {
        let entry = StoredAffected {
            advisory: "X-1".into(),
            ranges: Vec::new(),
            versions: vec!["3.2.0".into(), "3.2.1".into()],
            status: None,
            vendor_severity: None,
            severity: Vec::new(),
        };
        // PEP 440: Django's `3.2` is `3.2.0`.
        assert!(entry_affects(Scheme::Pep440, &entry, "3.2").is_some());
        assert!(entry_affects(Scheme::Pep440, &entry, "3.2.2").is_none());
        let wont = StoredAffected {
            ranges: vec![range(RangeKind::Ecosystem, &[("introduced", "0")])],
            versions: Vec::new(),
            status: Some(VendorStatus::WillNotFix),
            ..entry
        };
        let verdict = entry_affects(Scheme::Dpkg, &wont, "1.0-1").expect("affected");
        assert_eq!(verdict.fixed, None);
        assert_eq!(verdict.vendor, Some(VendorStatus::WillNotFix));
    }

    #[test]
    fn distributions_map_to_osv_ecosystems() {
        assert_eq!(distro_ecosystem("debian-12").as_deref(), Some("Debian:12"));
        assert_eq!(
            distro_ecosystem("debian-12.5").as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            distro_ecosystem("alpine-3.18.9").as_deref(),
            Some("Alpine:v3.18")
        );
        assert_eq!(
            distro_ecosystem("ubuntu-22.04").as_deref(),
            Some("Ubuntu:22.04")
        );
        assert_eq!(distro_ecosystem("wolfi").as_deref(), Some("Wolfi"));
        assert_eq!(distro_ecosystem("debian"), None);
        assert_eq!(distro_ecosystem("plan9-4"), None);
    }

    fn package(ecosystem: Ecosystem, name: &str, version: &str, purl: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ecosystem,
            cataloger: "test".into(),
            purl: purl.into(),
            location: "/loc".into(),
            layer: None,
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            os_owned: false,
        }
    }

    fn db(records: &[&str]) -> Database {
        let mut db = Database::in_memory().expect("db");
        let reduced = records
            .iter()
            .map(|r| reduce(&parse_json(r.as_bytes()).expect("record")))
            .collect();
        db.add_source(
            SourceInfo {
                name: "test".into(),
                imported_at: "2026-01-01T00:00:00Z".into(),
                ..SourceInfo::default()
            },
            reduced,
        )
        .expect("stored");
        db
    }

    #[test]
    fn os_packages_match_by_source_and_aliases_merge() {
        let db = db(&[
            r#"{"id":"x_DEB12-CVE-2024-1-glibc","aliases":["CVE-2024-1"],"affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u15"}]}],"ecosystem_specific":{"urgency":"high"}}]}"#,
            r#"{"id":"DEBIAN-CVE-2024-1","aliases":["CVE-2024-1"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
                "affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u16"}]}]}]}"#,
            // An upstream range on the binary name must never match a Debian package.
            r#"{"id":"GHSA-xxxx","affected":[{"package":{"ecosystem":"Debian:12","name":"libc6"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u14"}]}]}]}"#,
        ]);
        let mut libc = package(
            Ecosystem::Deb,
            "libc6",
            "2.36-9+deb12u14",
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12",
        );
        libc.source_name = Some("glibc".into());
        let (findings, stats) = scan(&[&db], &[libc], "img").expect("scan");
        assert_eq!(stats.packages, 1);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let v = findings[0].vulnerability.as_deref().expect("vuln");
        assert_eq!(v.id, "CVE-2024-1");
        assert_eq!(
            v.advisories,
            vec!["DEBIAN-CVE-2024-1", "x_DEB12-CVE-2024-1-glibc"]
        );
        // Both advisories' fixes are needed: the higher one.
        assert_eq!(v.fixed_version.as_deref(), Some("2.36-9+deb12u16"));
        assert_eq!(v.source_package.as_deref(), Some("glibc"));
        assert!((v.cvss[0].score - 9.8).abs() < 1e-9, "{:?}", v.cvss);
        assert_eq!(findings[0].severity, Severity::Critical);
        assert_eq!(v.vendor_severity.as_deref(), Some("debian: high"));
        assert_eq!(
            findings[0].location.as_ref().map(|l| &*l.path),
            Some("img!/loc")
        );

        // Without a distro qualifier the release is unknown: not matched, counted.
        let bare = package(Ecosystem::Deb, "glibc", "1", "pkg:deb/debian/glibc@1");
        let (findings, stats) = scan(&[&db], &[bare], "img").expect("scan");
        assert!(findings.is_empty());
        assert_eq!(stats.no_distro, 1);
    }

    #[test]
    fn os_owned_language_packages_and_go_stdlib() {
        let db = db(&[
            r#"{"id":"PYSEC-1","affected":[{"package":{"ecosystem":"PyPI","name":"pip"},
                "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"23.3"}]}]}]}"#,
            r#"{"id":"GO-2024-1","aliases":["CVE-2024-9"],"affected":[{"package":{"ecosystem":"Go","name":"stdlib"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.21.5"}]}]}]}"#,
        ]);
        let mut pip = package(Ecosystem::Pypi, "pip", "23.0.1", "pkg:pypi/pip@23.0.1");
        let mut stdlib = package(
            Ecosystem::Golang,
            "stdlib",
            "1.21.3",
            "pkg:golang/stdlib@1.21.3",
        );
        let (findings, _) = scan(&[&db], &[pip.clone(), stdlib.clone()], "img").expect("scan");
        assert_eq!(findings.len(), 2);
        assert!(
            findings
                .iter()
                .all(|f| { f.vulnerability.as_deref().expect("v").confidence == Confidence::High })
        );
        pip.os_owned = true;
        stdlib.os_owned = true;
        let (findings, stats) = scan(&[&db], &[pip, stdlib], "img").expect("scan");
        assert_eq!(stats.os_owned, 1);
        assert_eq!(findings.len(), 1);
        let v = findings[0].vulnerability.as_deref().expect("v");
        assert_eq!(v.package, "stdlib");
        assert_eq!(v.confidence, Confidence::Low);
        assert!(
            v.confidence_reason
                .as_deref()
                .is_some_and(|r| r.contains("backport"))
        );
    }

    #[test]
    fn withdrawn_informational_and_unknown_ecosystems() {
        let db = db(&[
            r#"{"id":"RUSTSEC-1","database_specific":{"informational":"unmaintained"},"affected":[{"package":{"ecosystem":"crates.io","name":"time"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
            r#"{"id":"RUSTSEC-2","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"crates.io","name":"time"},
                "ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
        ]);
        let time = package(Ecosystem::Cargo, "time", "0.1.43", "pkg:cargo/time@0.1.43");
        let gem = package(Ecosystem::Gem, "rack", "1.0", "pkg:gem/rack@1.0");
        let (findings, stats) = scan(&[&db], &[time, gem], "img").expect("scan");
        assert!(findings.is_empty(), "{findings:#?}");
        assert_eq!(stats.informational, 1);
        assert_eq!(stats.unsupported, vec!["RubyGems".to_owned()]);
    }
}
