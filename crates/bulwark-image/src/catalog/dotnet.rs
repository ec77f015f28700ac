//! .NET packages from the dependency manifests of built applications (`dotnet-deps`).
//!
//! `dotnet build` and `dotnet publish` write `<app>.deps.json` beside the application: its
//! `libraries` object maps `"Name/Version"` to `{ "type": …, "serviceable": …, "sha512": … }`.
//! Decisions:
//! - Only `"type": "package"` entries are reported: they are NuGet packages. `project` entries
//!   are the application's own projects, and `runtimepack`/`referenceassembly` entries are
//!   parts of the .NET runtime, not NuGet dependencies of the application.
//! - Name and version are kept as written (`Newtonsoft.Json`, `13.0.3`); the purl is
//!   `pkg:nuget/<Name>@<Version>` (the nuget purl type preserves case and has no namespace).
//! - The key is split at its first `/` (neither NuGet ids nor versions contain one); keys that do
//!   not split into a name and a version are skipped.
//! - Every `*.deps.json` is read, the shared framework's own included (it lists no `package`
//!   entries). The location is the file.

use bulwark_model::{Ecosystem, Package};
use serde_json::Value;

use super::purl;

const SUFFIX: &str = ".deps.json";

/// Whether `path` is a .NET dependency manifest.
pub(crate) fn is_deps(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.len() > SUFFIX.len() && name.ends_with(SUFFIX)
}

/// The NuGet packages a `*.deps.json` lists.
pub(crate) fn parse(path: &str, data: &[u8], layer: Option<&String>) -> Vec<Package> {
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return Vec::new();
    };
    let Some(libraries) = json.get("libraries").and_then(Value::as_object) else {
        return Vec::new();
    };
    libraries
        .iter()
        .filter(|(_, entry)| entry.get("type").and_then(Value::as_str) == Some("package"))
        .filter_map(|(key, _)| {
            let (name, version) = key.split_once('/')?;
            let (name, version) = (name.trim(), version.trim());
            (!name.is_empty() && !version.is_empty() && !version.contains('/')).then(|| Package {
                name: name.to_owned(),
                version: version.to_owned(),
                ecosystem: Ecosystem::Nuget,
                cataloger: "dotnet-deps".to_owned(),
                purl: purl::build("nuget", None, name, version, &[]),
                location: path.to_owned(),
                layer: layer.cloned(),
                source_name: None,
                source_version: None,
                licenses: Vec::new(),
                os_owned: false,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_util::{assert_provenance, name_version_purl};

    const DEPS: &str = r#"{
      "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0/linux-x64", "signature": ""},
      "compilationOptions": {},
      "targets": {
        ".NETCoreApp,Version=v8.0": {
          "WebApi/1.0.0": {"dependencies": {"Newtonsoft.Json": "13.0.1"}, "runtime": {"WebApi.dll": {}}},
          "Newtonsoft.Json/13.0.1": {"runtime": {"lib/net6.0/Newtonsoft.Json.dll": {}}}
        }
      },
      "libraries": {
        "WebApi/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
        "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true,
          "sha512": "sha512-ppPFpBcvxdsfUonNcvITKqLl3bqxWbDCZIzDWHzjpdAHRFfZe0Dw9HmA0+za13IdyrgJwpkDTDA9fHaxOrt20A==",
          "path": "newtonsoft.json/13.0.1", "hashPath": "newtonsoft.json.13.0.1.nupkg.sha512"},
        "System.Text.Json/8.0.0-preview.1.23110.8": {"type": "package"},
        "Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {"type": "runtimepack"},
        "Broken": {"type": "package"},
        "/1.0": {"type": "package"},
        "A/B/C": {"type": "package"},
        "NoType/1.0": {}
      }
    }"#;

    #[test]
    fn paths() {
        assert!(is_deps("/app/WebApi.deps.json"));
        assert!(is_deps(
            "/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json"
        ));
        assert!(!is_deps("/app/.deps.json"));
        assert!(!is_deps("/app/WebApi.runtimeconfig.json"));
    }

    #[test]
    fn package_libraries_only() {
        let packages = parse(
            "/app/WebApi.deps.json",
            DEPS.as_bytes(),
            Some(&"l".to_owned()),
        );
        let got = name_version_purl(&packages);
        assert_eq!(
            got,
            [
                (
                    "Newtonsoft.Json",
                    "13.0.1",
                    "pkg:nuget/Newtonsoft.Json@13.0.1"
                ),
                (
                    "System.Text.Json",
                    "8.0.0-preview.1.23110.8",
                    "pkg:nuget/System.Text.Json@8.0.0-preview.1.23110.8"
                ),
            ]
        );
        assert_provenance(
            &packages,
            "dotnet-deps",
            Ecosystem::Nuget,
            Some("/app/WebApi.deps.json"),
            "l",
        );
    }

    #[test]
    fn malformed_input_does_not_panic() {
        for data in [
            &b""[..],
            b"{",
            b"[]",
            br#"{"libraries": []}"#,
            br#"{"libraries": {"a/1": "package", "b/2": {"type": 1}}}"#,
            b"\x00",
        ] {
            assert!(parse("/a.deps.json", data, None).is_empty());
        }
    }
}
