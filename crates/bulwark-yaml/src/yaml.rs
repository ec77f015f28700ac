//! YAML streams to [`Node`] trees, bounded in depth and size.
//!
//! The stream is split into documents at `---` lines first, and each document is parsed on its
//! own, so one broken document does not hide the others. Anchors and aliases are expanded (with
//! YAML merge keys, as go-yaml does) under a node budget, which defeats alias bombs.
//!
//! The parser is `yaml-rust2`, which follows the YAML spec strictly. Where the spec and libyaml
//! (the parser behind go-yaml, `kubectl` and the API server) disagree in a way real manifests
//! hit, we accept what `kubectl` accepts; see [`relax_quoted_indentation`].

use std::collections::HashMap;

use compact_str::CompactString;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::node::{Entry, Node, Pos, Scalar, ScalarStyle, Value};
use crate::{Limits, ParseError};

/// One parsed document, or the error that stopped it.
pub(crate) type DocResult = Result<Node, ParseError>;

/// Parses a YAML stream into its documents. Empty documents are dropped. An error in one
/// `---`-separated chunk is reported for that chunk and parsing continues with the next one.
pub(crate) fn parse_stream(text: &str, limits: &Limits) -> Vec<DocResult> {
    let mut budget = Budget::new(limits);
    let mut out = Vec::new();
    let mut errors = 0usize;
    for chunk in split_documents(text) {
        if errors >= limits.max_errors_per_file {
            out.push(Err(ParseError::Invalid {
                message: format!(
                    "stopped after {errors} errors; the rest of the file (from here) was not read"
                ),
                pos: Pos {
                    line: chunk.first_line,
                    col: 1,
                },
            }));
            break;
        }
        match parse_chunk_leniently(chunk.text, chunk.first_line, limits, &mut budget) {
            Ok(docs) => out.extend(docs.into_iter().map(Ok)),
            Err(e) => {
                errors += 1;
                let fatal = matches!(e, ParseError::TooManyNodes { .. });
                out.push(Err(e));
                if fatal {
                    break;
                }
            }
        }
    }
    out
}

/// A slice of the stream that starts at a document boundary.
struct Chunk<'a> {
    text: &'a str,
    /// 1-based line of the chunk's first line in the whole stream.
    first_line: u32,
}

/// Splits at lines that start a document (`---` followed by nothing or whitespace), keeping
/// directive lines (`%YAML`) with the document they precede.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut offset = 0usize;
    let mut pending_directive: Option<(usize, u32)> = None;
    for (line_no, line) in (1u32..).zip(text.split_inclusive('\n')) {
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_directive = bare.starts_with('%');
        let is_doc_start = bare == "---"
            || bare.starts_with("--- ")
            || bare.starts_with("---\t")
            || bare.starts_with("---#");
        if is_directive && pending_directive.is_none() {
            pending_directive = Some((offset, line_no));
        } else if is_doc_start {
            let (cut, cut_line) = pending_directive.take().unwrap_or((offset, line_no));
            if cut > start {
                chunks.push(Chunk {
                    text: &text[start..cut],
                    first_line: start_line,
                });
            }
            start = cut;
            start_line = cut_line;
        } else if !is_directive {
            pending_directive = None;
        }
        offset += line.len();
    }
    if start < text.len() {
        chunks.push(Chunk {
            text: &text[start..],
            first_line: start_line,
        });
    }
    chunks
}

/// Counts nodes across a whole file, so neither size nor aliases can exhaust memory.
struct Budget {
    nodes: usize,
    max_nodes: usize,
    alias_nodes: usize,
    max_alias_nodes: usize,
}

impl Budget {
    fn new(limits: &Limits) -> Self {
        Budget {
            nodes: 0,
            max_nodes: limits.max_nodes,
            alias_nodes: 0,
            max_alias_nodes: limits.max_alias_nodes,
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        /// The pending key: its text, position, and whether it was a plain `<<`.
        key: Option<(CompactString, Pos, bool)>,
        pos: Pos,
        anchor: usize,
    },
}

struct Builder<'l> {
    limits: &'l Limits,
    line_offset: u32,
    stack: Vec<Frame>,
    /// Anchored nodes with their node count and height, for alias expansion.
    anchors: HashMap<usize, (Node, usize, usize)>,
    docs: Vec<Node>,
}

/// The message yaml-rust2 gives for a multi-line quoted scalar whose continuation lines are
/// indented less than the block it sits in.
const QUOTED_INDENT_ERROR: &str = "invalid indentation in quoted scalar";

