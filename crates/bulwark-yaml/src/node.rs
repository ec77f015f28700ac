//! A YAML/JSON document tree that remembers where every node came from.
//!
//! Kubernetes manifests are YAML 1.1 as `sigs.k8s.io/yaml` reads them, or JSON. Both parse into
//! [`Node`]. Scalars keep their source text and whether they were quoted; typed accessors
//! resolve them the way the API server would (`yes` is a boolean, `"true"` is a string).

use std::fmt;

use compact_str::CompactString;

/// A 1-based line and column in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    /// Unquoted: subject to type resolution (`true`, `10`, `null`).
    Plain,
    /// Quoted, a block scalar or a JSON string: always a string.
    Quoted,
}

/// A scalar with its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    /// The scalar's text after YAML unescaping (short texts are stored inline).
    pub text: CompactString,
    /// How it was written.
    pub style: ScalarStyle,
}

/// One key of a mapping and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key's text (non-string keys are kept as their text; short keys are stored inline).
    pub key: CompactString,
    /// Where the key starts.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

/// The shape of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar: string, number, boolean or null.
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order. Duplicate keys are kept; lookups take the last, as JSON
    /// decoding in the API server does.
    Map(Vec<Entry>),
}

/// A node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The node's value.
    pub value: Value,
    /// Where the node starts.
    pub pos: Pos,
}

impl Node {
    /// A plain scalar node (for tests and synthetic values).
    pub fn plain(text: &str, pos: Pos) -> Node {
        Node {
            value: Value::Scalar(Scalar {
                text: CompactString::new(text),
                style: ScalarStyle::Plain,
            }),
            pos,
        }
    }

    /// The mapping's entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence's items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar, if this is a scalar.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The entry for `key` in a mapping (the last one when the key is duplicated).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().rev().find(|e| e.key == key)
    }

    /// The value of `key` in a mapping, ignoring explicit nulls.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value).filter(|n| !n.is_null())
    }

    /// The value of `key` in a mapping, mutably (the last one when the key is duplicated).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.value {
            Value::Map(m) => m
                .iter_mut()
                .rev()
                .find(|e| e.key == key)
                .map(|e| &mut e.value),
            _ => None,
        }
    }

    /// Removes every entry for `key` from a mapping.
    pub fn remove(&mut self, key: &str) {
        if let Value::Map(m) = &mut self.value {
            m.retain(|e| e.key != key);
        }
    }

    /// Follows a path of mapping keys, ignoring explicit nulls.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// Whether this is a null: an explicit `null`/`~`, or an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(Scalar { text, style: ScalarStyle::Plain })
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The text of a non-null scalar. Any scalar can be read as a string, as string fields in
    /// the API do (`tag: 1.10` is the string `1.10`).
    pub fn as_str(&self) -> Option<&str> {
        if self.is_null() {
            return None;
        }
        self.as_scalar().map(|s| s.text.as_str())
    }

    /// A scalar, or a sequence's scalars, as strings (the shape of test-suite and config keys
    /// that take one value or a list: `rules_file: a.yaml` or `rules_file: [a.yaml, b.yaml]`).
    /// Anything else: none.
    pub fn as_strings(&self) -> Vec<String> {
        match self.as_seq() {
            Some(items) => items
                .iter()
                .filter_map(Node::as_str)
                .map(ToString::to_string)
                .collect(),
            None => self
                .as_str()
                .map(|s| vec![s.to_string()])
                .unwrap_or_default(),
        }
    }

    /// A boolean, resolved as YAML 1.1 does for the API server (`true`, `yes`, `on`, `y`, …).
    /// Quoted strings are not booleans: the API server rejects `"true"` for a boolean field.
    pub fn as_bool(&self) -> Option<bool> {
        let s = self.as_scalar()?;
        if s.style != ScalarStyle::Plain {
            return None;
        }
        resolve_bool(&s.text)
    }

    /// An integer (decimal, `0x` hexadecimal or `0o` octal), if this is a plain integer scalar.
    pub fn as_i64(&self) -> Option<i64> {
        let s = self.as_scalar()?;
        if s.style != ScalarStyle::Plain {
            return None;
        }
        resolve_int(&s.text)
    }

    /// Iterates over a mapping's string values as `(key, value)` (labels, annotations).
    pub fn str_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.as_map()
            .unwrap_or(&[])
            .iter()
            .filter_map(|e| Some((e.key.as_str(), e.value.as_str()?)))
    }

    /// Counts this node and everything below it.
    pub fn count(&self) -> usize {
        1 + match &self.value {
            Value::Scalar(_) => 0,
            Value::Seq(items) => items.iter().map(Node::count).sum(),
            Value::Map(entries) => entries.iter().map(|e| e.value.count()).sum(),
        }
    }

    /// The node as a `serde_json::Value` (plain scalars resolved to numbers, booleans, null).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Scalar(s) => match s.style {
                ScalarStyle::Quoted => serde_json::Value::String(s.text.to_string()),
                ScalarStyle::Plain => {
                    if self.is_null() {
                        serde_json::Value::Null
                    } else if let Some(b) = resolve_bool(&s.text) {
                        serde_json::Value::Bool(b)
                    } else if let Some(i) = resolve_int(&s.text) {
                        serde_json::Value::from(i)
                    } else if let Some(f) = s
                        .text
                        .parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite() && looks_numeric(&s.text))
                    {
                        serde_json::Value::from(f)
                    } else {
                        serde_json::Value::String(s.text.to_string())
                    }
                }
            },
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for e in entries {
                    m.insert(e.key.to_string(), e.value.to_json());
                }
                serde_json::Value::Object(m)
            }
        }
    }
}

