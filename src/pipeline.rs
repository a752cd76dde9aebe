//! The whole compiler as one pure function: sources and templates in, a Plan (or every
//! diagnostic) out. `main` and the tests run exactly this.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::audit::AuditPart;
use crate::canonical::{canonicalize, to_canonical_yaml};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::document::parse_documents;
use crate::kube::{ObjectIdentity, check_schema, identity_of};
use crate::load::Sources;
use crate::model::Model;
use crate::plan::{
    FileContent, KUSTOMIZATION_FILE, Plan, PlannedObject, kustomization_text, object_header,
    object_path,
};
use crate::rbac::ObjectOrigin;
use crate::render::{
    RenderContext, RenderedObject, RenderedText, Renderer, output_diagnostic, render_contexts,
};
use crate::templates::TemplateSet;
use crate::validate::validate;

/// A successful compilation, with the plan's files as texts (`Compiled<String>`) or digests
/// (`Compiled<Digest>`, see [`compile_as`]).
#[derive(Debug, Clone)]
pub struct Compiled<C = String> {
    pub model: Model,
    /// The planned objects, in path order. Their paths and contents have moved into the plan:
    /// what each still holds is the audit's part of it ([`Compiled::take_audit_parts`]).
    pub objects: Vec<PlannedObject<C>>,
    pub plan: Plan<C>,
    /// Which render context made each object file of the plan, for [`render_texts`].
    pub rendered_by: RenderedBy,
    /// Problems that do not stop the compilation.
    pub warnings: Diagnostics,
}

/// Which render context made each object file of a plan, so that some of its files can be
/// rendered again without rendering everything ([`render_texts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedBy {
    /// For each object file, in path order (the plan's files without `kustomization.yaml`),
    /// its context's index in [`render_contexts`].
    contexts: Vec<u32>,
}

impl<C: FileContent> Compiled<C> {
    /// Takes the audit's parts out of the planned objects, with `prefix` (the output
    /// directory, e.g. `out/`) put before each origin file. The objects go with them: each is
    /// dropped as its part is taken, so that a large run does not hold both.
    pub fn take_audit_parts(
        &mut self,
        prefix: &str,
    ) -> impl Iterator<Item = AuditPart> + Send + 'static {
        let prefix = prefix.to_string();
        std::mem::take(&mut self.objects)
            .into_iter()
            .filter_map(|object| object.audit)
            .map(move |mut part| {
                part.prefix_origin(&prefix);
                *part
            })
    }
}

/// Parses and validates the input alone (what `tenet validate` runs). Returns the model and
/// any warnings.
pub fn validate_sources(sources: &Sources) -> Result<(Model, Diagnostics), Diagnostics> {
    let (documents, mut diagnostics) = parse_documents(sources);
    let (model, validation) = validate(sources, &documents);
    diagnostics.extend(validation);
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }
    Ok((model, diagnostics.sorted()))
}

/// load → parse → validate → render → check → canonicalize → plan.
///
/// ```
/// use tenet::load::Sources;
/// use tenet::templates::TemplateSet;
/// let sources = Sources::in_memory("tenants", &[("acme.yaml", "
/// apiVersion: tenet.dev/v1alpha1
/// kind: Tenant
/// metadata: {name: acme}
/// ")]);
/// let compiled = tenet::pipeline::compile(&sources, &TemplateSet::embedded()).unwrap();
/// assert!(compiled.plan.files.contains_key("cluster/clusterrole/namespace-creater.yaml"));
/// ```
pub fn compile(sources: &Sources, templates: &TemplateSet) -> Result<Compiled, Diagnostics> {
    compile_as(sources, templates)
}

/// [`compile`], keeping of each output file only what `C` keeps: with
/// [`Digest`](crate::plan::Digest), each text is hashed as soon as its object is checked and
/// dropped, so that comparing with the files on disk never holds the whole output.
pub fn compile_as<C: FileContent>(
    sources: &Sources,
    templates: &TemplateSet,
) -> Result<Compiled<C>, Diagnostics> {
    let (model, warnings) = validate_sources(sources)?;
    compile_validated(model, warnings, sources, templates, &|_, _| {})
}

