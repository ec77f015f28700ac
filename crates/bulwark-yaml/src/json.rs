//! JSON to [`Node`] trees with positions, bounded in depth and size.
//!
//! A file may hold several JSON values one after another (as `kubectl get -o json` piped
//! together does). Columns count characters, as YAML positions and SARIF's `unicodeCodePoints`
//! do.

use compact_str::CompactString;

use crate::node::{Entry, Node, Pos, Scalar, ScalarStyle, Value};
use crate::{Limits, ParseError};

/// Parses every JSON value in `text`. Stops at the first error, returning what came before it.
pub(crate) fn parse_stream(text: &str, limits: &Limits) -> Vec<Result<Node, ParseError>> {
    let mut p = JsonParser {
        bytes: text.as_bytes(),
        text,
        at: 0,
        line: 1,
        line_start: 0,
        col_cache: std::cell::Cell::new((0, 1)),
        nodes: 0,
        limits,
    };
    let mut out = Vec::new();
    loop {
        p.skip_ws();
        if p.at >= p.bytes.len() {
            break;
        }
        match p.value(0) {
            Ok(n) => out.push(Ok(n)),
            Err(e) => {
                out.push(Err(e));
                break;
            }
        }
    }
    out
}

struct JsonParser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    line: u32,
    line_start: usize,
    /// The last position asked for on the current line, as (byte offset, 1-based character
    /// column): positions are asked for in increasing order, so counting characters from it
    /// keeps the work linear even for one-line (minified) JSON.
    col_cache: std::cell::Cell<(usize, u32)>,
    nodes: usize,
    limits: &'a Limits,
}

