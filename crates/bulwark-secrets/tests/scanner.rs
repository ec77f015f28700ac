//! The engine on text: suppression comments, placeholders, every occurrence reported, and the
//! streaming scan agreeing with the in-memory one across chunk boundaries.

use bulwark_secrets::{Context, RuleSet, Scanner, SecretKind, fingerprint};

fn scanner() -> Scanner {
    Scanner::new(&RuleSet::builtin().expect("built-in rules"))
}

fn ids(s: &Scanner, text: &str, path: &str) -> Vec<(String, u32)> {
    s.scan(text.as_bytes(), &Context { path: Some(path) })
        .iter()
        .map(|m| (s.rules()[m.rule].id.clone(), m.line))
        .collect()
}

const TOKEN: &str = "ghp_Q8mZ3vLk7TxP2wNr5YbC9hJ4dF6sA1eGu0Kq";

#[test]
fn an_allow_comment_suppresses_its_line_only() {
    let s = scanner();
    let text = format!("a = \"{TOKEN}\"  # bulwark:allow test fixture\nb = \"{TOKEN}\"\n");
    assert_eq!(ids(&s, &text, "app.py"), [("GH001".to_string(), 2)]);
}

#[test]
fn every_occurrence_is_reported_with_one_fingerprint() {
    let s = scanner();
    let text = format!("x: {TOKEN}\ny: {TOKEN}\n");
    let found = s.scan(text.as_bytes(), &Context::default());
    assert_eq!(found.len(), 2);
    let prints: Vec<String> = found
        .iter()
        .map(|m| fingerprint(&s.rules()[m.rule].id, &m.value))
        .collect();
    assert_eq!(
        prints[0], prints[1],
        "the fingerprint is the rule and the value"
    );
}

#[test]
fn placeholders_and_references_are_not_secrets() {
    let s = scanner();
    for line in [
        "DB_PASSWORD=${DB_PASSWORD}",
        "password: {{ .Values.db.password }}",
        "password: <PASSWORD>",
        "api_key = \"xxxxxxxxxxxxxxxxxxxxxxxx\"",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "password = os.environ[\"DB_PASSWORD\"]",
        "secret: $(cat /run/secrets/api)",
    ] {
        assert_eq!(ids(&s, line, "config.yaml"), [], "{line}");
    }
}

#[test]
fn default_passwords_are_their_own_kind() {
    let s = scanner();
    let found = s.scan(b"DB_PASSWORD=postgres\n", &Context { path: Some(".env") });
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, SecretKind::WeakPassword);
    // In an example file a default is a placeholder, not a finding.
    let found = s.scan(
        b"DB_PASSWORD=changeme\n",
        &Context {
            path: Some(".env.example"),
        },
    );
    assert!(found.is_empty());
}

#[test]
fn streaming_agrees_with_scanning_in_memory_across_chunk_boundaries() {
    let s = scanner();
    // Secrets just before, across and after the 8 MiB chunk boundary, in a 20 MiB text.
    let filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit\n";
    let mut text = String::new();
    for target in [
        8 * 1024 * 1024 - 200,
        8 * 1024 * 1024 - 20,
        8 * 1024 * 1024 + 40,
        16 * 1024 * 1024 - 60,
        19 * 1024 * 1024,
    ] {
        while text.len() < target {
            text.push_str(filler);
        }
        text.push_str(&format!("token = \"{TOKEN}\"\n"));
    }
    let cx = Context::default();
    let whole = s.scan(text.as_bytes(), &cx);
    let streamed = s
        .scan_reader(std::io::Cursor::new(text.as_bytes()), &cx)
        .expect("reads");
    assert_eq!(whole.len(), 5);
    let key = |m: &bulwark_secrets::SecretMatch| (m.start, m.line, m.column, m.value.clone());
    assert_eq!(
        whole.iter().map(key).collect::<Vec<_>>(),
        streamed.iter().map(key).collect::<Vec<_>>()
    );
}

#[test]
fn a_keyword_on_every_byte_stays_linear() {
    // The Twitter bearer-token keyword is twenty `A`s: a run of `A`s hits it on every byte.
    // Correctness here; the time is measured by the benchmark, not asserted.
    let s = scanner();
    let mut text = "A".repeat(4 * 1024 * 1024);
    text.push_str(&format!("\ntoken = \"{TOKEN}\"\n"));
    assert_eq!(ids(&s, &text, "x.txt"), [("GH001".to_string(), 2)]);
}

#[test]
fn in_source_code_only_string_literals_are_values() {
    let s = scanner();
    for (path, line) in [
        (
            "src/expr.rs",
            "let brace_token = braced!(content in input);",
        ),
        ("src/lib.rs", "pub password: windows_sys::core::PCWSTR,"),
        (
            "app/settings.py",
            "password = get_password_from_vault(vault_client)",
        ),
        ("main.go", "token := Token{Kind: TokenKindIdentifier}"),
        (
            "include/x.h",
            "const char *secret_key = NULL; int token_count = TOKEN_LIMIT_MAXIMUM;",
        ),
    ] {
        assert_eq!(ids(&s, line, path), [], "{path}: {line}");
    }
    assert_eq!(
        ids(&s, "password = \"Xk9mP2qLz7Rw\"", "app/settings.py").len(),
        1,
        "a literal in code"
    );
    assert_eq!(
        ids(
            &s,
            "var u = \"postgres://app:Xk9mP2qLz7Rw@db:5432/app\"",
            "main.go"
        )
        .len(),
        1,
        "a password inside a quoted URL"
    );
    assert_eq!(
        ids(&s, "PASSWORD=Xk9mP2qLz7Rw", "deploy/.env").len(),
        1,
        "unquoted values are literals in configuration"
    );
}

/// Lines from the packages of a real Debian image that once were false positives.
#[test]
fn settings_versions_prose_and_expressions_are_not_secrets() {
    let s = scanner();
    for (path, line) in [
        ("etc/nsswitch.conf", "passwd:         files"),
        (
            "node_modules/express/package.json",
            "    \"pbkdf2-password\": \"1.2.1\",",
        ),
        ("lib/request.txt", "auth = '%s:%s' % (user, passwd)"),
        (
            "django/middleware/csrf.txt",
            "REASON_BAD_TOKEN = \"CSRF token missing or incorrect.\"",
        ),
        (
            "axios/dist/axios.map",
            "withCredentials: !!config.withCredentials,",
        ),
        (
            "http/cookies.txt",
            "   'Set-Cookie: fig=newton\\r\\nSet-Cookie: sugar=wafer'",
        ),
        ("perl-base/Cwd.pm", "    my $pwd = `command pwd`;"),
        ("etc/ssl/openssl.cnf", "# input_password = secret"),
    ] {
        assert_eq!(ids(&s, line, path), [], "{path}: {line}");
    }
    // … while a Django key full of `%` and punctuation is still one.
    assert_eq!(
        ids(
            &s,
            "  SECRET_KEY: \"fvm@sdtu=-z-1j_6g1)2-o^yb(mqk)u%uk-%vpdr075q70pyoi\"",
            "values.yaml"
        )
        .len(),
        1
    );
}
