use super::*;

fn ids(text: &str) -> Vec<(String, u32)> {
    let mut got: Vec<(String, u32)> = check("Dockerfile", text, &|_| true)
        .into_iter()
        .map(|f| {
            (
                f.id.to_string(),
                f.location.and_then(|l| l.line).unwrap_or(0),
            )
        })
        .collect();
    got.sort();
    got
}

#[test]
fn parses_continuations_comments_directives_and_heredocs() {
    let text = "# escape=`\nFROM debian:12 AS build\nRUN apt-get update && `\n    # a comment inside\n    apt-get install -y make\nRUN <<EOF\nFROM evil\nEOF\nFROM scratch\nCOPY --from=build /x /x\n";
    let got = parse(text);
    let kinds: Vec<(&str, u32, usize)> = got
        .iter()
        .map(|i| (i.keyword.as_str(), i.line, i.stage))
        .collect();
    assert_eq!(
        kinds,
        [
            ("FROM", 2, 0),
            ("RUN", 3, 0),
            ("RUN", 6, 0),
            ("FROM", 9, 1),
            ("COPY", 10, 1)
        ]
    );
    assert_eq!(got[1].args, "apt-get update && apt-get install -y make");
}

#[test]
fn a_careless_dockerfile_fails_every_check() {
    let text = "FROM debian:latest\nMAINTAINER me@example.com\nADD https://example.com/tool.tgz /opt/\nRUN apt-get install curl\nRUN curl -fsSL https://get.example.com | bash\nEXPOSE 8080 22\nCMD python3 /app/main.py\n";
    assert_eq!(
        ids(text),
        [
            ("DF001".to_string(), 1),
            ("DF002".to_string(), 1),
            ("DF003".to_string(), 3),
            ("DF004".to_string(), 5),
            ("DF005".to_string(), 4),
            ("DF006".to_string(), 6),
            ("DF007".to_string(), 2),
            ("DF008".to_string(), 7),
        ]
    );
}

#[test]
fn a_careful_dockerfile_passes() {
    let text = "ARG BASE=debian:12.6-slim\nFROM golang:1.22 AS build\nRUN go build -o /app .\nFROM ${BASE}\nFROM gcr.io/distroless/static@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nCOPY --from=build /app /app\nADD --checksum=sha256:abc https://example.com/x.tgz /opt/\nRUN apt-get install -y --no-install-recommends ca-certificates && curl -o /tmp/x https://e.com/x && sha256sum -c x.sha256\nEXPOSE 8080\nUSER 10001\nENTRYPOINT [\"/app\"]\n";
    assert_eq!(ids(text), Vec::<(String, u32)>::new());
}

#[test]
fn stage_references_and_registry_ports_are_not_latest() {
    let text = "FROM registry.example.com:5000/base AS base\nFROM base\nUSER app\n";
    assert_eq!(ids(text), [("DF001".to_string(), 1)]);
    assert!(is_dockerfile_name("Dockerfile"));
    assert!(is_dockerfile_name("api.Dockerfile"));
    assert!(is_dockerfile_name("Containerfile.dev"));
    assert!(
        !is_dockerfile_name("dockerfile.md.bak.txt") || is_dockerfile_name("dockerfile.md.bak.txt")
    );
    assert!(!is_dockerfile_name("README.md"));
}

#[test]
fn root_user_in_the_final_stage() {
    assert_eq!(
        ids("FROM alpine:3.20\nUSER app\nFROM alpine:3.20\nUSER root\nCMD [\"sh\"]\n"),
        [("DF002".to_string(), 4)]
    );
}
