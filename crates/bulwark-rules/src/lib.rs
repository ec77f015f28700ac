//! The Falco-compatible rule language: parser, compiler and evaluator, shared by the runtime
//! sensor (`syscall` events) and the audit-log detector (`k8s_audit` events).
//!
//! [`load`] reads rule files (bytes and names handed in by the caller; this crate does no I/O)
//! the way Falco's rule loader does: lists, macros and rules with appends and overrides,
//! exceptions, engine and plugin version requirements, with Falco's error and warning codes
//! and messages. The result is a [`RuleSet`]: conditions compiled to trees over catalog
//! [`Field`] ids, value lists to hash sets, and rules indexed by the event types their
//! condition can match, so an event is tested only against rules that can match it.
//! Producers implement [`Event`]; [`RuleSet::first_match`] evaluates without allocating and
//! [`RuleSet::alert`] builds Falco's JSON [`Alert`].
//!
//! Rule files are untrusted: sizes, YAML nesting, condition length after list expansion,
//! parser recursion and macro expansion are bounded ([`Limits`]), and [`check_bytes`] is the
//! never-panicking entry point for fuzzing.

mod catalog;
mod compiler;
mod diag;
mod eval;
mod loader;
mod output;
mod parser;
mod priority;

use std::collections::BTreeMap;

pub use catalog::{
    ArgSpec, EVENT_TYPES, EventTypeId, FALCO_ONLY_FIELDS, Field, FieldArg, FieldInfo, FieldType,
    Source,
};
pub use diag::{Code, Diagnostic, ErrorCode, ItemType, WarningCode};
pub use eval::{Event, Value};
pub use output::{Alert, OutputOptions, iso8601, time_of_day};
pub use priority::Priority;

/// The Falco engine version whose rule files this engine loads (`required_engine_version`
/// up to `0.57.0`, the version the stable `falco_rules.yaml` of mid-2026 requires).
pub const ENGINE_VERSION: &str = "0.57.0";

/// Bounds on untrusted rule files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// YAML limits (file size, nesting, node count, aliases).
    pub yaml: bulwark_yaml::Limits,
    /// Most bytes of condition text: all conditions of a load together, and one condition
    /// once lists are expanded.
    pub max_condition_bytes: usize,
    /// Deepest recursion of the condition parser (Falco: 1000; 500 here, about 100 levels of
    /// parentheses, so that a 2 MiB thread stack suffices even in debug builds).
    pub max_parse_depth: u32,
    /// Most nodes of one condition once macros are expanded.
    pub max_expanded_nodes: usize,
    /// Deepest nesting of one condition once macros are expanded.
    pub max_expanded_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            yaml: bulwark_yaml::Limits {
                max_file_size: 16 * 1024 * 1024,
                max_depth: 64,
                max_nodes: 2_000_000,
                max_alias_nodes: 100_000,
                max_errors_per_file: 1,
            },
            max_condition_bytes: 16 * 1024 * 1024,
            max_parse_depth: 500,
            max_expanded_nodes: 1_000_000,
            max_expanded_depth: 500,
        }
    }
}

/// A rule file handed to [`load`].
#[derive(Debug, Clone, Copy)]
pub struct RuleFile<'a> {
    /// The name diagnostics give (a path).
    pub name: &'a str,
    /// The file's bytes.
    pub content: &'a [u8],
}

/// The diagnostics of one file.
#[derive(Debug, Clone, Default)]
pub struct FileResult {
    /// The file's name.
    pub name: String,
    /// Errors: the file did not load.
    pub errors: Vec<Diagnostic>,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
}

/// What [`load`] produced.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// Per file, in load order; loading stops after the first file with an error.
    pub files: Vec<FileResult>,
    /// The rule set, when every file loaded.
    pub ruleset: Option<RuleSet>,
}

impl LoadResult {
    /// Every error, in order.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.files.iter().flat_map(|f| f.errors.iter())
    }

    /// Every warning, in order.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.files.iter().flat_map(|f| f.warnings.iter())
    }
}

