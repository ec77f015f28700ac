//! Reading rule files into the collection of lists, macros and rules (Falco's
//! `rule_loader_reader.cpp` and `rule_loader_collector.cpp`): required keys, appends and
//! overrides, exceptions, version requirements, with Falco's messages.

use std::collections::{BTreeSet, HashMap};

use bulwark_yaml::{Node, Pos, ScalarStyle};

use crate::catalog::{Lookup, Source, lookup};
use crate::diag::{Code, Diagnostic, ErrorCode, ItemType, WarningCode};
use crate::parser;
use crate::priority::Priority;
use crate::{ENGINE_VERSION, Limits};

/// Where an item (or part of it) is, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ctx {
    pub file: String,
    pub pos: Pos,
    pub item_type: ItemType,
    pub item_name: String,
}

impl Ctx {
    pub(crate) fn diag(&self, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            item_type: self.item_type,
            item_name: self.item_name.clone(),
            message: message.into(),
            file: self.file.clone(),
            line: self.pos.line,
            col: self.pos.col,
            condition_pos: None,
        }
    }

    fn with(&self, item_type: ItemType, item_name: &str, pos: Pos) -> Ctx {
        Ctx {
            file: self.file.clone(),
            pos,
            item_type,
            item_name: item_name.to_string(),
        }
    }
}

/// A loading failure: stops the file, as in Falco.
pub(crate) type Fail = Box<Diagnostic>;

#[allow(clippy::unnecessary_box_returns)] // keeps every `Result<_, Fail>` small
fn yaml_validate(ctx: &Ctx, msg: impl Into<String>) -> Fail {
    Box::new(ctx.diag(Code::Error(ErrorCode::LOAD_ERR_YAML_VALIDATE), msg))
}

#[allow(clippy::unnecessary_box_returns)] // keeps every `Result<_, Fail>` small
fn validate(ctx: &Ctx, msg: impl Into<String>) -> Fail {
    Box::new(ctx.diag(Code::Error(ErrorCode::LOAD_ERR_VALIDATE), msg))
}

/// A list's collected definition.
#[derive(Debug, Clone)]
pub(crate) struct ListInfo {
    pub name: String,
    pub items: Vec<String>,
    pub index: u32,
    pub visibility: u32,
    pub ctx: Ctx,
}

/// A macro's collected definition.
#[derive(Debug, Clone)]
pub(crate) struct MacroInfo {
    pub cond: String,
    pub index: u32,
    pub visibility: u32,
    pub ctx: Ctx,
}

/// A scalar or a (nested) sequence of scalars, as exception `fields`, `comps` and `values`
/// are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub is_list: bool,
    pub item: String,
    pub items: Vec<Entry>,
}

impl Entry {
    fn scalar(s: &str) -> Entry {
        Entry {
            is_list: false,
            item: s.to_string(),
            items: Vec::new(),
        }
    }

    pub(crate) fn is_valid(&self) -> bool {
        (self.is_list && !self.items.is_empty()) || (!self.is_list && !self.item.is_empty())
    }
}

/// One of a rule's exceptions.
#[derive(Debug, Clone)]
pub(crate) struct ExceptionInfo {
    pub name: String,
    pub fields: Entry,
    pub comps: Entry,
    pub values: Vec<Entry>,
    pub ctx: Ctx,
}

/// A rule's collected definition.
#[derive(Debug, Clone)]
pub(crate) struct RuleInfo {
    pub name: String,
    pub cond: String,
    pub cond_pos: Pos,
    pub output: String,
    pub output_pos: Pos,
    pub desc: String,
    pub priority: Priority,
    pub source: String,
    pub tags: BTreeSet<String>,
    pub exceptions: Vec<ExceptionInfo>,
    pub enabled: bool,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    pub unknown_source: bool,
    pub index: u32,
    pub visibility: u32,
    pub ctx: Ctx,
}

/// Items by name, in definition order; a redefinition replaces the item in place.
#[derive(Debug, Clone)]
pub(crate) struct Indexed<T> {
    pub items: Vec<T>,
    by_name: HashMap<String, usize>,
}

impl<T> Default for Indexed<T> {
    fn default() -> Self {
        Indexed {
            items: Vec::new(),
            by_name: HashMap::new(),
        }
    }
}

impl<T> Indexed<T> {
    pub(crate) fn get(&self, name: &str) -> Option<&T> {
        self.by_name.get(name).map(|&i| &self.items[i])
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        self.by_name.get(name).map(|&i| &mut self.items[i])
    }

    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    fn insert(&mut self, name: &str, item: T) {
        if let Some(&i) = self.by_name.get(name) {
            self.items[i] = item;
        } else {
            self.by_name.insert(name.to_string(), self.items.len());
            self.items.push(item);
        }
    }
}

/// A plugin requirement and its alternatives.
#[derive(Debug, Clone)]
pub(crate) struct PluginRequirement {
    pub alternatives: Vec<(String, String)>,
}

/// Everything read so far, across files.
#[derive(Debug, Clone, Default)]
pub(crate) struct Collector {
    pub lists: Indexed<ListInfo>,
    pub macros: Indexed<MacroInfo>,
    pub rules: Indexed<RuleInfo>,
    pub cur_index: u32,
    pub required_plugins: Vec<PluginRequirement>,
    /// Total bytes of condition text collected, bounded by [`Limits::max_condition_bytes`].
    total_cond_bytes: usize,
}

