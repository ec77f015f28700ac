//! podman under a private root, for the tests and benchmarks that run containers: runc and
//! overlay storage in a temporary directory (so files written in a container sit in an overlay
//! upper layer), a private `containers.conf`, and cleanup on drop. Nothing here is used by the
//! sensor itself. Its functions panic on failure, as test helpers do.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A private podman: its storage, run state and configuration live in one directory, removed
/// (with every container) when the value is dropped.
pub struct Podman {
    dir: PathBuf,
    service: Option<std::process::Child>,
}

impl Podman {
    /// A new private podman; `tag` names its directory under the temporary directory.
    ///
    /// # Panics
    /// When the directory or its configuration cannot be written.
    pub fn new(tag: &str) -> Podman {
        let dir = std::env::temp_dir().join(format!("bulwark-podman-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating the podman directory");
        // podman's default ulimits cannot be applied inside some sandboxes
        std::fs::write(
            dir.join("containers.conf"),
            "[containers]\ndefault_ulimits = []\n",
        )
        .expect("writing containers.conf");
        Podman { dir, service: None }
    }

    /// The directory holding everything.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// `podman` with this instance's root, run root, storage driver, runtime and configuration.
    pub fn command(&self) -> Command {
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", self.dir.join("containers.conf"))
            .arg("--root")
            .arg(self.dir.join("root"))
            .arg("--runroot")
            .arg(self.dir.join("runroot"))
            .args([
                "--storage-driver",
                "overlay",
                "--cgroup-manager",
                "cgroupfs",
            ])
            .args(["--events-backend", "file", "--runtime", "runc"]);
        c
    }

    /// `podman system service` on a socket in the private directory; waits for the socket.
    ///
    /// # Panics
    /// When the service does not start or its socket does not appear within 20 s.
    pub fn start_service(&mut self) -> PathBuf {
        let socket = self.dir.join("podman.sock");
        let child = self
            .command()
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting podman system service");
        self.service = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "podman's API socket did not appear"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        socket
    }

    /// Runs podman with `args`.
    ///
    /// # Panics
    /// When podman cannot be run or fails (the message carries its stderr).
    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command().args(args).output().expect("starting podman");
        assert!(
            out.status.success(),
            "podman {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs podman with `args` and returns its trimmed stdout.
    ///
    /// # Panics
    /// As [`Podman::run`].
    pub fn ok(&self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.run(args).stdout)
            .trim()
            .to_string()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        if let Some(mut service) = self.service.take() {
            let _ = service.kill();
            let _ = service.wait();
        }
        let _ = self.command().args(["rm", "-f", "-a", "-t", "0"]).output();
        // the overlay driver bind-mounts its own directory
        let _ = Command::new("umount")
            .arg(self.dir.join("root/overlay"))
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
