//! Evaluation: the [`Event`] trait producers implement, field [`Value`]s, and compiled
//! conditions tested against events without allocating (except for transformers and list
//! fields, which build values).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;

use base64::Engine as _;
use foldhash::fast::FixedState;

use crate::catalog::{EventTypeId, Field, FieldArg, Source};

/// An event the rules are evaluated on: a system call seen by the sensor or an audit event.
///
/// Implementations answer [`field`](Event::field) for the catalog fields of their source and
/// return `None` for anything they do not know, which makes every comparison on the field false
/// (as a missing value does in Falco) and prints `<NA>` in outputs.
pub trait Event {
    /// The event's source.
    fn source(&self) -> Source;
    /// The event type (`syscall` events), used to pick the rules that can match;
    /// [`EventTypeId::NONE`] for sources without event types.
    fn event_type(&self) -> EventTypeId;
    /// The value of a field, with its argument (`proc.aname[2]` is `ProcAname` with
    /// `Index(2)`).
    fn field(&self, field: Field, arg: Option<&FieldArg>) -> Option<Value<'_>>;
    /// The event's time in nanoseconds since the Unix epoch.
    fn time_ns(&self) -> u64;
}

/// A field's value for one event. Borrow strings from the event where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// Text.
    Str(Cow<'a, str>),
    /// A signed number.
    Int(i64),
    /// An unsigned number (also ports and times in nanoseconds).
    Uint(u64),
    /// A boolean.
    Bool(bool),
    /// An IP address.
    Ip(IpAddr),
    /// Several values: list fields (`ka.user.groups`), and "any of" fields (`proc.aname`
    /// without an index, `fd.ip`, `fd.net`).
    List(Vec<Value<'a>>),
}

impl<'a> Value<'a> {
    /// A borrowed string value.
    pub fn str(s: &'a str) -> Value<'a> {
        Value::Str(Cow::Borrowed(s))
    }

    pub(crate) fn as_num(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some(i128::from(*i)),
            Value::Uint(u) => Some(i128::from(*u)),
            Value::Bool(b) => Some(i128::from(*b)),
            Value::Str(s) => parse_int(s),
            Value::Ip(_) | Value::List(_) => None,
        }
    }

    pub(crate) fn as_text(&self) -> Cow<'_, str> {
        match self {
            Value::Str(s) => Cow::Borrowed(s.as_ref()),
            other => Cow::Owned(other.to_string()),
        }
    }

    /// The value as Falco's JSON `output_fields` shows it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Uint(u) => serde_json::Value::from(*u),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Ip(ip) => serde_json::Value::String(ip.to_string()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
        }
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Uint(u) => write!(f, "{u}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Ip(ip) => write!(f, "{ip}"),
            Value::List(items) => {
                f.write_str("(")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Parses an integer as Falco's number values are written: decimal (with a sign) or `0x` hex.
pub(crate) fn parse_int(s: &str) -> Option<i128> {
    let s = s.trim();
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(h, 16).ok()?
    } else {
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        body.parse::<i128>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// An IP network (`10.0.0.0/8`); a bare address is a network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    pub(crate) fn parse(s: &str) -> Option<Net> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Net { addr, prefix })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                (u32::from(n) & mask) == (u32::from(a) & mask)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                (u128::from(n) & mask) == (u128::from(a) & mask)
            }
            (IpAddr::V4(n), IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|a4| {
                Net {
                    addr: IpAddr::V4(n),
                    prefix: self.prefix,
                }
                .contains(IpAddr::V4(a4))
            }),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

/// A set of strings: a scan for small sets, a hash set for large ones.
#[derive(Debug, Clone)]
pub(crate) enum StrSet {
    Small(Box<[Box<str>]>),
    Hash(HashSet<Box<str>, FixedState>),
}

impl StrSet {
    pub(crate) fn new(items: Vec<String>) -> StrSet {
        if items.len() <= 8 {
            StrSet::Small(items.into_iter().map(String::into_boxed_str).collect())
        } else {
            let mut h = HashSet::with_capacity_and_hasher(items.len(), FixedState::with_seed(0));
            h.extend(items.into_iter().map(String::into_boxed_str));
            StrSet::Hash(h)
        }
    }

    pub(crate) fn contains(&self, s: &str) -> bool {
        match self {
            StrSet::Small(v) => v.iter().any(|x| &**x == s),
            StrSet::Hash(h) => h.contains(s),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    PMatch,
    In,
    Intersects,
    Exists,
    Regex,
}

impl Op {
    pub(crate) fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "=" | "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "pmatch" => Op::PMatch,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "exists" => Op::Exists,
            "regex" => Op::Regex,
            _ => return None,
        })
    }
}

/// A transformer applied to a field's value before comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transformer {
    ToLower,
    ToUpper,
    B64,
    Basename,
}