/// The plugins whose fields we provide, so `required_plugin_versions` naming them is satisfied.
const KNOWN_PLUGINS: &[&str] = &[
    "container",
    "k8saudit",
    "k8saudit-aks",
    "k8saudit-eks",
    "k8saudit-gke",
    "k8saudit-ovh",
    "json",
];

pub(crate) struct Reader<'a> {
    pub file: String,
    pub limits: &'a Limits,
    pub warnings: Vec<Diagnostic>,
}

fn scalar_text(n: &Node) -> Option<&str> {
    n.as_scalar().map(|s| s.text.as_str())
}

/// yaml-cpp's `convert<bool>`.
fn yaml_bool(n: &Node) -> Option<bool> {
    let s = n.as_scalar()?;
    match s.text.as_str() {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// Falco's `decode_val` for a string: required unless `optional`.
fn decode_str<'n>(
    item: &'n Node,
    key: &str,
    ctx: &Ctx,
    optional: bool,
) -> Result<Option<&'n str>, Fail> {
    let Some(entry) = item.entry(key) else {
        if optional {
            return Ok(None);
        }
        return Err(yaml_validate(
            ctx,
            format!("Item has no mapping for key '{key}'"),
        ));
    };
    let val = &entry.value;
    if val.is_null() {
        return Err(yaml_validate(
            ctx,
            format!("Mapping for key '{key}' is empty"),
        ));
    }
    let vctx = ctx.with(ctx.item_type, &ctx.item_name, val.pos);
    let Some(text) = scalar_text(val) else {
        return Err(yaml_validate(&vctx, "Value is not a scalar value"));
    };
    if text.is_empty() {
        return Err(yaml_validate(&vctx, "Value must be non-empty"));
    }
    Ok(Some(text))
}

fn decode_bool(item: &Node, key: &str, ctx: &Ctx, optional: bool) -> Result<Option<bool>, Fail> {
    let Some(_) = decode_str(item, key, ctx, optional)? else {
        return Ok(None);
    };
    let val = &item
        .entry(key)
        .map(|e| &e.value)
        .ok_or_else(|| yaml_validate(ctx, "missing"))?;
    match yaml_bool(val) {
        Some(b) => Ok(Some(b)),
        None => Err(yaml_validate(
            &ctx.with(ctx.item_type, &ctx.item_name, val.pos),
            "Can't decode YAML scalar value",
        )),
    }
}

fn decode_seq(
    item: &Node,
    key: &str,
    ctx: &Ctx,
    optional: bool,
) -> Result<Option<Vec<String>>, Fail> {
    let Some(entry) = item.entry(key) else {
        if optional {
            return Ok(None);
        }
        return Err(yaml_validate(
            ctx,
            format!("Item has no mapping for key '{key}'"),
        ));
    };
    let val = &entry.value;
    let vctx = ctx.with(ctx.item_type, &ctx.item_name, val.pos);
    // yaml-cpp sees `key:` (null) as not a sequence.
    let Some(seq) = val.as_seq() else {
        return Err(yaml_validate(&vctx, "Value is not a sequence"));
    };
    let mut out = Vec::with_capacity(seq.len());
    for v in seq {
        let Some(t) = scalar_text(v) else {
            return Err(yaml_validate(
                &ctx.with(ctx.item_type, &ctx.item_name, v.pos),
                "sequence value is not scalar",
            ));
        };
        out.push(t.to_string());
    }
    Ok(Some(out))
}

fn decode_entry(val: &Node, ctx: &Ctx, depth: usize) -> Result<Entry, Fail> {
    if depth > 16 {
        return Err(yaml_validate(ctx, "Exception values nest too deeply"));
    }
    if let Some(t) = scalar_text(val) {
        if val.is_null() || t.is_empty() {
            return Err(yaml_validate(ctx, "Value must be non-empty"));
        }
        return Ok(Entry::scalar(t));
    }
    if let Some(seq) = val.as_seq() {
        let mut e = Entry {
            is_list: true,
            ..Entry::default()
        };
        for v in seq {
            let c = ctx.with(ctx.item_type, &ctx.item_name, v.pos);
            e.items.push(decode_entry(v, &c, depth + 1)?);
        }
        return Ok(e);
    }
    Ok(Entry::default())
}

fn decode_entry_key(
    item: &Node,
    key: &str,
    ctx: &Ctx,
    optional: bool,
) -> Result<Option<Entry>, Fail> {
    let Some(entry) = item.entry(key) else {
        if optional {
            return Ok(None);
        }
        return Err(yaml_validate(
            ctx,
            format!("Item has no mapping for key '{key}'"),
        ));
    };
    let vctx = ctx.with(ctx.item_type, &ctx.item_name, entry.value.pos);
    decode_entry(&entry.value, &vctx, 0).map(Some)
}

fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

fn is_barestr(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|c| {
            !matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !c.is_ascii_whitespace()
        })
}

/// A semantic version `x.y.z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Semver(pub u64, pub u64, pub u64);

impl Semver {
    pub(crate) fn parse(s: &str) -> Option<Semver> {
        let core = s.split(['-', '+']).next()?;
        let mut it = core.split('.');
        let a = it.next()?.parse().ok()?;
        let b = it.next()?.parse().ok()?;
        let c = it.next()?.parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        Some(Semver(a, b, c))
    }

