//! Connectivity lists as text: the conformance suite's `connlist` lines, JSON, Graphviz DOT
//! and Mermaid.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::network::{Connection, Endpoint, Network};

/// One line of a connectivity list, with the endpoints as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Line {
    /// The source as written (`ns/name[Kind]`, `a.b.c.d-e.f.g.h[External]`,
    /// `{ingress-controller}`).
    pub src: String,
    /// The destination as written.
    pub dst: String,
    /// The allowed connections (`All Connections`, `TCP 8080,UDP 53`).
    pub conn: String,
}

/// The lines of `conns`, sorted byte-wise as the conformance suite sorts them.
pub fn lines(net: &Network, conns: &[Connection]) -> Vec<Line> {
    let mut out: Vec<Line> = conns
        .iter()
        .map(|c| Line {
            src: net.display(c.src),
            dst: net.display(c.dst),
            conn: c.conns.to_string(),
        })
        .collect();
    out.sort_by_cached_key(connlist_line);
    out
}

fn connlist_line(l: &Line) -> String {
    format!("{} => {} : {}", l.src, l.dst, l.conn)
}

/// `src => dst : conns`, one per line.
pub fn connlist(lines: &[Line]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(&connlist_line(l));
        s.push('\n');
    }
    s
}

/// Graphviz DOT: workloads grouped by namespace, external ranges and the ingress controller
/// apart.
pub fn dot(net: &Network, conns: &[Connection]) -> String {
    let (groups, others) = nodes(net, conns);
    let mut s = String::from("digraph {\n");
    for (ns, members) in &groups {
        let _ = writeln!(s, "\tsubgraph \"cluster_{}\" {{", escape(ns));
        for (id, label) in members {
            let _ = writeln!(
                s,
                "\t\t\"{}\" [label=\"{}\" color=\"blue\" fontcolor=\"blue\"]",
                escape(id),
                escape(label)
            );
        }
        let _ = writeln!(s, "\t\tlabel=\"{}\"\n\t}}", escape(ns));
    }
    for id in &others {
        let _ = writeln!(
            s,
            "\t\"{0}\" [label=\"{0}\" color=\"red2\" fontcolor=\"red2\"]",
            escape(id)
        );
    }
    for l in lines(net, conns) {
        let _ = writeln!(
            s,
            "\t\"{}\" -> \"{}\" [label=\"{}\" color=\"gold2\" fontcolor=\"darkgreen\"]",
            escape(&l.src),
            escape(&l.dst),
            escape(&l.conn)
        );
    }
    s.push_str("}\n");
    s
}

/// A Mermaid flowchart: one subgraph per namespace.
pub fn mermaid(net: &Network, conns: &[Connection]) -> String {
    let (groups, others) = nodes(net, conns);
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut s = String::from("flowchart LR\n");
    let id_of = |name: &str, ids: &mut BTreeMap<String, String>| -> String {
        let fresh = format!("n{}", ids.len());
        ids.entry(name.to_string()).or_insert(fresh).clone()
    };
    for (ns, members) in &groups {
        let _ = writeln!(
            s,
            "  subgraph {}[\"{}\"]",
            id_of(&format!("ns:{ns}"), &mut ids),
            mermaid_text(ns)
        );
        for (id, label) in members {
            let _ = writeln!(
                s,
                "    {}[\"{}\"]",
                id_of(id, &mut ids),
                mermaid_text(label)
            );
        }
        s.push_str("  end\n");
    }
    for id in &others {
        let _ = writeln!(s, "  {}[\"{}\"]", id_of(id, &mut ids), mermaid_text(id));
    }
    for l in lines(net, conns) {
        let a = id_of(&l.src, &mut ids);
        let b = id_of(&l.dst, &mut ids);
        let _ = writeln!(s, "  {a} -->|\"{}\"| {b}", mermaid_text(&l.conn));
    }
    s
}

type Groups = BTreeMap<String, Vec<(String, String)>>;

fn nodes(net: &Network, conns: &[Connection]) -> (Groups, Vec<String>) {
    let mut groups: Groups = BTreeMap::new();
    let mut others: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for c in conns {
        for e in [c.src, c.dst] {
            if !seen.insert(e) {
                continue;
            }
            match e {
                Endpoint::Pod(p) => {
                    let pod = &net.pods()[p];
                    groups
                        .entry(pod.namespace.clone())
                        .or_default()
                        .push((pod.display(), format!("{}[{}]", pod.name, pod.kind)));
                }
                _ => others.push(net.display(e)),
            }
        }
    }
    for members in groups.values_mut() {
        members.sort();
    }
    others.sort();
    (groups, others)
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}
