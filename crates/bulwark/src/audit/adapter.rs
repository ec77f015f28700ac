//! An audit event seen through the rule engine's eyes: Falco's `k8s_audit` fields (`ka.*` from
//! the k8saudit plugin, `jevt.*` from the json plugin) read from one audit `Event` object.
//!
//! Semantics follow the plugins (falcosecurity/plugins, `plugins/k8saudit` and `plugins/json`):
//!
//! - A field whose path is absent has no value (`<NA>` in outputs; every comparison but `not`
//!   fails). A list field that ends up with no values has none either, as in libsinsp.
//! - Values are text: a JSON string is its contents, any other JSON value its compact JSON text
//!   (`ka.response.code` is `"200"`, `ka.req.configmap.obj` is the `data` object as JSON,
//!   `ka.req.role.rules` one JSON object per rule).
//! - Per-container and per-volume fields walk every array on their path (`containers`,
//!   `volumes`, `rules`); with an index (`ka.req.pod.containers.image[1]`) only that element of
//!   each array. Elements missing the key are skipped, except for images
//!   (`ka.req.pod.containers.image` has no value if a container has no image).
//! - `ka.*` fields have no value for JSON that is not an audit event (no `auditID`).
//!
//! Where the plugin's code does not do what its documentation says, we follow the
//! documentation (and say so on the field): `ka.req.pod.containers.eff_run_as_user` and
//! `eff_run_as_group` (the plugin reads `spec.runAsUser` and a container's `runAsUser`, paths
//! Kubernetes does not have, so it always answers `0`), `ka.sourceips` (the plugin reads
//! `requestObject.rules[].sourceIPs`) and `ka.req.volume.hostpath[...]` (the plugin looks at the
//! first volume only). `ka.cluster.name` is not produced by the plugin; it has no value here.

use std::borrow::Cow;

use bulwark_rules::{EventTypeId, Field, FieldArg, Source, Value};
use serde_json::Value as Json;

/// Every field the adapter answers: all `k8s_audit` fields of the catalog except
/// `ka.cluster.name` (no plugin produces it: an audit event does not name its cluster), and the
/// event-time fields every source has.
pub const ANSWERED: &[Field] = &[
    Field::EvtDatetime,
    Field::EvtRawtime,
    Field::EvtTime,
    Field::EvtTimeIso8601,
    Field::EvtTimeS,
    Field::JevtObj,
    Field::JevtRawtime,
    Field::JevtTime,
    Field::JevtTimeIso8601,
    Field::JevtValue,
    Field::KaAuditid,
    Field::KaAuthDecision,
    Field::KaAuthReason,
    Field::KaImpuserName,
    Field::KaReqBindingRole,
    Field::KaReqBindingSubjectHasName,
    Field::KaReqBindingSubjects,
    Field::KaReqConfigmapName,
    Field::KaReqConfigmapObj,
    Field::KaReqContainerImage,
    Field::KaReqContainerImageRepository,
    Field::KaReqContainerPrivileged,
    Field::KaReqPodContainersAddCapabilities,
    Field::KaReqPodContainersAllowPrivilegeEscalation,
    Field::KaReqPodContainersEffRunAsGroup,
    Field::KaReqPodContainersEffRunAsUser,
    Field::KaReqPodContainersHostPort,
    Field::KaReqPodContainersImage,
    Field::KaReqPodContainersImageRepository,
    Field::KaReqPodContainersPrivileged,
    Field::KaReqPodContainersProcMount,
    Field::KaReqPodContainersReadOnlyFs,
    Field::KaReqPodContainersRunAsGroup,
    Field::KaReqPodContainersRunAsUser,
    Field::KaReqPodEphemeralContainersImage,
    Field::KaReqPodEphemeralContainersImageRepository,
    Field::KaReqPodEphemeralContainersPrivileged,
    Field::KaReqPodFsGroup,
    Field::KaReqPodHostIpc,
    Field::KaReqPodHostNetwork,
    Field::KaReqContainerHostNetwork,
    Field::KaReqPodHostPid,
    Field::KaReqPodInitContainersImage,
    Field::KaReqPodInitContainersImageRepository,
    Field::KaReqPodInitContainersPrivileged,
    Field::KaReqPodRunAsGroup,
    Field::KaReqPodRunAsUser,
    Field::KaReqPodSupplementalGroups,
    Field::KaReqPodVolumesFlexvolumeDriver,
    Field::KaReqPodVolumesHostpath,
    Field::KaReqPodVolumesVolumeType,
    Field::KaReqRoleRules,
    Field::KaReqRoleRulesApiGroups,
    Field::KaReqRoleRulesNonResourceUrls,
    Field::KaReqRoleRulesResources,
    Field::KaReqRoleRulesVerbs,
    Field::KaReqServicePorts,
    Field::KaReqServiceType,
    Field::KaReqVolumeHostpath,
    Field::KaRespName,
    Field::KaResponseCode,
    Field::KaResponseReason,
    Field::KaSourceips,
    Field::KaStage,
    Field::KaTargetName,
    Field::KaTargetNamespace,
    Field::KaTargetResource,
    Field::KaTargetSubresource,
    Field::KaUri,
    Field::KaUriParam,
    Field::KaUseragent,
    Field::KaUserGroups,
    Field::KaUserName,
    Field::KaVerb,
];