    /// Whether an engine of this version runs rules requiring `req`.
    pub(crate) fn compatible_with(self, req: Semver) -> bool {
        self.0 == req.0 && (self.1, self.2) >= (req.1, req.2)
    }
}

#[derive(Clone, Copy)]
enum Override {
    Append,
    Replace,
}

struct RuleUpdate {
    cond: Option<(String, Pos)>,
    output: Option<String>,
    desc: Option<String>,
    tags: Option<BTreeSet<String>>,
    exceptions: Option<Vec<ExceptionInfo>>,
    priority: Option<Priority>,
    enabled: Option<bool>,
    warn_evttypes: Option<bool>,
    skip_if_unknown_filter: Option<bool>,
}

impl RuleUpdate {
    fn empty() -> RuleUpdate {
        RuleUpdate {
            cond: None,
            output: None,
            desc: None,
            tags: None,
            exceptions: None,
            priority: None,
            enabled: None,
            warn_evttypes: None,
            skip_if_unknown_filter: None,
        }
    }

    fn has_any_value(&self) -> bool {
        self.cond.as_ref().is_some_and(|c| !c.0.is_empty())
            || self.output.is_some()
            || self.desc.is_some()
            || self.tags.is_some()
            || self.exceptions.is_some()
            || self.priority.is_some()
            || self.enabled.is_some()
            || self.warn_evttypes.is_some()
            || self.skip_if_unknown_filter.is_some()
    }
}

const RULE_KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "tags",
    "exceptions",
    "append",
    "override",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];
const MACRO_KEYS: &[&str] = &["macro", "condition", "append", "override"];
const LIST_KEYS: &[&str] = &["list", "items", "append", "override"];

impl Reader<'_> {
    fn warn(&mut self, ctx: &Ctx, code: WarningCode, msg: impl Into<String>) {
        self.warnings.push(ctx.diag(Code::Warning(code), msg));
    }

    fn unknown_keys(&mut self, item: &Node, known: &[&str], ctx: &Ctx) {
        for e in item.as_map().unwrap_or(&[]) {
            if !known.contains(&e.key.as_str()) {
                let c = ctx.with(ctx.item_type, &ctx.item_name, e.key_pos);
                self.warn(
                    &c,
                    WarningCode::LOAD_UNKNOWN_KEY,
                    format!("Unknown key '{}'. The key will be ignored.", e.key),
                );
            }
        }
    }

    /// Reads one file's documents into `col`. Stops at the first error, as Falco does.
    pub(crate) fn read(&mut self, docs: &[Node], col: &mut Collector) -> Result<(), Fail> {
        let file_ctx = Ctx {
            file: self.file.clone(),
            pos: Pos::default(),
            item_type: ItemType::RulesContent,
            item_name: String::new(),
        };
        for doc in docs {
            if doc.is_null() {
                continue;
            }
            if doc.as_scalar().is_some() {
                return Err(yaml_validate(&file_ctx, "Rules content is not yaml"));
            }
            let Some(items) = doc.as_seq() else {
                return Err(yaml_validate(
                    &file_ctx,
                    "Rules content is not yaml array of objects",
                ));
            };
            for item in items {
                if item.is_null() {
                    continue;
                }
                self.read_item(item, col, &file_ctx)?;
            }
        }
        Ok(())
    }

    fn read_item(&mut self, item: &Node, col: &mut Collector, parent: &Ctx) -> Result<(), Fail> {
        let ictx = parent.with(ItemType::RulesContentItem, "", item.pos);
        if item.as_map().is_none() {
            return Err(yaml_validate(
                &ictx,
                "Unexpected element type. Each element should be a yaml associative array.",
            ));
        }
        if item.entry("required_engine_version").is_some() {
            let ctx = parent.with(ItemType::RequiredEngineVersion, "", item.pos);
            return read_engine_version(item, &ctx);
        }
        if let Some(e) = item.entry("required_plugin_versions") {
            let ctx = parent.with(ItemType::RequiredPluginVersions, "", e.value.pos);
            return self.read_plugin_versions(&e.value, &ctx, col);
        }
        if item.entry("list").is_some() {
            return self.read_list(item, col, parent);
        }
        if item.entry("macro").is_some() {
            return self.read_macro(item, col, parent);
        }
        if item.entry("rule").is_some() {
            return self.read_rule(item, col, parent);
        }
        self.warn(
            &ictx,
            WarningCode::LOAD_UNKNOWN_ITEM,
            "Unknown top level item",
        );
        Ok(())
    }
}

fn read_engine_version(item: &Node, ctx: &Ctx) -> Result<(), Fail> {
    let text = decode_str(item, "required_engine_version", ctx, false)?.unwrap_or_default();
    let plain = item
        .entry("required_engine_version")
        .and_then(|e| e.value.as_scalar())
        .is_some_and(|s| s.style == ScalarStyle::Plain);
    let version = if plain && !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        match text.parse::<u32>() {
            Ok(n) => Semver(0, u64::from(n), 0),
            Err(_) => {
                return Err(yaml_validate(ctx, "Can't decode YAML scalar value"));
            }
        }
    } else {
        Semver::parse(text).ok_or_else(|| {
                yaml_validate(
                    ctx,
                    format!(
                        "Unable to parse engine version '{text}' as a semver string. Expected \"x.y.z\" semver format."
                    ),
                )
            })?
    };
    let engine = Semver::parse(ENGINE_VERSION).unwrap_or(Semver(0, 0, 0));
    if !engine.compatible_with(version) {
        return Err(validate(
            ctx,
            format!("Rules require engine version {text}, but engine version is {ENGINE_VERSION}"),
        ));
    }
    Ok(())
}

