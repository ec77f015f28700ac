//! Finding secrets in bytes: a keyword prefilter, rule patterns run only around keyword hits,
//! then value judgement and de-duplication.

use std::io::{self, Read};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::randomness::{randomness, shannon_entropy};
use crate::rules::{Rule, RuleKind, RuleSet};
use crate::values::{is_code_reference, is_placeholder, is_weak_password};

/// What a match turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A credential.
    Secret,
    /// A well-known default or dictionary password in a password field.
    WeakPassword,
}

/// One secret found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMatch {
    /// Index of the rule in [`Scanner::rules`].
    pub rule: usize,
    /// What it is.
    pub kind: SecretKind,
    /// Byte offset of the secret in the input.
    pub start: u64,
    /// Byte offset just after it.
    pub end: u64,
    /// 1-based line of the secret's first byte.
    pub line: u32,
    /// 1-based column (in bytes) of the secret's first byte.
    pub column: u32,
    /// The secret itself. Never print it without `--show-secrets`.
    pub value: Vec<u8>,
}

/// Where the scanned bytes come from, for decisions that depend on it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// The file's path, if it is a file.
    pub path: Option<&'a str>,
}

/// Extensions of programming-language source files: there a literal secret is a quoted
/// string, and an unquoted value after `password =` is an identifier or an expression.
const SOURCE_EXTENSIONS: &[&str] = &[
    "rs", "go", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "java", "kt", "kts", "scala", "cs",
    "fs", "swift", "m", "mm", "ts", "tsx", "js", "jsx", "mjs", "cjs", "py", "pyi", "rb", "php",
    "dart", "lua", "pl", "pm", "groovy", "ex", "exs", "erl", "hs", "ml", "clj", "vb", "zig", "nim",
    "v", "jl", "r", "tcc", "tpp", "ipp", "inl",
];

impl Context<'_> {
    /// Whether the file is source code in a programming language (by extension).
    pub fn is_source_code(&self) -> bool {
        let Some(path) = self.path else {
            return false;
        };
        let name = path.rsplit(['/', '!']).next().unwrap_or(path);
        name.rsplit_once('.').is_some_and(|(_, ext)| {
            SOURCE_EXTENSIONS
                .iter()
                .any(|e| e.eq_ignore_ascii_case(ext))
        })
    }

    /// Whether the file is documentation or a template of settings (`.env.example`,
    /// `config.sample.yaml`, `README.md`, `docs/…`), where default passwords are placeholders.
    pub fn is_example_file(&self) -> bool {
        let Some(path) = self.path else {
            return false;
        };
        let lower = path.to_ascii_lowercase();
        let name = lower.rsplit('/').next().unwrap_or(&lower);
        [
            ".example",
            "example.",
            ".sample",
            "sample.",
            ".template",
            ".tmpl",
            ".dist",
            ".tpl",
        ]
        .iter()
        .any(|m| name.contains(m))
            || [".md", ".rst", ".adoc"]
                .iter()
                .any(|ext| name.ends_with(ext))
            || name.starts_with("readme")
            || lower.starts_with("docs/")
            || lower.contains("/docs/")
            || lower.contains("/doc/")
    }
}

/// A compiled rule set, ready to scan.
#[derive(Debug)]
pub struct Scanner {
    rules: Vec<Rule>,
    keywords: AhoCorasick,
    /// For each keyword (pattern id of `keywords`), the rules that use it.
    keyword_rules: Vec<Vec<usize>>,
}

/// How far around a keyword a single-line rule looks, at most.
const LINE_REACH: usize = 4096;
/// How far after a keyword a multi-line rule looks.
const BLOCK_REACH: usize = 32 * 1024;
/// Bytes read per chunk when streaming.
const CHUNK: usize = 8 * 1024 * 1024;
/// Bytes kept from the previous chunk, so no match is cut at a chunk boundary.
const OVERLAP: usize = 64 * 1024;

/// An inline comment that suppresses findings on its line.
pub const ALLOW_MARKER: &[u8] = b"bulwark:allow";

