//! The checks, one file each, named `k8sNNN_<name>.rs` after the check's id and slug.

pub(crate) mod k8s001_host_process;
pub(crate) mod k8s002_host_network;
pub(crate) mod k8s003_host_pid;
pub(crate) mod k8s004_host_ipc;
pub(crate) mod k8s005_privileged_container;
pub(crate) mod k8s006_non_default_capabilities;
pub(crate) mod k8s007_hostpath_volume;
pub(crate) mod k8s008_host_port;
pub(crate) mod k8s009_forbidden_apparmor_profile;
pub(crate) mod k8s010_forbidden_selinux_options;
pub(crate) mod k8s011_unmasked_proc_mount;
pub(crate) mod k8s012_unconfined_seccomp;
pub(crate) mod k8s013_unsafe_sysctls;
pub(crate) mod k8s014_probe_or_lifecycle_host;
pub(crate) mod k8s020_restricted_volume_type;
pub(crate) mod k8s021_privilege_escalation_allowed;
pub(crate) mod k8s022_run_as_non_root_not_enforced;
pub(crate) mod k8s023_run_as_root_user;
pub(crate) mod k8s024_seccomp_profile_not_set;
pub(crate) mod k8s025_capabilities_not_dropped;
pub(crate) mod k8s026_unmasked_proc_mount_user_namespace;
pub(crate) mod k8s040_writable_root_filesystem;
pub(crate) mod k8s041_memory_limit_missing;
pub(crate) mod k8s042_mutable_image_tag;
pub(crate) mod k8s043_image_not_pinned_by_digest;
pub(crate) mod k8s044_service_account_token_automounted;
pub(crate) mod k8s045_default_service_account;
pub(crate) mod k8s046_default_namespace;
pub(crate) mod k8s047_container_runtime_socket_mount;
pub(crate) mod k8s048_net_raw_not_dropped;
pub(crate) mod k8s049_secret_in_env_var;
pub(crate) mod k8s052_cpu_limit_missing;
pub(crate) mod k8s053_unused_secret_volume;
pub(crate) mod k8s054_missing_secret;
pub(crate) mod k8s055_shared_secret_value;
pub(crate) mod k8s056_secret_not_rotated;

/// Reference links shared by many checks.
pub(crate) mod refs {
    pub(crate) const PSS: &str =
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/";
    pub(crate) const PSA_CHECKS: &str = "https://github.com/kubernetes/kubernetes/tree/master/staging/src/k8s.io/pod-security-admission/policy";
    pub(crate) const CIS: &str = "https://www.cisecurity.org/benchmark/kubernetes";
    pub(crate) const NSA: &str = "https://media.defense.gov/2022/Aug/29/2003066362/-1/-1/0/CTR_KUBERNETES_HARDENING_GUIDANCE_1.2_20220829.PDF";
    pub(crate) const SECURITY_CONTEXT: &str =
        "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/";
    pub(crate) const WINDOWS_HOST_PROCESS: &str =
        "https://kubernetes.io/docs/tasks/configure-pod-container/create-hostprocess-pod/";
    pub(crate) const SERVICE_ACCOUNTS: &str =
        "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/";
    pub(crate) const RESOURCES: &str =
        "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/";
    pub(crate) const IMAGES: &str = "https://kubernetes.io/docs/concepts/containers/images/";
    pub(crate) const SECRETS: &str =
        "https://kubernetes.io/docs/concepts/security/secrets-good-practices/";
    pub(crate) const SECCOMP: &str = "https://kubernetes.io/docs/tutorials/security/seccomp/";
    pub(crate) const APPARMOR: &str = "https://kubernetes.io/docs/tutorials/security/apparmor/";
    pub(crate) const SYSCTLS: &str =
        "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/";
    pub(crate) const NAMESPACES: &str =
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/";
    pub(crate) const USER_NAMESPACES: &str =
        "https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/";
}