impl Reader<'_> {
    fn read_plugin_versions(
        &mut self,
        val: &Node,
        ctx: &Ctx,
        col: &mut Collector,
    ) -> Result<(), Fail> {
        let Some(seq) = val.as_seq() else {
            return Err(yaml_validate(
                ctx,
                "Value of required_plugin_versions must be a sequence",
            ));
        };
        for plugin in seq {
            let tmp = ctx.with(ItemType::RequiredPluginVersions, "", plugin.pos);
            if plugin.as_map().is_none() {
                return Err(yaml_validate(&tmp, "Plugin version must be a mapping"));
            }
            let name = decode_str(plugin, "name", &tmp, false)?
                .unwrap_or_default()
                .to_string();
            let pctx = ctx.with(ItemType::RequiredPluginVersions, &name, plugin.pos);
            let version = decode_str(plugin, "version", &pctx, false)?
                .unwrap_or_default()
                .to_string();
            let mut req = PluginRequirement {
                alternatives: vec![(name.clone(), version)],
            };
            if let Some(alts) = plugin.entry("alternatives") {
                let Some(alts) = alts.value.as_seq() else {
                    return Err(yaml_validate(
                        &pctx,
                        "Value of plugin version alternatives must be a sequence",
                    ));
                };
                for alt in alts {
                    let t = pctx.with(ItemType::RequiredPluginVersions, "", alt.pos);
                    if alt.as_map().is_none() {
                        return Err(yaml_validate(
                            &t,
                            "Plugin version alternative must be a mapping",
                        ));
                    }
                    let n = decode_str(alt, "name", &t, false)?
                        .unwrap_or_default()
                        .to_string();
                    let t = pctx.with(ItemType::RequiredPluginVersions, &n, alt.pos);
                    let v = decode_str(alt, "version", &t, false)?
                        .unwrap_or_default()
                        .to_string();
                    req.alternatives.push((n, v));
                }
            }
            let mut seen = BTreeSet::new();
            for (n, v) in &req.alternatives {
                if Semver::parse(v).is_none() {
                    return Err(validate(
                        &pctx,
                        format!("Invalid required version '{v}' for plugin '{n}'"),
                    ));
                }
                if !seen.insert(n.clone()) {
                    return Err(validate(
                        &pctx,
                        format!(
                            "Defined multiple alternative version requirements for plugin '{n}'"
                        ),
                    ));
                }
            }
            if !req
                .alternatives
                .iter()
                .any(|(n, _)| KNOWN_PLUGINS.contains(&n.as_str()))
            {
                self.warn(
                    &pctx,
                    WarningCode::LOAD_UNKNOWN_PLUGIN,
                    format!(
                        "Plugin '{name}' is required, but this engine does not provide its fields; rules using them will not load"
                    ),
                );
            }
            col.required_plugins.push(req);
        }
        Ok(())
    }
}

fn decode_overrides(
    item: &Node,
    appendable: &[&str],
    replaceable: &[&str],
    ctx: &Ctx,
) -> Result<Vec<(String, Override)>, Fail> {
    let Some(e) = item.entry("override") else {
        return Ok(Vec::new());
    };
    let Some(map) = e.value.as_map() else {
        return Err(yaml_validate(ctx, "Value of 'override' must be a mapping"));
    };
    let mut out = Vec::new();
    for kv in map {
        let key = kv.key.as_str();
        let op = scalar_text(&kv.value).unwrap_or("");
        let kctx = ctx.with(ctx.item_type, &ctx.item_name, kv.key_pos);
        match op {
            "append" => {
                if !appendable.contains(&key) {
                    return Err(yaml_validate(
                        &kctx,
                        format!("Key '{key}' cannot be appended to, use 'replace' instead"),
                    ));
                }
                out.push((key.to_string(), Override::Append));
            }
            "replace" => {
                if !replaceable.contains(&key) {
                    return Err(yaml_validate(
                        &kctx,
                        format!("Key '{key}' cannot be replaced"),
                    ));
                }
                out.push((key.to_string(), Override::Replace));
            }
            _ => {
                let mut msg = format!(
                    "Invalid override operation for key '{key}': '{op}'. Allowed values are: "
                );
                if appendable.contains(&key) {
                    msg.push_str("append ");
                }
                if replaceable.contains(&key) {
                    msg.push_str("replace ");
                }
                return Err(yaml_validate(&kctx, msg));
            }
        }
    }
    Ok(out)
}