impl fmt::Display for Node {
    /// A short rendering for messages: scalars as their text, collections by shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Value::Scalar(s) => f.write_str(&s.text),
            Value::Seq(items) => write!(f, "[{} items]", items.len()),
            Value::Map(entries) => write!(f, "{{{} keys}}", entries.len()),
        }
    }
}

fn looks_numeric(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    s.starts_with(|c: char| c.is_ascii_digit() || c == '.')
}

/// YAML 1.1 booleans, as go-yaml v2 (used by `sigs.k8s.io/yaml`) resolves them.
pub fn resolve_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            Some(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            Some(false)
        }
        _ => None,
    }
}

/// Integers as go-yaml v2 (behind `sigs.k8s.io/yaml`) resolves them: underscores removed, then
/// Go's `strconv.ParseInt(s, 0, 64)`: an optional sign, then `0x` hexadecimal, `0o` or a
/// leading `0` octal, `0b` binary, or decimal. Anything else, or out of range, is not an
/// integer.
pub fn resolve_int(text: &str) -> Option<i64> {
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let (negative, digits) = match cleaned.as_bytes().first()? {
        b'-' => (true, &cleaned[1..]),
        b'+' => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    let prefixed = |p: &str| {
        digits
            .get(..2)
            .filter(|d| d.eq_ignore_ascii_case(p))
            .map(|_| &digits[2..])
    };
    let (radix, body) = if let Some(b) = prefixed("0x") {
        (16, b)
    } else if let Some(b) = prefixed("0o") {
        (8, b)
    } else if let Some(b) = prefixed("0b") {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from(u64::from_str_radix(body, radix).ok()?);
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_or_a_list_reads_as_strings() {
        let doc = |t: &str| {
            crate::parse_yaml(t, &crate::Limits::default())
                .remove(0)
                .unwrap()
        };
        let m = doc("a: x.yaml\nb: [x.yaml, y.yaml, {k: v}]\nc: {k: v}\nd: null\n");
        let get = |k: &str| m.entry(k).unwrap().value.as_strings();
        assert_eq!(get("a"), ["x.yaml"]);
        assert_eq!(get("b"), ["x.yaml", "y.yaml"]);
        assert!(get("c").is_empty());
        assert!(get("d").is_empty());
    }

    #[test]
    fn yaml11_booleans_resolve_only_when_plain() {
        let p = Pos::default();
        assert_eq!(Node::plain("yes", p).as_bool(), Some(true));
        assert_eq!(Node::plain("Off", p).as_bool(), Some(false));
        assert_eq!(Node::plain("maybe", p).as_bool(), None);
        let quoted = Node {
            value: Value::Scalar(Scalar {
                text: "true".into(),
                style: ScalarStyle::Quoted,
            }),
            pos: p,
        };
        assert_eq!(quoted.as_bool(), None);
        assert_eq!(quoted.as_str(), Some("true"));
    }

    #[test]
    fn integers_in_every_form() {
        assert_eq!(resolve_int("0"), Some(0));
        assert_eq!(resolve_int("00"), Some(0), "octal zero is still root");
        assert_eq!(resolve_int("-12"), Some(-12));
        assert_eq!(resolve_int("0x1F"), Some(31));
        assert_eq!(resolve_int("0o17"), Some(15));
        assert_eq!(
            resolve_int("017"),
            Some(15),
            "a leading zero is octal, as in Go"
        );
        assert_eq!(resolve_int("0b101"), Some(5));
        assert_eq!(resolve_int("1_000"), Some(1000));
        assert_eq!(resolve_int("-9223372036854775808"), Some(i64::MIN));
        for not_int in [
            "1.5",
            "",
            "-",
            "0x",
            "0x-5",
            "-0x-8000000000000000",
            "08",
            "9223372036854775808",
            "+-1",
            "1e3",
        ] {
            assert_eq!(resolve_int(not_int), None, "{not_int:?}");
        }
    }

    #[test]
    fn nulls_are_absent_to_get() {
        let p = Pos::default();
        let m = Node {
            value: Value::Map(vec![
                Entry {
                    key: "a".into(),
                    key_pos: p,
                    value: Node::plain("~", p),
                },
                Entry {
                    key: "b".into(),
                    key_pos: p,
                    value: Node::plain("1", p),
                },
                Entry {
                    key: "b".into(),
                    key_pos: p,
                    value: Node::plain("2", p),
                },
            ]),
            pos: p,
        };
        assert!(m.get("a").is_none());
        assert_eq!(m.get("b").and_then(Node::as_i64), Some(2), "last key wins");
    }
}