/// One audit event (a JSON object as the API server writes it), with its time parsed once.
#[derive(Debug, Clone, Copy)]
pub struct AuditEvent<'a> {
    json: &'a Json,
    time_ns: u64,
    is_audit: bool,
    /// `stage` and `objectRef`, looked up once: nearly every rule tests them.
    stage: Option<&'a Json>,
    object_ref: Option<&'a Json>,
}

impl<'a> AuditEvent<'a> {
    /// Wraps `json`; its time is its `stageTimestamp` (as Falco's k8saudit plugin takes it), or
    /// 0 when it has none that parses.
    pub fn new(json: &'a Json) -> AuditEvent<'a> {
        let time_ns = json
            .get("stageTimestamp")
            .and_then(Json::as_str)
            .and_then(parse_time_ns)
            .unwrap_or(0);
        AuditEvent::with_time(json, time_ns)
    }

    /// Wraps `json` with the time `time_ns` (nanoseconds since the epoch).
    pub fn with_time(json: &'a Json, time_ns: u64) -> AuditEvent<'a> {
        AuditEvent {
            json,
            time_ns,
            is_audit: json.get("auditID").is_some(),
            stage: json.get("stage"),
            object_ref: json.get("objectRef"),
        }
    }

    /// The value at `keys` (each an object key, or an array index as Falco's JSON library
    /// reads numeric keys on arrays).
    fn at(&self, keys: &[&str]) -> Option<&'a Json> {
        match keys {
            ["objectRef", rest @ ..] => rest.iter().try_fold(self.object_ref?, |v, k| child(v, k)),
            ["stage"] => self.stage,
            _ => keys.iter().try_fold(self.json, |v, k| child(v, k)),
        }
    }

    /// A single value at `keys`, as text.
    fn text_at(&self, keys: &[&str]) -> Option<Value<'a>> {
        self.at(keys).map(|v| Value::Str(text(v)))
    }

