//! `bulwark who-can VERB RESOURCE [-n NS] PATH...`: the subjects the manifests' RBAC allows a
//! request, exactly as bound, with the bindings and roles that grant it (`bulwark-rbac`).

use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use bulwark_rbac::{Rbac, Request, Resource, Target, WhoCan};
use clap::{Args, ValueEnum};

/// Arguments of `bulwark who-can`.
#[derive(Debug, Args)]
#[command(
    override_usage = "bulwark who-can [OPTIONS] VERB RESOURCE PATH...\n       bulwark who-can [OPTIONS] --non-resource-url URL VERB PATH...",
    after_help = "Examples:\n  bulwark who-can get secrets -n prod manifests/\n  bulwark who-can create pods/exec manifests/\n  bulwark who-can patch deployments.apps --name api -n shop manifests/\n  bulwark who-can get --non-resource-url /metrics manifests/"
)]
pub struct WhoCanArgs {
    /// The verb: get, list, watch, create, update, patch, delete, impersonate, bind, escalate …
    #[arg(value_name = "VERB")]
    pub verb: String,

    /// The resource, as RESOURCE.GROUP/SUBRESOURCE with group and subresource optional (`pods`, `pods/exec`, `deployments.apps`), then the
    /// manifest files or directories. Without a group, well-known resources get theirs
    /// (`deployments` is `deployments.apps`); others are in the core group. With
    /// --non-resource-url there is no RESOURCE.
    #[arg(value_name = "RESOURCE|PATH", required = true)]
    pub args: Vec<OsString>,

    /// Ask about one namespace. Without it the question is cluster-wide: every namespace at
    /// once, or a cluster-scoped resource, which only ClusterRoleBindings grant.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,

    /// Ask about one object by name (rules with resourceNames grant only named objects).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Ask about a non-resource URL (`/metrics`, `/healthz`) instead of a resource.
    #[arg(long, value_name = "URL")]
    pub non_resource_url: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = WhoCanFormat::Table)]
    pub format: WhoCanFormat,

    /// Namespace for objects that name none (as `kubectl apply -n NS` would use).
    #[arg(long, value_name = "NS", default_value = "default")]
    pub default_namespace: String,
}

/// Output formats of `who-can`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WhoCanFormat {
    /// One line per subject and grant, for people.
    Table,
    /// The query, the subjects with their grants, and bindings to unknown roles.
    Json,
}

