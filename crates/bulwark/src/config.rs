//! The configuration file (`.bulwark.yaml`): defaults for flags and per-resource ignores.
//!
//! ```yaml
//! severity: [critical, high, medium]   # like --severity
//! fail-on: high                        # like --fail-on
//! skip: [K8S043]                       # like --skip
//! only: []                             # like --only
//! default-namespace: shop              # like --default-namespace
//! ignore:
//!   - checks: [K8S002, host-pid]       # ids or names; `check: ID` for one
//!     kind: DaemonSet                  # each selector is optional; `*` and `?` are wildcards
//!     namespace: monitoring
//!     name: node-exporter*
//!     container: exporter
//!     path: deploy/**                  # the file, as shown in reports
//!     reason: node metrics need the host network   # required
//! ```
//!
//! Flags given on the command line win over the file. Unknown keys are errors, so a typo
//! never silently turns a setting off.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use bulwark_k8s::{Limits, Node, parse_yaml};
use bulwark_model::{Finding, Severity, Suppression, SuppressionSource};

/// The names tried in the current directory when `--config` is not given.
pub const DEFAULT_NAMES: &[&str] = &[".bulwark.yaml", ".bulwark.yml"];

/// Settings from the configuration file.
#[derive(Debug, Default)]
pub struct Config {
    /// Where it was read from.
    pub path: Option<PathBuf>,
    /// Default for `--severity`.
    pub severity: Vec<Severity>,
    /// Default for `--fail-on`.
    pub fail_on: Option<Severity>,
    /// Default for `--skip`.
    pub skip: Vec<String>,
    /// Default for `--only`.
    pub only: Vec<String>,
    /// Default for `--default-namespace`.
    pub default_namespace: Option<String>,
    /// Per-resource ignores.
    pub ignores: Vec<Ignore>,
    /// Default for `--secret-max-age` (days).
    pub secret_max_age_days: Option<u32>,
}

/// One `ignore` entry.
#[derive(Debug)]
pub struct Ignore {
    /// Check or secret-rule ids (resolved from ids or names by [`Config::validate`]).
    pub checks: Vec<String>,
    /// Glob on the resource kind.
    pub kind: Option<String>,
    /// Glob on the namespace.
    pub namespace: Option<String>,
    /// Glob on the resource name.
    pub name: Option<String>,
    /// Glob on the container name.
    pub container: Option<String>,
    /// Glob on the file path.
    pub path: Option<String>,
    /// Why it is ignored.
    pub reason: String,
    /// `FILE ignore[N] (line L)`, for the report.
    pub origin: String,
}

impl Ignore {
    /// The suppression this entry applies to `f`, if it matches.
    pub fn matches(&self, f: &Finding) -> Option<Suppression> {
        if !self.checks.iter().any(|c| *c == *f.id) {
            return None;
        }
        let r = f.resource.as_ref();
        let ok = |glob: &Option<String>, value: Option<&str>| match glob {
            None => true,
            Some(g) => value.is_some_and(|v| glob_match(g, v)),
        };
        let matched = ok(&self.kind, r.map(|r| r.kind.as_ref()))
            && ok(&self.namespace, r.and_then(|r| r.namespace.as_deref()))
            && ok(&self.name, r.map(|r| &*r.name))
            && ok(&self.container, r.and_then(|r| r.container.as_deref()))
            && ok(&self.path, f.location.as_ref().map(|l| &*l.path));
        matched.then(|| Suppression {
            source: SuppressionSource::Config,
            reason: Some(self.reason.clone()),
            origin: self.origin.clone(),
        })
    }
}

