//! `bulwark reach PATH...`: who can reach whom under the manifests' network policies, and
//! (where a service mesh is configured) whether each connection is mutually authenticated and
//! allowed by the mesh's authorization.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use bulwark_k8s::Snapshot;
use bulwark_mesh::{AuthzDecision, Mesh, Transport};
use bulwark_netpol::{Connection, Endpoint, Network, Protocol, render};
use clap::{Args, ValueEnum};
use serde_json::json;

use crate::output::{write_atomically, write_stdout};

/// Output formats of `reach`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReachFormat {
    /// Aligned columns for people.
    Table,
    /// `src => dst : connections`, one line per pair (the conformance suite's format).
    Connlist,
    /// A JSON array of `{src, dst, conn}` (plus `mesh` and `why` when present).
    Json,
    /// Graphviz DOT (render with `dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Counts only (pairs that connect, workloads open to or from outside the cluster), as
    /// JSON: every connection is evaluated, none listed. Filters do not apply.
    Summary,
}

/// Arguments of `bulwark reach`.
#[derive(Debug, Args)]
pub struct ReachArgs {
    /// Manifest files or directories (`-` for stdin).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = ReachFormat::Table)]
    pub format: ReachFormat,

    /// Only connections from these sources: `ns/name` (a workload), `ns/*` (a namespace),
    /// `external` (any address outside the cluster), an IPv4 address, or
    /// `ingress-controller`. Repeatable.
    #[arg(long, value_name = "PEER")]
    pub from: Vec<String>,

    /// Only connections to these destinations (same forms as `--from`). Repeatable.
    #[arg(long, value_name = "PEER")]
    pub to: Vec<String>,

    /// Only connections that include this port: `8080` (TCP) or `53/UDP`.
    #[arg(long, value_name = "PORT[/PROTO]")]
    pub port: Option<String>,

    /// Say which policies allow each connection (table and JSON).
    #[arg(long)]
    pub explain: bool,

    /// The namespace of objects that do not name one (as `kubectl apply -n NS` would place
    /// them).
    #[arg(long, default_value = "default", value_name = "NS")]
    pub default_namespace: String,

    /// Write to this file instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A `--from`/`--to` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PeerFilter {
    Workload(String, String),
    Namespace(String),
    External,
    Address(u32),
    IngressController,
}

fn parse_peer(s: &str) -> anyhow::Result<PeerFilter> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("external") {
        return Ok(PeerFilter::External);
    }
    if t.trim_matches(|c| c == '{' || c == '}') == "ingress-controller" {
        return Ok(PeerFilter::IngressController);
    }
    if let Ok(ip) = t.parse::<Ipv4Addr>() {
        return Ok(PeerFilter::Address(u32::from(ip)));
    }
    match t.split_once('/') {
        Some((ns, "*" | "")) if !ns.is_empty() => Ok(PeerFilter::Namespace(ns.to_string())),
        Some((ns, name)) if !ns.is_empty() && !name.contains('/') => {
            // `ns/name[Kind]` as printed is accepted too.
            let name = name.split('[').next().unwrap_or(name);
            Ok(PeerFilter::Workload(ns.to_string(), name.to_string()))
        }
        _ => bail!(
            "{s:?} is not a peer: use ns/name, ns/*, external, an IPv4 address or ingress-controller"
        ),
    }
}

fn peer_matches(net: &Network, f: &PeerFilter, e: Endpoint) -> bool {
    match (f, e) {
        (PeerFilter::Workload(ns, name), Endpoint::Pod(p)) => {
            let pod = &net.pods()[p];
            &pod.namespace == ns && &pod.name == name
        }
        (PeerFilter::Namespace(ns), Endpoint::Pod(p)) => &net.pods()[p].namespace == ns,
        (PeerFilter::External, Endpoint::Ips(_))
        | (PeerFilter::IngressController, Endpoint::IngressController) => true,
        (PeerFilter::Address(a), Endpoint::Ips(r)) => r.contains_addr(*a),
        _ => false,
    }
}