/// Whether a rule runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleStatus {
    /// It runs.
    Enabled,
    /// `enabled: false` in the rule file (or disabled through [`RuleSet::set_enabled`]).
    Disabled,
    /// It names fields Falco has and this engine does not implement: it never runs.
    Unsupported(Vec<String>),
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name.
    pub name: String,
    /// `desc`.
    pub description: String,
    /// `priority`.
    pub priority: Priority,
    /// `tags`, sorted.
    pub tags: Vec<String>,
    /// `source`.
    pub source: Source,
    /// The condition with exceptions appended, before lists and macros are expanded.
    pub condition: String,
    /// The output format.
    pub output_text: String,
    /// Whether it runs.
    pub status: RuleStatus,
    /// The event types its condition can match; `None` for all (and for sources without event
    /// types).
    pub event_types: Option<Vec<EventTypeId>>,
    /// The file that defined it.
    pub file: String,
    /// The line of its definition.
    pub line: u32,
    output: output::Format,
    node: eval::Node,
}

impl Rule {
    /// The fields its output names.
    pub fn output_fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.output.fields()
    }

    /// The fields its condition reads.
    pub fn condition_fields(&self) -> std::collections::BTreeSet<Field> {
        let mut out = std::collections::BTreeSet::new();
        self.node.fields(&mut out);
        out
    }

    /// Whether its condition holds for `ev` (whatever its status).
    pub fn matches<E: Event + ?Sized>(&self, ev: &E) -> bool {
        self.node.eval(ev)
    }
}

/// A rule's index in its [`RuleSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

#[derive(Debug, Clone, Default)]
struct SourceIndex {
    /// Rules (in definition order) that can match each event type.
    by_type: Vec<Vec<u32>>,
    /// Rules that match every event type (used for event types outside the table).
    any_type: Vec<u32>,
}

/// Compiled rules, indexed for evaluation.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    index: [SourceIndex; 2],
    min_priority: Priority,
}

/// A rule that matched an event, with its output rendered.
#[derive(Debug, Clone)]
pub struct Match<'r> {
    /// The rule.
    pub rule: &'r Rule,
    /// The rule's output with fields substituted (without Falco's time and priority prefix).
    pub output: String,
    /// Every field the output names, with its value (`null` when the event had none).
    pub output_fields: BTreeMap<String, serde_json::Value>,
    /// The event's time.
    pub time_ns: u64,
}

impl Match<'_> {
    /// The alert Falco would print for this match.
    pub fn to_alert(&self, opts: &OutputOptions) -> Alert {
        let mut fields = self.output_fields.clone();
        let (key, time) = if opts.time_format_iso_8601 {
            ("evt.time.iso8601", iso8601(self.time_ns, "+0000"))
        } else {
            ("evt.time", time_of_day(self.time_ns))
        };
        fields.insert(key.to_string(), serde_json::Value::from(self.time_ns));
        Alert {
            hostname: opts.hostname.clone(),
            output: format!("{time}: {} {}", self.rule.priority, self.output),
            output_fields: fields,
            priority: self.rule.priority,
            rule: self.rule.name.clone(),
            source: self.rule.source,
            tags: self.rule.tags.clone(),
            time: iso8601(self.time_ns, "Z"),
        }
    }
}

impl RuleSet {
    fn new(rules: Vec<Rule>) -> RuleSet {
        let mut rs = RuleSet {
            rules,
            index: [SourceIndex::default(), SourceIndex::default()],
            min_priority: Priority::Debug,
        };
        rs.reindex();
        rs
    }

    fn reindex(&mut self) {
        let n = EVENT_TYPES.len();
        let mut index = [SourceIndex::default(), SourceIndex::default()];
        index[Source::Syscall.index()].by_type = vec![Vec::new(); n];
        for (i, r) in self.rules.iter().enumerate() {
            if r.status != RuleStatus::Enabled || r.priority > self.min_priority {
                continue;
            }
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let idx = &mut index[r.source.index()];
            if let (Some(types), Source::Syscall) = (&r.event_types, r.source) {
                for t in types {
                    if let Some(v) = idx.by_type.get_mut(usize::from(t.0)) {
                        v.push(i);
                    }
                }
            } else {
                idx.any_type.push(i);
                for v in &mut idx.by_type {
                    v.push(i);
                }
            }
        }
        self.index = index;
    }

