//! Helpers for tests and benchmarks of the webhook (not for production use): certificates made
//! with the `openssl` command the way docs/audit-webhook.md tells users to make them.

use std::path::Path;
use std::process::Command;

/// Writes, into `dir`: a CA (`ca.crt`, `ca.key`), a server certificate for `127.0.0.1` and
/// `localhost` signed by it (`server.crt`, `server.key`), and a client certificate for
/// `CN=kube-apiserver` (`client.crt`, `client.key`), all P-256, valid two days.
///
/// # Errors
/// When `openssl` cannot be run or fails: its stderr.
pub fn openssl_certificates(dir: &Path) -> Result<(), String> {
    let openssl = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .map_err(|e| format!("running openssl (cargo xtask setup installs it): {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=audit-ca",
    ]);
    openssl(&ca)?;
    let ext = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("writing {name}: {e}"))
    };
    ext(
        "server.ext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )?;
    ext("client.ext", "extendedKeyUsage=clientAuth\n")?;
    for (name, cn) in [("server", "bulwark-audit"), ("client", "kube-apiserver")] {
        let (key, csr, crt, extfile, subj) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("{name}.ext"),
            format!("/CN={cn}"),
        );
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(&req)?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "2",
            "-extfile",
            &extfile,
        ])?;
    }
    Ok(())
}