    /// A list field read from one array at `keys`: each element as text. Not an array: no
    /// value (the plugin's wrong-type error).
    fn list_at(&self, keys: &[&str]) -> Option<Value<'a>> {
        let items = self.at(keys)?.as_array()?;
        list(items.iter().map(|v| Value::Str(text(v))).collect())
    }

    /// Every value at `keys`, walking every array met on the way (`None` where an element
    /// lacks the rest of the path); `None` when the path is absent before any array.
    fn walk(&self, index: Option<u32>, keys: &[&str]) -> Option<Vec<Option<&'a Json>>> {
        walk(self.json, index, keys)
    }

    /// [`Self::walk`], absent elements skipped, the rest as text.
    fn walk_text(&self, index: Option<u32>, keys: &[&str]) -> Option<Value<'a>> {
        let vals = self.walk(index, keys)?;
        list(
            vals.into_iter()
                .flatten()
                .map(|v| Value::Str(text(v)))
                .collect(),
        )
    }

    /// The images of the containers of one kind (`containers`, `initContainers`, …); no value
    /// if one of them has no image.
    fn images(&self, kind: &str, index: Option<u32>) -> Option<Vec<Cow<'a, str>>> {
        let vals = self.walk(index, &["requestObject", "spec", kind, "image"])?;
        vals.into_iter().map(|v| v.map(text)).collect()
    }

    fn images_value(&self, kind: &str, index: Option<u32>, repo_only: bool) -> Option<Value<'a>> {
        let images = self.images(kind, index)?;
        list(
            images
                .into_iter()
                .map(|i| {
                    if repo_only {
                        Value::Str(Cow::Owned(repository(&i).to_string()))
                    } else {
                        Value::Str(i)
                    }
                })
                .collect(),
        )
    }

    /// `hostPort` of every port of the containers, or `containerPort` where there is none.
    fn host_ports(&self, index: Option<u32>) -> Option<Value<'a>> {
        let per_container = self.walk(index, &["requestObject", "spec", "containers", "ports"])?;
        let mut out = Vec::new();
        for ports in per_container.into_iter().flatten() {
            let ports = ports.as_array()?;
            for port in ports {
                if let Some(p) = port.get("hostPort").or_else(|| port.get("containerPort")) {
                    out.push(Value::Str(text(p)));
                }
            }
        }
        list(out)
    }

    /// Each container's `securityContext.<key>`, else the pod's `securityContext.<key>`, else
    /// `0` (the documented meaning of `eff_run_as_user`/`eff_run_as_group`).
    fn effective(&self, index: Option<u32>, key: &str) -> Option<Value<'a>> {
        let pod = self
            .at(&["requestObject", "spec", "securityContext", key])
            .map_or(Cow::Borrowed("0"), text);
        let vals = self.walk(
            index,
            &[
                "requestObject",
                "spec",
                "containers",
                "securityContext",
                key,
            ],
        )?;
        list(
            vals.into_iter()
                .map(|v| Value::Str(v.map_or_else(|| pod.clone(), text)))
                .collect(),
        )
    }

    /// The strings of every rule's `key` array (`verbs`, `resources`, …).
    fn rules_field(&self, index: Option<u32>, key: &str) -> Option<Value<'a>> {
        let vals = self.walk(index, &["requestObject", "rules", key])?;
        let mut out = Vec::new();
        for arr in vals.into_iter().flatten().filter_map(Json::as_array) {
            out.extend(arr.iter().map(|v| Value::Str(text(v))));
        }
        list(out)
    }

    /// The volume types: every key of every volume but `name`.
    fn volume_types(&self, index: Option<u32>) -> Option<Value<'a>> {
        let vals = self.walk(index, &["requestObject", "spec", "volumes", ""])?;
        let mut out = Vec::new();
        for obj in vals.into_iter().flatten().filter_map(Json::as_object) {
            out.extend(
                obj.keys()
                    .filter(|k| *k != "name")
                    .map(|k| Value::str(k.as_str())),
            );
        }
        list(out)
    }

    /// `true` when a hostPath volume's path is `arg`, or starts with it when `arg` ends with
    /// `*`; `false` otherwise; no value without volumes.
    fn volume_hostpath(&self, arg: &str) -> Option<Value<'a>> {
        let vals = self.walk(
            None,
            &["requestObject", "spec", "volumes", "hostPath", "path"],
        )?;
        let prefix = arg.strip_suffix('*');
        let found = vals.into_iter().flatten().any(|v| {
            let p = text(v);
            prefix.is_some_and(|pre| p.starts_with(pre)) || p == arg
        });
        Some(Value::str(if found { "true" } else { "false" }))
    }

    /// The first value of query parameter `name` of the request URI.
    fn uri_param(&self, name: &str) -> Option<Value<'a>> {
        let uri = self.at(&["requestURI"])?;
        let uri = text(uri);
        let query = uri.split_once('?')?.1;
        let query = query.split_once('#').map_or(query, |(q, _)| q);
        let mut found = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            // Go's query parser refuses the whole query when a pair has a semicolon.
            if pair.contains(';') {
                return None;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = query_unescape(k)?;
            let v = query_unescape(v)?;
            if found.is_none() && k == name {
                found = Some(v);
            }
        }
        found.map(|v| Value::Str(Cow::Owned(v)))
    }

    /// `jevt.value[/json/pointer]`.
    fn pointer(&self, pointer: &str) -> Option<Value<'a>> {
        if pointer.is_empty() {
            return None;
        }
        let pointer = pointer.strip_prefix('/').unwrap_or(pointer);
        if pointer == "stage" {
            return self.stage.map(|v| Value::Str(text(v)));
        }
        let mut v = self.json;
        for key in pointer.split('/') {
            v = if key.contains('~') {
                child(v, &key.replace("~1", "/").replace("~0", "~"))?
            } else {
                child(v, key)?
            };
        }
        Some(Value::Str(text(v)))
    }

    fn ka_field(&self, field: Field, arg: Option<&FieldArg>) -> Option<Value<'a>> {
        const SPEC: [&str; 2] = ["requestObject", "spec"];
        let index = match arg {
            Some(FieldArg::Index(i)) => Some(*i),
            _ => None,
        };
        let key = match arg {
            Some(FieldArg::Key(k)) => Some(k.as_ref()),
            _ => None,
        };
        let containers = |k: &[&str]| -> Option<Value<'a>> {
            let mut path = vec!["requestObject", "spec", "containers", "securityContext"];
            path.extend_from_slice(k);
            self.walk_text(index, &path)
        };
        match field {
            Field::KaAuditid => self.text_at(&["auditID"]),
            Field::KaStage => self.text_at(&["stage"]),
            Field::KaAuthDecision => {
                self.text_at(&["annotations", "authorization.k8s.io/decision"])
            }
            Field::KaAuthReason => self.text_at(&["annotations", "authorization.k8s.io/reason"]),
            Field::KaUserName => self.text_at(&["user", "username"]),
            Field::KaUserGroups => self.list_at(&["user", "groups"]),
            Field::KaImpuserName => self.text_at(&["impersonatedUser", "username"]),
            Field::KaVerb => self.text_at(&["verb"]),
            Field::KaUri => self.text_at(&["requestURI"]),
            Field::KaUriParam => self.uri_param(key?),
            Field::KaTargetName | Field::KaReqConfigmapName => self.text_at(&["objectRef", "name"]),
            Field::KaTargetNamespace => self.text_at(&["objectRef", "namespace"]),
            Field::KaTargetResource => self.text_at(&["objectRef", "resource"]),
            Field::KaTargetSubresource => self.text_at(&["objectRef", "subresource"]),
            Field::KaReqBindingSubjects => self.list_at(&["requestObject", "subjects"]),
            Field::KaReqBindingRole => self.text_at(&["requestObject", "roleRef", "name"]),
            // Documented as deprecated; the plugin (like Falco's original implementation)
            // answers `true` whatever the argument.
            Field::KaReqBindingSubjectHasName => Some(Value::str("true")),
            Field::KaReqConfigmapObj => self.text_at(&["requestObject", "data"]),
            Field::KaReqPodContainersImage => self.images_value("containers", index, false),
            Field::KaReqPodContainersImageRepository => {
                self.images_value("containers", index, true)
            }
            Field::KaReqPodInitContainersImage => self.images_value("initContainers", index, false),
            Field::KaReqPodInitContainersImageRepository => {
                self.images_value("initContainers", index, true)
            }
            Field::KaReqPodEphemeralContainersImage => {
                self.images_value("ephemeralContainers", index, false)
            }
            Field::KaReqPodEphemeralContainersImageRepository => {
                self.images_value("ephemeralContainers", index, true)
            }
            Field::KaReqContainerImage => {
                let first = self.images("containers", Some(0))?.into_iter().next()?;
                Some(Value::Str(first))
            }
            Field::KaReqContainerImageRepository => {
                let first = self.images("containers", Some(0))?.into_iter().next()?;
                Some(Value::Str(Cow::Owned(repository(&first).to_string())))
            }
            Field::KaReqPodHostIpc => self.text_at(&[SPEC[0], SPEC[1], "hostIPC"]),
            Field::KaReqPodHostNetwork | Field::KaReqContainerHostNetwork => {
                self.text_at(&[SPEC[0], SPEC[1], "hostNetwork"])
            }
            Field::KaReqPodHostPid => self.text_at(&[SPEC[0], SPEC[1], "hostPID"]),
            Field::KaReqPodContainersHostPort => self.host_ports(index),
            Field::KaReqPodContainersPrivileged => containers(&["privileged"]),
            Field::KaReqPodInitContainersPrivileged => self.walk_text(
                index,
                &[
                    "requestObject",
                    "spec",
                    "initContainers",
                    "securityContext",
                    "privileged",
                ],
            ),
            Field::KaReqPodEphemeralContainersPrivileged => self.walk_text(
                index,
                &[
                    "requestObject",
                    "spec",
                    "ephemeralContainers",
                    "securityContext",
                    "privileged",
                ],
            ),
            Field::KaReqContainerPrivileged => {
                let vals = self.walk(
                    None,
                    &[
                        "requestObject",
                        "spec",
                        "containers",
                        "securityContext",
                        "privileged",
                    ],
                )?;
                let any = vals
                    .into_iter()
                    .flatten()
                    .any(|v| v.as_bool() == Some(true));
                Some(Value::str(if any { "true" } else { "false" }))
            }
            Field::KaReqPodContainersAllowPrivilegeEscalation => {
                containers(&["allowPrivilegeEscalation"])
            }
            Field::KaReqPodContainersReadOnlyFs => containers(&["readOnlyRootFilesystem"]),
            Field::KaReqPodContainersRunAsUser => containers(&["runAsUser"]),
            Field::KaReqPodContainersRunAsGroup => containers(&["runAsGroup"]),
            Field::KaReqPodContainersProcMount => containers(&["procMount"]),
            Field::KaReqPodContainersAddCapabilities => containers(&["capabilities", "add"]),
            Field::KaReqPodContainersEffRunAsUser => self.effective(index, "runAsUser"),
            Field::KaReqPodContainersEffRunAsGroup => self.effective(index, "runAsGroup"),
            Field::KaReqPodRunAsUser => {
                self.text_at(&[SPEC[0], SPEC[1], "securityContext", "runAsUser"])
            }
            Field::KaReqPodRunAsGroup => {
                self.text_at(&[SPEC[0], SPEC[1], "securityContext", "runAsGroup"])
            }
            Field::KaReqPodFsGroup => {
                self.text_at(&[SPEC[0], SPEC[1], "securityContext", "fsGroup"])
            }
            Field::KaReqPodSupplementalGroups => {
                self.list_at(&[SPEC[0], SPEC[1], "securityContext", "supplementalGroups"])
            }
            Field::KaReqRoleRules => self.list_at(&["requestObject", "rules"]),
            Field::KaReqRoleRulesApiGroups => self.rules_field(index, "apiGroups"),
            Field::KaReqRoleRulesNonResourceUrls => self.rules_field(index, "nonResourceURLs"),
            Field::KaReqRoleRulesVerbs => self.rules_field(index, "verbs"),
            Field::KaReqRoleRulesResources => self.rules_field(index, "resources"),
            Field::KaReqServiceType => self.text_at(&[SPEC[0], SPEC[1], "type"]),
            // The walk ends on the `ports` array itself: one value, the array's JSON text (an
            // index does not apply), as in the plugin.
            Field::KaReqServicePorts => self.walk_text(index, &[SPEC[0], SPEC[1], "ports"]),
            Field::KaReqPodVolumesHostpath => {
                self.walk_text(index, &[SPEC[0], SPEC[1], "volumes", "hostPath", "path"])
            }
            Field::KaReqVolumeHostpath => self.volume_hostpath(key?),
            Field::KaReqPodVolumesFlexvolumeDriver => self.walk_text(
                index,
                &[SPEC[0], SPEC[1], "volumes", "flexVolume", "driver"],
            ),
            Field::KaReqPodVolumesVolumeType => self.volume_types(index),
            Field::KaRespName => self.text_at(&["responseObject", "metadata", "name"]),
            Field::KaResponseCode => self.text_at(&["responseStatus", "code"]),
            Field::KaResponseReason => self.text_at(&["responseStatus", "reason"]),
            Field::KaUseragent => self.text_at(&["userAgent"]),
            Field::KaSourceips => self.walk_text(index, &["sourceIPs", ""]),
            _ => None,
        }
    }
}