/// Runs `bulwark who-can`: exit 0 whenever the query ran, subjects or not.
pub fn run(args: &WhoCanArgs) -> anyhow::Result<u8> {
    if args.verb.is_empty() || args.verb.contains(|c: char| c.is_whitespace() || c == '/') {
        bail!(
            "{:?} is not a verb (get, list, create, impersonate …)",
            args.verb
        );
    }
    let (resource, paths) = if let Some(url) = &args.non_resource_url {
        if !url.starts_with('/') {
            bail!("--non-resource-url {url:?} must be a path starting with / (/metrics, /healthz)");
        }
        if args.namespace.is_some() || args.name.is_some() {
            bail!("non-resource URLs are not namespaced and have no name: drop -n and --name");
        }
        (None, &args.args[..])
    } else {
        let (first, rest) = args
            .args
            .split_first()
            .context("give a RESOURCE and at least one manifest path")?;
        let text = first
            .to_str()
            .with_context(|| format!("{} is not a resource", first.to_string_lossy()))?;
        let resource = Resource::parse(text)
            .with_context(|| format!("reading the resource {text:?}"))?
            .with_well_known_group();
        (Some(resource), rest)
    };
    if paths.is_empty() {
        bail!("give at least one manifest file or directory after the resource");
    }
    if args.namespace.as_deref() == Some("") {
        bail!("-n needs a namespace name");
    }
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let snapshot = crate::manifests::load(&paths, &args.default_namespace)?;
    let rbac = Rbac::new(&snapshot);
    let mut notes = Vec::new();
    let request = match resource {
        None => Request::non_resource(&args.verb, args.non_resource_url.as_deref().unwrap_or("/")),
        Some(resource) => {
            let mut namespace = args.namespace.clone();
            if resource.group.is_empty() && resource.resource == "namespaces" {
                // A request about one namespace carries that namespace, as the API server's
                // request info reads `/api/v1/namespaces/NAME`.
                if namespace.is_some() && namespace != args.name {
                    notes.push("a request about a namespace is in that namespace: -n is replaced by --name".to_string());
                }
                namespace.clone_from(&args.name);
            } else if namespace.is_some() && rbac.is_cluster_scoped(&resource) {
                notes.push(format!(
                    "{resource} is cluster-scoped: -n is ignored and only ClusterRoleBindings can grant it"
                ));
                namespace = None;
            }
            let mut request = Request::resource(&args.verb, resource, namespace.as_deref());
            if let Some(name) = &args.name {
                request = request.named(name);
            }
            request
        }
    };
    let answer = rbac.who_can(&request);
    for note in &notes {
        let _ = writeln!(std::io::stderr(), "bulwark: note: {note}");
    }
    match args.format {
        WhoCanFormat::Json => {
            let doc = serde_json::json!({
                "query": request,
                "subjects": answer.subjects,
                "unresolved": answer.unresolved,
            });
            crate::output::write_stdout(|out| {
                serde_json::to_writer_pretty(&mut *out, &doc)?;
                writeln!(out)
            })?;
        }
        WhoCanFormat::Table => {
            let text = table(&request, &answer);
            crate::output::write_stdout(|out| out.write_all(text.as_bytes()))?;
        }
    }
    Ok(0)
}

/// `get secrets in namespace prod`, `create pods/exec in every namespace`.
fn describe(request: &Request) -> String {
    match &request.target {
        Target::NonResource { path } => format!("{} {path}", request.verb),
        Target::Resource { resource, name } => {
            let what = match name {
                Some(n) => format!("{resource} {n}"),
                None => resource.to_string(),
            };
            match &request.namespace {
                Some(ns) => format!("{} {what} in namespace {ns}", request.verb),
                None if resource.is_cluster_scoped() => format!("{} {what}", request.verb),
                None => format!("{} {what} cluster-wide", request.verb),
            }
        }
    }
}

fn table(request: &Request, answer: &WhoCan) -> String {
    let mut rows: Vec<[String; 4]> = Vec::new();
    for s in &answer.subjects {
        for g in &s.grants {
            let mut via = format!("{} → {}", g.binding.display(), g.role.display());
            if g.rule_in != g.role {
                via.push_str(&format!(" (rule from {})", g.rule_in.display()));
            }
            rows.push([
                s.subject.kind.as_str().to_string(),
                s.subject.namespace.clone().unwrap_or_default(),
                s.subject.name.clone(),
                via,
            ]);
        }
    }
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str(&format!(
            "No subject in the manifests can {}.\n",
            describe(request)
        ));
    } else {
        let n = answer.subjects.len();
        out.push_str(&format!(
            "{n} subject{} can {}:\n\n",
            if n == 1 { "" } else { "s" },
            describe(request)
        ));
        let header = ["KIND", "NAMESPACE", "NAME", "GRANTED BY"].map(String::from);
        let mut widths = [0usize; 4];
        for row in std::iter::once(&header).chain(&rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&header).chain(&rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i == 3 {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    for u in &answer.unresolved {
        let subjects: Vec<String> = u.subjects.iter().map(ToString::to_string).collect();
        out.push_str(&format!(
            "\nnote: {} grants {}, which is not in the manifests: it may allow this too (to {}).",
            u.binding.display(),
            u.role.display(),
            if subjects.is_empty() {
                "no subject".to_string()
            } else {
                subjects.join(", ")
            }
        ));
    }
    if !answer.unresolved.is_empty() {
        out.push('\n');
    }
    out
}