/// Parses a chunk, retrying with [`relax_quoted_indentation`] where libyaml would have
/// accepted the text.
fn parse_chunk_leniently(
    text: &str,
    first_line: u32,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Vec<Node>, ParseError> {
    let saved = (budget.nodes, budget.alias_nodes);
    let mut relaxed: Option<String> = None;
    for _ in 0..64 {
        let current = relaxed.as_deref().unwrap_or(text);
        match parse_chunk(current, first_line, limits, budget) {
            Ok(docs) => return Ok(docs),
            Err((e, Some((line, col)))) => {
                let Some(next) = locate_quote(current, line, col)
                    .and_then(|at| relax_quoted_indentation(current, at))
                else {
                    return Err(e);
                };
                (budget.nodes, budget.alias_nodes) = saved;
                relaxed = Some(next);
            }
            Err((e, None)) => return Err(e),
        }
    }
    parse_chunk(
        relaxed.as_deref().unwrap_or(text),
        first_line,
        limits,
        budget,
    )
    .map_err(|(e, _)| e)
}

/// The byte offset of the opening quote the parser reported at 1-based `line` and 0-based
/// `col`. The parser counts columns in characters (bytes in a few places), so both readings are
/// tried, and the result must be a quote where a quoted scalar can start: after indentation,
/// `- `, `: `, `? `, `[`, `{` or `,`.
fn locate_quote(text: &str, line: usize, col: usize) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let line_text = &text[line_start..];
    let line_text = &line_text[..line_text.find('\n').unwrap_or(line_text.len())];
    let by_chars = line_text.char_indices().nth(col).map(|(b, _)| b);
    let by_bytes = Some(col).filter(|&b| line_text.is_char_boundary(b) && b < line_text.len());
    [by_chars, by_bytes].into_iter().flatten().find_map(|b| {
        let quote = line_text.as_bytes()[b];
        let before = line_text[..b].trim_end_matches([' ', '\t']);
        let opens = before.is_empty()
            || before.ends_with([':', '-', '?', '[', '{', ','])
            || before.ends_with("!!str");
        (matches!(quote, b'"' | b'\'') && opens).then_some(line_start + b)
    })
}

/// libyaml (and so `kubectl`) accepts a multi-line quoted scalar whose continuation lines are
/// indented less than its block, as in
///
/// ```yaml
///     command:
///       - "exec server --flag-a \
///     --flag-b"
/// ```
///
/// The YAML spec (and yaml-rust2) reject it. Quoted scalars fold line breaks and drop the
/// leading white space of continuation lines, so indenting those lines further changes neither
/// the value nor any line number. Given the byte offset of the opening quote, returns the text
/// with that scalar's continuation lines indented past it, or `None` if the scalar has no end.
fn relax_quoted_indentation(text: &str, quote_at: usize) -> Option<String> {
    let quote = *text.as_bytes().get(quote_at)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let bytes = text.as_bytes();
    let mut i = quote_at + 1;
    let end = loop {
        match bytes.get(i)? {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            &b if b == quote => break i,
            _ => i += 1,
        }
    };
    let line_start = text[..quote_at].rfind('\n').map_or(0, |n| n + 1);
    let pad = " ".repeat(text[line_start..quote_at].chars().count() + 1);
    let mut out = String::with_capacity(text.len() + pad.len() * 8);
    out.push_str(&text[..=quote_at]);
    for c in text[quote_at + 1..end].chars() {
        out.push(c);
        if c == '\n' {
            out.push_str(&pad);
        }
    }
    out.push_str(&text[end..]);
    Some(out)
}

/// Where a quoted scalar starts: 1-based line and 0-based column in the chunk.
type QuoteAt = (usize, usize);

/// Parses one chunk. On error, also returns where (1-based line, 0-based column in the chunk)
/// the quoted scalar starts when the error is [`QUOTED_INDENT_ERROR`].
fn parse_chunk(
    text: &str,
    first_line: u32,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Vec<Node>, (ParseError, Option<QuoteAt>)> {
    let mut b = Builder {
        limits,
        line_offset: first_line - 1,
        stack: Vec::new(),
        anchors: HashMap::new(),
        docs: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            let quoted =
                (e.info() == QUOTED_INDENT_ERROR).then(|| (e.marker().line(), e.marker().col()));
            (
                ParseError::Yaml {
                    message: e.info().to_string(),
                    pos: b.pos(*e.marker()),
                },
                quoted,
            )
        })?;
        let r = b.event(event, mark, budget);
        match r {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => return Err((e, None)),
        }
    }
    Ok(b.docs)
}