/// Receives the path and text (in parts, one after the other) of each output file as soon as
/// it is made, from any thread: how `generate` writes a first run's files while the rest is
/// still being rendered. A file given to the sink belongs to the plan only if the compilation
/// succeeds.
pub type FileSink<'a> = &'a (dyn Fn(&str, &[&str]) + Sync);

/// The rest of [`compile_as`] once [`validate_sources`] has given the model and its warnings,
/// giving each output file's text to `sink` as it is made.
pub fn compile_validated<C: FileContent>(
    model: Model,
    warnings: Diagnostics,
    sources: &Sources,
    templates: &TemplateSet,
    sink: FileSink<'_>,
) -> Result<Compiled<C>, Diagnostics> {
    // Shared with the templates while rendering, and the only owner again afterwards.
    let model = Arc::new(model);
    let Rendered {
        mut objects,
        rendered_by,
        cluster_roles,
    } = render_and_check(&model, templates, &sources.root_name, sink)?;
    let model = Arc::unwrap_or_clone(model);
    check_custom_roles(&model, &cluster_roles)?;
    let kustomization = kustomization_text(objects.iter().map(|o| &o.path), &sources.root_name);
    sink(KUSTOMIZATION_FILE, &[&kustomization]);
    let plan = Plan::from_objects(&mut objects, &kustomization);
    Ok(Compiled {
        model,
        objects,
        plan,
        rendered_by,
        warnings,
    })
}

/// The texts of the files at `paths` of `plan`, which [`compile_as`] made from these sources
/// and templates, with `rendered_by` from the same compilation. Only the contexts that made
/// those files are rendered again (after validating the sources again, which gives the same
/// model), so that `generate` can compare and audit a plan of digests and still hold no more
/// text than it writes. Each text must match the plan's content; a text that does not, or a
/// path that is not rendered again, is an error (it would mean the compilation is not
/// deterministic).
pub fn render_texts<'p, C: FileContent>(
    sources: &Sources,
    templates: &TemplateSet,
    plan: &Plan<C>,
    rendered_by: &RenderedBy,
    paths: impl IntoIterator<Item = &'p str>,
) -> Result<Plan, Diagnostics> {
    let model = || validate_sources(sources).map(|(model, _)| model);
    render_texts_from(model, sources, templates, plan, rendered_by, paths)
}

