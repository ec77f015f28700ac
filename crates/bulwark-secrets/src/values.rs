//! Judging a captured value: placeholder, documented example, well-known default password, or
//! a credential.

/// Publicly documented example credentials: real formats that every tutorial shows.
const DOCUMENTED_EXAMPLES: &[&str] = &[
    // AWS documentation's access key pair.
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    // The HS256 token jwt.io shows by default.
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // The Azure storage emulator's (Azurite's) well-known account key.
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
];

/// Words that mark a value as a stand-in rather than a credential.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "placeholder",
    "replace_me",
    "replace-me",
    "replaceme",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yourpassword",
    "insert_",
    "insert-",
    "dummy",
    "redacted",
    "notreal",
    "not_real",
    "not-real",
    "fixme",
    "todo",
    "goes-here",
    "goes_here",
    "-here",
    "_here",
    "xxxx",
    "****",
    "....",
    "<",
    ">",
];

/// Whether `value` is a placeholder, a reference or a documented example, not a credential:
/// template and variable references (`${X}`, `$(X)`, `$X`, `{{ .Values.x }}`, `%(x)s`, `#{x}`,
/// `<PASSWORD>`), masked text (`xxxx`, `****`, `ghp_xxxx…`), stand-in words (`example`,
/// `your_token`, `REPLACE_ME`), file paths, and the example keys providers document.
pub fn is_placeholder(value: &[u8]) -> bool {
    let Ok(v) = std::str::from_utf8(value) else {
        return false;
    };
    let v = v.trim();
    if v.is_empty() {
        return true;
    }
    if DOCUMENTED_EXAMPLES.contains(&v) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if v.contains("${")
        || v.contains("$(")
        || v.contains("{{")
        || v.contains("}}")
        || v.contains("%(")
        || v.contains("#{")
        || v.starts_with('%') && v.ends_with('%')
    {
        return true;
    }
    if let Some(rest) = v.strip_prefix('$')
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return true;
    }
    // printf and format-string slots: `%s:%s`, `{}`, `{0}`. A verb must end there
    // (`%vRosg` in a random password is not one).
    let b = v.as_bytes();
    let printf = b.windows(2).enumerate().any(|(i, w)| {
        w[0] == b'%'
            && matches!(w[1], b's' | b'd' | b'v')
            && b.get(i + 2).is_none_or(|c| !c.is_ascii_alphanumeric())
    });
    if printf || v.contains("{}") || v.contains("{0}") {
        return true;
    }
    // A version number (`1.2.1`, `v4.17.21`): a dependency whose name mentions a password.
    let version = v.strip_prefix(['v', 'V', '^', '~']).unwrap_or(v);
    if version.split('.').count() >= 2
        && version
            .split('.')
            .all(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return true;
    }
    if looks_like_path(v) || is_password_hash(v) {
        return true;
    }
    if !v.chars().any(char::is_alphanumeric) {
        return true;
    }
    if PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    // Masked: after any letters-and-underscore prefix (`ghp_`, `sk_live_`), mostly one filler.
    let body = v.trim_start_matches(|c: char| c.is_ascii_alphabetic() && c != 'x' && c != 'X');
    let body = body.trim_start_matches(['_', '-', '.']);
    if body.len() >= 4 {
        let fillers = body
            .chars()
            .filter(|c| matches!(c, 'x' | 'X' | '*' | '#' | '.' | '-' | '_' | '0'))
            .count();
        if fillers * 10 >= body.chars().count() * 8 {
            return true;
        }
    }
    false
}

/// How code reads a setting instead of writing it down.
const CODE_ACCESSORS: &[&str] = &[
    "process.env",
    "os.environ",
    "os.getenv",
    "os.Getenv",
    "System.getenv",
    "ENV[",
    "ENV.fetch",
    "getenv(",
    "env(",
    "env.",
    "Env.",
    "config.",
    "config[",
    "settings.",
    "import.meta.env",
    "Deno.env",
    "std::env",
    "Environment.GetEnvironmentVariable",
    "secrets.",
    "vars.",
    "inputs.",
    "params.",
    "self.",
    "this.",
    "props.",
    "options.",
    "opts.",
    "cfg.",
    "conf.",
    "viper.",
];

