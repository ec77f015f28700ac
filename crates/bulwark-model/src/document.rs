//! Reading a JSON document that came from outside (an SBOM, a VEX document): bounded in size,
//! a UTF-8 byte-order mark tolerated, errors naming the file, line and column.

/// Why a JSON document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The document is larger than the reader's limit.
    #[error("{label}: {size} bytes, more than the {limit} such a document may have")]
    TooLarge {
        /// The file.
        label: String,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The document is not JSON (or nests deeper than the parser allows).
    #[error("{label}:{line}:{column}: not valid JSON")]
    Json {
        /// The file.
        label: String,
        /// The line of the error (1-based).
        line: usize,
        /// The column of the error (1-based).
        column: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
}

/// Parses `data`, read from `label`, as JSON if it is at most `limit` bytes. serde_json's
/// recursion limit bounds nesting.
pub fn read_json(
    label: &str,
    data: &[u8],
    limit: usize,
) -> Result<serde_json::Value, DocumentError> {
    if data.len() > limit {
        return Err(DocumentError::TooLarge {
            label: label.to_owned(),
            size: data.len(),
            limit,
        });
    }
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    serde_json::from_slice(data).map_err(|source| DocumentError::Json {
        label: label.to_owned(),
        line: source.line(),
        column: source.column(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_with_positions_and_a_bom() {
        assert!(read_json("a", b"\xEF\xBB\xBF{}", 10).is_ok());
        assert!(matches!(
            read_json("a", b"{}   ", 4),
            Err(DocumentError::TooLarge {
                size: 5,
                limit: 4,
                ..
            })
        ));
        let err = read_json("x.json", b"{\n  oops\n}", 100).expect_err("not JSON");
        assert!(
            matches!(
                err,
                DocumentError::Json {
                    line: 2,
                    column: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("x.json:2:3:"), "{err}");
    }
}
