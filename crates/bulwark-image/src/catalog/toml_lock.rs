//! A minimal reader for the `[[package]]` tables of TOML lockfiles (`Cargo.lock`, `poetry.lock`,
//! `uv.lock`), enough for their name, version and source keys; not a TOML parser.
//!
//! The tools that write these files put each table header and each key of a table at the start
//! of a line (`name = "serde"`); array elements and continuation lines are indented. So:
//! - A line `[[package]]` starts a table; any other header line (`[metadata]`,
//!   `[package.dependencies]`) ends the keys of the current one (a subtable's keys are not the
//!   package's).
//! - `key = value` lines starting at column 0 with a bare key are kept, with the value's raw
//!   text; the first occurrence of a key in a table wins. Indented lines are skipped.
//! - Lines inside multi-line strings (`"""…"""`, `'''…'''`) are skipped, so a description
//!   cannot start a table.
//!
//! The reader is linear in the input and keeps only the tables' key lines.

/// One `[[package]]` table: its keys and their raw values, in file order.
pub(crate) type Table<'a> = Vec<(&'a str, &'a str)>;

/// The `[[package]]` tables of `text`.
pub(crate) fn packages(text: &str) -> Vec<Table<'_>> {
    let mut tables: Vec<Table<'_>> = Vec::new();
    let mut in_package = false;
    let mut in_multiline: Option<&str> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(delimiter) = in_multiline {
            if line.matches(delimiter).count() % 2 == 1 {
                in_multiline = None;
            }
            continue;
        }
        if line.starts_with('[') {
            let header: String = line
                .split('#')
                .next()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            in_package = header == "[[package]]";
            if in_package {
                tables.push(Vec::new());
            }
            continue;
        }
        for delimiter in ["\"\"\"", "'''"] {
            if line.matches(delimiter).count() % 2 == 1 {
                in_multiline = Some(delimiter);
            }
        }
        if !in_package || line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim_end();
        let bare = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if let Some(table) = tables.last_mut()
            && bare
            && !table.iter().any(|(k, _)| *k == key)
        {
            table.push((key, value.trim()));
        }
    }
    tables
}

/// The value of `key` in `table` as a one-line string (`"…"` with `\"` and `\\` escapes, or
/// `'…'`), if it is one.
pub(crate) fn string(table: &Table<'_>, key: &str) -> Option<String> {
    let raw = table.iter().find(|(k, _)| *k == key)?.1;
    let (quote, rest) = if let Some(rest) = raw.strip_prefix('"') {
        ('"', rest)
    } else {
        ('\'', raw.strip_prefix('\'')?)
    };
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c == quote {
            return Some(out);
        }
        if c == '\\' && quote == '"' {
            match chars.next()? {
                e @ ('"' | '\\') => out.push(e),
                _ => return None, // other escapes do not occur in names and versions
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// The first key of an inline table value (`{ editable = "." }` → `editable`).
pub(crate) fn inline_table_key<'a>(table: &Table<'a>, key: &str) -> Option<&'a str> {
    let raw = table.iter().find(|(k, _)| *k == key)?.1;
    let inner = raw.strip_prefix('{')?;
    let (first, _) = inner.split_once('=')?;
    Some(first.trim()).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_keys() {
        let text = "# comment\nversion = 3\n\n[[package]]\nname = \"a\"\nversion = '1.0'\n\
                    name = \"ignored\"\ndependencies = [\n name = \"x\",\n]\n\
                    [package.source]\nurl = \"u\"\n\n[[ package ]] # spaced\nname=\"b\\\"c\"\n\
                    description = \"\"\"\n[[package]]\nname = \"in string\"\n\"\"\"\n\
                    source = { editable = \".\" }\n[metadata]\nname = \"m\"\n";
        let tables = packages(text);
        assert_eq!(tables.len(), 2);
        assert_eq!(string(&tables[0], "name").as_deref(), Some("a"));
        assert_eq!(string(&tables[0], "version").as_deref(), Some("1.0"));
        assert_eq!(string(&tables[0], "url"), None);
        assert_eq!(string(&tables[1], "name").as_deref(), Some("b\"c"));
        assert_eq!(inline_table_key(&tables[1], "source"), Some("editable"));
        assert_eq!(inline_table_key(&tables[0], "name"), None);
    }

    #[test]
    fn strings() {
        let table: Table<'_> = vec![
            ("a", "\"open"),
            ("b", "\"x\\n\""),
            ("c", "3"),
            ("d", "''"),
            ("e", "\"\\"),
        ];
        assert_eq!(string(&table, "a"), None);
        assert_eq!(string(&table, "b"), None);
        assert_eq!(string(&table, "c"), None);
        assert_eq!(string(&table, "d").as_deref(), Some(""));
        assert_eq!(string(&table, "e"), None);
        assert_eq!(string(&table, "missing"), None);
    }
}
