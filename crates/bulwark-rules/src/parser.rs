//! The condition parser: Falco's filter grammar (libsinsp `filter/parser.cpp`), ported so that
//! the same texts parse, fail with the same messages and report the same positions.
//!
//! ```text
//! Expr      ::= Or
//! Or        ::= And ('or' And)*
//! And       ::= Not ('and' Not)*
//! Not       ::= ('not' blank)* Check | 'not(' Expr ')'
//! Check     ::= '(' Expr ')' | Field Condition | Transformer Condition | Identifier
//! Condition ::= 'exists' | NumOp Num | StrOp Str | ListOp List
//! List      ::= '(' Str (',' Str)* ')' | '(' ')' | Identifier | Transformer
//! ```

use std::fmt;

/// Where in a condition string a node starts (0-based byte index, 1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CondPos {
    /// Byte offset in the condition text.
    pub idx: usize,
    /// 1-based line within the condition text.
    pub line: u32,
    /// 1-based column within the condition text.
    pub col: u32,
}

impl CondPos {
    fn start() -> CondPos {
        CondPos {
            idx: 0,
            line: 1,
            col: 1,
        }
    }
}

/// A field reference, possibly wrapped in transformers (`tolower(proc.name)`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// `proc.aname[2]`.
    Field {
        name: String,
        arg: Option<String>,
        pos: CondPos,
    },
    /// `tolower(...)`, `toupper(...)`, `b64(...)`, `basename(...)`, `val(...)`.
    Transformer {
        name: String,
        inner: Box<Operand>,
        pos: CondPos,
    },
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field { name, arg, .. } => match arg {
                Some(a) => write!(f, "{name}[{a}]"),
                None => f.write_str(name),
            },
            Operand::Transformer { name, inner, .. } => write!(f, "{name}({inner})"),
        }
    }
}

/// The right-hand side of a binary check.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rhs {
    /// One value (a bare or quoted string, a number).
    Value(String),
    /// A parenthesised list of values.
    List(Vec<String>),
    /// Another field (`val(proc.pname)`) or a transformer.
    Operand(Operand),
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Vec<Expr>, CondPos),
    Or(Vec<Expr>, CondPos),
    Not(Box<Expr>, CondPos),
    /// A bare identifier: a macro reference.
    Ident(String, CondPos),
    /// `field exists`.
    Unary {
        left: Operand,
        op: String,
        pos: CondPos,
    },
    /// `field op value`.
    Binary {
        left: Operand,
        op: String,
        right: Rhs,
        pos: CondPos,
    },
}

/// A parse failure: Falco's message and where the parser stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseFailure {
    pub message: String,
    pub pos: CondPos,
}

const UNARY_OPS: &[&str] = &["exists"];
const NUM_OPS: &[&str] = &["<=", "<", ">=", ">"];
// Falco's list: the word operators need a blank after them (`contains `).
const STR_OPS: &[&str] = &[
    "==",
    "=",
    "!=",
    "glob ",
    "iglob ",
    "contains ",
    "icontains ",
    "bcontains ",
    "startswith ",
    "bstartswith ",
    "endswith ",
    "regex ",
];
const LIST_OPS: &[&str] = &["intersects", "in", "pmatch"];
const TRANSFORMERS: &[&str] = &["tolower(", "toupper(", "b64(", "basename("];

/// Every comparison operator, as Falco lists them in messages.
pub(crate) fn supported_operators() -> Vec<&'static str> {
    UNARY_OPS
        .iter()
        .chain(NUM_OPS)
        .chain(STR_OPS)
        .chain(LIST_OPS)
        .map(|s| s.trim())
        .collect()
}

pub(crate) fn list_operators() -> &'static [&'static str] {
    LIST_OPS
}