impl Builder<'_> {
    /// Handles one event; `Ok(true)` at the end of the stream.
    fn event(
        &mut self,
        event: Event,
        mark: Marker,
        budget: &mut Budget,
    ) -> Result<bool, ParseError> {
        let b = self;
        match event {
            Event::StreamEnd => return Ok(true),
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {}
            Event::Scalar(text, style, anchor, tag) => {
                let style = scalar_style(style, tag.as_ref());
                let node = Node {
                    value: Value::Scalar(Scalar {
                        text: CompactString::new(&text),
                        style,
                    }),
                    pos: b.pos(mark),
                };
                Builder::charge(budget, 1, false)?;
                b.complete(node, anchor, style == ScalarStyle::Plain);
            }
            Event::SequenceStart(anchor, _) => {
                b.open(Frame::Seq {
                    items: Vec::new(),
                    pos: b.pos(mark),
                    anchor,
                })?;
                Builder::charge(budget, 1, false)?;
            }
            Event::MappingStart(anchor, _) => {
                b.open(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    pos: b.pos(mark),
                    anchor,
                })?;
                Builder::charge(budget, 1, false)?;
            }
            Event::SequenceEnd => match b.stack.pop() {
                Some(Frame::Seq {
                    items, pos, anchor, ..
                }) => {
                    let node = Node {
                        value: Value::Seq(items),
                        pos,
                    };
                    b.complete(node, anchor, false);
                }
                _ => return Err(b.internal(mark, "unbalanced sequence end")),
            },
            Event::MappingEnd => match b.stack.pop() {
                Some(Frame::Map {
                    entries,
                    pos,
                    anchor,
                    ..
                }) => {
                    let entries = apply_merge_keys(entries, budget)?;
                    let node = Node {
                        value: Value::Map(entries),
                        pos,
                    };
                    b.complete(node, anchor, false);
                }
                _ => return Err(b.internal(mark, "unbalanced mapping end")),
            },
            Event::Alias(id) => {
                let pos = b.pos(mark);
                let Some((node, count, height)) = b.anchors.get(&id) else {
                    return Err(ParseError::UnknownAnchor { pos });
                };
                // An alias pastes a whole subtree: it must fit under the depth limit too.
                if b.stack.len() + height > b.limits.max_depth {
                    return Err(ParseError::TooDeep {
                        limit: b.limits.max_depth,
                        pos,
                    });
                }
                let (node, count) = (node.clone(), *count);
                Builder::charge(budget, count, true)?;
                b.complete(node, 0, false);
            }
        }
        Ok(false)
    }
}

/// Quoted and block scalars are strings; so is a plain scalar tagged `!!str`.
fn scalar_style(style: TScalarStyle, tag: Option<&Tag>) -> ScalarStyle {
    let tagged_str = tag.is_some_and(|t| {
        t.suffix == "str" && (t.handle == "!!" || t.handle == "tag:yaml.org,2002:")
    });
    if style == TScalarStyle::Plain && !tagged_str {
        ScalarStyle::Plain
    } else {
        ScalarStyle::Quoted
    }
}

