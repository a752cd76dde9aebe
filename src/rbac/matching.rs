//! Requests and the rule-matching semantics of Kubernetes' RBAC authorizer
//! (`pkg/apis/rbac/v1/evaluation_helpers.go`, `plugin/pkg/auth/authorizer/rbac/rbac.go`).

use std::fmt;

use super::model::{PolicyRule, SERVICE_ACCOUNT_USER_PREFIX};

/// What a request wants to do.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Resource(ResourceAction),
    NonResource { verb: String, path: String },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAction {
    pub verb: String,
    /// `""` is the core group.
    pub api_group: String,
    pub resource: String,
    /// `""` when the request is not for a subresource.
    pub subresource: String,
    /// `None` for cluster-scoped requests (and requests across all namespaces).
    pub namespace: Option<String>,
    /// `None` for requests without a name (list, create, ...).
    pub name: Option<String>,
}

impl ResourceAction {
    /// A request on the namespace object `name` itself (`/api/v1/namespaces/NAME`). Like the
    /// API server's RequestInfo, it carries that namespace, so RoleBindings in `name` apply.
    pub fn on_namespace(verb: &str, name: &str) -> ResourceAction {
        ResourceAction {
            verb: verb.to_string(),
            api_group: String::new(),
            resource: "namespaces".to_string(),
            subresource: String::new(),
            namespace: Some(name.to_string()),
            name: Some(name.to_string()),
        }
    }

    /// The namespace a request carries: `namespace` when given; otherwise, for the namespace
    /// object itself or its subresources (`resource` `namespaces` or `namespaces/...`), its
    /// `name`, as in [`ResourceAction::on_namespace`]; `None` for other cluster-wide requests.
    pub fn namespace_carried<'a>(
        resource: &str,
        name: Option<&'a str>,
        namespace: Option<&'a str>,
    ) -> Option<&'a str> {
        let on_namespace = resource == "namespaces" || resource.starts_with("namespaces/");
        namespace.or(name.filter(|_| on_namespace))
    }
}

impl Action {
    pub fn verb(&self) -> &str {
        match self {
            Action::Resource(action) => &action.verb,
            Action::NonResource { verb, .. } => verb,
        }
    }

    /// The namespace whose RoleBindings apply; non-resource requests have none.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Action::Resource(action) => action.namespace.as_deref().filter(|ns| !ns.is_empty()),
            Action::NonResource { .. } => None,
        }
    }
}

impl ResourceAction {
    /// `resource[.group][/subresource]`, the query-line spelling.
    pub fn resource_spelling(&self) -> String {
        let mut spelling = self.resource.clone();
        if !self.api_group.is_empty() {
            spelling.push('.');
            spelling.push_str(&self.api_group);
        }
        if !self.subresource.is_empty() {
            spelling.push('/');
            spelling.push_str(&self.subresource);
        }
        spelling
    }
}

impl fmt::Display for Action {
    /// The query-line spelling without the user: `VERB RESOURCE NAMESPACE|- [NAME]` or `VERB /path`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Resource(action) => {
                write!(
                    f,
                    "{} {} {}",
                    action.verb,
                    action.resource_spelling(),
                    action.namespace.as_deref().unwrap_or("-")
                )?;
                if let Some(name) = &action.name {
                    write!(f, " {name}")?;
                }
                Ok(())
            }
            Action::NonResource { verb, path } => write!(f, "{verb} {path}"),
        }
    }
}

/// A request's identity, with the groups an authenticator would add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

pub const ALL_AUTHENTICATED_GROUP: &str = "system:authenticated";
pub const ALL_UNAUTHENTICATED_GROUP: &str = "system:unauthenticated";
pub const ANONYMOUS_USER: &str = "system:anonymous";
pub const ALL_SERVICE_ACCOUNTS_GROUP: &str = "system:serviceaccounts";