fn token_list(vals: &[&str]) -> String {
    vals.iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn transformers_with_val() -> String {
    let mut v = vec!["val"];
    v.extend(TRANSFORMERS.iter().map(|t| t.trim_end_matches('(')));
    token_list(&v)
}

type PResult<T> = Result<T, ParseFailure>;

/// Parses a condition as Falco does, with Falco's recursion limit.
pub(crate) fn parse(input: &str, max_depth: u32) -> PResult<Expr> {
    let mut p = Parser {
        s: input.as_bytes(),
        pos: CondPos::start(),
        last: String::new(),
        depth: 0,
        max_depth,
    };
    if input.is_empty() {
        return Err(p.fail("filter input string is empty"));
    }
    let res = p.parse_or()?;
    if p.pos.idx != p.s.len() {
        let msg = format!("unexpected token after '{}', expecting 'or', 'and'", p.last);
        return Err(p.fail(&msg));
    }
    Ok(res)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: CondPos,
    last: String,
    depth: u32,
    max_depth: u32,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl Parser<'_> {
    fn fail(&self, msg: &str) -> ParseFailure {
        ParseFailure {
            message: msg.to_string(),
            pos: self.pos,
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth >= self.max_depth {
            return Err(self.fail(&format!("exceeded max depth limit of {}", self.max_depth)));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn cur(&self) -> u8 {
        self.s.get(self.pos.idx).copied().unwrap_or(0)
    }

    fn advance(&mut self, n: usize) {
        for _ in 0..n {
            let c = self.cur();
            self.pos.col += 1;
            if c == b'\r' || c == b'\n' {
                self.pos.col = 1;
                self.pos.line += 1;
            }
            self.pos.idx += 1;
        }
    }

    fn rest(&self) -> &[u8] {
        &self.s[self.pos.idx.min(self.s.len())..]
    }

    fn take(&mut self, n: usize) {
        let tok = String::from_utf8_lossy(&self.rest()[..n]).into_owned();
        self.advance(n);
        self.last = tok;
    }

    fn lex_blank(&mut self) -> bool {
        let mut found = false;
        while matches!(self.cur(), b' ' | b'\t' | 0x08 | b'\r' | b'\n') {
            found = true;
            self.advance(1);
        }
        found
    }

    fn lex_str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s.as_bytes()) {
            self.take(s.len());
            true
        } else {
            false
        }
    }

    fn lex_str_list(&mut self, list: &[&str]) -> bool {
        list.iter().any(|s| self.lex_str(s))
    }

    /// Length of `[a-zA-Z]+[a-zA-Z0-9_]*` at `at`.
    fn ident_len(&self, at: usize) -> usize {
        let r = &self.s[at.min(self.s.len())..];
        let alpha = r.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        if alpha == 0 {
            return 0;
        }
        alpha
            + r[alpha..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
    }

    fn lex_identifier(&mut self) -> bool {
        let n = self.ident_len(self.pos.idx);
        if n == 0 {
            return false;
        }
        self.take(n);
        true
    }

    fn lex_field_name(&mut self) -> bool {
        let start = self.pos.idx;
        let mut n = self.ident_len(start);
        if n == 0 {
            return false;
        }
        let mut segments = 0;
        loop {
            if self.s.get(start + n) != Some(&b'.') {
                break;
            }
            let seg = self.ident_len(start + n + 1);
            if seg == 0 {
                break;
            }
            n += 1 + seg;
            segments += 1;
        }
        if segments == 0 {
            return false;
        }
        self.take(n);
        true
    }

    fn lex_not_blank(&mut self) -> bool {
        let r = self.rest();
        if r.starts_with(b"not") {
            let spaces = r[3..].iter().take_while(|c| is_space(**c)).count();
            if spaces > 0 {
                self.take(3 + spaces);
                return true;
            }
        }
        false
    }

    fn lex_run(&mut self, ok: impl Fn(u8) -> bool) -> bool {
        let n = self.rest().iter().take_while(|c| ok(**c)).count();
        if n == 0 {
            return false;
        }
        self.take(n);
        true
    }

    fn lex_field_arg_bare_str(&mut self) -> bool {
        self.lex_run(|c| !matches!(c, b'[' | b']' | b'"' | b'\'') && !is_space(c))
    }

    fn lex_bare_str(&mut self) -> bool {
        self.lex_run(|c| !matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !is_space(c))
    }

    fn lex_hex_num(&mut self) -> bool {
        let r = self.rest();
        if r.len() > 2 && r[0] == b'0' && (r[1] == b'x' || r[1] == b'X') {
            let n = r[2..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            if n > 0 {
                self.take(2 + n);
                return true;
            }
        }
        false
    }

    fn lex_num(&mut self) -> bool {
        let r = self.rest();
        let mut i = usize::from(matches!(r.first(), Some(b'+' | b'-')));
        let digits = r[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += digits;
        if r.get(i) == Some(&b'.') {
            i += 1;
        }
        i += r[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if matches!(r.get(i), Some(b'e' | b'E'))
            && matches!(r.get(i + 1), Some(b'+' | b'-'))
            && r.get(i + 2).is_some_and(u8::is_ascii_digit)
        {
            i += 2;
            i += r[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        }
        self.take(i);
        true
    }

    fn lex_quoted_str(&mut self) -> PResult<bool> {
        let delim = self.cur();
        if delim != b'\'' && delim != b'"' {
            return Ok(false);
        }
        let saved = self.pos;
        let mut prev = b'\\';
        let mut raw: Vec<u8> = Vec::new();
        while self.pos.idx < self.s.len() {
            let c = self.cur();
            if c == delim && prev != b'\\' {
                self.advance(1);
                raw.push(delim);
                let raw = String::from_utf8_lossy(&raw).into_owned();
                self.last = unescape(&raw).map_err(|m| self.fail(&m))?;
                return Ok(true);
            }
            prev = c;
            raw.push(c);
            self.advance(1);
        }
        self.pos = saved;
        Ok(false)
    }

    fn parse_or(&mut self) -> PResult<Expr> {
        self.enter()?;
        let pos = self.pos;
        let mut children = Vec::new();
        self.lex_blank();
        children.push(self.parse_and()?);
        self.lex_blank();
        while self.lex_str("or") {
            let child = if self.lex_blank() {
                self.parse_and()?
            } else if self.lex_str("(") {
                self.parse_embedded_remainder()?
            } else {
                return Err(self.fail("expected blank or '(' after 'or'"));
            };
            children.push(child);
            self.lex_blank();
        }
        self.leave();
        Ok(if children.len() > 1 {
            Expr::Or(children, pos)
        } else {
            children.pop().unwrap_or(Expr::Or(Vec::new(), pos))
        })
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        self.enter()?;
        let pos = self.pos;
        let mut children = Vec::new();
        self.lex_blank();
        children.push(self.parse_not()?);
        self.lex_blank();
        while self.lex_str("and") {
            let child = if self.lex_blank() {
                self.parse_not()?
            } else if self.lex_str("(") {
                self.parse_embedded_remainder()?
            } else {
                return Err(self.fail("expected blank or '(' after 'and'"));
            };
            children.push(child);
            self.lex_blank();
        }
        self.leave();
        Ok(if children.len() > 1 {
            Expr::And(children, pos)
        } else {
            children.pop().unwrap_or(Expr::And(Vec::new(), pos))
        })
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        self.enter()?;
        let pos = self.pos;
        let mut is_not = false;
        self.lex_blank();
        while self.lex_not_blank() {
            is_not = !is_not;
        }
        let child = if self.lex_str("not(") {
            is_not = !is_not;
            self.parse_embedded_remainder()?
        } else {
            self.parse_check()?
        };
        self.leave();
        Ok(if is_not {
            Expr::Not(Box::new(child), pos)
        } else {
            child
        })
    }

    fn parse_embedded_remainder(&mut self) -> PResult<Expr> {
        self.enter()?;
        self.lex_blank();
        let child = self.parse_or()?;
        self.lex_blank();
        if !self.lex_str(")") {
            return Err(self.fail("expected a ')' token"));
        }
        self.leave();
        Ok(child)
    }

    fn parse_check(&mut self) -> PResult<Expr> {
        self.enter()?;
        let pos = self.pos;
        self.lex_blank();
        let res = if self.lex_str("(") {
            self.parse_embedded_remainder()?
        } else if self.lex_field_name() {
            let name = self.last.clone();
            let left = self.parse_field_remainder(name, pos)?;
            self.parse_condition(left, pos)?
        } else if self.lex_str_list(TRANSFORMERS) {
            self.lex_blank();
            let t = self.last.trim_end_matches('(').to_string();
            let left = self.parse_field_or_transformer_remainder(t, pos)?;
            self.parse_condition(left, pos)?
        } else if self.lex_identifier() {
            Expr::Ident(self.last.clone(), pos)
        } else {
            return Err(self.fail("expected a '(' token, a field check, or an identifier"));
        };
        self.leave();
        Ok(res)
    }

    fn parse_field_remainder(&mut self, name: String, pos: CondPos) -> PResult<Operand> {
        self.enter()?;
        let mut arg = None;
        if self.lex_str("[") {
            if !self.lex_quoted_str()? && !self.lex_field_arg_bare_str() {
                return Err(
                    self.fail("expected a valid field argument: a quoted string or a bare string")
                );
            }
            arg = Some(self.last.clone());
            if !self.lex_str("]") {
                return Err(self.fail("expected a ']' token"));
            }
        }
        self.leave();
        Ok(Operand::Field { name, arg, pos })
    }

    fn parse_field_or_transformer_remainder(
        &mut self,
        transformer: String,
        pos: CondPos,
    ) -> PResult<Operand> {
        self.enter()?;
        self.lex_blank();
        let arg_pos = self.pos;
        let mut child = None;
        if self.lex_str_list(TRANSFORMERS) {
            self.lex_blank();
            let t = self.last.trim_end_matches('(').to_string();
            child = Some(self.parse_field_or_transformer_remainder(t, arg_pos)?);
        }
        if child.is_none() && self.lex_field_name() {
            let name = self.last.clone();
            child = Some(self.parse_field_remainder(name, arg_pos)?);
        }
        let Some(child) = child else {
            return Err(self.fail(&format!(
                "expected a field or a nested valid transformer: {}",
                transformers_with_val()
            )));
        };
        self.lex_blank();
        if !self.lex_str(")") {
            return Err(self.fail("expected a ')' token closing the transformer"));
        }
        self.leave();
        Ok(Operand::Transformer {
            name: transformer,
            inner: Box::new(child),
            pos,
        })
    }

    fn parse_condition(&mut self, left: Operand, pos: CondPos) -> PResult<Expr> {
        self.enter()?;
        self.lex_blank();
        if self.lex_str_list(UNARY_OPS) {
            self.leave();
            return Ok(Expr::Unary {
                left,
                op: self.last.trim().to_string(),
                pos,
            });
        }
        self.lex_blank();
        let (op, right) = if self.lex_str_list(NUM_OPS) {
            let op = self.last.clone();
            (op, self.parse_num_value_or_transformer()?)
        } else if self.lex_str_list(STR_OPS) {
            let op = self.last.clone();
            (op, self.parse_str_value_or_transformer(false)?)
        } else if self.lex_str_list(LIST_OPS) {
            let op = self.last.clone();
            (op, self.parse_list_value_or_transformer()?)
        } else {
            return Err(self.fail(&format!(
                "expected a valid check operator: one of {}",
                token_list(&supported_operators())
            )));
        };
        self.leave();
        Ok(Expr::Binary {
            left,
            op: op.trim().to_string(),
            right,
            pos,
        })
    }

    fn parse_num_value_or_transformer(&mut self) -> PResult<Rhs> {
        self.enter()?;
        self.lex_blank();
        if let Some(t) = self.try_parse_transformer_or_val()? {
            self.leave();
            return Ok(Rhs::Operand(t));
        }
        if self.lex_hex_num() || self.lex_num() {
            self.leave();
            return Ok(Rhs::Value(self.last.clone()));
        }
        Err(self.fail(&format!(
            "expected a number value or a field with a valid transformer: {}",
            transformers_with_val()
        )))
    }

    fn parse_str_value_or_transformer(&mut self, no_transformer: bool) -> PResult<Rhs> {
        self.enter()?;
        self.lex_blank();
        if !no_transformer && let Some(t) = self.try_parse_transformer_or_val()? {
            self.leave();
            return Ok(Rhs::Operand(t));
        }
        if self.lex_quoted_str()? || self.lex_bare_str() {
            self.leave();
            return Ok(Rhs::Value(self.last.clone()));
        }
        if no_transformer {
            return Err(self.fail("expected a string value"));
        }
        Err(self.fail(&format!(
            "expected a string value or a field with a valid transformer: {}",
            transformers_with_val()
        )))
    }

    fn parse_list_value_or_transformer(&mut self) -> PResult<Rhs> {
        self.enter()?;
        self.lex_blank();
        if self.lex_str("(") {
            let mut values = Vec::new();
            self.lex_blank();
            let saved = (self.pos, self.last.clone(), self.depth);
            match self.parse_str_value_or_transformer(true) {
                Ok(Rhs::Value(v)) => {
                    values.push(v);
                    self.lex_blank();
                    while self.lex_str(",") {
                        match self.parse_str_value_or_transformer(true)? {
                            Rhs::Value(v) => values.push(v),
                            _ => {
                                return Err(self
                                    .fail("parser fatal error: null value expr in body of list"));
                            }
                        }
                        self.lex_blank();
                    }
                }
                Ok(_) => {
                    return Err(self.fail("parser fatal error: null value expr in head of list"));
                }
                Err(_) => {
                    // an empty list: Falco swallows the error and expects ')'
                    self.pos = saved.0;
                    self.last = saved.1;
                    self.depth = saved.2;
                }
            }
            if !self.lex_str(")") {
                return Err(self.fail("expected a ')' token"));
            }
            self.leave();
            return Ok(Rhs::List(values));
        }
        if let Some(t) = self.try_parse_transformer_or_val()? {
            self.leave();
            return Ok(Rhs::Operand(t));
        }
        if self.lex_identifier() {
            self.leave();
            return Ok(Rhs::Value(self.last.clone()));
        }
        Err(self.fail(&format!(
            "expected a list, an identifier, or a field with a valid transformer: {}",
            transformers_with_val()
        )))
    }

    fn try_parse_transformer_or_val(&mut self) -> PResult<Option<Operand>> {
        self.enter()?;
        self.lex_blank();
        let pos = self.pos;
        if self.lex_str("val(") {
            self.lex_blank();
            let field_pos = self.pos;
            if !self.lex_field_name() {
                return Err(self.fail("expected a field within 'val' transformer"));
            }
            let name = self.last.clone();
            let child = self.parse_field_remainder(name, field_pos)?;
            self.lex_blank();
            if !self.lex_str(")") {
                return Err(self.fail("expected a ')' token closing the transformer"));
            }
            self.leave();
            return Ok(Some(Operand::Transformer {
                name: "val".into(),
                inner: Box::new(child),
                pos,
            }));
        }
        if self.lex_str_list(TRANSFORMERS) {
            self.lex_blank();
            let t = self.last.trim_end_matches('(').to_string();
            let r = self.parse_field_or_transformer_remainder(t, pos)?;
            self.leave();
            return Ok(Some(r));
        }
        self.leave();
        Ok(None)
    }
}

/// Falco's `unescape_str`: the text between the quotes, with `\b \f \n \r \t \\ \/ \ ` and the
/// quote itself unescaped.
fn unescape(quoted: &str) -> Result<String, String> {
    let b = quoted.as_bytes();
    if b.len() < 2 {
        return Ok(String::new());
    }
    let delim = b[0];
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut escaped = false;
    for &c in &b[1..b.len() - 1] {
        if !escaped {
            if c == b'\\' {
                escaped = true;
            } else {
                out.push(c);
            }
            continue;
        }
        match c {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b' ' | b'\\' => out.push(b'\\'),
            b'/' => out.push(b'/'),
            b'"' => {
                if delim != b'"' {
                    return Err("invalid \\\" escape in '-quoted string".into());
                }
                out.push(b'"');
            }
            b'\'' => {
                if delim != b'\'' {
                    return Err("invalid \\' escape in \"-quoted string".into());
                }
                out.push(b'\'');
            }
            other => {
                return Err(format!(
                    "unsupported string escape sequence: \\{}",
                    char::from(other)
                ));
            }
        }
        escaped = false;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        parse(s, 500).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn err(s: &str) -> String {
        parse(s, 500).expect_err(s).message
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        let e = p("a or b and c");
        let Expr::Or(ch, _) = e else { panic!("{e:?}") };
        assert!(matches!(&ch[0], Expr::Ident(n, _) if n == "a"));
        assert!(matches!(&ch[1], Expr::And(v, _) if v.len() == 2));
    }

    #[test]
    fn not_binds_tighter_than_and_and_double_not_cancels() {
        let e = p("not a and b");
        let Expr::And(ch, _) = e else { panic!("{e:?}") };
        assert!(matches!(&ch[0], Expr::Not(..)));
        assert!(matches!(p("not not a"), Expr::Ident(..)));
        assert!(matches!(p("not(a or b)"), Expr::Not(..)));
    }

    #[test]
    fn checks_values_and_lists() {
        let e = p(
            "proc.aname[2] in (bash, \"a b\", 'c') and fd.sport>=1024 and evt.arg.flags contains O_WRONLY",
        );
        let Expr::And(ch, _) = e else { panic!() };
        match &ch[0] {
            Expr::Binary {
                left, op, right, ..
            } => {
                assert_eq!(left.to_string(), "proc.aname[2]");
                assert_eq!(op, "in");
                assert_eq!(
                    right,
                    &Rhs::List(vec!["bash".into(), "a b".into(), "c".into()])
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(&ch[1], Expr::Binary { op, right: Rhs::Value(v), .. } if op == ">=" && v == "1024")
        );
        assert!(
            matches!(&ch[2], Expr::Binary { left: Operand::Field { name, .. }, op, .. } if name == "evt.arg.flags" && op == "contains")
        );
        assert!(matches!(p("a.b in ()"), Expr::Binary { right: Rhs::List(v), .. } if v.is_empty()));
        assert!(
            matches!(p("jevt.value[/spec/tls] exists"), Expr::Unary { left: Operand::Field { arg: Some(a), .. }, .. } if a == "/spec/tls")
        );
        assert!(
            matches!(p("proc.name = val(proc.pname)"), Expr::Binary { right: Rhs::Operand(Operand::Transformer { name, .. }), .. } if name == "val")
        );
        assert!(matches!(
            p("tolower(proc.name) = bash"),
            Expr::Binary {
                left: Operand::Transformer { .. },
                ..
            }
        ));
    }

    #[test]
    fn escapes_in_quoted_strings() {
        let e = p(r#"a.b = "x\"y\\z\n""#);
        assert!(matches!(e, Expr::Binary { right: Rhs::Value(v), .. } if v == "x\"y\\z\n"));
        assert_eq!(
            err(r#"a.b = "\q""#),
            "unsupported string escape sequence: \\q"
        );
    }

    #[test]
    fn falco_error_messages() {
        assert_eq!(
            err("evt.type=execve foo"),
            "unexpected token after 'execve', expecting 'or', 'and'"
        );
        assert_eq!(err(""), "filter input string is empty");
        assert_eq!(err("(a"), "expected a ')' token");
        assert!(err("proc.name ~ x").starts_with("expected a valid check operator: one of 'exists', '<=', '<', '>=', '>', '==', '=', '!='"));
        assert_eq!(err("a andb"), "expected blank or '(' after 'and'");
        assert_eq!(
            err("=x"),
            "expected a '(' token, a field check, or an identifier"
        );
    }

    #[test]
    fn depth_limit_is_an_error_not_a_crash() {
        let deep = "(".repeat(100_000);
        assert!(err(&deep).starts_with("exceeded max depth limit"));
    }

    #[test]
    fn word_operators_need_a_blank() {
        // `containsx` is not `contains`: Falco requires a blank after word operators.
        assert!(err("proc.name containsx").starts_with("expected a valid check operator"));
        assert!(
            matches!(p("proc.name startswith /x"), Expr::Binary { op, .. } if op == "startswith")
        );
    }
}