/// [`render_texts`] with the compilation's model, which `model` gives when a file is to be
/// rendered (kept by a caller that can afford to hold it, instead of validating again).
pub fn render_texts_from<'p, C: FileContent>(
    model: impl FnOnce() -> Result<Model, Diagnostics>,
    sources: &Sources,
    templates: &TemplateSet,
    plan: &Plan<C>,
    rendered_by: &RenderedBy,
    paths: impl IntoIterator<Item = &'p str>,
) -> Result<Plan, Diagnostics> {
    let wanted: BTreeSet<&str> = paths.into_iter().collect();
    if wanted.is_empty() {
        return Ok(Plan::default());
    }
    let object_paths = plan
        .files
        .keys()
        .filter(|path| path.as_str() != KUSTOMIZATION_FILE);
    // Contexts that do not belong to this plan would render other files: the check below
    // reports them.
    let contexts: BTreeSet<usize> = object_paths
        .clone()
        .zip(&rendered_by.contexts)
        .filter(|(path, _)| wanted.contains(path.as_str()))
        .map(|(_, &context)| context as usize)
        .collect();
    let kustomization = wanted.contains(KUSTOMIZATION_FILE).then(|| {
        let text = kustomization_text(object_paths, &sources.root_name);
        (KUSTOMIZATION_FILE.to_string(), text)
    });
    let objects = if contexts.is_empty() {
        Vec::new()
    } else {
        render_files_of(model()?, &sources.root_name, templates, &contexts, &wanted)?
    };
    // Collected, not inserted one by one: the map's nodes come out full.
    let files: BTreeMap<String, String> = objects.into_iter().chain(kustomization).collect();
    let mut diagnostics = Diagnostics::default();
    for path in wanted {
        let same = files.get(path).is_some_and(|text| {
            plan.files
                .get(path)
                .is_some_and(|content| content.matches(text.as_bytes()))
        });
        if !same {
            diagnostics.push(Diagnostic::error(
                path,
                None,
                "this output file came out differently when rendered a second time from the same input; this is a bug in tenet, please report it",
            ));
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    Ok(Plan { files })
}

/// The path and text of each file in `wanted` that the render contexts at `contexts` (indexes
/// in [`render_contexts`]) of `model` make. For [`render_texts`]: the first compilation
/// checked every object, so only each one's file is made again.
fn render_files_of(
    model: Model,
    root: &str,
    templates: &TemplateSet,
    contexts: &BTreeSet<usize>,
    wanted: &BTreeSet<&str>,
) -> Result<Vec<(String, String)>, Diagnostics> {
    let model = Arc::new(model);
    let renderer = Renderer::new(&model, templates).map_err(Diagnostics::sorted)?;
    let to_render: Vec<_> = render_contexts(&model)
        .into_iter()
        .enumerate()
        .filter(|(index, _)| contexts.contains(index))
        .map(|(_, context)| context)
        .collect();
    let rendered = crate::parallel::map_ordered(&to_render, 16, |(context, source)| {
        // Any problem was reported by the first compilation, which had none.
        let (rendered, _) = renderer.render_context(templates, &model, context, source.clone());
        let mut files = Vec::new();
        for mut object in rendered {
            let Ok(identity) = identity_of(&object.value) else {
                continue;
            };
            let file = object_file(&model, templates, &mut object, &identity, root);
            if let Ok((path, [header, body])) = file
                && wanted.contains(path.as_str())
            {
                files.push((path, String::of_parts(&[&header, &body])));
            }
        }
        files
    });
    Ok(rendered.into_iter().flatten().collect())
}

/// A member role that is not built in must be a ClusterRole of the output or allowed by the
/// settings: a binding to a role that does not exist grants nothing today, and whatever
/// someone creates under that name tomorrow.
fn check_custom_roles(model: &Model, cluster_roles: &BTreeSet<String>) -> Result<(), Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    for reference in &model.custom_role_references {
        let defined = cluster_roles.contains(reference.role.as_str());
        if !defined {
            diagnostics.push(
                Diagnostic::error(
                    &reference.file,
                    Some(reference.span),
                    format!(
                        "role `{}` is neither admin, edit, view, a ClusterRole in the output, nor allowed in the Settings",
                        reference.role
                    ),
                )
                .with_help("add the ClusterRole through a template, or list it in Settings `spec.allowedClusterRoles` once it exists on the cluster"),
            );
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }
    Ok(())
}

/// What rendering one context gave: its objects after their own checks, where in the
/// context's output each was rendered (for a diagnostic if it turns out to be a duplicate),
/// the names of the ClusterRoles among them, and the problems found.
#[derive(Default)]
struct RenderedContext<C> {
    objects: Vec<PlannedObject<C>>,
    offsets: Vec<usize>,
    cluster_roles: Vec<String>,
    render_diagnostics: Diagnostics,
    check_diagnostics: Diagnostics,
}

/// Every object rendered and checked, sorted by path; and the names of the ClusterRoles
/// among them, which member bindings may refer to.
struct Rendered<C> {
    objects: Vec<PlannedObject<C>>,
    rendered_by: RenderedBy,
    cluster_roles: BTreeSet<String>,
}

/// Renders every object and checks it (required fields, scope, schema, unique identity and
/// path), turning it into its canonical form. Objects are rendered and checked on all cores
/// in chunks; each rendered value is dropped as soon as its canonical text and the audit's
/// part of it exist, so memory holds the output text rather than every parsed object. Results
/// are merged in rendering order, so the first of two duplicates is the same as in a
/// sequential run.
fn render_and_check<C: FileContent>(
    model: &Arc<Model>,
    templates: &TemplateSet,
    sources_root: &str,
    sink: FileSink<'_>,
) -> Result<Rendered<C>, Diagnostics> {
    let renderer = Renderer::new(model, templates).map_err(Diagnostics::sorted)?;
    let contexts = render_contexts(model);
    let mut results = crate::parallel::map_ordered(&contexts, 64, |(context, source)| {
        let (rendered, render_diagnostics) =
            renderer.render_context(templates, model, context, source.clone());
        let mut result = RenderedContext {
            render_diagnostics,
            ..RenderedContext::default()
        };
        for object in rendered {
            let offset = object.output.offset;
            match check_object(model, templates, object, sources_root, sink) {
                Ok((object, identity)) => {
                    if identity.group == "rbac.authorization.k8s.io"
                        && identity.kind == "ClusterRole"
                    {
                        result.cluster_roles.push(identity.name);
                    }
                    result.objects.push(object);
                    result.offsets.push(offset);
                }
                Err(diagnostic) => result.check_diagnostics.push(diagnostic),
            }
        }
        result
    });
    let mut render_diagnostics = Diagnostics::default();
    let mut diagnostics = Diagnostics::default();
    for result in &mut results {
        render_diagnostics.extend(std::mem::take(&mut result.render_diagnostics));
        diagnostics.extend(std::mem::take(&mut result.check_diagnostics));
    }
    if render_diagnostics.has_errors() {
        return Err(render_diagnostics.sorted());
    }

    let count = results.iter().map(|result| result.objects.len()).sum();
    let mut objects: Vec<PlannedObject<C>> = Vec::with_capacity(count);
    // Where each object was rendered: its context (by index) and offset in that output.
    let mut rendered_at: Vec<(u32, usize)> = Vec::with_capacity(count);
    let mut cluster_roles = BTreeSet::new();
    for (index, result) in results.into_iter().enumerate() {
        let index = u32::try_from(index).expect("fewer than 2^32 render contexts");
        rendered_at.extend(result.offsets.into_iter().map(|offset| (index, offset)));
        objects.extend(result.objects);
        cluster_roles.extend(result.cluster_roles);
    }
    // Two objects with the same identity have the same path (the path is made from the
    // identity), so equal paths find every duplicate. Sorting the positions by path, then by
    // rendering order, puts each duplicate right after the first object with its path.
    let mut order: Vec<usize> = (0..objects.len()).collect();
    order.sort_unstable_by(|&a, &b| objects[a].path.cmp(&objects[b].path).then(a.cmp(&b)));
    let mut first: Option<usize> = None;
    for &index in &order {
        match first {
            Some(first) if objects[first].path == objects[index].path => {
                let path = &objects[index].path;
                let (context_index, offset) = rendered_at[index];
                let (other_index, other_offset) = rendered_at[first];
                let context = &contexts[context_index as usize];
                let other_context = &contexts[other_index as usize];
                // Only a duplicate's message needs identities, and a plan of digests keeps no
                // text to read them from: the object at the offset is rendered again.
                let identity_at = |(context, source): &(RenderContext, Option<String>),
                                   offset: usize| {
                    let (rendered, _) =
                        renderer.render_context(templates, model, context, source.clone());
                    let object = rendered
                        .into_iter()
                        .find(|object| object.output.offset == offset)?;
                    identity_of(&object.value).ok()
                };
                let (message, help) = duplicate_message(
                    path,
                    (&context.0, identity_at(context, offset)),
                    (&other_context.0, identity_at(other_context, other_offset)),
                );
                let output = RenderedText {
                    text: String::new(),
                    offset,
                    context: context.0.clone(),
                };
                diagnostics.push(output_diagnostic(
                    templates, model, &output, 0, message, help,
                ));
            }
            _ => first = Some(index),
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }
    // Paths are unique now: `order` is path order, and an unstable sort of the objects gives
    // the same order (without a buffer).
    let rendered_by = RenderedBy {
        contexts: order.iter().map(|&index| rendered_at[index].0).collect(),
    };
    drop((order, rendered_at, renderer));
    objects.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(Rendered {
        objects,
        rendered_by,
        cluster_roles,
    })
}

/// What to say when two objects, each rendered for a context and with its identity, go to
/// the same file at `path`: the same object twice, or two objects whose identities differ
/// only in what the path leaves out (the API group).
fn duplicate_message(
    path: &str,
    (context, identity): (&RenderContext, Option<ObjectIdentity>),
    (other_context, other_identity): (&RenderContext, Option<ObjectIdentity>),
) -> (String, &'static str) {
    let (template, other_template) = (context.template(), other_context.template());
    let rendered_for = context.describe();
    if let (Some(identity), Some(other_identity)) = (&identity, &other_identity)
        && identity == other_identity
    {
        return (
            format!(
                "{identity} is produced twice: by {template} (rendered for {rendered_for}) and by {other_template}"
            ),
            "each object must come from one template; rename one of them",
        );
    }
    // What names an object in the message, and its API group.
    let named = |identity: Option<ObjectIdentity>| match identity {
        Some(identity) => {
            let group = match identity.group.as_str() {
                "" => "core".to_string(),
                group => group.to_string(),
            };
            (identity.to_string(), group)
        }
        None => ("an object".to_string(), "unknown".to_string()),
    };
    let ((name, group), (other_name, other_group)) = (named(identity), named(other_identity));
    (
        format!(
            "{name} (API group {group}, by {template}, rendered for {rendered_for}) would be written to `{path}`, where {other_name} (API group {other_group}, by {other_template}) already goes",
        ),
        "output files are named by kind and name only; rename one of the objects",
    )
}

/// The checks of one object on its own: identity, scope and schema; then its file's text
/// (header and canonical YAML), given to `sink` and kept as `C` keeps it. Returns the
/// identity beside the planned object, which does not keep it.
fn check_object<C: FileContent>(
    model: &Arc<Model>,
    templates: &TemplateSet,
    mut object: RenderedObject,
    sources_root: &str,
    sink: FileSink<'_>,
) -> Result<(PlannedObject<C>, ObjectIdentity), Diagnostic> {
    let identity = identity_of(&object.value)
        .and_then(|id| check_schema(&id, &object.value).map(|()| id))
        .map_err(|problem| {
            let offset = field_offset(&object.output.text, &problem.path);
            let message = format!(
                "{} (in the object rendered for {})",
                problem.message,
                object.output.context.describe()
            );
            output_diagnostic(
                templates,
                model,
                &object.output,
                offset,
                message,
                "fix the template so that it emits a valid Kubernetes object",
            )
        })?;
    let (path, [header, body]) =
        object_file(model, templates, &mut object, &identity, sources_root)?;
    sink(&path, &[&header, &body]);
    // A plan of digests hashes the two parts: the whole text is never made.
    let content = C::of_parts(&[&header, &body]);
    let origin = ObjectOrigin {
        file: path.clone(),
        input: object.source,
    };
    let audit = AuditPart::of(&object.value, &origin).map(Box::new);
    Ok((
        PlannedObject {
            path,
            content,
            audit,
        },
        identity,
    ))
}

/// The path of the file for `object`, whose identity has been checked, and its text in two
/// parts: the header and the canonical YAML. The object's value is left in canonical form.
fn object_file(
    model: &Arc<Model>,
    templates: &TemplateSet,
    object: &mut RenderedObject,
    identity: &ObjectIdentity,
    sources_root: &str,
) -> Result<(String, [String; 2]), Diagnostic> {
    let path = object_path(identity);
    canonicalize(&mut object.value);
    let body = to_canonical_yaml(&object.value).map_err(|err| {
        output_diagnostic(
            templates,
            model,
            &object.output,
            0,
            format!("cannot write the object as YAML: {err}"),
            "simplify the object",
        )
    })?;
    let header = object_header(
        object.source.as_deref(),
        sources_root,
        object.output.context.template(),
    );
    Ok((path, [header, body]))
}

/// The byte offset in a rendered document of the field at `path`, found by looking for its
/// key line by line; the document start when it cannot be found.
fn field_offset(text: &str, path: &[String]) -> usize {
    let Some(key) = path.iter().rev().find(|p| p.parse::<usize>().is_err()) else {
        return 0;
    };
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
        let unquoted = trimmed.trim_start_matches(['"', '\'']);
        if unquoted.starts_with(key.as_str())
            && unquoted[key.len()..]
                .trim_start_matches(['"', '\''])
                .starts_with(':')
        {
            return offset + (line.len() - trimmed.len());
        }
        offset += line.len();
    }
    0
}
