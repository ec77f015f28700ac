//! What an event needs from around it that the sensor does not carry: the host's name and
//! user names.

use std::collections::HashMap;

/// The surroundings of the events of one host.
#[derive(Debug, Default)]
pub struct Context {
    /// The host's name (Falco's `hostname` and `evt.hostname`).
    pub hostname: String,
    /// Host user names by uid, from /etc/passwd.
    users: HashMap<u32, String>,
}

impl Context {
    /// The host's context: its name and users.
    pub fn of_host() -> Context {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let users = std::fs::read_to_string("/etc/passwd")
            .map(|t| parse_passwd(&t))
            .unwrap_or_default();
        Context { hostname, users }
    }

    /// A user's name. Inside a container only root is named: the host's /etc/passwd says
    /// nothing about the container's users.
    pub fn user_name(&self, uid: u32, in_container: bool) -> Option<String> {
        if in_container {
            return (uid == 0).then(|| "root".to_string());
        }
        self.users.get(&uid).cloned()
    }
}

/// uid → name from an /etc/passwd file.
fn parse_passwd(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let uid = f.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_names_uids() {
        let u = parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\n# c\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n",
        );
        assert_eq!(u[&0], "root");
        assert_eq!(u[&33], "www-data");
    }
}