impl Scanner {
    /// Compiles `rules`.
    ///
    /// # Panics
    /// Never: the keyword automaton is built from plain literals.
    pub fn new(rules: &RuleSet) -> Scanner {
        let rules = rules.rules().to_vec();
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for k in &r.keywords {
                if let Some(at) = keywords.iter().position(|e| e == k) {
                    keyword_rules[at].push(i);
                } else {
                    keywords.push(k.clone());
                    keyword_rules.push(vec![i]);
                }
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&keywords)
            .expect("keyword literals always build an automaton");
        Scanner {
            rules,
            keywords: automaton,
            keyword_rules,
        }
    }

    /// The rules, indexed by [`SecretMatch::rule`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Scans bytes held in memory.
    pub fn scan(&self, data: &[u8], cx: &Context<'_>) -> Vec<SecretMatch> {
        let mut out = self.scan_window(data, 0, data.len(), cx);
        assign_lines(data, &mut out, 0, 1, 0);
        out
    }

    /// Scans a stream in bounded memory (chunks of 8 MiB with a 64 KiB overlap), so a file of
    /// any size, even one long line, is scanned without being held whole.
    pub fn scan_reader(
        &self,
        mut reader: impl Read,
        cx: &Context<'_>,
    ) -> io::Result<Vec<SecretMatch>> {
        let mut out = Vec::new();
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + OVERLAP);
        let mut base_offset: u64 = 0;
        let mut base_line: u32 = 1;
        let mut base_line_begin: u64 = 0;
        loop {
            let want = CHUNK + OVERLAP - buf.len();
            let got = (&mut reader).take(want as u64).read_to_end(&mut buf)?;
            let eof = got < want;
            let limit = if eof { buf.len() } else { buf.len() - OVERLAP };
            let mut found: Vec<SecretMatch> = self
                .scan_window(&buf, 0, buf.len(), cx)
                .into_iter()
                .filter(|m| usize::try_from(m.start).is_ok_and(|s| s < limit))
                .collect();
            assign_lines(&buf, &mut found, base_offset, base_line, base_line_begin);
            out.extend(found);
            if eof {
                return Ok(out);
            }
            let lines = memchr::memchr_iter(b'\n', &buf[..limit]).count();
            base_line = base_line.saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
            if let Some(nl) = memchr::memrchr(b'\n', &buf[..limit]) {
                base_line_begin = base_offset + nl as u64 + 1;
            }
            buf.drain(..limit);
            base_offset += limit as u64;
        }
    }

    /// Finds the matches in `data[from..to]` (offsets are relative to `data`; lines unset).
    fn scan_window(
        &self,
        data: &[u8],
        from: usize,
        to: usize,
        cx: &Context<'_>,
    ) -> Vec<SecretMatch> {
        let hay = &data[from..to];
        // Windows per rule around its keyword hits.
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.rules.len()];
        for hit in self.keywords.find_overlapping_iter(hay) {
            let at = from + hit.start();
            for &r in &self.keyword_rules[hit.pattern().as_usize()] {
                let multiline = self.rules[r].multiline;
                // A hit inside the rule's current window only ever extends it, from where it
                // ends: no rescan, so a keyword repeated on every byte (a run of `A`s) costs
                // O(1) per hit instead of a line's length.
                if let Some(last) = windows[r].last_mut()
                    && at < last.1
                {
                    if multiline {
                        last.1 = last.1.max((at + BLOCK_REACH).min(to));
                    } else if last.1 < to && data[last.1] != b'\n' {
                        let ceil = (at + LINE_REACH).min(to);
                        if ceil > last.1 {
                            last.1 = memchr::memchr(b'\n', &data[last.1..ceil])
                                .map_or(ceil, |i| last.1 + i);
                        }
                    }
                    continue;
                }
                let (lo, hi) = if multiline {
                    (line_start(data, at, LINE_REACH), (at + BLOCK_REACH).min(to))
                } else {
                    (
                        line_start(data, at, LINE_REACH),
                        line_end(data, at, LINE_REACH, to),
                    )
                };
                let w = &mut windows[r];
                match w.last_mut() {
                    Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                    _ => w.push((lo.max(from), hi)),
                }
            }
        }
        let mut found = Vec::new();
        let source_code = cx.is_source_code();
        let file = FileKind {
            example: cx.is_example_file(),
        };
        for (r, ws) in windows.iter().enumerate() {
            let rule = &self.rules[r];
            for &(lo, hi) in ws {
                let (regex, secret_group) = rule.compiled();
                for caps in regex.captures_iter(&data[lo..hi]) {
                    let Some(g) = caps.get(*secret_group).or_else(|| caps.get(0)) else {
                        continue;
                    };
                    let value = g.as_bytes();
                    let Some(kind) = judge(rule, value, file) else {
                        continue;
                    };
                    let start = lo + g.start();
                    // In source code a literal is quoted; an unquoted value is an identifier or
                    // an expression (`password = get_password()`, `token: Token![fn]`). Only
                    // provider formats are recognised unquoted there.
                    if source_code
                        && rule.kind != RuleKind::Specific
                        && !is_quoted(data, start, lo + g.end())
                    {
                        continue;
                    }
                    if allowed_inline(data, start) {
                        continue;
                    }
                    // A default password in a commented-out line is an example of the setting
                    // (`# input_password = secret` in openssl.cnf), not one in use.
                    if kind == SecretKind::WeakPassword && in_comment_line(data, start) {
                        continue;
                    }
                    found.push(SecretMatch {
                        rule: r,
                        kind,
                        start: start as u64,
                        end: (lo + g.end()) as u64,
                        line: 0,
                        column: 0,
                        value: value.to_vec(),
                    });
                }
            }
        }
        dedupe(&self.rules, found)
    }
}

