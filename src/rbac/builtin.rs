//! Kubernetes' default RBAC policy (v1.20.2, the oracle's version), embedded as YAML generated
//! from the API server's own `bootstrappolicy` package; see `builtin/README.md`.

use std::sync::OnceLock;

use super::model::{ObjectOrigin, RbacObject, decode_rbac_object, split_yaml_documents};

/// The Kubernetes version the embedded defaults come from.
pub const BUILTIN_KUBERNETES_VERSION: &str = "1.20.2";

const BUILTIN_FILES: [(&str, &str); 6] = [
    (
        "cluster-roles.yaml",
        include_str!("builtin/cluster-roles.yaml"),
    ),
    (
        "cluster-role-bindings.yaml",
        include_str!("builtin/cluster-role-bindings.yaml"),
    ),
    (
        "controller-roles.yaml",
        include_str!("builtin/controller-roles.yaml"),
    ),
    (
        "controller-role-bindings.yaml",
        include_str!("builtin/controller-role-bindings.yaml"),
    ),
    (
        "namespace-roles.yaml",
        include_str!("builtin/namespace-roles.yaml"),
    ),
    (
        "namespace-role-bindings.yaml",
        include_str!("builtin/namespace-role-bindings.yaml"),
    ),
];

/// The decoded defaults, parsed once per process. Origins read `builtin:kubernetes-1.20.2/FILE`.
pub fn builtin_objects() -> &'static [RbacObject] {
    static OBJECTS: OnceLock<Vec<RbacObject>> = OnceLock::new();
    OBJECTS.get_or_init(|| {
        let mut objects = Vec::new();
        for (file, text) in BUILTIN_FILES {
            let origin = ObjectOrigin::file(format!(
                "builtin:kubernetes-{BUILTIN_KUBERNETES_VERSION}/{file}"
            ));
            // The data is generated and checked by the tests below, not user input.
            let documents = split_yaml_documents(text).expect("embedded built-in RBAC YAML parses");
            for document in &documents {
                if let Some(object) = decode_rbac_object(document, &origin)
                    .expect("embedded built-in RBAC object decodes")
                {
                    objects.push(object);
                }
            }
        }
        objects
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_embedded_objects_decode() {
        // 31 + 12 + 29 + 29 + 7 + 7 objects, as printed by scripts/dump-builtin-rbac.sh.
        assert_eq!(builtin_objects().len(), 115);
    }
}