fn parse_port(s: &str) -> anyhow::Result<(Protocol, u16)> {
    let (num, proto) = match s.split_once('/') {
        Some((n, p)) => (
            n,
            Protocol::parse(p).with_context(|| format!("{p:?} is not TCP, UDP or SCTP"))?,
        ),
        None => (s, Protocol::Tcp),
    };
    let port: u16 = num
        .trim()
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .with_context(|| format!("{num:?} is not a port number (1-65535)"))?;
    Ok((proto, port))
}

/// The mesh columns of one connection.
struct MeshCell {
    transport: &'static str,
    authz: &'static str,
    explanation: String,
}

struct MeshView<'a> {
    mesh: &'a Mesh<'a>,
    /// `--port`, when given: the port the verdict is about.
    port: Option<(Protocol, u16)>,
    workloads: &'a [bulwark_k8s::Workload<'a>],
    snapshot: &'a Snapshot,
    net: &'a Network,
}

fn mesh_cell(v: &MeshView<'_>, c: &Connection) -> Option<MeshCell> {
    let Endpoint::Pod(d) = c.dst else {
        return None;
    };
    let dst = workload_of(v.workloads, v.snapshot, v.net, d)?;
    let src = match c.src {
        Endpoint::Pod(s) => Some(workload_of(v.workloads, v.snapshot, v.net, s)?),
        _ => None,
    };
    // The verdict is about `--port` when given, else the lowest allowed port: per-port mTLS
    // modes are rare, and `--port` asks about one.
    let (proto, port) = v.port.or_else(|| first_port(&c.conns))?;
    let v = v.mesh.connection(src, dst, port, proto.as_str())?;
    Some(MeshCell {
        transport: match v.transport {
            Transport::Mtls => "mTLS",
            Transport::Plaintext => "plaintext",
            Transport::Unknown => "unknown",
        },
        authz: match v.authz {
            AuthzDecision::Allow => "allow",
            AuthzDecision::Deny => "deny",
            AuthzDecision::Conditional => "conditional",
        },
        explanation: v.explanation,
    })
}

/// The workload behind a network endpoint (the first Pod of an owner stands for all).
fn workload_of<'w, 'a>(
    workloads: &'w [bulwark_k8s::Workload<'a>],
    snapshot: &Snapshot,
    net: &Network,
    pod: usize,
) -> Option<&'w bulwark_k8s::Workload<'a>> {
    let object = &snapshot.objects()[net.pods()[pod].object];
    workloads.iter().find(|w| std::ptr::eq(w.object, object))
}

fn first_port(c: &bulwark_netpol::ConnSet) -> Option<(Protocol, u16)> {
    for p in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
        if let Some(&(lo, _)) = c.ports(p).ranges().first() {
            return Some((p, lo));
        }
    }
    None
}

