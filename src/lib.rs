//! tenet: compile a GitOps `tenants/` directory into deterministic Kubernetes multi-tenancy
//! manifests.
//!
//! The pipeline, one module per stage: [`load`] → [`document`] (parse) → [`validate`] →
//! [`render`] → [`canonical`] → [`plan`] → [`write`](mod@write). [`pipeline::compile`] runs the pure
//! stages in one call. Only `load` and `write` touch the filesystem; nothing here prints.
//! [`scaffold`] builds the files of a new repository for `tenet init`; `write` creates them.
//! [`record`] describes what a run left in `out/`, so that the next run with the same inputs
//! can skip the work when nothing changed.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
pub mod canonical;
pub mod cidr;
pub mod diagnostic;
pub mod diff;
pub mod diff_format;
pub mod document;
pub mod kube;
pub mod load;
pub mod manifests;
pub mod model;
pub mod names;
pub mod netpolicy;
pub mod parallel;
pub mod pipeline;
pub mod plan;
pub mod quantity;
pub mod rbac;
pub mod record;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod selector;
pub mod templates;
pub mod validate;
pub mod write;
