//! The template set: the default templates from `templates/` (embedded in the binary, so the
//! repository folder is their single source of truth), overridden file by file by `--templates`.

use std::collections::BTreeMap;

/// The templates tenet renders, in rendering order.
pub const TEMPLATE_NAMES: [&str; 5] = [
    "cluster.yaml.j2",
    "tenant.yaml.j2",
    "user.yaml.j2",
    "namespace.yaml.j2",
    "network.yaml.j2",
];

const EMBEDDED: [(&str, &str); 5] = [
    (
        "cluster.yaml.j2",
        include_str!("../templates/cluster.yaml.j2"),
    ),
    (
        "tenant.yaml.j2",
        include_str!("../templates/tenant.yaml.j2"),
    ),
    ("user.yaml.j2", include_str!("../templates/user.yaml.j2")),
    (
        "namespace.yaml.j2",
        include_str!("../templates/namespace.yaml.j2"),
    ),
    (
        "network.yaml.j2",
        include_str!("../templates/network.yaml.j2"),
    ),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSource {
    /// Where the template came from, for diagnostics: a file path, or `<embedded>/NAME`.
    pub display_path: String,
    pub text: String,
}

/// Every template by name. Besides the five rendered ones it may hold helper templates that
/// those `{% include %}` or `{% import %}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSet {
    pub templates: BTreeMap<String, TemplateSource>,
}

impl TemplateSet {
    /// The default templates compiled into the binary.
    pub fn embedded() -> TemplateSet {
        let templates = EMBEDDED
            .iter()
            .map(|(name, text)| {
                let source = TemplateSource {
                    display_path: format!("<embedded>/{name}"),
                    text: (*text).to_string(),
                };
                (name.to_string(), source)
            })
            .collect();
        TemplateSet { templates }
    }

    /// Replaces (or adds) one template.
    pub fn set(&mut self, name: impl Into<String>, source: TemplateSource) {
        self.templates.insert(name.into(), source);
    }

    pub fn get(&self, name: &str) -> Option<&TemplateSource> {
        self.templates.get(name)
    }

    /// The text of the embedded default for `name`, if tenet has one.
    pub fn embedded_text(name: &str) -> Option<&'static str> {
        EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| *text)
    }
}
