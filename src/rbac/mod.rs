//! Offline RBAC evaluation: the semantics of kube-apiserver's RBAC authorizer over manifests.
//!
//! Pure: callers pass objects or text in; nothing here prints or touches the filesystem.

pub mod aggregation;
pub mod builtin;
pub mod evaluator;
pub mod matching;
pub mod model;
pub mod query;

pub use builtin::BUILTIN_KUBERNETES_VERSION;
pub use evaluator::{Decision, Evaluator, EvaluatorBuilder, Grant, WhoCanEntry};
pub use matching::{Action, ResourceAction, UserInfo, rule_allows};
pub use model::{
    Binding, BindingKind, ObjectError, ObjectOrigin, PolicyRule, Role, RoleKind, RoleRef, Subject,
    split_yaml_documents,
};
pub use query::{BatchLineError, Query, QueryParseError, QueryProblem, parse_batch, parse_query};