impl Reader<'_> {
    fn check_condition_budget(
        &self,
        col: &mut Collector,
        cond: &str,
        ctx: &Ctx,
    ) -> Result<(), Fail> {
        col.total_cond_bytes = col.total_cond_bytes.saturating_add(cond.len());
        if col.total_cond_bytes > self.limits.max_condition_bytes {
            return Err(validate(
                ctx,
                format!(
                    "conditions total more than {} bytes (appends included); refusing to load more",
                    self.limits.max_condition_bytes
                ),
            ));
        }
        Ok(())
    }

    fn read_list(&mut self, item: &Node, col: &mut Collector, parent: &Ctx) -> Result<(), Fail> {
        let (name, ctx) = item_name(item, "list", ItemType::List, parent)?;
        if !is_barestr(&name) {
            self.warn(
                &ctx,
                WarningCode::LOAD_INVALID_LIST_NAME,
                "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
            );
        }
        let items = decode_seq(item, "items", &ctx, false)?.unwrap_or_default();
        let append = self.appends(item, "items", LIST_KEYS, &ctx)?;
        let id = col.cur_index;
        col.cur_index += 1;
        if append {
            let Some(prev) = col.lists.get_mut(&name) else {
                return Err(validate(&ctx, ERROR_NO_PREVIOUS_LIST));
            };
            prev.items.extend(items);
            prev.visibility = id;
        } else {
            let index = col.lists.get(&name).map_or(id, |p| p.index);
            col.lists.insert(
                &name.clone(),
                ListInfo {
                    name,
                    items,
                    index,
                    visibility: id,
                    ctx,
                },
            );
        }
        Ok(())
    }

    /// Whether a list or macro appends to the earlier item of its name (`append: true`, which
    /// is deprecated, or `override: {KEY: append}`), after checking that not both are given
    /// and warning about unknown keys.
    fn appends(&mut self, item: &Node, key: &str, known: &[&str], ctx: &Ctx) -> Result<bool, Fail> {
        let append = decode_bool(item, "append", ctx, true)?.unwrap_or(false);
        if append {
            self.warn(ctx, WarningCode::LOAD_DEPRECATED_ITEM, DEPRECATED_APPEND);
        }
        let overrides = decode_overrides(item, &[key], &[key], ctx)?;
        if append && !overrides.is_empty() {
            return Err(yaml_validate(ctx, ERROR_OVERRIDE_APPEND));
        }
        self.unknown_keys(item, known, ctx);
        Ok(append
            || overrides
                .iter()
                .any(|(k, o)| k == key && matches!(o, Override::Append)))
    }

    fn read_macro(&mut self, item: &Node, col: &mut Collector, parent: &Ctx) -> Result<(), Fail> {
        let (name, ctx) = item_name(item, "macro", ItemType::Macro, parent)?;
        if !is_identifier(&name) {
            self.warn(
                &ctx,
                WarningCode::LOAD_INVALID_MACRO_NAME,
                "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
            );
        }
        let cond = decode_str(item, "condition", &ctx, false)?
            .unwrap_or_default()
            .to_string();
        let append = self.appends(item, "condition", MACRO_KEYS, &ctx)?;
        self.check_condition_budget(col, &cond, &ctx)?;
        let id = col.cur_index;
        col.cur_index += 1;
        if append {
            let Some(prev) = col.macros.get_mut(&name) else {
                return Err(validate(&ctx, ERROR_NO_PREVIOUS_MACRO));
            };
            prev.cond.push(' ');
            prev.cond.push_str(&cond);
            prev.visibility = id;
        } else {
            let index = col.macros.get(&name).map_or(id, |p| p.index);
            col.macros.insert(
                &name.clone(),
                MacroInfo {
                    cond,
                    index,
                    visibility: id,
                    ctx,
                },
            );
        }
        Ok(())
    }

    fn read_exceptions(
        &mut self,
        item: &Node,
        ctx: &Ctx,
        append: bool,
    ) -> Result<Vec<ExceptionInfo>, Fail> {
        let Some(exs) = item.entry("exceptions") else {
            return Ok(Vec::new());
        };
        let exs = &exs.value;
        if exs.is_null() {
            return Ok(Vec::new());
        }
        let Some(seq) = exs.as_seq() else {
            return Err(yaml_validate(
                &ctx.with(ItemType::Exception, "", exs.pos),
                "Rule exceptions must be a sequence",
            ));
        };
        let mut out: Vec<ExceptionInfo> = Vec::new();
        for ex in seq {
            let tmp = ctx.with(ItemType::Exception, "", ex.pos);
            if ex.as_map().is_none() {
                return Err(yaml_validate(&tmp, "Rule exception must be a mapping"));
            }
            let name = decode_str(ex, "name", &tmp, false)?
                .unwrap_or_default()
                .to_string();
            let ex_ctx = ctx.with(ItemType::Exception, &name, ex.pos);
            if out.iter().any(|e| e.name == name) {
                self.warn(
                    &ex_ctx,
                    WarningCode::LOAD_EXCEPTION_NAME_NOT_UNIQUE,
                    "Multiple definitions of exception '".to_string()
                        + &name
                        + "' in the same rule",
                );
            }
            let fields = decode_entry_key(ex, "fields", &ex_ctx, append)?.unwrap_or_default();
            let comps = decode_entry_key(ex, "comps", &ex_ctx, true)?.unwrap_or_default();
            let mut values = Vec::new();
            if let Some(v) = ex.entry("values") {
                let Some(vals) = v.value.as_seq() else {
                    return Err(yaml_validate(
                        &ex_ctx,
                        "Rule exception values must be a sequence",
                    ));
                };
                for val in vals {
                    let vctx = ex_ctx.with(ItemType::Exception, &name, val.pos);
                    values.push(decode_entry(val, &vctx, 0)?);
                }
            } else if append {
                self.warn(
                    &ex_ctx,
                    WarningCode::LOAD_APPEND_NO_VALUES,
                    "Overriding/appending exception with no values",
                );
            }
            out.push(ExceptionInfo {
                name,
                fields,
                comps,
                values,
                ctx: ex_ctx,
            });
        }
        Ok(out)
    }

    fn read_rule(&mut self, item: &Node, col: &mut Collector, parent: &Ctx) -> Result<(), Fail> {
        let (name, ctx) = item_name(item, "rule", ItemType::Rule, parent)?;
        let has_append_flag = decode_bool(item, "append", &ctx, true)?.unwrap_or(false);
        if has_append_flag {
            self.warn(&ctx, WarningCode::LOAD_DEPRECATED_ITEM, DEPRECATED_APPEND);
        }
        let appendable = ["condition", "output", "desc", "tags", "exceptions"];
        let replaceable = [
            "condition",
            "output",
            "desc",
            "priority",
            "tags",
            "exceptions",
            "enabled",
            "warn_evttypes",
            "skip-if-unknown-filter",
        ];
        let overrides = decode_overrides(item, &appendable, &replaceable, &ctx)?;
        if has_append_flag && !overrides.is_empty() {
            return Err(yaml_validate(&ctx, ERROR_OVERRIDE_APPEND));
        }
        self.unknown_keys(item, RULE_KEYS, &ctx);
        let cond_pos = item.entry("condition").map_or(item.pos, |e| e.value.pos);

        if !overrides.is_empty() {
            let mut expected: BTreeSet<&str> = appendable
                .iter()
                .chain(replaceable.iter())
                .copied()
                .filter(|k| item.entry(k).is_some())
                .collect();
            for kind in [Override::Append, Override::Replace] {
                let keys: Vec<&str> = overrides
                    .iter()
                    .filter(|(_, o)| std::mem::discriminant(o) == std::mem::discriminant(&kind))
                    .map(|(k, _)| k.as_str())
                    .collect();
                if keys.is_empty() {
                    continue;
                }
                let kind_name = match kind {
                    Override::Append => "append",
                    Override::Replace => "replace",
                };
                let mut up = RuleUpdate::empty();
                for key in keys {
                    if !expected.remove(key) {
                        return Err(yaml_validate(
                            &ctx,
                            format!(
                                "An {kind_name} override for '{key}' was specified but '{key}' is not defined"
                            ),
                        ));
                    }
                    self.read_update_key(item, key, &ctx, &mut up, cond_pos)?;
                }
                if let Some((c, _)) = &up.cond {
                    self.check_condition_budget(col, c, &ctx)?;
                }
                match kind {
                    Override::Append => collector_append(col, up, &ctx)?,
                    Override::Replace => collector_replace(col, up, &ctx)?,
                }
            }
            if let Some(key) = expected.iter().next() {
                return Err(yaml_validate(
                    &ctx,
                    format!(
                        "Unexpected key '{key}': no corresponding entry under 'override' is defined."
                    ),
                ));
            }
            return Ok(());
        }

        if has_append_flag {
            let mut up = RuleUpdate::empty();
            if item.entry("condition").is_some() {
                let c = decode_str(item, "condition", &ctx, false)?
                    .unwrap_or_default()
                    .to_string();
                self.check_condition_budget(col, &c, &ctx)?;
                up.cond = Some((c, cond_pos));
            }
            if item.entry("exceptions").is_some() {
                up.exceptions = Some(self.read_exceptions(item, &ctx, true)?);
            }
            return collector_append(col, up, &ctx);
        }

        if item.entry("condition").is_none()
            && item.entry("output").is_none()
            && item.entry("desc").is_none()
            && item.entry("priority").is_none()
        {
            let enabled = decode_bool(item, "enabled", &ctx, false)?.unwrap_or(true);
            self.warn(&ctx, WarningCode::LOAD_DEPRECATED_ITEM, DEPRECATED_ENABLED);
            let Some(prev) = col.rules.get_mut(&name) else {
                return Err(validate(
                    &ctx,
                    "Rule has 'enabled' key but no rule by that name already exists",
                ));
            };
            prev.enabled = enabled;
            return Ok(());
        }

        let cond = decode_str(item, "condition", &ctx, false)?
            .unwrap_or_default()
            .to_string();
        let output = decode_str(item, "output", &ctx, false)?
            .unwrap_or_default()
            .trim()
            .to_string();
        let output_pos = item.entry("output").map_or(item.pos, |e| e.value.pos);
        let desc = decode_str(item, "desc", &ctx, false)?
            .unwrap_or_default()
            .to_string();
        let prio_text = decode_str(item, "priority", &ctx, false)?.unwrap_or_default();
        let prio_pos = item.entry("priority").map_or(item.pos, |e| e.value.pos);
        let Some(priority) = Priority::parse(prio_text) else {
            return Err(yaml_validate(
                &ctx.with(ItemType::Rule, &name, prio_pos),
                "Invalid priority",
            ));
        };
        let source = decode_str(item, "source", &ctx, true)?
            .unwrap_or("syscall")
            .to_string();
        let enabled = decode_bool(item, "enabled", &ctx, true)?.unwrap_or(true);
        let warn_evttypes = decode_bool(item, "warn_evttypes", &ctx, true)?.unwrap_or(true);
        let skip = decode_bool(item, "skip-if-unknown-filter", &ctx, true)?.unwrap_or(false);
        let tags = decode_seq(item, "tags", &ctx, true)?
            .unwrap_or_default()
            .into_iter()
            .collect();
        let exceptions = self.read_exceptions(item, &ctx, false)?;
        self.check_condition_budget(col, &cond, &ctx)?;

        // collector.define(rule)
        if let Some(prev) = col.rules.get(&name)
            && prev.source != source
        {
            return Err(validate(
                &ctx,
                "Rule has been re-defined with a different source",
            ));
        }
        let src = Source::from_name(&source);
        let unknown_source = src.is_none();
        if unknown_source {
            self.warn(
                &ctx,
                WarningCode::LOAD_UNKNOWN_SOURCE,
                format!("Unknown source {source}, skipping"),
            );
        }
        let mut exceptions = exceptions;
        for ex in &mut exceptions {
            if !ex.fields.is_valid() {
                return Err(validate(
                    &ex.ctx,
                    "Rule exception item must have fields property with a list of fields",
                ));
            }
            validate_exception(src, ex)?;
        }
        let id = col.cur_index;
        col.cur_index += 1;
        let index = col.rules.get(&name).map_or(id, |p| p.index);
        col.rules.insert(
            &name.clone(),
            RuleInfo {
                name,
                cond,
                cond_pos,
                output,
                output_pos,
                desc,
                priority,
                source,
                tags,
                exceptions,
                enabled,
                warn_evttypes,
                skip_if_unknown_filter: skip,
                unknown_source,
                index,
                visibility: id,
                ctx,
            },
        );
        Ok(())
    }

    fn read_update_key(
        &mut self,
        item: &Node,
        key: &str,
        ctx: &Ctx,
        up: &mut RuleUpdate,
        cond_pos: Pos,
    ) -> Result<(), Fail> {
        match key {
            "condition" => {
                let c = decode_str(item, "condition", ctx, false)?
                    .unwrap_or_default()
                    .to_string();
                up.cond = Some((c, cond_pos));
            }
            "exceptions" => up.exceptions = Some(self.read_exceptions(item, ctx, true)?),
            "output" => {
                up.output = Some(
                    decode_str(item, "output", ctx, false)?
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            "desc" => {
                up.desc = Some(
                    decode_str(item, "desc", ctx, false)?
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            "tags" => {
                up.tags = Some(
                    decode_seq(item, "tags", ctx, true)?
                        .unwrap_or_default()
                        .into_iter()
                        .collect(),
                );
            }
            "priority" => {
                let p = decode_str(item, "priority", ctx, false)?.unwrap_or_default();
                up.priority =
                    Some(Priority::parse(p).ok_or_else(|| yaml_validate(ctx, "Invalid priority"))?);
            }
            "enabled" => up.enabled = decode_bool(item, "enabled", ctx, false)?,
            "warn_evttypes" => up.warn_evttypes = decode_bool(item, "warn_evttypes", ctx, false)?,
            "skip-if-unknown-filter" => {
                up.skip_if_unknown_filter =
                    decode_bool(item, "skip-if-unknown-filter", ctx, false)?;
            }
            _ => {}
        }
        Ok(())
    }
}

const DEPRECATED_APPEND: &str = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const DEPRECATED_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
pub(crate) const ERROR_NO_PREVIOUS_MACRO: &str =
    "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists";
pub(crate) const ERROR_NO_PREVIOUS_LIST: &str =
    "List uses 'append' or 'override.items: append' but no list by that name already exists";
pub(crate) const ERROR_NO_PREVIOUS_RULE_APPEND: &str =
    "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
const ERROR_NO_PREVIOUS_RULE_REPLACE: &str =
    "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";

/// Falco's `validate_exception_info`: default comparison operators, equal lengths, known
/// operators and fields.
fn validate_exception(source: Option<Source>, ex: &mut ExceptionInfo) -> Result<(), Fail> {
    let field_known = |f: &str| -> bool {
        match lookup(f) {
            Lookup::Known(field, _) => {
                let s = field.info().source;
                s.is_none() || s == source
            }
            Lookup::FalcoOnly => true,
            Lookup::Unknown => false,
        }
    };
    if ex.fields.is_list {
        if !ex.comps.is_valid() {
            ex.comps = Entry {
                is_list: true,
                item: String::new(),
                items: ex.fields.items.iter().map(|_| Entry::scalar("=")).collect(),
            };
        }
        if ex.fields.items.len() != ex.comps.items.len() {
            return Err(validate(
                &ex.ctx,
                "Fields and comps lists must have equal length",
            ));
        }
        let ops = parser::supported_operators();
        for c in &ex.comps.items {
            if !ops.contains(&c.item.as_str()) {
                return Err(validate(
                    &ex.ctx,
                    format!("'{}' is not a supported comparison operator", c.item),
                ));
            }
        }
        if source.is_some() {
            for f in &ex.fields.items {
                if !field_known(&f.item) {
                    return Err(validate(
                        &ex.ctx,
                        format!("'{}' is not a supported filter field", f.item),
                    ));
                }
            }
        }
    } else {
        if !ex.comps.is_valid() {
            ex.comps = Entry::scalar("in");
        }
        if ex.comps.is_list {
            return Err(validate(&ex.ctx, "Fields and comps must both be strings"));
        }
        if !matches!(ex.comps.item.as_str(), "in" | "pmatch" | "intersects") {
            return Err(validate(
                &ex.ctx,
                "When fields is a single value, comps must be one of (in, pmatch, intersects)",
            ));
        }
        if source.is_some() && !field_known(&ex.fields.item) {
            return Err(validate(
                &ex.ctx,
                format!("'{}' is not a supported filter field", ex.fields.item),
            ));
        }
    }
    Ok(())
}

/// An item's name (the value of its `key`: `rule`, `macro`, `list`) and the context its
/// diagnostics carry.
fn item_name(item: &Node, key: &str, ty: ItemType, parent: &Ctx) -> Result<(String, Ctx), Fail> {
    let unnamed = parent.with(ty, "", item.pos);
    let name = decode_str(item, key, &unnamed, false)?
        .unwrap_or_default()
        .to_string();
    let ctx = parent.with(ty, &name, item.pos);
    Ok((name, ctx))
}

fn rule_source(col: &Collector, name: &str) -> Option<Source> {
    col.rules
        .get(name)
        .and_then(|r| Source::from_name(&r.source))
}

/// The earlier definition an `append` or `override` changes, with its source and the update's
/// visibility index; `missing` and `empty` are the errors for no earlier rule and an update
/// that changes nothing.
fn previous_rule<'c>(
    col: &'c mut Collector,
    up: &RuleUpdate,
    ctx: &Ctx,
    missing: &'static str,
    empty: &'static str,
) -> Result<(Option<Source>, u32, &'c mut RuleInfo), Fail> {
    let name = ctx.item_name.clone();
    if col.rules.get(&name).is_none() {
        return Err(validate(ctx, missing));
    }
    if !up.has_any_value() {
        return Err(validate(ctx, empty));
    }
    let source = rule_source(col, &name);
    let id = col.cur_index;
    col.cur_index += 1;
    let prev = col
        .rules
        .get_mut(&name)
        .ok_or_else(|| validate(ctx, missing))?;
    Ok((source, id, prev))
}

fn collector_append(col: &mut Collector, up: RuleUpdate, ctx: &Ctx) -> Result<(), Fail> {
    let (source, id, prev) = previous_rule(
        col,
        &up,
        ctx,
        ERROR_NO_PREVIOUS_RULE_APPEND,
        "Appended rule must have exceptions or condition property",
    )?;
    if let Some((c, _)) = up.cond
        && !c.is_empty()
    {
        prev.cond.push(' ');
        prev.cond.push_str(&c);
    }
    if let Some(o) = up.output
        && !o.is_empty()
    {
        prev.output.push(' ');
        prev.output.push_str(&o);
    }
    if let Some(d) = up.desc
        && !d.is_empty()
    {
        prev.desc.push(' ');
        prev.desc.push_str(&d);
    }
    if let Some(t) = up.tags {
        prev.tags.extend(t);
    }
    if let Some(exs) = up.exceptions {
        for mut ex in exs {
            if let Some(pe) = prev.exceptions.iter_mut().find(|p| p.name == ex.name) {
                if ex.fields.is_valid() {
                    return Err(validate(
                        &ex.ctx,
                        "Can not append exception fields to existing exception, only values",
                    ));
                }
                if ex.comps.is_valid() {
                    return Err(validate(
                        &ex.ctx,
                        "Can not append exception comps to existing exception, only values",
                    ));
                }
                pe.values.extend(ex.values);
            } else {
                if !ex.fields.is_valid() {
                    return Err(validate(
                        &ex.ctx,
                        "Rule exception must have fields property with a list of fields",
                    ));
                }
                if ex.values.is_empty() {
                    return Err(validate(
                        &ex.ctx,
                        "Rule exception must have values property with a list of values",
                    ));
                }
                validate_exception(source, &mut ex)?;
                prev.exceptions.push(ex);
            }
        }
    }
    prev.visibility = id;
    Ok(())
}

fn collector_replace(col: &mut Collector, up: RuleUpdate, ctx: &Ctx) -> Result<(), Fail> {
    let (source, id, prev) = previous_rule(
        col,
        &up,
        ctx,
        ERROR_NO_PREVIOUS_RULE_REPLACE,
        "The rule must have at least one field that can be replaced",
    )?;
    if let Some((c, p)) = up.cond {
        prev.cond = c;
        prev.cond_pos = p;
    }
    if let Some(o) = up.output {
        prev.output = o;
    }
    if let Some(d) = up.desc {
        prev.desc = d;
    }
    if let Some(t) = up.tags {
        prev.tags = t;
    }
    if let Some(mut exs) = up.exceptions {
        for ex in &mut exs {
            if !ex.fields.is_valid() {
                return Err(validate(
                    &ex.ctx,
                    "Rule exception must have fields property with a list of fields",
                ));
            }
            validate_exception(source, ex)?;
        }
        prev.exceptions = exs;
    }
    if let Some(p) = up.priority {
        prev.priority = p;
    }
    if let Some(e) = up.enabled {
        prev.enabled = e;
    }
    if let Some(w) = up.warn_evttypes {
        prev.warn_evttypes = w;
    }
    if let Some(s) = up.skip_if_unknown_filter {
        prev.skip_if_unknown_filter = s;
    }
    prev.visibility = id;
    Ok(())
}