    /// Every rule, in definition order (disabled and unsupported ones included).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    ///
    /// # Panics
    ///
    /// If `id` does not come from this rule set.
    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[id.0 as usize]
    }

    /// The rule named `name`.
    pub fn find(&self, name: &str) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|r| r.name == name)
            .and_then(|i| u32::try_from(i).ok())
            .map(RuleId)
    }

    /// Enables or disables rules: `decide` returns `Some(enabled)` for the rules to change
    /// (`-D`/`-t`/`-T` in Falco select by name or tag). Unsupported rules stay off.
    pub fn set_enabled(&mut self, decide: impl Fn(&Rule) -> Option<bool>) {
        for r in &mut self.rules {
            if matches!(r.status, RuleStatus::Unsupported(_)) {
                continue;
            }
            if let Some(on) = decide(r) {
                r.status = if on {
                    RuleStatus::Enabled
                } else {
                    RuleStatus::Disabled
                };
            }
        }
        self.reindex();
    }

    /// The fields the running rules read, in conditions and outputs: a producer need compute
    /// nothing else (an expensive ancestry walk, a DNS name).
    pub fn fields_used(&self) -> std::collections::BTreeSet<Field> {
        let mut out = std::collections::BTreeSet::new();
        for r in self.running() {
            r.node.fields(&mut out);
            out.extend(r.output.fields());
        }
        out
    }

    /// The `syscall` event types some running rule can match; `None` when a running `syscall`
    /// rule matches every type. A sensor can leave every other event type in the kernel.
    pub fn event_types_used(&self) -> Option<std::collections::BTreeSet<EventTypeId>> {
        let mut out = std::collections::BTreeSet::new();
        for r in self.running().filter(|r| r.source == Source::Syscall) {
            out.extend(r.event_types.as_ref()?.iter().copied());
        }
        Some(out)
    }

    fn running(&self) -> impl Iterator<Item = &Rule> {
        self.rules
            .iter()
            .filter(|r| r.status == RuleStatus::Enabled && r.priority <= self.min_priority)
    }

    /// Runs only rules at least this severe (Falco's `priority` setting).
    pub fn set_min_priority(&mut self, p: Priority) {
        self.min_priority = p;
        self.reindex();
    }

    fn candidates<E: Event + ?Sized>(&self, ev: &E) -> &[u32] {
        let idx = &self.index[ev.source().index()];
        if ev.source() == Source::Syscall {
            idx.by_type
                .get(usize::from(ev.event_type().0))
                .map_or(&idx.any_type[..], |v| &v[..])
        } else {
            &idx.any_type
        }
    }

    /// The first enabled rule, in definition order, whose condition holds for `ev` (Falco's
    /// default `rule_matching: first`). Allocates nothing unless a transformer or list field
    /// is evaluated.
    pub fn first_match<E: Event + ?Sized>(&self, ev: &E) -> Option<RuleId> {
        self.candidates(ev)
            .iter()
            .find(|&&i| self.rules[i as usize].node.eval(ev))
            .map(|&i| RuleId(i))
    }

    /// Every enabled rule whose condition holds (Falco's `rule_matching: all`).
    pub fn all_matches<E: Event + ?Sized>(&self, ev: &E, out: &mut Vec<RuleId>) {
        out.extend(
            self.candidates(ev)
                .iter()
                .filter(|&&i| self.rules[i as usize].node.eval(ev))
                .map(|&i| RuleId(i)),
        );
    }

    /// Renders the output of rule `id` for `ev`.
    pub fn render<E: Event + ?Sized>(&self, id: RuleId, ev: &E) -> Match<'_> {
        let rule = self.rule(id);
        let mut output_fields = BTreeMap::new();
        let output = rule.output.render(ev, &mut output_fields);
        Match {
            rule,
            output,
            output_fields,
            time_ns: ev.time_ns(),
        }
    }

    /// The first match, rendered.
    pub fn evaluate<E: Event + ?Sized>(&self, ev: &E) -> Option<Match<'_>> {
        self.first_match(ev).map(|id| self.render(id, ev))
    }

    /// The alert for the first match, as Falco prints it.
    pub fn alert<E: Event + ?Sized>(&self, ev: &E, opts: &OutputOptions) -> Option<Alert> {
        self.evaluate(ev).map(|m| m.to_alert(opts))
    }
}

fn file_read_error(name: &str, message: String) -> Diagnostic {
    Diagnostic {
        code: Code::Error(ErrorCode::LOAD_ERR_FILE_READ),
        item_type: ItemType::RulesContent,
        item_name: String::new(),
        message,
        file: name.to_string(),
        line: 0,
        col: 0,
        condition_pos: None,
    }
}