impl bulwark_rules::Event for AuditEvent<'_> {
    fn source(&self) -> Source {
        Source::K8sAudit
    }

    fn event_type(&self) -> EventTypeId {
        EventTypeId::NONE
    }

    fn field(&self, field: Field, arg: Option<&FieldArg>) -> Option<Value<'_>> {
        let ns = self.time_ns;
        match field {
            Field::EvtTime
            | Field::EvtTimeS
            | Field::EvtTimeIso8601
            | Field::EvtDatetime
            | Field::EvtRawtime
            | Field::JevtRawtime => Some(Value::Uint(ns)),
            Field::JevtTime => Some(Value::Str(Cow::Owned(bulwark_rules::time_of_day(ns)))),
            Field::JevtTimeIso8601 => Some(Value::Str(Cow::Owned(bulwark_rules::iso8601(ns, "Z")))),
            Field::JevtObj => serde_json::to_string_pretty(self.json)
                .ok()
                .map(|s| Value::Str(Cow::Owned(s))),
            Field::JevtValue => match arg {
                Some(FieldArg::Key(k)) => self.pointer(k),
                _ => None,
            },
            _ if self.is_audit && field.info().source == Some(Source::K8sAudit) => {
                self.ka_field(field, arg)
            }
            _ => None,
        }
    }

    fn time_ns(&self) -> u64 {
        self.time_ns
    }
}

