//! The one place that maps ids to checks. Ids are never reused; a retired check keeps its id
//! (and would keep an entry here marked as removed).

use crate::checks;
use crate::cx::Cx;
use crate::meta::CheckMeta;

/// A misconfiguration check.
pub trait Check: Sync + Send {
    /// The check's identity and documentation.
    fn meta(&self) -> &'static CheckMeta;
    /// Looks at `cx.object` and reports what is wrong through `cx`.
    fn run(&self, cx: &mut Cx<'_>);
}

static CHECKS: &[&dyn Check] = &[
    // Pod Security Standards: baseline.
    &checks::k8s001_host_process::HostProcess,
    &checks::k8s002_host_network::HostNetwork,
    &checks::k8s003_host_pid::HostPid,
    &checks::k8s004_host_ipc::HostIpc,
    &checks::k8s005_privileged_container::PrivilegedContainer,
    &checks::k8s006_non_default_capabilities::NonDefaultCapabilities,
    &checks::k8s007_hostpath_volume::HostPathVolume,
    &checks::k8s008_host_port::HostPort,
    &checks::k8s009_forbidden_apparmor_profile::ForbiddenAppArmorProfile,
    &checks::k8s010_forbidden_selinux_options::ForbiddenSeLinuxOptions,
    &checks::k8s011_unmasked_proc_mount::UnmaskedProcMount,
    &checks::k8s012_unconfined_seccomp::UnconfinedSeccomp,
    &checks::k8s013_unsafe_sysctls::UnsafeSysctls,
    &checks::k8s014_probe_or_lifecycle_host::ProbeOrLifecycleHost,
    // Pod Security Standards: restricted.
    &checks::k8s020_restricted_volume_type::RestrictedVolumeType,
    &checks::k8s021_privilege_escalation_allowed::PrivilegeEscalationAllowed,
    &checks::k8s022_run_as_non_root_not_enforced::RunAsNonRootNotEnforced,
    &checks::k8s023_run_as_root_user::RunAsRootUser,
    &checks::k8s024_seccomp_profile_not_set::SeccompProfileNotSet,
    &checks::k8s025_capabilities_not_dropped::CapabilitiesNotDropped,
    &checks::k8s026_unmasked_proc_mount_user_namespace::UnmaskedProcMountUserNamespace,
    // Hardening beyond the Pod Security Standards.
    &checks::k8s040_writable_root_filesystem::WritableRootFilesystem,
    &checks::k8s041_memory_limit_missing::MemoryLimitMissing,
    &checks::k8s042_mutable_image_tag::MutableImageTag,
    &checks::k8s043_image_not_pinned_by_digest::ImageNotPinnedByDigest,
    &checks::k8s044_service_account_token_automounted::ServiceAccountTokenAutomounted,
    &checks::k8s045_default_service_account::DefaultServiceAccount,
    &checks::k8s046_default_namespace::DefaultNamespace,
    &checks::k8s047_container_runtime_socket_mount::ContainerRuntimeSocketMount,
    &checks::k8s048_net_raw_not_dropped::NetRawNotDropped,
    &checks::k8s049_secret_in_env_var::SecretInEnvVar,
    &checks::k8s052_cpu_limit_missing::CpuLimitMissing,
    &checks::k8s053_unused_secret_volume::UnusedSecretVolume,
    &checks::k8s054_missing_secret::MissingSecret,
    &checks::k8s055_shared_secret_value::SharedSecretValue,
    &checks::k8s056_secret_not_rotated::SecretNotRotated,
];

/// Checks that no longer exist: `(id, name, why)`. Their ids are never given to another check,
/// and naming them in `--skip`, `--only` or an ignore is not an error.
pub static RETIRED: &[(&str, &str, &str)] = &[
    (
        "K8S050",
        "literal-credential-in-env",
        "replaced by the secret scanner, which finds credentials in env values (rules GEN001, GEN006, GEN007 and the provider rules) with the secrets engine instead of name heuristics",
    ),
    (
        "K8S051",
        "credential-in-configmap",
        "replaced by the secret scanner, which finds credentials in ConfigMaps and the files embedded in them with the secrets engine",
    ),
];

/// The retirement note of a retired check id or name.
pub fn retired(id_or_name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    RETIRED
        .iter()
        .copied()
        .find(|(id, name, _)| id.eq_ignore_ascii_case(id_or_name) || *name == id_or_name)
}

/// Every check, in id order.
pub fn all() -> &'static [&'static dyn Check] {
    CHECKS
}

/// The check with this id (any case) or name.
pub fn find(id_or_name: &str) -> Option<&'static dyn Check> {
    CHECKS.iter().copied().find(|c| {
        let m = c.meta();
        m.id.eq_ignore_ascii_case(id_or_name) || m.name == id_or_name
    })
}