/// A field reference, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Operand {
    pub field: Field,
    pub arg: Option<FieldArg>,
    /// Applied innermost first.
    pub transformers: Vec<Transformer>,
}

impl Operand {
    pub(crate) fn get<'e, E: Event + ?Sized>(&self, ev: &'e E) -> Option<Value<'e>> {
        let v = ev.field(self.field, self.arg.as_ref())?;
        if self.transformers.is_empty() {
            return Some(v);
        }
        let mut v = v;
        for t in &self.transformers {
            v = transform(*t, v)?;
        }
        Some(v)
    }
}

fn transform(t: Transformer, v: Value<'_>) -> Option<Value<'_>> {
    match v {
        Value::List(items) => Some(Value::List(
            items.into_iter().filter_map(|i| transform(t, i)).collect(),
        )),
        other => {
            let s = other.as_text();
            let out = match t {
                Transformer::ToLower => s.to_lowercase(),
                Transformer::ToUpper => s.to_uppercase(),
                Transformer::Basename => match s.rfind('/') {
                    Some(i) => s[i + 1..].to_string(),
                    None => s.into_owned(),
                },
                Transformer::B64 => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(s.as_bytes())
                        .ok()?;
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            };
            Some(Value::Str(Cow::Owned(out)))
        }
    }
}

/// The compiled right-hand side of a check.
#[derive(Debug, Clone)]
pub(crate) enum Rhs {
    None,
    Str(Box<str>),
    Bytes(Box<[u8]>),
    StrSet(StrSet),
    Paths(Box<[Box<str>]>),
    Glob(Box<str>),
    Regex(Box<regex::Regex>),
    Num(i128),
    NumSet(Box<[i128]>),
    Nets(Box<[Net]>),
    /// A value whose type is decided per event: its text and, when it is one, its number.
    Dyn(Box<str>, Option<i128>),
    DynSet(StrSet, Box<[i128]>),
    Field(Box<Operand>),
}

/// One compiled field check.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub left: Operand,
    /// The field is a list field ([`FieldType::StringList`](crate::FieldType)), not an "any
    /// of" field.
    pub list_field: bool,
    pub op: Op,
    pub rhs: Rhs,
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
    Const(bool),
    /// `evt.type` is one of these (a bitset over [`EventTypeId`]s).
    EvtType(Box<[u64]>),
    Check(Box<Check>),
}

impl Node {
    /// Adds every field the condition reads to `out`.
    pub(crate) fn fields(&self, out: &mut std::collections::BTreeSet<Field>) {
        match self {
            Node::And(ch) | Node::Or(ch) => ch.iter().for_each(|c| c.fields(out)),
            Node::Not(c) => c.fields(out),
            Node::Const(_) => {}
            Node::EvtType(_) => {
                out.insert(Field::EvtType);
            }
            Node::Check(c) => {
                out.insert(c.left.field);
                if let Rhs::Field(o) = &c.rhs {
                    out.insert(o.field);
                }
            }
        }
    }

    pub(crate) fn eval<E: Event + ?Sized>(&self, ev: &E) -> bool {
        match self {
            Node::And(ch) => ch.iter().all(|c| c.eval(ev)),
            Node::Or(ch) => ch.iter().any(|c| c.eval(ev)),
            Node::Not(c) => !c.eval(ev),
            Node::Const(b) => *b,
            Node::EvtType(bits) => {
                let t = usize::from(ev.event_type().0);
                bits.get(t / 64).is_some_and(|w| w & (1 << (t % 64)) != 0)
            }
            Node::Check(c) => c.eval(ev),
        }
    }
}