/// The child `key` of `v`: an object's member, or an array's element when `key` is a number.
fn child<'j>(v: &'j Json, key: &str) -> Option<&'j Json> {
    match v {
        Json::Object(m) => m.get(key),
        Json::Array(a) => a.get(key.parse::<usize>().ok()?),
        _ => None,
    }
}

/// The plugins' text of a JSON value: a string's contents, anything else its compact JSON.
fn text(v: &Json) -> Cow<'_, str> {
    match v {
        Json::String(s) => Cow::Borrowed(s.as_str()),
        other => Cow::Owned(other.to_string()),
    }
}

/// A list field's value: no value when empty (libsinsp treats an extraction with no values as
/// a missing field).
fn list(items: Vec<Value<'_>>) -> Option<Value<'_>> {
    (!items.is_empty()).then_some(Value::List(items))
}

/// Walks `keys` from `v`. Whenever the current value is an array, the rest of the path is
/// walked from each element (or only from element `index`); an element where the rest is
/// absent contributes `None`. An empty key stands for the value itself. `None` when the path
/// is absent outside any array, or `index` is out of range.
fn walk<'j>(v: &'j Json, index: Option<u32>, keys: &[&str]) -> Option<Vec<Option<&'j Json>>> {
    let mut cur = v;
    for (i, key) in keys.iter().enumerate() {
        if let Json::Array(items) = cur {
            match index {
                None => {
                    let mut out = Vec::new();
                    for item in items {
                        match walk(item, None, &keys[i..]) {
                            Some(vals) => out.extend(vals),
                            None => out.push(None),
                        }
                    }
                    return Some(out);
                }
                Some(n) => cur = items.get(usize::try_from(n).ok()?)?,
            }
        }
        if !key.is_empty() {
            cur = child_of_object(cur, key)?;
        }
    }
    Some(vec![Some(cur)])
}