impl UserInfo {
    /// Builds the identity the API server would see for `name`: the extra groups, then the
    /// service-account groups for `system:serviceaccount:NS:NAME` users, then
    /// `system:authenticated` (or `system:unauthenticated` for `system:anonymous`).
    pub fn authenticated(name: &str, extra_groups: &[String]) -> UserInfo {
        let mut groups = extra_groups.to_vec();
        if let Some((namespace, _)) = split_service_account_user_name(name) {
            groups.push(ALL_SERVICE_ACCOUNTS_GROUP.to_owned());
            groups.push(format!("{ALL_SERVICE_ACCOUNTS_GROUP}:{namespace}"));
        }
        groups.push(if name == ANONYMOUS_USER {
            ALL_UNAUTHENTICATED_GROUP.to_owned()
        } else {
            ALL_AUTHENTICATED_GROUP.to_owned()
        });
        UserInfo {
            name: name.to_owned(),
            groups,
        }
    }
}

/// Splits `system:serviceaccount:NS:NAME` like the API server does: exactly two parts, a valid
/// namespace name (DNS-1123 label) and a valid service-account name (DNS-1123 subdomain).
pub fn split_service_account_user_name(user_name: &str) -> Option<(&str, &str)> {
    let rest = user_name.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)?;
    let mut parts = rest.split(':');
    let (namespace, name) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || !is_dns1123_label(namespace) || !is_dns1123_subdomain(name) {
        return None;
    }
    Some((namespace, name))
}

fn is_dns1123_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    let alphanumeric = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(alphanumeric)
        && bytes.last().is_some_and(alphanumeric)
        && bytes.iter().all(|byte| alphanumeric(byte) || *byte == b'-')
}

fn is_dns1123_subdomain(value: &str) -> bool {
    value.len() <= 253 && value.split('.').all(is_dns1123_label)
}

const ALL: &str = "*";

pub(crate) fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs
        .iter()
        .any(|rule_verb| rule_verb == ALL || rule_verb == verb)
}

pub(crate) fn api_group_matches(rule: &PolicyRule, api_group: &str) -> bool {
    rule.api_groups
        .iter()
        .any(|rule_group| rule_group == ALL || rule_group == api_group)
}

/// `*` matches everything including subresources; `*/sub` matches subresource `sub` of any
/// resource; anything else (including `pods/*`) must equal `resource/subresource` literally.
pub(crate) fn resource_matches(rule: &PolicyRule, resource: &str, subresource: &str) -> bool {
    rule.resources
        .iter()
        .any(|rule_resource| rule_resource_matches(rule_resource, resource, subresource))
}

pub(crate) fn rule_resource_matches(
    rule_resource: &str,
    resource: &str,
    subresource: &str,
) -> bool {
    if rule_resource == ALL {
        return true;
    }
    if subresource.is_empty() {
        return rule_resource == resource;
    }
    let combined_matches = rule_resource
        .strip_prefix(resource)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|rule_sub| rule_sub == subresource);
    combined_matches
        || rule_resource
            .strip_prefix("*/")
            .is_some_and(|rule_sub| rule_sub == subresource)
}

/// No resourceNames means every name; otherwise the request's name (`""` if none) must be listed.
pub(crate) fn resource_name_matches(rule: &PolicyRule, name: Option<&str>) -> bool {
    rule.resource_names.is_empty()
        || rule
            .resource_names
            .iter()
            .any(|rule_name| rule_name == name.unwrap_or_default())
}

/// `*` matches every path; a trailing `*` makes the rest a prefix (all trailing stars are dropped).
pub(crate) fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls
        .iter()
        .any(|rule_url| rule_url_matches(rule_url, path))
}

pub(crate) fn rule_url_matches(rule_url: &str, path: &str) -> bool {
    rule_url == ALL
        || rule_url == path
        || (rule_url.ends_with('*') && path.starts_with(rule_url.trim_end_matches('*')))
}