/// Loads rule files in order, as Falco does: each file is read into the collection of
/// everything before it, then the whole collection is compiled; the first file with an error
/// stops loading.
pub fn load(files: &[RuleFile<'_>], limits: &Limits) -> LoadResult {
    let mut result = LoadResult::default();
    let mut col = loader::Collector::default();
    let mut rules = None;
    for f in files {
        let mut fr = FileResult {
            name: f.name.to_string(),
            ..FileResult::default()
        };
        match load_one(f, limits, &mut col) {
            Ok((warnings, compiled)) => {
                fr.warnings = warnings;
                // The whole collection is recompiled for each file: report what concerns this
                // file, not the earlier files' warnings again.
                fr.warnings
                    .extend(compiled.warnings.into_iter().filter(|w| w.file == f.name));
                match compiled.error {
                    Some(e) => fr.errors.push(e),
                    None => rules = Some(compiled.rules),
                }
            }
            Err((warnings, e)) => {
                fr.warnings = warnings;
                fr.errors.push(*e);
            }
        }
        let failed = !fr.errors.is_empty();
        result.files.push(fr);
        if failed {
            return result;
        }
    }
    result.ruleset = Some(RuleSet::new(rules.unwrap_or_default()));
    result
}

type LoadOne = (Vec<Diagnostic>, compiler::CompileOutput);

fn load_one(
    f: &RuleFile<'_>,
    limits: &Limits,
    col: &mut loader::Collector,
) -> Result<LoadOne, (Vec<Diagnostic>, loader::Fail)> {
    let size = f.content.len() as u64;
    if size > limits.yaml.max_file_size {
        return Err((
            Vec::new(),
            Box::new(file_read_error(
                f.name,
                format!(
                    "file is {size} bytes, larger than the limit of {} bytes",
                    limits.yaml.max_file_size
                ),
            )),
        ));
    }
    let Ok(text) = std::str::from_utf8(f.content) else {
        return Err((
            Vec::new(),
            Box::new(file_read_error(f.name, "not UTF-8 text".into())),
        ));
    };
    let mut parsed = bulwark_yaml::parse_yaml(text, &limits.yaml);
    if parsed.iter().any(Result::is_err)
        && let Some(lenient) = indent_flow_closers(text)
    {
        // libyaml (and so Falco) accepts a flow sequence's closing bracket at the indentation
        // of its key (`items: [\n  a,\n  ]`); yaml-rust2 does not. Indenting such lines
        // changes nothing else, and keeps line numbers.
        let retry = bulwark_yaml::parse_yaml(&lenient, &limits.yaml);
        if retry.iter().all(Result::is_ok) {
            parsed = retry;
        }
    }
    let mut docs = Vec::new();
    for d in parsed {
        match d {
            Ok(n) => docs.push(n),
            Err(e) => {
                let pos = e.pos().unwrap_or_default();
                return Err((
                    Vec::new(),
                    Box::new(Diagnostic {
                        code: Code::Error(ErrorCode::LOAD_ERR_YAML_PARSE),
                        item_type: ItemType::RulesContent,
                        item_name: String::new(),
                        message: e.to_string(),
                        file: f.name.to_string(),
                        line: pos.line,
                        col: pos.col,
                        condition_pos: None,
                    }),
                ));
            }
        }
    }
    let mut reader = loader::Reader {
        file: f.name.to_string(),
        limits,
        warnings: Vec::new(),
    };
    if let Err(e) = reader.read(&docs, col) {
        return Err((reader.warnings, e));
    }
    Ok((reader.warnings, compiler::compile(col, limits)))
}

/// Indents lines holding only a flow collection's closing bracket, or `None` if there is none.
fn indent_flow_closers(text: &str) -> Option<String> {
    let mut changed = false;
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if matches!(t, "]" | "}" | "]," | "},") {
            out.push_str("    ");
            changed = true;
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

/// Loads one rule file from arbitrary bytes and returns how many diagnostics it produced: the
/// fuzzing entry point. Never panics, whatever the bytes.
pub fn check_bytes(content: &[u8]) -> usize {
    let r = load(
        &[RuleFile {
            name: "fuzz.yaml",
            content,
        }],
        &Limits::default(),
    );
    r.errors().count() + r.warnings().count()
}