impl Config {
    /// Checks that every id in `skip`, `only` and the ignores names a check or a secret rule,
    /// and turns names into ids. `resolve` maps an id or name to its id; `None` means unknown.
    pub fn validate(&mut self, resolve: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let shown = self
            .path
            .as_ref()
            .map_or_else(|| "configuration".to_string(), |p| p.display().to_string());
        for id in self.skip.iter().chain(&self.only) {
            if resolve(id).is_none() {
                bail!(
                    "{shown}: {id:?} in skip/only is not a check or secret rule (see `bulwark checks`, `bulwark rules`)"
                );
            }
        }
        for ignore in &mut self.ignores {
            let mut ids = Vec::new();
            for n in &ignore.checks {
                match resolve(n) {
                    Some(id) => ids.push(id),
                    None => bail!(
                        "{}: {n:?} is not a check or secret rule (see `bulwark checks`, `bulwark rules`)",
                        ignore.origin
                    ),
                }
            }
            ignore.checks = ids;
        }
        Ok(())
    }
}

/// Loads the configuration: `explicit` if given (it must exist), else a default name in the
/// current directory if one exists, else nothing.
pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match DEFAULT_NAMES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
        {
            Some(p) => p,
            None => return Ok(Config::default()),
        },
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading configuration file {}", path.display()))?;
    parse(&text, &path.display().to_string())
        .with_context(|| format!("in configuration file {}", path.display()))
        .map(|mut c| {
            c.path = Some(path);
            c
        })
}

/// Parses configuration text; `shown` names the file in errors and origins.
pub fn parse(text: &str, shown: &str) -> anyhow::Result<Config> {
    let docs = parse_yaml(text, &Limits::default());
    let mut config = Config::default();
    let Some(doc) = docs.into_iter().next() else {
        return Ok(config);
    };
    let doc = doc.map_err(|e| match e.pos() {
        Some(p) => anyhow::anyhow!("line {}, column {}: {e}", p.line, p.col),
        None => anyhow::anyhow!("{e}"),
    })?;
    let Some(entries) = doc.as_map() else {
        bail!("line {}: the configuration must be a mapping", doc.pos.line);
    };
    for e in entries {
        let at = |msg: String| anyhow::anyhow!("line {}: {msg}", e.key_pos.line);
        match e.key.as_str() {
            "severity" => {
                config.severity = string_list(&e.value)
                    .map_err(at)?
                    .iter()
                    .map(|s| s.parse::<Severity>().map_err(|err| at(err.to_string())))
                    .collect::<Result<_, _>>()?;
            }
            "fail-on" => {
                let s = scalar(&e.value).map_err(at)?;
                config.fail_on = Some(
                    s.parse()
                        .map_err(|err: bulwark_model::ParseSeverityError| at(err.to_string()))?,
                );
            }
            "skip" => config.skip = string_list(&e.value).map_err(at)?,
            "only" => config.only = string_list(&e.value).map_err(at)?,
            "default-namespace" => {
                config.default_namespace = Some(scalar(&e.value).map_err(at)?);
            }
            "secret-max-age" => {
                let s = scalar(&e.value).map_err(at)?;
                config.secret_max_age_days = Some(s.parse().map_err(|_| {
                    at(format!(
                        "`secret-max-age` must be a number of days, not {s:?}"
                    ))
                })?);
            }
            "ignore" => {
                let items = e
                    .value
                    .as_seq()
                    .ok_or_else(|| at("`ignore` must be a list".to_string()))?;
                for (i, item) in items.iter().enumerate() {
                    config.ignores.push(parse_ignore(item, i, shown)?);
                }
            }
            other => bail!(
                "line {}: unknown setting {other:?} (known: severity, fail-on, skip, only, default-namespace, secret-max-age, ignore)",
                e.key_pos.line
            ),
        }
    }
    Ok(config)
}