/// Whether one rule allows the action, exactly as `RuleAllows` decides.
pub fn rule_allows(rule: &PolicyRule, action: &Action) -> bool {
    match action {
        Action::Resource(request) => {
            verb_matches(rule, &request.verb)
                && api_group_matches(rule, &request.api_group)
                && resource_matches(rule, &request.resource, &request.subresource)
                && resource_name_matches(rule, request.name.as_deref())
        }
        Action::NonResource { verb, path } => {
            verb_matches(rule, verb) && non_resource_url_matches(rule, path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_on_a_namespace_object_carries_that_namespace() {
        let carried = ResourceAction::namespace_carried;
        assert_eq!(carried("namespaces", Some("a"), None), Some("a"));
        assert_eq!(carried("namespaces/status", Some("a"), None), Some("a"));
        assert_eq!(carried("namespaces", Some("a"), Some("b")), Some("b"));
        assert_eq!(carried("namespaces", None, None), None);
        assert_eq!(carried("nodes", Some("n1"), None), None);
        assert_eq!(carried("pods", Some("p"), Some("b")), Some("b"));
        let on = ResourceAction::on_namespace("delete", "a");
        assert_eq!(
            (on.namespace.as_deref(), on.name.as_deref()),
            (Some("a"), Some("a"))
        );
    }

    #[test]
    fn resource_matching_follows_kubernetes() {
        // (rule resource, request resource, request subresource, expected)
        let cases = [
            ("*", "pods", "", true),
            ("*", "pods", "log", true),
            ("pods", "pods", "", true),
            ("pods", "pods", "log", false),
            ("pods/log", "pods", "log", true),
            ("pods/log", "pods", "", false),
            ("*/scale", "deployments", "scale", true),
            ("*/scale", "deployments", "", false),
            ("*/scale", "deployments", "status", false),
            ("pods/*", "pods", "log", false),
            ("pods/*", "pods", "*", true),
            ("*/*", "pods", "*", true),
            ("*/*", "pods", "log", false),
            ("pods/a/b", "pods", "a/b", true),
            ("podsx/log", "pods", "log", false),
        ];
        for (rule_resource, resource, subresource, expected) in cases {
            assert_eq!(
                rule_resource_matches(rule_resource, resource, subresource),
                expected,
                "{rule_resource} vs {resource}/{subresource}"
            );
        }
    }

    #[test]
    fn url_matching_follows_kubernetes() {
        let cases = [
            ("*", "/anything", true),
            ("/healthz", "/healthz", true),
            ("/healthz", "/healthz/ready", false),
            ("/healthz*", "/healthz/ready", true),
            ("/healthz/*", "/healthz", false),
            ("/api**", "/apis", true),
            ("/a*b", "/axb", false),
        ];
        for (rule_url, path, expected) in cases {
            assert_eq!(
                rule_url_matches(rule_url, path),
                expected,
                "{rule_url} vs {path}"
            );
        }
    }

    #[test]
    fn resource_names_match_only_named_requests_unless_empty() {
        let rule = PolicyRule {
            resource_names: vec!["a".into()],
            ..PolicyRule::default()
        };
        assert!(resource_name_matches(&rule, Some("a")));
        assert!(!resource_name_matches(&rule, None));
        assert!(resource_name_matches(&PolicyRule::default(), None));
    }

    #[test]
    fn service_account_user_names_are_validated_like_the_api_server() {
        assert_eq!(
            split_service_account_user_name("system:serviceaccount:team-a:deployer"),
            Some(("team-a", "deployer"))
        );
        assert_eq!(
            split_service_account_user_name("system:serviceaccount:Team:x"),
            None
        );
        assert_eq!(
            split_service_account_user_name("system:serviceaccount:a:b:c"),
            None
        );
        assert_eq!(
            split_service_account_user_name("system:serviceaccount:a"),
            None
        );
        let user = UserInfo::authenticated("system:serviceaccount:a:b", &["extra".into()]);
        assert_eq!(
            user.groups,
            [
                "extra",
                "system:serviceaccounts",
                "system:serviceaccounts:a",
                "system:authenticated"
            ]
        );
        assert_eq!(
            UserInfo::authenticated(ANONYMOUS_USER, &[]).groups,
            ["system:unauthenticated"]
        );
    }
}