impl JsonParser<'_> {
    fn pos(&self) -> Pos {
        let (from, col) = match self.col_cache.get() {
            (at, col) if at >= self.line_start && at <= self.at => (at, col),
            _ => (self.line_start, 1),
        };
        let chars = self
            .text
            .get(from..self.at)
            .map_or(0, |t| t.chars().count());
        let col = col.saturating_add(u32::try_from(chars).unwrap_or(u32::MAX));
        self.col_cache.set((self.at, col));
        Pos {
            line: self.line,
            col,
        }
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::Json {
            message: message.into(),
            pos: self.pos(),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                b' ' | b'\t' | b'\r' => self.at += 1,
                _ => break,
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, b: u8) -> Result<(), ParseError> {
        if self.peek() == Some(b) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(format!(
                "expected `{}`, found {}",
                char::from(b),
                self.describe_here()
            )))
        }
    }

    fn describe_here(&self) -> String {
        match self.text[self.at..].chars().next() {
            None => "end of input".to_string(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn count(&mut self) -> Result<(), ParseError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(ParseError::TooManyNodes {
                limit: self.limits.max_nodes,
            });
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        self.skip_ws();
        self.count()?;
        let pos = self.pos();
        match self.peek() {
            Some(b'{') => {
                if depth >= self.limits.max_depth {
                    return Err(ParseError::TooDeep {
                        limit: self.limits.max_depth,
                        pos,
                    });
                }
                self.at += 1;
                let mut entries = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.skip_ws();
                        let key_pos = self.pos();
                        if self.peek() != Some(b'"') {
                            return Err(self.error(format!(
                                "expected a string key, found {}",
                                self.describe_here()
                            )));
                        }
                        let key = self.string()?;
                        self.skip_ws();
                        self.expect(b':')?;
                        let value = self.value(depth + 1)?;
                        entries.push(Entry {
                            key: CompactString::new(&key),
                            key_pos,
                            value,
                        });
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.at += 1,
                            Some(b'}') => {
                                self.at += 1;
                                break;
                            }
                            _ => {
                                return Err(self.error(format!(
                                    "expected `,` or `}}`, found {}",
                                    self.describe_here()
                                )));
                            }
                        }
                    }
                }
                Ok(Node {
                    value: Value::Map(entries),
                    pos,
                })
            }
            Some(b'[') => {
                if depth >= self.limits.max_depth {
                    return Err(ParseError::TooDeep {
                        limit: self.limits.max_depth,
                        pos,
                    });
                }
                self.at += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.at += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.at += 1,
                            Some(b']') => {
                                self.at += 1;
                                break;
                            }
                            _ => {
                                return Err(self.error(format!(
                                    "expected `,` or `]`, found {}",
                                    self.describe_here()
                                )));
                            }
                        }
                    }
                }
                Ok(Node {
                    value: Value::Seq(items),
                    pos,
                })
            }
            Some(b'"') => {
                let text = self.string()?;
                Ok(Node {
                    value: Value::Scalar(Scalar {
                        text: CompactString::new(&text),
                        style: ScalarStyle::Quoted,
                    }),
                    pos,
                })
            }
            Some(b't') => self.literal("true", pos),
            Some(b'f') => self.literal("false", pos),
            Some(b'n') => self.literal("null", pos),
            Some(b'-' | b'0'..=b'9') => self.number(pos),
            _ => Err(self.error(format!("expected a value, found {}", self.describe_here()))),
        }
    }

    fn literal(&mut self, word: &str, pos: Pos) -> Result<Node, ParseError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(Node::plain(word, pos))
        } else {
            Err(self.error(format!("expected a value, found {}", self.describe_here())))
        }
    }

    fn number(&mut self, pos: Pos) -> Result<Node, ParseError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.at;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.at += 1;
            }
            p.at - s
        };
        let int_start = self.at;
        let n = digits(self);
        if n == 0 || (n > 1 && self.bytes[int_start] == b'0') {
            return Err(self.error("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number: digits expected after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number: digits expected in exponent"));
            }
        }
        Ok(Node::plain(&self.text[start..self.at], pos))
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let run_start = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            out.push_str(&self.text[run_start..self.at]);
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let Some(esc) = self.peek() else {
                        return Err(self.error("unterminated string"));
                    };
                    self.at += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let c = self.unicode_escape()?;
                            out.push(c);
                        }
                        _ => return Err(self.error("invalid escape in string")),
                    }
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let Some(hex) = self.text.get(self.at..self.at + 4) else {
            return Err(self.error("truncated \\u escape"));
        };
        let v = u32::from_str_radix(hex, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.at += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.bytes[self.at..].starts_with(b"\\u") {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            self.at += 2;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Result<Node, ParseError>> {
        parse_stream(text, &Limits::default())
    }

    #[test]
    fn parses_values_with_positions() {
        let docs =
            parse("{\n  \"a\": [1, -2.5e3, true, null],\n  \"b\": \"x\\u00e9\\ud83d\\ude00\"\n}");
        let n = docs[0].as_ref().expect("parses");
        let a = n.get("a").expect("a").as_seq().expect("seq");
        assert_eq!(a[0].as_i64(), Some(1));
        assert_eq!(a[2].as_bool(), Some(true));
        assert!(a[3].is_null());
        assert_eq!(n.entry("b").expect("b").key_pos, Pos { line: 3, col: 3 });
        assert_eq!(n.get("b").and_then(Node::as_str), Some("xé😀"));
        assert_eq!(n.get("b").and_then(Node::as_bool), None);
    }

    #[test]
    fn columns_count_characters() {
        let docs = parse("{\"é\": \"ü\", \"k\": 1}");
        let n = docs[0].as_ref().expect("parses");
        assert_eq!(n.entry("k").expect("k").key_pos, Pos { line: 1, col: 12 });
    }

    #[test]
    fn several_values_in_one_stream() {
        let docs = parse("{\"a\":1}\n{\"a\":2} [3]");
        assert_eq!(docs.len(), 3);
        assert!(docs.iter().all(Result::is_ok));
    }

    #[test]
    fn errors_name_line_and_column() {
        let docs = parse("{\n  \"a\": 1,\n  \"b\" 2\n}");
        let err = docs[0].as_ref().expect_err("missing colon");
        assert_eq!(err.pos(), Some(Pos { line: 3, col: 7 }));
        assert!(err.to_string().contains("expected `:`"), "{err}");
        for bad in [
            "[1,]",
            "01",
            "\"\\x\"",
            "\"abc",
            "[1 2]",
            "{\"a\":}",
            "tru",
            "\"\\ud800\"",
        ] {
            assert!(parse(bad)[0].is_err(), "{bad} must not parse");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(parse(&deep)[0], Err(ParseError::TooDeep { .. })));
    }
}