impl Check {
    fn eval<E: Event + ?Sized>(&self, ev: &E) -> bool {
        let Some(v) = self.left.get(ev) else {
            return false;
        };
        if self.op == Op::Exists {
            return true;
        }
        if let Rhs::Field(other) = &self.rhs {
            let Some(r) = other.get(ev) else {
                return false;
            };
            return cmp_values(self.op, &v, &r);
        }
        match &v {
            // "any of" fields (`proc.aname`, `fd.ip`): a check holds when it holds for one.
            Value::List(items) if !self.list_field => match self.op {
                Op::Ne => !items.is_empty() && !items.iter().any(|i| self.scalar(Op::Eq, i)),
                Op::Intersects => items.iter().any(|i| self.scalar(Op::In, i)),
                op => items.iter().any(|i| self.scalar(op, i)),
            },
            // List fields (`ka.user.groups`): `in` asks that all are in the set.
            Value::List(items) => match self.op {
                Op::In => !items.is_empty() && items.iter().all(|i| self.scalar(Op::In, i)),
                Op::Intersects => items.iter().any(|i| self.scalar(Op::In, i)),
                op => items.iter().any(|i| self.scalar(op, i)),
            },
            scalar => {
                let op = if self.op == Op::Intersects {
                    Op::In
                } else {
                    self.op
                };
                self.scalar(op, scalar)
            }
        }
    }

    fn scalar(&self, op: Op, v: &Value<'_>) -> bool {
        match &self.rhs {
            Rhs::None | Rhs::Field(_) => false,
            Rhs::Str(s) => match v {
                Value::Str(t) => cmp_str(op, t, s),
                other => cmp_str(op, &other.as_text(), s),
            },
            Rhs::Bytes(b) => {
                let t = v.as_text();
                let t = t.as_bytes();
                match op {
                    Op::BContains => memfind(t, b),
                    Op::BStartsWith => t.starts_with(b),
                    _ => false,
                }
            }
            Rhs::StrSet(set) => match op {
                Op::In => set.contains(&v.as_text()),
                _ => false,
            },
            Rhs::Paths(paths) => {
                let t = v.as_text();
                paths.iter().any(|p| path_prefix(p, &t))
            }
            Rhs::Glob(g) => {
                let t = v.as_text();
                glob_match(g.as_bytes(), t.as_bytes(), op == Op::IGlob)
            }
            Rhs::Regex(re) => re.is_match(&v.as_text()),
            Rhs::Num(n) => v.as_num().is_some_and(|x| cmp_ord(op, x.cmp(n))),
            Rhs::NumSet(set) => v.as_num().is_some_and(|x| set.contains(&x)),
            Rhs::Nets(nets) => {
                let ip = match v {
                    Value::Ip(ip) => Some(*ip),
                    Value::Str(s) => s.parse().ok(),
                    _ => None,
                };
                let Some(ip) = ip else { return false };
                let any = nets.iter().any(|n| n.contains(ip));
                match op {
                    Op::Eq | Op::In => any,
                    Op::Ne => !any,
                    _ => false,
                }
            }
            Rhs::Dyn(s, n) => match (v, n) {
                (Value::Int(_) | Value::Uint(_) | Value::Bool(_), Some(n)) => {
                    v.as_num().is_some_and(|x| cmp_ord(op, x.cmp(n)))
                }
                _ => cmp_str(op, &v.as_text(), s),
            },
            Rhs::DynSet(strs, nums) => match v {
                Value::Int(_) | Value::Uint(_) | Value::Bool(_) => {
                    v.as_num().is_some_and(|x| nums.contains(&x))
                }
                _ => strs.contains(&v.as_text()),
            },
        }
    }
}

fn cmp_ord(op: Op, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match op {
        Op::Eq | Op::In => o == Equal,
        Op::Ne => o != Equal,
        Op::Lt => o == Less,
        Op::Le => o != Greater,
        Op::Gt => o == Greater,
        Op::Ge => o != Less,
        _ => false,
    }
}

/// Compares a string with a string operand. `icontains` operands are stored lowercased.
fn cmp_str(op: Op, t: &str, s: &str) -> bool {
    match op {
        Op::Eq | Op::In => t == s,
        Op::Ne => t != s,
        Op::Lt => t < s,
        Op::Le => t <= s,
        Op::Gt => t > s,
        Op::Ge => t >= s,
        Op::Contains => t.contains(s),
        Op::IContains => icontains(t, s),
        Op::StartsWith => t.starts_with(s),
        Op::EndsWith => t.ends_with(s),
        Op::BContains => memfind(t.as_bytes(), s.as_bytes()),
        Op::BStartsWith => t.as_bytes().starts_with(s.as_bytes()),
        Op::Glob | Op::IGlob => glob_match(s.as_bytes(), t.as_bytes(), op == Op::IGlob),
        Op::PMatch => path_prefix(s, t),
        Op::Intersects | Op::Exists | Op::Regex => false,
    }
}