fn parse_ignore(item: &Node, index: usize, shown: &str) -> anyhow::Result<Ignore> {
    let line = item.pos.line;
    let at = |msg: String| anyhow::anyhow!("line {line}: ignore[{index}]: {msg}");
    let entries = item
        .as_map()
        .ok_or_else(|| at("must be a mapping".to_string()))?;
    let mut ignore = Ignore {
        checks: Vec::new(),
        kind: None,
        namespace: None,
        name: None,
        container: None,
        path: None,
        reason: String::new(),
        origin: format!("{shown} ignore[{index}] (line {line})"),
    };
    let mut names = Vec::new();
    for e in entries {
        match e.key.as_str() {
            "check" => names.push(scalar(&e.value).map_err(at)?),
            "checks" => names.extend(string_list(&e.value).map_err(at)?),
            "kind" => ignore.kind = Some(scalar(&e.value).map_err(at)?),
            "namespace" => ignore.namespace = Some(scalar(&e.value).map_err(at)?),
            "name" => ignore.name = Some(scalar(&e.value).map_err(at)?),
            "container" => ignore.container = Some(scalar(&e.value).map_err(at)?),
            "path" => ignore.path = Some(scalar(&e.value).map_err(at)?),
            "reason" => ignore.reason = scalar(&e.value).map_err(at)?,
            other => {
                return Err(at(format!(
                    "unknown key {other:?} (known: check, checks, kind, namespace, name, container, path, reason)"
                )));
            }
        }
    }
    if names.is_empty() {
        return Err(at(
            "names no check (`check: ID` or `checks: [ID, …]`)".to_string()
        ));
    }
    ignore.checks = names;
    if ignore.reason.trim().is_empty() {
        return Err(at(
            "needs a `reason`: every suppression says why".to_string()
        ));
    }
    Ok(ignore)
}

fn scalar(n: &Node) -> Result<String, String> {
    match n.as_str() {
        Some(s) if n.as_scalar().is_some() => Ok(s.to_string()),
        _ => Err(format!("expected a single value at line {}", n.pos.line)),
    }
}

fn string_list(n: &Node) -> Result<Vec<String>, String> {
    if let Some(items) = n.as_seq() {
        items.iter().map(scalar).collect()
    } else if n.is_null() {
        Ok(Vec::new())
    } else {
        // `skip: K8S001,K8S002` as on the command line.
        Ok(scalar(n)?
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect())
    }
}

/// Matches `*` (any run of characters) and `?` (one character); everything else literally.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            while pi < p.len() && p[pi] == '*' {
                pi += 1;
            }
            star = Some((pi, ti));
        } else if let Some((sp, st)) = star {
            pi = sp;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("node-exporter*", "node-exporter-abc"));
        assert!(glob_match("deploy/**", "deploy/a/b.yaml"));
        assert!(glob_match("?b*", "abc"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("web", "web2"));
        assert!(!glob_match("a*c", "abd"));
    }

    #[test]
    fn parses_settings_and_ignores() {
        let c = parse(
            "severity: [HIGH, critical]\nfail-on: medium\nskip: K8S043,K8S042\nignore:\n  - checks: [host-network]\n    namespace: mon*\n    reason: metrics\n",
            "cfg.yaml",
        )
        .expect("valid");
        assert_eq!(c.severity, [Severity::High, Severity::Critical]);
        assert_eq!(c.fail_on, Some(Severity::Medium));
        assert_eq!(c.skip, ["K8S043", "K8S042"]);
        assert_eq!(
            c.ignores[0].checks,
            ["host-network"],
            "names are resolved by validate"
        );
        assert_eq!(c.ignores[0].origin, "cfg.yaml ignore[0] (line 5)");
    }

    #[test]
    fn mistakes_are_errors_with_lines() {
        let cases = [
            ("sevrity: [high]\n", "line 1: unknown setting"),
            ("ignore:\n  - check: K8S001\n", "needs a `reason`"),
            (
                "ignore:\n  - check: K8S001\n    reason: x\n    nmae: y\n",
                "unknown key \"nmae\"",
            ),
            ("severity: [bad]\n", "unknown severity"),
            ("a: [\n", "invalid YAML"),
        ];
        for (text, want) in cases {
            let err = format!("{:#}", parse(text, "c.yaml").expect_err(text));
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let checks_only = |s: &str| bulwark_checks::find(s).map(|c| c.meta().id.to_string());
        for text in [
            "ignore:\n  - check: K8S999\n    reason: x\n",
            "skip: [K8S999]\n",
        ] {
            let mut c = parse(text, "c.yaml").expect("parses");
            let err = format!("{:#}", c.validate(checks_only).expect_err(text));
            assert!(
                err.contains("is not a check or secret rule"),
                "{text:?}: {err}"
            );
        }
    }
}
