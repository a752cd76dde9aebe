//! Offline RBAC evaluation: the semantics of kube-apiserver's RBAC authorizer over manifests.
//!
//! Pure: callers pass objects or text in; nothing here prints or touches the filesystem.
//! Agreement with the real authorizer is measured by `scripts/oracle-check.sh` (see ORACLE.md).

pub mod access;
pub mod aggregation;
pub mod builtin;
pub mod diff;
pub mod evaluator;
pub mod matching;
pub mod model;
pub mod query;
pub mod render;

pub use access::{ResourcePermission, SubjectAccess, UrlPermission};
pub use builtin::BUILTIN_KUBERNETES_VERSION;
pub use diff::{
    ChangeKind, ChangeTarget, PermissionChange, Scope, SubjectChanges, diff_effective_permissions,
    render_permission_diff,
};
pub use evaluator::{Decision, Evaluator, EvaluatorBuilder, Grant, WhoCanEntry};
pub use matching::{Action, ResourceAction, UserInfo, rule_allows};
pub use model::{
    Binding, BindingKind, ObjectError, ObjectOrigin, PolicyRule, RbacObject, Role, RoleKind,
    RoleRef, Subject, decode_rbac_object, split_yaml_documents,
};
pub use query::{BatchLineError, Query, QueryParseError, QueryProblem, parse_batch, parse_query};
pub use render::{describe_action, render_access, render_who_can};