/// Decides what a captured value is, or `None` when it is not a finding.
fn judge(rule: &Rule, value: &[u8], file: FileKind) -> Option<SecretKind> {
    let trimmed = trim_quotes(value);
    if trimmed.is_empty() || is_placeholder(trimmed) {
        return None;
    }
    if let Some(min) = rule.min_entropy
        && shannon_entropy(trimmed) < min
    {
        return None;
    }
    match rule.kind {
        RuleKind::Specific => {
            if rule
                .min_randomness
                .is_some_and(|min| randomness(trimmed) < min)
            {
                return None;
            }
            Some(SecretKind::Secret)
        }
        RuleKind::Password => {
            // `` `command` `` substitutes a command's output; `\n` escapes make it text.
            if is_code_reference(trimmed) || value.first() == Some(&b'`') || has_escapes(trimmed) {
                return None;
            }
            // Passwords in URIs are percent-encoded: judge what the server would see.
            let decoded = percent_decode(trimmed);
            if is_weak_password(&decoded) {
                // A default in an example or documentation file is a placeholder.
                return (!file.example).then_some(SecretKind::WeakPassword);
            }
            let min = rule.min_randomness.unwrap_or(0.35);
            (randomness(&decoded) >= min).then_some(SecretKind::Secret)
        }
        RuleKind::Generic => {
            if is_code_reference(trimmed) || looks_like_text(trimmed) {
                return None;
            }
            let min = rule.min_randomness.unwrap_or(0.55);
            (randomness(trimmed) >= min).then_some(SecretKind::Secret)
        }
    }
}

/// What kind of file the bytes come from, as far as judging values goes.
#[derive(Debug, Clone, Copy)]
struct FileKind {
    example: bool,
}

/// Whether a generic value is prose or escaped text rather than a key: words separated by
/// spaces (`"CSRF token missing or incorrect."`), or escape sequences (`fig=newton\r\n…`).
fn looks_like_text(v: &[u8]) -> bool {
    v.iter().any(u8::is_ascii_whitespace) || has_escapes(v)
}

/// Whether `v` holds string escape sequences (`\n`, `\r`, `\t`, `\x..`, `\u....`).
fn has_escapes(v: &[u8]) -> bool {
    v.windows(2)
        .any(|w| w[0] == b'\\' && matches!(w[1], b'n' | b'r' | b't' | b'x' | b'u'))
}