/// Whether `value` is code that reads a value rather than a value: an accessor (`process.env.X`,
/// `os.environ["X"]`, `config.db.password`), a call or index cut short at its bracket
/// (`os.getenv(`), or a dotted identifier path.
pub fn is_code_reference(value: &[u8]) -> bool {
    let Ok(v) = std::str::from_utf8(value) else {
        return false;
    };
    // Unary operators in front of an expression: `!!config.withCredentials`, `-opts.key`.
    let v = v.trim().trim_start_matches(['!', '-', '+', '(', '&', '*']);
    // Shell command substitution and documentation markup: `` `command` ``, ``meth:`peek` ``.
    if v.contains('`') {
        return true;
    }
    if CODE_ACCESSORS.iter().any(|a| v.starts_with(a)) {
        return true;
    }
    if v.ends_with('(') || v.ends_with('[') {
        return true;
    }
    // Paths and pointer expressions of C-family languages: `windows_sys::core::PSTR`,
    // `::Brace(span` (after a `token:` the rule took for an assignment), `*const`, `&self`.
    if v.starts_with(':') || v.contains("::") || v.starts_with("*const") || v.starts_with("*mut") {
        return true;
    }
    // A call or macro on a word-like name: `Some(paren_token`, `braced!(content`, `Token![pub`.
    if let Some(at) = v.find(['(', '!', '[']) {
        let name = v[..at].rsplit('.').next().unwrap_or_default();
        if name.len() >= 3 && word_like(name) {
            return true;
        }
    }
    // a.b.c where every part is a word-like identifier (`config.database.password`,
    // `db.prod.svc`): code or a host name. Random dotted tokens (`hvs.oQgt…`) are not word-like.
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            let letters = p.chars().filter(char::is_ascii_alphabetic).count();
            let vowels = p.chars().filter(|c| "aeiouyAEIOUY".contains(*c)).count();
            !p.is_empty()
                && p.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && (p.len() <= 3 || (letters == p.len() && vowels * 5 >= p.len()))
        })
}

/// Whether an identifier reads as words: letters (and `_`), with vowels in every part, like
/// `UnparkToken`, `paren_token` or `Some`, unlike `Xk9` or `qZt`.
fn word_like(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.split('_').filter(|p| !p.is_empty()).all(|p| {
            let vowels = p.bytes().filter(|b| b"aeiouyAEIOUY".contains(b)).count();
            vowels * 5 >= p.len()
        })
}

/// Whether `v` is a password hash (bcrypt, sha-crypt, apr1, argon2, LDAP `{SSHA}`), alone or
/// as an htpasswd `user:hash` line: a stored verifier, not a credential.
pub fn is_password_hash(v: &str) -> bool {
    let hash = v
        .split_once(':')
        .map_or(v, |(user, rest)| if user.contains('$') { v } else { rest });
    [
        "$2a$", "$2b$", "$2y$", "$2x$", "$apr1$", "$1$", "$5$", "$6$", "$y$", "$argon2",
        "$scrypt$", "$pbkdf2",
    ]
    .iter()
    .any(|p| hash.starts_with(p))
        || [
            "{SSHA}",
            "{SHA}",
            "{SSHA256}",
            "{SSHA512}",
            "{CRYPT}",
            "{PBKDF2}",
        ]
        .iter()
        .any(|p| hash.to_ascii_uppercase().starts_with(p))
}

/// Directories a file path in configuration usually starts with.
const PATH_ROOTS: &[&str] = &[
    "etc",
    "var",
    "run",
    "tmp",
    "home",
    "opt",
    "usr",
    "srv",
    "mnt",
    "data",
    "app",
    "secrets",
    "config",
    "certs",
    "keys",
    "root",
    "workspace",
    "builds",
    "vault",
    "bitnami",
    "docker-entrypoint-initdb.d",
];

/// Whether `v` is a file path (`/run/secrets/db`, `./certs/key.pem`, `~/.aws/credentials`)
/// rather than a value that happens to start with a slash (base64 can).
fn looks_like_path(v: &str) -> bool {
    if v.starts_with("./") || v.starts_with("../") || v.starts_with("~/") || v.starts_with("file:")
    {
        return true;
    }
    let Some(rest) = v.strip_prefix('/') else {
        return false;
    };
    let first = rest.split('/').next().unwrap_or("");
    PATH_ROOTS.contains(&first) && rest.contains('/')
        || rest.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_' || c == '.')
        })
}

/// Base words of well-known default and dictionary passwords (before digits, symbols and
/// leetspeak are stripped): vendor defaults (`minioadmin`, `changeit`, `bitnami`), chart and
/// image defaults (`postgres`, `rabbitmq`, `jenkins`) and the most common human choices.
const WEAK_BASES: &[&str] = &[
    "admin",
    "administrator",
    "adminadmin",
    "root",
    "toor",
    "password",
    "passwd",
    "pass",
    "passw",
    "passwort",
    "secret",
    "supersecret",
    "topsecret",
    "mysecret",
    "changeme",
    "changeit",
    "change",
    "default",
    "welcome",
    "letmein",
    "qwerty",
    "qwertyuiop",
    "asdf",
    "asdfgh",
    "zxcvbn",
    "test",
    "testing",
    "tester",
    "demo",
    "guest",
    "user",
    "users",
    "oracle",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "redis",
    "mongo",
    "mongodb",
    "elastic",
    "kibana",
    "grafana",
    "prometheus",
    "jenkins",
    "rabbit",
    "rabbitmq",
    "minio",
    "minioadmin",
    "bitnami",
    "sonar",
    "nexus",
    "tomcat",
    "manager",
    "master",
    "system",
    "sysadmin",
    "sa",
    "dev",
    "developer",
    "ubuntu",
    "debian",
    "docker",
    "kubernetes",
    "vagrant",
    "hello",
    "iloveyou",
    "dragon",
    "monkey",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "shadow",
    "login",
    "access",
    "trustno",
    "abc",
    "abcd",
    "abcdef",
    "abcabc",
    "aaaaaa",
    "qazwsx",
    "azerty",
    "keycloak",
    "airflow",
    "superset",
    "harbor",
    "gitlab",
    "sonarqube",
    "couchdb",
    "cassandra",
    "neo4j",
    "influxdb",
    "memcached",
    "zookeeper",
    "kafka",
    "openldap",
    "ldap",
    "vault",
    "consul",
    "nginx",
    "apache",
    "wordpress",
    "joomla",
    "drupal",
    "magento",
];