/// Compares two event values (`val(...)` right-hand sides).
fn cmp_values(op: Op, l: &Value<'_>, r: &Value<'_>) -> bool {
    if let Value::List(items) = l {
        return items.iter().any(|i| cmp_values(op, i, r));
    }
    if let Value::List(items) = r {
        return match op {
            Op::In | Op::Intersects => items.iter().any(|i| cmp_values(Op::Eq, l, i)),
            _ => false,
        };
    }
    let numeric = |v: &Value<'_>| matches!(v, Value::Int(_) | Value::Uint(_) | Value::Bool(_));
    if numeric(l)
        && numeric(r)
        && let (Some(a), Some(b)) = (l.as_num(), r.as_num())
    {
        return cmp_ord(op, a.cmp(&b));
    }
    let op = if op == Op::IContains {
        return icontains(&l.as_text(), &r.as_text().to_lowercase());
    } else {
        op
    };
    cmp_str(op, &l.as_text(), &r.as_text())
}

/// ASCII case-insensitive substring search; `needle` is already lowercase.
fn icontains(hay: &str, needle: &str) -> bool {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    h.windows(n.len())
        .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

fn memfind(h: &[u8], n: &[u8]) -> bool {
    n.is_empty() || h.windows(n.len()).any(|w| w == n)
}

/// `pmatch`: the path is the prefix itself or below it.
fn path_prefix(prefix: &str, path: &str) -> bool {
    let p = prefix.strip_suffix('/').unwrap_or(prefix);
    if p.is_empty() {
        return path.starts_with('/');
    }
    path == p || (path.starts_with(p) && path.as_bytes().get(p.len()) == Some(&b'/'))
}

/// `fnmatch(3)` without flags: `*` and `?` match any character including `/`, `[...]` classes
/// with ranges and `!`/`^` negation, `\` escapes. Iterative, so no input makes it recurse.
pub(crate) fn glob_match(pat: &[u8], text: &[u8], fold: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if fold {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class_match(pat, p, text[t], fold) {
                        if matched {
                            p = next;
                            t += 1;
                            continue;
                        }
                    } else if eq(b'[', text[t]) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pat.len() => {
                    if eq(pat[p + 1], text[t]) {
                        p += 2;
                        t += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, text[t]) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

/// Matches `c` against the class starting at `pat[start] == '['`; returns whether it matched
/// and the index after the class, or `None` if the class is not closed.
fn class_match(pat: &[u8], start: usize, c: u8, fold: bool) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(pat.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let c = if fold { c.to_ascii_lowercase() } else { c };
    let mut matched = false;
    let mut first = true;
    loop {
        let &ch = pat.get(i)?;
        if ch == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = if fold { ch.to_ascii_lowercase() } else { ch };
        if pat.get(i + 1) == Some(&b'-') && pat.get(i + 2).is_some_and(|&e| e != b']') {
            let hi = pat[i + 2];
            let hi = if fold { hi.to_ascii_lowercase() } else { hi };
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_semantics() {
        assert!(glob_match(b"/usr/*", b"/usr/bin/ls", false));
        assert!(glob_match(b"*.sh", b"run.sh", false));
        assert!(!glob_match(b"*.sh", b"run.shx", false));
        assert!(glob_match(b"a?c", b"abc", false));
        assert!(glob_match(b"[a-c]x", b"bx", false));
        assert!(!glob_match(b"[!a-c]x", b"bx", false));
        assert!(glob_match(b"*A*", b"xay", true));
        assert!(!glob_match(b"*A*", b"xay", false));
        assert!(glob_match(b"\\*", b"*", false));
        assert!(!glob_match(b"**a**a**a**b", &[b'a'; 40], false));
    }

    #[test]
    fn nets_and_paths() {
        let n = Net::parse("127.0.0.1/24").expect("net");
        assert!(n.contains("127.0.0.200".parse().expect("ip")));
        assert!(!n.contains("127.0.1.1".parse().expect("ip")));
        assert!(
            Net::parse("::1")
                .expect("v6")
                .contains("::1".parse().expect("ip"))
        );
        assert!(path_prefix("/usr/bin", "/usr/bin/ls"));
        assert!(path_prefix("/usr/bin", "/usr/bin"));
        assert!(!path_prefix("/usr/bin", "/usr/binx"));
        assert!(path_prefix("/etc/", "/etc/shadow"));
    }

    #[test]
    fn numbers_parse_like_falco() {
        assert_eq!(parse_int("0x10"), Some(16));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("1.5"), None);
        assert!(icontains("Hello", "ell"));
        assert!(icontains("HELLO", "ell"));
    }
}
