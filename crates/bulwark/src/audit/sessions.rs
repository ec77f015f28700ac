//! Privileged sessions: the `kubectl exec` the API server audited, joined with the processes the
//! sensor saw it start. An audit event for a pod's `exec` (or `attach`) subresource opens a
//! session (who, from where, which pod and container, the command); the first process of that
//! container started from outside it (by the runtime: its parent is in another cgroup) with the
//! same command, within a few seconds, is the session's root; every later process descending
//! from it belongs to the session. When the audit log shows the session's end (the same audit
//! id at `ResponseComplete`), or after [`MAX_OPEN_NS`], the session is closed and reported as
//! one record: an alert of rule [`RULE`] listing the processes run in it.
//!
//! Sensor alerts on processes of an open session get the session's audit id and user in their
//! output fields (`bulwark.session.audit_id`, `bulwark.session.user`), so a shell alert names
//! the person behind it.

use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;

use bulwark_rules::{Alert, Priority, Source, iso8601, time_of_day};
use bulwark_sensor::{Event, EventKind, ProcessTable};
use serde_json::Value;

use super::adapter::{parse_time_ns, query_unescape};

/// The session record's rule name.
pub const RULE: &str = "Privileged session record";
const TAGS: [&str; 5] = ["AU016", "T1609", "k8s", "mitre_execution", "session"];

/// How long after the audited request its first process may start.
pub const ROOT_WINDOW_NS: u64 = 10_000_000_000;
/// How early (clock skew between the API server and the node).
pub const SKEW_NS: u64 = 2_000_000_000;
/// Sessions with no audited end are closed after an hour.
pub const MAX_OPEN_NS: u64 = 3_600_000_000_000;
/// At most this many processes are listed per session (the count goes on).
const MAX_PROCESSES: usize = 256;
/// At most this many sessions are open at once (the oldest are closed first).
const MAX_OPEN: usize = 4096;

/// A process run in a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionProcess {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// Command line.
    pub cmdline: String,
    /// When it started (ns since the epoch).
    pub time_ns: u64,
}

/// One privileged session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The audit id of the exec request.
    pub audit_id: String,
    /// `exec` or `attach`.
    pub kind: String,
    /// Who.
    pub user: String,
    /// Their groups.
    pub groups: Vec<String>,
    /// From where.
    pub source_ips: Vec<String>,
    /// The pod's namespace.
    pub namespace: String,
    /// The pod.
    pub pod: String,
    /// The container named in the request, if any.
    pub container: Option<String>,
    /// The command requested (exec).
    pub command: Vec<String>,
    /// When the request was received (ns since the epoch).
    pub started_ns: u64,
    /// When the audit log says it ended.
    pub ended_ns: Option<u64>,
    /// The first process (the command), once seen.
    pub root_pid: Option<u32>,
    /// Processes run in it, root first.
    pub processes: Vec<SessionProcess>,
    /// Processes beyond the listed ones.
    pub more_processes: usize,
}

/// Open sessions, fed by audit events and sensor events.
#[derive(Debug, Default)]
pub struct Sessions {
    open: Vec<Session>,
}

fn str_at<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or_default()
}