/// Counting and keyboard sequences people use as passwords.
const WEAK_SEQUENCES: &[&str] = &[
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "111111",
    "000000",
    "654321",
    "123123",
    "121212",
];

/// Whether `value` is a well-known default or dictionary password: one of the base words
/// (any case, leetspeak undone: `P@ssw0rd`, `Adm1n`), optionally with digits and symbols
/// around it (`admin123`, `Password1!`), a counting sequence, or anything shorter than 6
/// characters.
pub fn is_weak_password(value: &[u8]) -> bool {
    let Ok(v) = std::str::from_utf8(value) else {
        return false;
    };
    let v = v.trim();
    let n = v.chars().count();
    if n < 4 {
        return false;
    }
    // Short values are guessable, but a short lowercase word is as often a setting that a
    // key named `passwd` holds (`passwd: files` in nsswitch.conf): those count only when they
    // are known defaults (below).
    if n < 6 && !v.bytes().all(|b| b.is_ascii_lowercase()) {
        return true;
    }
    if WEAK_SEQUENCES.contains(&v) {
        return true;
    }
    let folded: String = v
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            c => c,
        })
        .collect();
    // The word part: strip trailing digits and symbols (kept before folding turned them into
    // letters, so use the original's shape).
    let core: String = v
        .trim_end_matches(|c: char| c.is_ascii_digit() || !c.is_ascii_alphanumeric())
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    let core_folded: String = folded.chars().take(core.chars().count()).collect();
    let stripped: String = core_folded
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    WEAK_BASES.contains(&core_folded.as_str())
        || WEAK_BASES.contains(&stripped.as_str())
        || WEAK_BASES.contains(&folded.trim_end_matches(|c: char| !c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_examples() {
        for v in [
            "${DB_PASSWORD}",
            "$(SECRET)",
            "$TOKEN",
            "{{ .Values.password }}",
            "<PASSWORD>",
            "REPLACE_ME",
            "your_api_key_here",
            "xxxxxxxxxxxxxxxx",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "sk_live_****************",
            "AKIAIOSFODNN7EXAMPLE",
            "/run/secrets/db",
            "/etc/ssl/private/server.key",
            "%(password)s",
            "-}",
            "...",
            "secret-goes-here",
            "grace:$2y$12$t7FmJLgl2yziHCoI8uwDd2/Zv3jXLTpbULbKPLLwlf.aSK9Whp",
            "$6$rounds=5000$saltsalt$hash",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v}");
        }
        for v in [
            "ghp_R4nd0mLooking1234567890abcdefXYZab",
            "kT9vQ2mXr7Lw4ZpE",
            "changeme",
            "Xk9#mQ2$vL7pR4aB",
            "/9zwXWCep9SXfsF85QSf07ioGhqy42fgDZ3tR4b/",
        ] {
            assert!(!is_placeholder(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn code_references() {
        for v in [
            "process.env.PGPASSWORD",
            "os.getenv(",
            "os.environ[",
            "config.database.password",
            "jwt.sign(",
        ] {
            assert!(is_code_reference(v.as_bytes()), "{v}");
        }
        for v in [
            "hvs.oQgtfn6lPV1bdLL5DKIm9akl",
            "MbSwEf8gZZJPp8.atlasv1.BIp9YCVvPbBRMZ8DaSX",
            "kT9vQ2mXr7Lw",
        ] {
            assert!(!is_code_reference(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn weak_passwords() {
        for v in [
            "password",
            "Admin123",
            "admin@123",
            "P@ssw0rd",
            "Passw0rd",
            "Password1!",
            "welcome1",
            "test123",
            "supersecret",
            "qwerty",
            "minioadmin",
            "changeit",
            "toor",
            "root",
            "123456789",
            "oracle",
            "letmein",
            "pass",
            "administrator",
            "demo",
        ] {
            assert!(is_weak_password(v.as_bytes()), "{v}");
        }
        for v in [
            "GEB2sOq_ccVSJr!*",
            "Saffron_Falcon64-EmberP5L",
            "irP3OLEPIf5SoSV2D",
            "kT9vQ2mXr7Lw",
            "str",
            "-}",
        ] {
            assert!(!is_weak_password(v.as_bytes()), "{v}");
        }
    }
}
