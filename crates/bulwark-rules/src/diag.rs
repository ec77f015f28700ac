//! What loading rule files reports: errors and warnings with Falco's codes, the item they are
//! about (`rule`, `macro`, `list`, `exception`, …), and where they are.

use std::fmt;

use serde::Serialize;

/// An error code. Names and meanings are Falco's (`falco_load_result.cpp`), so documentation
/// and scripts written for Falco apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum ErrorCode {
    /// The rules content could not be read (not UTF-8, too large).
    LOAD_ERR_FILE_READ,
    /// The rules content is not valid YAML.
    LOAD_ERR_YAML_PARSE,
    /// The YAML is not a sequence of items, or an item lacks a required key or has a value of
    /// the wrong type.
    LOAD_ERR_YAML_VALIDATE,
    /// A condition does not parse or compile (syntax, unknown field, wrong value for a type).
    LOAD_ERR_COMPILE_CONDITION,
    /// An output format names an unknown field.
    LOAD_ERR_COMPILE_OUTPUT,
    /// An item is inconsistent: an undefined macro, an append to nothing, an engine version
    /// mismatch, exceptions whose fields and values differ in length.
    LOAD_ERR_VALIDATE,
}

/// A warning code, as Falco names them, plus [`WarningCode::LOAD_UNSUPPORTED_FIELD`] (ours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum WarningCode {
    /// A rule's source is not one we implement; the rule is skipped.
    LOAD_UNKNOWN_SOURCE,
    /// A condition compares a field with `<NA>`.
    LOAD_UNSAFE_NA_CHECK,
    /// A `syscall` rule matches every event type (or more than Falco's limit): it is tested on
    /// every event, which is slow.
    LOAD_NO_EVTTYPE,
    /// A rule with `skip-if-unknown-filter: true` names an unknown field; it is skipped.
    LOAD_UNKNOWN_FILTER,
    /// A macro no rule or macro uses.
    LOAD_UNUSED_MACRO,
    /// A list no rule, macro or list uses.
    LOAD_UNUSED_LIST,
    /// A top-level item that is not a rule, macro, list or version requirement.
    LOAD_UNKNOWN_ITEM,
    /// A deprecated construct (`append: true`, a lone `enabled`, …).
    LOAD_DEPRECATED_ITEM,
    /// An exception appended or overridden without values.
    LOAD_APPEND_NO_VALUES,
    /// Two exceptions of a rule share a name.
    LOAD_EXCEPTION_NAME_NOT_UNIQUE,
    /// A macro name that is not an identifier (`[a-zA-Z]+[a-zA-Z0-9_]*`).
    LOAD_INVALID_MACRO_NAME,
    /// A list name with characters a condition cannot reference.
    LOAD_INVALID_LIST_NAME,
    /// A warning from compiling a condition.
    LOAD_COMPILE_CONDITION,
    /// An item has a key Falco does not know; it is ignored.
    LOAD_UNKNOWN_KEY,
    /// Bulwark's own: the rule names a field Falco has but this engine does not implement; the
    /// rule loads and stays disabled.
    LOAD_UNSUPPORTED_FIELD,
    /// Bulwark's own: `required_plugin_versions` names a plugin we do not provide the fields
    /// of.
    LOAD_UNKNOWN_PLUGIN,
}

/// Whether a diagnostic is an error or a warning, and its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Code {
    /// The file (and the rule set) does not load.
    Error(ErrorCode),
    /// The file loads; something deserves attention.
    Warning(WarningCode),
}

impl Code {
    /// The code's name (`LOAD_ERR_VALIDATE`).
    pub fn as_str(self) -> String {
        match self {
            Code::Error(e) => format!("{e:?}"),
            Code::Warning(w) => format!("{w:?}"),
        }
    }

    /// Whether this is an error.
    pub fn is_error(self) -> bool {
        matches!(self, Code::Error(_))
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

/// The kind of item a diagnostic is about, named as Falco names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ItemType {
    /// The file as a whole (`rules content`).
    #[serde(rename = "rules content")]
    RulesContent,
    /// One top-level item of unknown kind (`rules content item`).
    #[serde(rename = "rules content item")]
    RulesContentItem,
    /// `required_engine_version`.
    #[serde(rename = "required_engine_version")]
    RequiredEngineVersion,
    /// `required_plugin_versions`.
    #[serde(rename = "required_plugin_versions")]
    RequiredPluginVersions,
    /// A list.
    #[serde(rename = "list")]
    List,
    /// A macro.
    #[serde(rename = "macro")]
    Macro,
    /// A rule.
    #[serde(rename = "rule")]
    Rule,
    /// One of a rule's exceptions.
    #[serde(rename = "exception")]
    Exception,
}

impl ItemType {
    /// Falco's name for the item type.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::RulesContent => "rules content",
            ItemType::RulesContentItem => "rules content item",
            ItemType::RequiredEngineVersion => "required_engine_version",
            ItemType::RequiredPluginVersions => "required_plugin_versions",
            ItemType::List => "list",
            ItemType::Macro => "macro",
            ItemType::Rule => "rule",
            ItemType::Exception => "exception",
        }
    }
}

impl fmt::Display for ItemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error or warning from loading rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning, and which.
    pub code: Code,
    /// The kind of item.
    pub item_type: ItemType,
    /// The item's name (empty when it has none).
    pub item_name: String,
    /// What is wrong, in Falco's words where Falco has them.
    pub message: String,
    /// The file the item is in.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub col: u32,
    /// For condition errors: the 1-based line and column within the condition text.
    pub condition_pos: Option<(u32, u32)>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.code.is_error() {
            "error"
        } else {
            "warning"
        };
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.col)?;
        }
        write!(f, ": {kind} {}: {}", self.code, self.item_type)?;
        if !self.item_name.is_empty() {
            write!(f, " '{}'", self.item_name)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some((l, c)) = self.condition_pos {
            write!(f, " (condition line {l}, column {c})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}