/// An object's member (the walk's keys are names, never indexes).
fn child_of_object<'j>(v: &'j Json, key: &str) -> Option<&'j Json> {
    match v {
        Json::Object(m) => m.get(key),
        _ => None,
    }
}

/// An image reference's repository as the plugin cuts it: before the first `:`, then before
/// the first `@` (`registry:5000/app:1` gives `registry`, as in Falco).
fn repository(image: &str) -> &str {
    let before_colon = image.split(':').next().unwrap_or(image);
    before_colon.split('@').next().unwrap_or(before_colon)
}

/// Decodes a query component (`+` is a space, `%XX` a byte); `None` on a bad escape or text
/// that is not UTF-8, where Go's parser fails.
pub(crate) fn query_unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Nanoseconds since the epoch of an RFC 3339 time with an optional fraction
/// (`2019-01-01T00:00:00.123456Z`).
pub(crate) fn parse_time_ns(s: &str) -> Option<u64> {
    let secs = u64::try_from(bulwark_model::time::parse_rfc3339(s)?).ok()?;
    let frac = s.trim().get(19..).and_then(|rest| rest.strip_prefix('.'));
    let mut nanos = 0u64;
    if let Some(frac) = frac {
        let digits: Vec<u8> = frac.bytes().take_while(u8::is_ascii_digit).collect();
        for k in 0..9 {
            nanos = nanos * 10 + digits.get(k).map_or(0, |d| u64::from(d - b'0'));
        }
    }
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

#[cfg(test)]
mod unit {
    use super::*;
    use bulwark_rules::Event as _;
    use serde_json::json;

    fn val(ev: &AuditEvent<'_>, f: Field, arg: Option<&FieldArg>) -> Option<String> {
        ev.field(f, arg).map(|v| v.to_string())
    }

    fn strs(ev: &AuditEvent<'_>, f: Field, arg: Option<&FieldArg>) -> Option<Vec<String>> {
        match ev.field(f, arg)? {
            Value::List(items) => Some(items.iter().map(ToString::to_string).collect()),
            other => Some(vec![other.to_string()]),
        }
    }

    fn pod() -> Json {
        json!({
            "kind": "Event",
            "auditID": "a1",
            "stage": "ResponseComplete",
            "requestURI": "/api/v1/namespaces/default/pods/p/exec?command=sh&command=-c&stdin=true&x=a%20b+c",
            "stageTimestamp": "2019-01-15T18:01:41.123456Z",
            "sourceIPs": ["10.0.0.1", "10.0.0.2"],
            "responseStatus": {"code": 201},
            "requestObject": {"spec": {
                "securityContext": {"runAsUser": 1000},
                "containers": [
                    {"image": "nginx:1.2@sha256:ab", "securityContext": {"privileged": true, "capabilities": {"add": ["NET_ADMIN"]}},
                     "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 8081}]},
                    {"image": "registry:5000/app:1", "securityContext": {"runAsUser": 0}},
                    {"image": "busybox"}
                ],
                "volumes": [
                    {"name": "a", "hostPath": {"path": "/etc/kubernetes"}},
                    {"name": "b", "configMap": {"name": "c"}}
                ]
            }},
            "annotations": {"authorization.k8s.io/decision": "allow"}
        })
    }

    #[test]
    fn container_fields_walk_every_container_and_skip_missing_values() {
        let j = pod();
        let ev = AuditEvent::new(&j);
        assert_eq!(
            strs(&ev, Field::KaReqPodContainersImageRepository, None).unwrap(),
            ["nginx", "registry", "busybox"]
        );
        assert_eq!(
            strs(
                &ev,
                Field::KaReqPodContainersImage,
                Some(&FieldArg::Index(1))
            )
            .unwrap(),
            ["registry:5000/app:1"]
        );
        assert_eq!(
            strs(&ev, Field::KaReqPodContainersPrivileged, None).unwrap(),
            ["true"]
        );
        assert_eq!(
            val(&ev, Field::KaReqContainerPrivileged, None).unwrap(),
            "true"
        );
        assert_eq!(
            val(
                &ev,
                Field::KaReqPodContainersPrivileged,
                Some(&FieldArg::Index(2))
            ),
            None
        );
        assert_eq!(
            strs(&ev, Field::KaReqPodContainersAddCapabilities, None).unwrap(),
            [r#"["NET_ADMIN"]"#]
        );
        assert_eq!(
            strs(&ev, Field::KaReqPodContainersHostPort, None).unwrap(),
            ["80", "8081"]
        );
        assert_eq!(
            strs(&ev, Field::KaReqPodContainersEffRunAsUser, None).unwrap(),
            ["1000", "0", "1000"]
        );
        assert_eq!(
            val(&ev, Field::KaReqContainerImage, None).unwrap(),
            "nginx:1.2@sha256:ab"
        );
        assert_eq!(
            strs(&ev, Field::KaReqPodVolumesVolumeType, None).unwrap(),
            ["hostPath", "configMap"]
        );
        assert_eq!(
            strs(&ev, Field::KaReqPodVolumesHostpath, None).unwrap(),
            ["/etc/kubernetes"]
        );
    }

    #[test]
    fn keyed_fields_follow_the_plugins() {
        let j = pod();
        let ev = AuditEvent::new(&j);
        let key = |k: &str| Some(FieldArg::Key(k.into()));
        assert_eq!(
            val(&ev, Field::KaUriParam, key("command").as_ref()).unwrap(),
            "sh"
        );
        assert_eq!(
            val(&ev, Field::KaUriParam, key("x").as_ref()).unwrap(),
            "a b c"
        );
        assert_eq!(val(&ev, Field::KaUriParam, key("nope").as_ref()), None);
        assert_eq!(
            val(&ev, Field::KaReqVolumeHostpath, key("/etc*").as_ref()).unwrap(),
            "true"
        );
        assert_eq!(
            val(&ev, Field::KaReqVolumeHostpath, key("/etc").as_ref()).unwrap(),
            "false"
        );
        assert_eq!(
            val(
                &ev,
                Field::KaReqBindingSubjectHasName,
                key("anyone").as_ref()
            )
            .unwrap(),
            "true"
        );
        assert_eq!(
            val(
                &ev,
                Field::JevtValue,
                key("/annotations/authorization.k8s.io~1decision").as_ref()
            )
            .unwrap(),
            "allow"
        );
        assert_eq!(
            val(
                &ev,
                Field::JevtValue,
                key("/requestObject/spec/containers/1/image").as_ref()
            )
            .unwrap(),
            "registry:5000/app:1"
        );
        assert_eq!(val(&ev, Field::JevtValue, key("/a~1~0b").as_ref()), None);
        assert_eq!(val(&ev, Field::KaResponseCode, None).unwrap(), "201");
        assert_eq!(
            strs(&ev, Field::KaSourceips, Some(&FieldArg::Index(1))).unwrap(),
            ["10.0.0.2"]
        );
    }

    #[test]
    fn times_and_non_audit_json() {
        let j = pod();
        let ev = AuditEvent::new(&j);
        assert_eq!(ev.time_ns(), 1_547_575_301_123_456_000);
        assert_eq!(
            val(&ev, Field::JevtTimeIso8601, None).unwrap(),
            "2019-01-15T18:01:41.123456000Z"
        );
        assert_eq!(
            val(&ev, Field::JevtTime, None).unwrap(),
            "18:01:41.123456000"
        );
        let other = json!({"kind": 0, "stage": "x"});
        let ev = AuditEvent::new(&other);
        assert_eq!(val(&ev, Field::KaStage, None), None);
        assert_eq!(
            val(&ev, Field::JevtValue, Some(&FieldArg::Key("/stage".into()))).unwrap(),
            "x"
        );
        assert_eq!(ev.time_ns(), 0);
    }

    #[test]
    fn answered_is_every_k8s_audit_field_but_the_cluster_name() {
        let mut catalog: Vec<Field> = Field::all()
            .filter(|f| f.source == Some(Source::K8sAudit))
            .map(|f| f.field)
            .filter(|f| *f != Field::KaClusterName)
            .collect();
        catalog.sort();
        let mut ours: Vec<Field> = ANSWERED
            .iter()
            .copied()
            .filter(|f| f.info().source == Some(Source::K8sAudit))
            .collect();
        ours.sort();
        assert_eq!(ours, catalog);
        // The common fields listed are answered for every event.
        let j = pod();
        let ev = AuditEvent::new(&j);
        for f in ANSWERED.iter().filter(|f| f.info().source.is_none()) {
            assert!(ev.field(*f, None).is_some(), "{}", f.name());
        }
    }
}