/// `%XX` sequences decoded (invalid ones kept as written).
fn percent_decode(v: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !v.contains(&b'%') {
        return std::borrow::Cow::Borrowed(v);
    }
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%'
            && let (Some(h), Some(l)) = (
                v.get(i + 1).copied().and_then(hex),
                v.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

fn trim_quotes(v: &[u8]) -> &[u8] {
    let mut v = v;
    while let [b'"' | b'\'' | b'`' | b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b'"' | b'\'' | b'`' | b' ' | b'\t' | b'\r'] = v {
        v = rest;
    }
    v
}

/// Whether the line holding `at` carries the inline `bulwark:allow` marker.
fn allowed_inline(data: &[u8], at: usize) -> bool {
    let lo = line_start(data, at, LINE_REACH);
    let hi = line_end(data, at, LINE_REACH, data.len());
    memchr::memmem::find(&data[lo..hi], ALLOW_MARKER).is_some()
}

/// Whether the value at `data[start..end]` is (inside) a string literal: it starts with a
/// quote, or the text before it on its line leaves a string open (`url = "postgres://u:VALUE@…`).
fn is_quoted(data: &[u8], start: usize, end: usize) -> bool {
    const QUOTES: &[u8] = b"\"'`";
    if data.get(start).is_some_and(|b| QUOTES.contains(b))
        || (end > start && QUOTES.contains(&data[end - 1]))
    {
        return true;
    }
    let from = line_start(data, start, LINE_REACH);
    let mut open: Option<u8> = None;
    let mut escaped = false;
    for &b in &data[from..start] {
        match open {
            _ if escaped => escaped = false,
            Some(_) if b == b'\\' => escaped = true,
            Some(q) if b == q => open = None,
            None if QUOTES.contains(&b) => open = Some(b),
            _ => {}
        }
    }
    open.is_some()
}

/// Whether the line holding `at` is a comment (`#`, `;` or `//` first; not `--`, which starts
/// command-line flags as often as SQL comments).
fn in_comment_line(data: &[u8], at: usize) -> bool {
    let from = line_start(data, at, LINE_REACH);
    let line = data[from..at].trim_ascii_start();
    [&b"#"[..], b";", b"//"].iter().any(|c| line.starts_with(c))
}

/// Start of the line holding `at`, but no further back than `reach` bytes.
fn line_start(data: &[u8], at: usize, reach: usize) -> usize {
    let floor = at.saturating_sub(reach);
    memchr::memrchr(b'\n', &data[floor..at]).map_or(floor, |i| floor + i + 1)
}

/// End of the line holding `at` (exclusive), but no further than `reach` bytes or `to`.
fn line_end(data: &[u8], at: usize, reach: usize, to: usize) -> usize {
    let ceil = (at + reach).min(to);
    memchr::memchr(b'\n', &data[at..ceil]).map_or(ceil, |i| at + i)
}

/// Keeps one match per stretch of text: where matches overlap, the most confident, then the
/// most specific (a provider format over a generic assignment), then the longest.
fn dedupe(rules: &[Rule], mut found: Vec<SecretMatch>) -> Vec<SecretMatch> {
    let rank = |m: &SecretMatch| {
        let r = &rules[m.rule];
        (r.confidence, r.kind == RuleKind::Specific, m.end - m.start)
    };
    found.sort_by(|a, b| a.start.cmp(&b.start).then(rank(b).cmp(&rank(a))));
    let mut out: Vec<SecretMatch> = Vec::with_capacity(found.len());
    for m in found {
        match out.last_mut() {
            Some(last) if m.start < last.end => {
                if rank(&m) > rank(last) {
                    *last = m;
                }
            }
            _ => out.push(m),
        }
    }
    out
}

/// Fills in 1-based lines and columns; `data[0]` is at absolute `base_offset` on `base_line`.
fn assign_lines(
    data: &[u8],
    found: &mut [SecretMatch],
    base_offset: u64,
    base_line: u32,
    base_line_begin: u64,
) {
    // `start`/`end` are relative to `data` here; `base_offset` is where `data` begins in the
    // whole input, and `base_line_begin` where the line `data` begins in starts.
    found.sort_by_key(|m| m.start);
    let mut line = base_line;
    let mut pos = 0usize;
    let mut line_begin = base_line_begin;
    for m in found.iter_mut() {
        let at = usize::try_from(m.start)
            .unwrap_or(data.len())
            .min(data.len());
        if at >= pos {
            if let Some(nl) = memchr::memrchr(b'\n', &data[pos..at]) {
                let lines = memchr::memchr_iter(b'\n', &data[pos..at]).count();
                line = line.saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
                line_begin = base_offset + (pos + nl + 1) as u64;
            }
            pos = at;
        }
        m.start += base_offset;
        m.end += base_offset;
        m.line = line;
        m.column = u32::try_from(m.start - line_begin + 1).unwrap_or(u32::MAX);
    }
}

/// Whether bytes look binary (a NUL byte in the first 8 KiB, as git decides).
pub fn looks_binary(head: &[u8]) -> bool {
    memchr::memchr(0, &head[..head.len().min(8192)]).is_some()
}