fn strings_at(v: &Value, p: &str) -> Vec<String> {
    v.pointer(p)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Query parameters of a request URI, decoded (`command=sh&command=-c` → two `command`s).
fn query(uri: &str) -> Vec<(String, String)> {
    let Some((_, q)) = uri.split_once('?') else {
        return Vec::new();
    };
    let unescape = |s: &str| query_unescape(s).unwrap_or_else(|| s.to_string());
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn event_ns(e: &Event) -> u64 {
    e.time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

impl Sessions {
    /// An audit event: opens a session (an exec or attach request), or closes one (its
    /// completion), returned as closed.
    pub fn on_audit(&mut self, ev: &Value) -> Option<Session> {
        if str_at(ev, "/objectRef/resource") != "pods" {
            return None;
        }
        let kind = str_at(ev, "/objectRef/subresource");
        if kind != "exec" && kind != "attach" {
            return None;
        }
        let audit_id = str_at(ev, "/auditID").to_string();
        let stage = str_at(ev, "/stage");
        let received = parse_time_ns(str_at(ev, "/requestReceivedTimestamp")).unwrap_or(0);
        let at = parse_time_ns(str_at(ev, "/stageTimestamp")).unwrap_or(received);
        let known = self.open.iter().position(|s| s.audit_id == audit_id);
        if known.is_none() {
            if self.open.len() >= MAX_OPEN {
                self.open.remove(0);
            }
            let params = query(str_at(ev, "/requestURI"));
            self.open.push(Session {
                audit_id: audit_id.clone(),
                kind: kind.to_string(),
                user: str_at(ev, "/user/username").to_string(),
                groups: strings_at(ev, "/user/groups"),
                source_ips: strings_at(ev, "/sourceIPs"),
                namespace: str_at(ev, "/objectRef/namespace").to_string(),
                pod: str_at(ev, "/objectRef/name").to_string(),
                container: params
                    .iter()
                    .find(|(k, _)| k == "container")
                    .map(|(_, v)| v.clone()),
                command: params
                    .iter()
                    .filter(|(k, _)| k == "command")
                    .map(|(_, v)| v.clone())
                    .collect(),
                started_ns: received,
                ended_ns: None,
                root_pid: None,
                processes: Vec::new(),
                more_processes: 0,
            });
        }
        if stage == "ResponseComplete" {
            let i = self.open.iter().position(|s| s.audit_id == audit_id)?;
            let mut s = self.open.remove(i);
            s.ended_ns = Some(at);
            return Some(s);
        }
        None
    }

    /// A sensor event: links an exec to the session it belongs to. The session's audit id and
    /// user, when it does.
    pub fn on_sensor(&mut self, ev: &Event, procs: &ProcessTable) -> Option<(String, String)> {
        let meta = ev.container_metadata.as_deref()?;
        let pod = meta.pod.as_ref()?;
        let container_name = meta
            .labels
            .get("io.kubernetes.container.name")
            .or(meta.name.as_ref());
        let t = event_ns(ev);
        let in_pod = |s: &Session| {
            s.namespace == pod.namespace
                && s.pod == pod.name
                && s.container
                    .as_ref()
                    .is_none_or(|c| container_name.is_some_and(|n| n == c))
        };
        // a process of an open session: its root or a descendant
        let ancestors: Vec<u32> = procs.ancestors(ev.pid).map(|p| p.pid).collect();
        if let Some(s) = self.open.iter_mut().find(|s| {
            in_pod(s)
                && s.root_pid
                    .is_some_and(|r| r == ev.pid || ancestors.contains(&r))
        }) {
            if let EventKind::Exec(x) = &ev.kind {
                push_process(s, ev, &x.args, t);
            }
            return Some((s.audit_id.clone(), s.user.clone()));
        }
        let EventKind::Exec(x) = &ev.kind else {
            return None;
        };
        // the root: started by the runtime (a parent outside the container's cgroup), with the
        // requested command, soon after the request
        if x.parent_cgroup_id == ev.cgroup_id {
            return None;
        }
        let s = self.open.iter_mut().find(|s| {
            s.root_pid.is_none()
                && s.kind == "exec"
                && in_pod(s)
                && t + SKEW_NS >= s.started_ns
                && t <= s.started_ns + ROOT_WINDOW_NS
                && (s.command.is_empty() || s.command == x.args)
        })?;
        s.root_pid = Some(ev.pid);
        push_process(s, ev, &x.args, t);
        Some((s.audit_id.clone(), s.user.clone()))
    }

    /// Sessions open longer than [`MAX_OPEN_NS`] at `now_ns`, closed without an end time.
    pub fn expire(&mut self, now_ns: u64) -> Vec<Session> {
        let (old, open): (Vec<Session>, Vec<Session>) = std::mem::take(&mut self.open)
            .into_iter()
            .partition(|s| now_ns.saturating_sub(s.started_ns) > MAX_OPEN_NS);
        self.open = open;
        old
    }

    /// Every open session, closed (at shutdown).
    pub fn close_all(&mut self) -> Vec<Session> {
        std::mem::take(&mut self.open)
    }
}

fn push_process(s: &mut Session, ev: &Event, args: &[String], t: u64) {
    if s.processes.len() >= MAX_PROCESSES {
        s.more_processes += 1;
        return;
    }
    s.processes.push(SessionProcess {
        pid: ev.pid,
        ppid: ev.ppid,
        cmdline: args.join(" "),
        time_ns: t,
    });
}

/// The session as one alert line (Falco's JSON shape), for the alert sinks.
pub fn record(s: &Session, hostname: &str) -> Alert {
    let end = s.ended_ns.unwrap_or(s.started_ns);
    let container = s.container.clone().unwrap_or_default();
    let cmdlines: Vec<&str> = s.processes.iter().map(|p| p.cmdline.as_str()).collect();
    let text = format!(
        "Privileged session record (user={} kind={} pod={}/{} container={} command={} \
         started={} ended={} processes={} source={})",
        s.user,
        s.kind,
        s.namespace,
        s.pod,
        container,
        s.command.join(" "),
        iso8601(s.started_ns, "Z"),
        s.ended_ns
            .map_or_else(|| "open".to_string(), |e| iso8601(e, "Z")),
        s.processes.len() + s.more_processes,
        s.source_ips.join(","),
    );
    let mut f = BTreeMap::new();
    f.insert("evt.time".into(), Value::from(end));
    f.insert("ka.auditid".into(), Value::from(s.audit_id.clone()));
    f.insert("ka.user.name".into(), Value::from(s.user.clone()));
    f.insert("ka.user.groups".into(), Value::from(s.groups.clone()));
    f.insert("ka.sourceips".into(), Value::from(s.source_ips.clone()));
    f.insert(
        "ka.target.namespace".into(),
        Value::from(s.namespace.clone()),
    );
    f.insert("ka.target.name".into(), Value::from(s.pod.clone()));
    f.insert("ka.target.subresource".into(), Value::from(s.kind.clone()));
    f.insert("container.name".into(), Value::from(container));
    f.insert(
        "bulwark.session.command".into(),
        Value::from(s.command.clone()),
    );
    f.insert(
        "bulwark.session.started".into(),
        Value::from(iso8601(s.started_ns, "Z")),
    );
    f.insert(
        "bulwark.session.ended".into(),
        s.ended_ns
            .map_or(Value::Null, |e| Value::from(iso8601(e, "Z"))),
    );
    f.insert("bulwark.session.root_pid".into(), Value::from(s.root_pid));
    f.insert("bulwark.session.processes".into(), Value::from(cmdlines));
    f.insert(
        "bulwark.session.more_processes".into(),
        Value::from(s.more_processes),
    );
    Alert {
        hostname: hostname.to_string(),
        output: format!("{}: {} {text}", time_of_day(end), Priority::Notice),
        output_fields: f,
        priority: Priority::Notice,
        rule: RULE.to_string(),
        source: Source::K8sAudit,
        tags: TAGS.iter().map(ToString::to_string).collect(),
        time: iso8601(end, "Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse() {
        let q = query("/api/v1/x/exec?command=sh&command=-c&command=echo%20hi+there&container=api");
        assert_eq!(
            q,
            [
                ("command".to_string(), "sh".to_string()),
                ("command".into(), "-c".into()),
                ("command".into(), "echo hi there".into()),
                ("container".into(), "api".into())
            ]
        );
        assert!(query("/api/v1/pods").is_empty());
    }
}
