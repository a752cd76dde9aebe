//! tenet: compile a GitOps `tenants/` directory into deterministic Kubernetes manifests.
pub mod rbac;