impl Builder<'_> {
    fn pos(&self, m: Marker) -> Pos {
        let line = u32::try_from(m.line()).unwrap_or(u32::MAX);
        let col = u32::try_from(m.col()).unwrap_or(u32::MAX);
        Pos {
            line: line.saturating_add(self.line_offset),
            col: col.saturating_add(1),
        }
    }

    fn internal(&self, m: Marker, what: &str) -> ParseError {
        ParseError::Yaml {
            message: what.to_string(),
            pos: self.pos(m),
        }
    }

    fn charge(budget: &mut Budget, n: usize, alias: bool) -> Result<(), ParseError> {
        budget.nodes = budget.nodes.saturating_add(n);
        if alias {
            budget.alias_nodes = budget.alias_nodes.saturating_add(n);
        }
        if budget.nodes > budget.max_nodes {
            return Err(ParseError::TooManyNodes {
                limit: budget.max_nodes,
            });
        }
        if budget.alias_nodes > budget.max_alias_nodes {
            return Err(ParseError::TooManyNodes {
                limit: budget.max_alias_nodes,
            });
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame) -> Result<(), ParseError> {
        if self.stack.len() >= self.limits.max_depth {
            let pos = match &frame {
                Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
            };
            return Err(ParseError::TooDeep {
                limit: self.limits.max_depth,
                pos,
            });
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Hands a finished node to its parent (or makes it a document).
    fn complete(&mut self, node: Node, anchor: usize, plain: bool) {
        if anchor != 0 {
            let count = node.count();
            self.anchors
                .insert(anchor, (node.clone(), count, height(&node)));
        }
        match self.stack.last_mut() {
            None => {
                if !node.is_null() {
                    self.docs.push(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries, key, pos, ..
            }) => match key.take() {
                None => {
                    // A block mapping's start mark can sit after its first key; the first key is
                    // where the mapping really starts.
                    if entries.is_empty() && node_starts_before(&node, *pos) {
                        *pos = node.pos;
                    }
                    let text = match &node.value {
                        Value::Scalar(s) => s.text.clone(),
                        _ => CompactString::new(node.to_json().to_string()),
                    };
                    *key = Some((text.clone(), node.pos, plain && text == "<<"));
                }
                Some((k, key_pos, merge)) => {
                    let k = if merge {
                        CompactString::new(MERGE_KEY)
                    } else {
                        k
                    };
                    entries.push(Entry {
                        key: k,
                        key_pos,
                        value: node,
                    });
                }
            },
        }
    }
}

/// Levels of nesting in `node` (a scalar is 1). Bounded by the depth limit, so the recursion is.
fn height(node: &Node) -> usize {
    1 + match &node.value {
        Value::Scalar(_) => 0,
        Value::Seq(items) => items.iter().map(height).max().unwrap_or(0),
        Value::Map(entries) => entries.iter().map(|e| height(&e.value)).max().unwrap_or(0),
    }
}

/// Marks a merge entry internally so a quoted `"<<"` key is never mistaken for one.
const MERGE_KEY: &str = "<<\0merge";

fn node_starts_before(node: &Node, pos: Pos) -> bool {
    (node.pos.line, node.pos.col) < (pos.line, pos.col)
}

/// Applies YAML merge keys (`<<: *base` or `<<: [*a, *b]`): explicit keys win, then earlier
/// merge sources over later ones.
fn apply_merge_keys(entries: Vec<Entry>, budget: &mut Budget) -> Result<Vec<Entry>, ParseError> {
    if !entries.iter().any(|e| e.key == MERGE_KEY) {
        return Ok(entries);
    }
    let mut out = Vec::with_capacity(entries.len());
    let mut sources = Vec::new();
    for e in entries {
        if e.key == MERGE_KEY {
            sources.push(e.value);
        } else {
            out.push(e);
        }
    }
    let mut present: std::collections::HashSet<CompactString> =
        out.iter().map(|e| e.key.clone()).collect();
    for source in sources {
        let maps: Vec<Node> = match source.value {
            Value::Map(_) => vec![source],
            Value::Seq(items) => items,
            Value::Scalar(_) => {
                return Err(ParseError::Yaml {
                    message: "merge key `<<` must refer to a mapping or a list of mappings"
                        .to_string(),
                    pos: source.pos,
                });
            }
        };
        for m in maps {
            let Value::Map(merged) = m.value else {
                return Err(ParseError::Yaml {
                    message: "merge key `<<` list must hold only mappings".to_string(),
                    pos: m.pos,
                });
            };
            for e in merged {
                if present.insert(e.key.clone()) {
                    budget.alias_nodes = budget.alias_nodes.saturating_add(e.value.count());
                    if budget.alias_nodes > budget.max_alias_nodes {
                        return Err(ParseError::TooManyNodes {
                            limit: budget.max_alias_nodes,
                        });
                    }
                    out.push(e);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<DocResult> {
        parse_stream(text, &Limits::default())
    }

    fn one(text: &str) -> Node {
        let mut docs = parse(text);
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.pop().expect("one doc").expect("parses")
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let n = one("a: 1\nb:\n  c: x\n");
        let b = n.entry("b").expect("b");
        assert_eq!(b.key_pos, Pos { line: 2, col: 1 });
        assert_eq!(b.value.pos, Pos { line: 3, col: 3 });
        assert_eq!(b.value.get("c").expect("c").pos, Pos { line: 3, col: 6 });
        assert_eq!(n.pos, Pos { line: 1, col: 1 });
    }

    #[test]
    fn documents_keep_stream_line_numbers() {
        let docs = parse("a: 1\n---\nb: 2\n---\n\n---\nc: [\n---\nd: 4\n");
        assert_eq!(
            docs.len(),
            4,
            "empty document dropped, broken one kept as error"
        );
        assert_eq!(docs[1].as_ref().expect("b").pos.line, 3);
        let err = docs[2].as_ref().expect_err("broken flow sequence");
        assert_eq!(err.pos().map(|p| p.line), Some(8), "{err}");
        assert_eq!(docs[3].as_ref().expect("d").pos.line, 9);
    }

    #[test]
    fn directives_stay_with_their_document() {
        let docs = parse("a: 1\n%YAML 1.1\n---\nb: 2\n");
        assert!(docs.iter().all(Result::is_ok), "{docs:?}");
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn aliases_and_merge_keys_expand() {
        let n = one("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
        let u = n.get("use").expect("use");
        assert_eq!(u.get("x").and_then(Node::as_i64), Some(1));
        assert_eq!(
            u.get("y").and_then(Node::as_i64),
            Some(3),
            "explicit key wins"
        );
        let quoted = one("\"<<\": 1\n");
        assert!(quoted.get("<<").is_some(), "a quoted << is an ordinary key");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let docs = parse(&s);
        assert!(
            matches!(docs.last(), Some(Err(ParseError::TooManyNodes { .. }))),
            "{:?}",
            docs.last().map(Result::is_ok)
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
        let docs = parse(&s);
        assert!(matches!(
            docs.first(),
            Some(Err(ParseError::TooDeep { .. } | ParseError::Yaml { .. }))
        ));
        let block: String = (0..400)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        let docs = parse(&block);
        assert!(
            matches!(docs.first(), Some(Err(ParseError::TooDeep { .. }))),
            "{docs:?}"
        );
    }

    #[test]
    fn under_indented_quoted_continuations_are_accepted_like_kubectl() {
        let n =
            one("spec:\n  command:\n    - \"exec a \\\n  --b\"\n    - 'one\n  two'\n  after: 1\n");
        let cmd = n
            .path(&["spec", "command"])
            .and_then(Node::as_seq)
            .expect("seq");
        assert_eq!(cmd[0].as_str(), Some("exec a --b"));
        assert_eq!(cmd[1].as_str(), Some("one two"));
        assert_eq!(
            n.path(&["spec", "after"]).map(|a| a.pos.line),
            Some(7),
            "lines unchanged"
        );
        // A quoted scalar that never ends is still an error.
        assert!(parse("a:\n  - \"open\n b\n").iter().any(Result::is_err));
    }

    #[test]
    fn regression_inputs_from_fuzzing_do_not_panic() {
        // Tags directly followed by flow indicators panicked an earlier parser candidate
        // (libyaml-safer); whatever they parse to, they must come back as values or errors.
        for text in [
            "---?\na: [!t, x]\n",
            "{!t,: 1}",
            "[!!str,]",
            "- !a!b,\n",
            "? !x\n: y",
        ] {
            let _ = parse(text);
        }
    }

    #[test]
    fn aliases_cannot_nest_past_the_depth_limit() {
        let mut s = String::from("a0: &a0 1\n");
        for i in 1..40 {
            let p = i - 1;
            let open = "[".repeat(150);
            let close = "]".repeat(150);
            s.push_str(&format!("a{i}: &a{i} {open}*a{p}{close}\n"));
        }
        let docs = parse(&s);
        assert!(
            matches!(docs.last(), Some(Err(ParseError::TooDeep { .. }))),
            "{:?}",
            docs.last().map(Result::is_ok)
        );
    }

    #[test]
    fn many_documents_parse_in_linear_time() {
        // Quadratic bookkeeping per document would take hours here.
        let docs = parse(&"---\na: 1\n".repeat(100_000));
        assert_eq!(docs.len(), 100_000);
        assert!(docs.iter().all(Result::is_ok));
    }

    #[test]
    fn a_file_with_too_many_errors_says_where_reading_stopped() {
        let docs = parse(&"---\na: [\n".repeat(200));
        assert_eq!(docs.len(), Limits::default().max_errors_per_file + 1);
        let last = docs
            .last()
            .expect("docs")
            .as_ref()
            .expect_err("the stop is an error");
        assert!(
            last.to_string().contains("stopped after 50 errors"),
            "{last}"
        );
    }

    #[test]
    fn relaxing_finds_the_quote_after_multibyte_text() {
        let n = one("# café, don't\nspec:\n  command:\n    - \"né \\\n  --b\"\n");
        let cmd = n
            .path(&["spec", "command"])
            .and_then(Node::as_seq)
            .expect("seq");
        assert_eq!(cmd[0].as_str(), Some("né --b"));
    }

    #[test]
    fn str_tag_makes_a_string() {
        let n = one("a: !!str true\nb: true\n");
        assert_eq!(n.get("a").and_then(Node::as_bool), None);
        assert_eq!(n.get("b").and_then(Node::as_bool), Some(true));
    }
}