pub fn run(args: &ReachArgs) -> anyhow::Result<u8> {
    let from: Vec<PeerFilter> = args
        .from
        .iter()
        .map(|s| parse_peer(s))
        .collect::<Result<_, _>>()?;
    let to: Vec<PeerFilter> = args
        .to
        .iter()
        .map(|s| parse_peer(s))
        .collect::<Result<_, _>>()?;
    let port = args.port.as_deref().map(parse_port).transpose()?;
    let snapshot = crate::manifests::load(&args.paths, &args.default_namespace)?;
    let net = Network::build(&snapshot);
    for w in net.warnings() {
        match w.line {
            Some(l) => eprintln!("warning: {}:{l}: {}", w.path, w.message),
            None => eprintln!("warning: {}: {}", w.path, w.message),
        }
    }
    if args.format == ReachFormat::Summary {
        if !from.is_empty() || !to.is_empty() || port.is_some() {
            bail!("--format summary counts every connection; --from, --to and --port do not apply");
        }
        let text = serde_json::to_string_pretty(&net.summary())? + "\n";
        match &args.output {
            Some(path) => write_atomically(path, |w| w.write_all(text.as_bytes()))?,
            None => write_stdout(|w| w.write_all(text.as_bytes()))?,
        }
        return Ok(0);
    }
    let conns: Vec<Connection> = net
        .connections_where(
            &|e| from.is_empty() || from.iter().any(|f| peer_matches(&net, f, e)),
            &|e| to.is_empty() || to.iter().any(|f| peer_matches(&net, f, e)),
        )
        .into_iter()
        .filter(|c| port.is_none_or(|(proto, p)| c.conns.contains(proto, p)))
        .collect();
    let mesh = Mesh::build(&snapshot);
    let workloads = bulwark_k8s::Workload::all(&snapshot);
    let with_mesh = !mesh.is_empty();
    let view = MeshView {
        mesh: &mesh,
        port,
        workloads: &workloads,
        snapshot: &snapshot,
        net: &net,
    };
    let lines = render::lines(&net, &conns);
    // `lines` is sorted; find each line's connection again for the mesh and explanation.
    let by_text: std::collections::HashMap<(String, String), &Connection> = conns
        .iter()
        .map(|c| ((net.display(c.src), net.display(c.dst)), c))
        .collect();
    let text = match args.format {
        ReachFormat::Connlist => render::connlist(&lines),
        ReachFormat::Dot => render::dot(&net, &conns),
        ReachFormat::Mermaid => render::mermaid(&net, &conns),
        ReachFormat::Summary => unreachable!("handled above"),
        ReachFormat::Json => {
            let rows: Vec<serde_json::Value> = lines
                .iter()
                .map(|l| {
                    let mut row = json!({"src": l.src, "dst": l.dst, "conn": l.conn});
                    let c = by_text[&(l.src.clone(), l.dst.clone())];
                    if with_mesh && let Some(m) = mesh_cell(&view, c) {
                        row["mesh"] = json!({
                            "transport": m.transport,
                            "authorization": m.authz,
                            "explanation": m.explanation,
                        });
                    }
                    if args.explain {
                        row["why"] = json!(net.explain(c.src, c.dst).1);
                    }
                    row
                })
                .collect();
            serde_json::to_string_pretty(&rows)? + "\n"
        }
        ReachFormat::Table => {
            let mut rows: Vec<Vec<String>> = Vec::new();
            let mut header = vec![
                "SOURCE".to_string(),
                "DESTINATION".into(),
                "CONNECTIONS".into(),
            ];
            if with_mesh {
                header.push("MESH".into());
                header.push("MESH AUTHZ".into());
            }
            for l in &lines {
                let c = by_text[&(l.src.clone(), l.dst.clone())];
                let mut row = vec![l.src.clone(), l.dst.clone(), l.conn.clone()];
                if with_mesh {
                    if let Some(m) = mesh_cell(&view, c) {
                        row.push(m.transport.to_string());
                        row.push(m.authz.to_string());
                    } else {
                        row.push("-".into());
                        row.push("-".into());
                    }
                }
                rows.push(row);
                if args.explain {
                    for why in net.explain(c.src, c.dst).1 {
                        rows.push(vec![String::new(), format!("  {why}")]);
                    }
                }
            }
            table(&header, &rows, lines.len(), net.pods().len())
        }
    };
    match &args.output {
        Some(path) => write_atomically(path, |w| w.write_all(text.as_bytes()))?,
        None => write_stdout(|w| w.write_all(text.as_bytes()))?,
    }
    Ok(0)
}

fn table(header: &[String], rows: &[Vec<String>], connections: usize, workloads: usize) -> String {
    let mut widths: Vec<usize> = header.iter().map(String::len).collect();
    for r in rows {
        // Explanation rows span the table and do not widen columns.
        if r.len() < header.len() {
            continue;
        }
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.len());
        }
    }
    let mut s = String::new();
    let fmt_row = |s: &mut String, r: &[String]| {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                let _ = write!(line, "{c:<w$}  ", w = widths[i]);
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    };
    fmt_row(&mut s, header);
    for r in rows {
        if r.len() < header.len() {
            let _ = writeln!(s, "{}", r.concat().trim_end());
        } else {
            fmt_row(&mut s, r);
        }
    }
    let _ = writeln!(
        s,
        "\n{connections} allowed connections among {workloads} workloads."
    );
    s
}
