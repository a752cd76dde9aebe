//! Stage 4, `render`: run the templates over the model and parse what they produce into
//! Kubernetes objects.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use minijinja::value::{Enumerator, Object, ObjectExt, Serde};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Diagnostics, Span};
use crate::document::split_documents;
use crate::model::Model;
use crate::templates::{TEMPLATE_NAMES, TemplateSet};

/// One object produced by a template, before canonicalization.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedObject {
    pub value: serde_json::Value,
    /// The input file behind the object (`tenants/...`), or `None` for cluster-wide objects.
    pub source: Option<String>,
    /// The object's own text in the template's output, and where that output came from (the
    /// template and what it was rendered for), so problems found later can point into the
    /// template.
    pub output: RenderedText,
}

/// A rendered document and enough context to re-render it with source spans.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedText {
    pub text: String,
    /// Byte offset of this document within the whole rendered output.
    pub offset: usize,
    pub context: RenderContext,
}

/// Which object a template was rendered for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderContext {
    Cluster,
    Tenant(String),
    User(String),
    Namespace(String),
    Network(String),
}

impl RenderContext {
    /// The template rendered for this context, e.g. `user.yaml.j2`.
    pub fn template(&self) -> &'static str {
        match self {
            RenderContext::Cluster => TEMPLATE_NAMES[0],
            RenderContext::Tenant(_) => TEMPLATE_NAMES[1],
            RenderContext::User(_) => TEMPLATE_NAMES[2],
            RenderContext::Namespace(_) => TEMPLATE_NAMES[3],
            RenderContext::Network(_) => TEMPLATE_NAMES[4],
        }
    }

    /// What the template is rendered for, e.g. ``user `alice` ``.
    pub fn describe(&self) -> String {
        match self {
            RenderContext::Cluster => "the cluster".to_string(),
            RenderContext::Tenant(n) => format!("tenant `{n}`"),
            RenderContext::User(n) => format!("user `{n}`"),
            RenderContext::Namespace(n) => format!("namespace `{n}`"),
            RenderContext::Network(n) => format!("network `{n}`"),
        }
    }
}

/// Quotes any value as a YAML double-quoted scalar, so that strings such as `on`, `007`,
/// `1e3`, `~` or `a: b` stay strings whatever a YAML 1.1 reader makes of bare scalars.
pub fn yaml_quote(value: &Value) -> Result<String, minijinja::Error> {
    if value.is_undefined() || value.is_none() {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "yaml_quote got no value; guard optional fields with `{% if ... %}`",
        ));
    }
    let text = match value.as_str() {
        Some(s) => s.to_string(),
        None => value.to_string(),
    };
    // JSON string syntax is a subset of YAML's double-quoted scalars.
    serde_json::to_string(&text)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string()))
}

/// The template environment: no auto-escaping (this is YAML, not HTML), strict undefined
/// variables, and the `yaml_quote` filter.
pub fn environment(templates: &TemplateSet) -> (Environment<'static>, Diagnostics) {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("yaml_quote", yaml_quote);
    let mut diagnostics = Diagnostics::default();
    for (name, source) in &templates.templates {
        if let Err(err) = env.add_template_owned(name.clone(), source.text.clone()) {
            diagnostics.push(template_error(templates, name, &err));
        }
    }
    (env, diagnostics)
}

/// A template error (syntax, undefined variable, failed filter) at its place in the template.
pub fn template_error(templates: &TemplateSet, name: &str, err: &minijinja::Error) -> Diagnostic {
    let template_name = err.name().unwrap_or(name);
    let source = templates.get(template_name);
    let file = source.map_or_else(|| template_name.to_string(), |s| s.display_path.clone());
    let span = match (source, err.range(), err.line()) {
        (Some(source), Some(range), _) => Some(span_at(&source.text, range.start, range.len())),
        (_, _, Some(line)) => Some(Span {
            line: line as u64,
            column: 1,
            offset: 0,
            len: 0,
        }),
        _ => None,
    };
    let mut message = format!("template error: {}", err.kind());
    if let Some(detail) = err.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    let help = match err.kind() {
        minijinja::ErrorKind::UndefinedError => {
            "this variable or attribute does not exist; the README lists what each template receives"
        }
        minijinja::ErrorKind::SyntaxError => {
            "fix the template syntax (minijinja, a Jinja2 dialect)"
        }
        _ => "fix the template; the README lists what each template receives",
    };
    Diagnostic::error(file, span, message).with_help(help)
}

/// The span of `len` bytes at byte `offset` of `text`, with line and column counted from 1.
pub fn span_at(text: &str, offset: usize, len: usize) -> Span {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = text
        .get(line_start..offset)
        .map_or(1, |s| s.chars().count() as u64 + 1);
    Span {
        line,
        column,
        offset,
        len: len.max(1),
    }
}

/// The model as the templates see it: the same maps and fields as its serialized form. An
/// entry read by name (`model.users[name]`, or the entry a template is rendered for) is
/// converted to a template value on its own when it is read. A map that a template iterates
/// is converted whole the first time and kept for the rest of the run, so that a template
/// walking a map for every object does not convert every entry again each time. Converting
/// the whole model up front would hold a second copy of it for the whole run, while the
/// built-in templates only read entries by name.
#[derive(Debug)]
struct ModelValue {
    model: Arc<Model>,
    /// Each map converted whole once a template has iterated it, by [`CollectionKind`].
    iterated: [OnceLock<Value>; 4],
}

/// The model's fields, in the order of its serialized form.
const MODEL_FIELDS: &[&str] = &[
    "tenants",
    "users",
    "namespaces",
    "networks",
    "settings",
    "exceptions",
];

impl Object for ModelValue {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let collection = |kind| {
            Value::from_object(Collection {
                model: Arc::clone(self),
                kind,
            })
        };
        Some(match key.as_str()? {
            "tenants" => collection(CollectionKind::Tenants),
            "users" => collection(CollectionKind::Users),
            "namespaces" => collection(CollectionKind::Namespaces),
            "networks" => collection(CollectionKind::Networks),
            "settings" => to_value(&self.model.settings),
            "exceptions" => to_value(&self.model.exceptions),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(MODEL_FIELDS)
    }
}

fn to_value<T: Serialize>(entry: &T) -> Value {
    Value::from(Serde(entry))
}

#[derive(Debug, Clone, Copy)]
enum CollectionKind {
    Tenants,
    Users,
    Namespaces,
    Networks,
}

/// One of the model's maps by name (`model.tenants`, ...).
#[derive(Debug)]
struct Collection {
    model: Arc<ModelValue>,
    kind: CollectionKind,
}

/// One map of the model as the templates read it, whatever its entries are.
trait ModelMap: Sync {
    fn len(&self) -> usize;
    fn names(&self) -> Box<dyn Iterator<Item = Value> + Send + Sync + '_>;
    /// The entry `name`, converted on its own.
    fn entry(&self, name: &str) -> Option<Value>;
    /// Every entry, converted.
    fn whole(&self) -> Value;
}

impl<T: Serialize + Sync> ModelMap for BTreeMap<String, T> {
    fn len(&self) -> usize {
        BTreeMap::len(self)
    }

    fn names(&self) -> Box<dyn Iterator<Item = Value> + Send + Sync + '_> {
        Box::new(self.keys().map(|name| Value::from(name.as_str())))
    }

    fn entry(&self, name: &str) -> Option<Value> {
        self.get(name).map(to_value)
    }

    fn whole(&self) -> Value {
        to_value(self)
    }
}

impl Collection {
    fn map(&self) -> &dyn ModelMap {
        let model = &self.model.model;
        match self.kind {
            CollectionKind::Tenants => &model.tenants,
            CollectionKind::Users => &model.users,
            CollectionKind::Namespaces => &model.namespaces,
            CollectionKind::Networks => &model.networks,
        }
    }

    fn iterated(&self) -> &OnceLock<Value> {
        &self.model.iterated[self.kind as usize]
    }

    /// The entry `name`: from the whole map if a template has iterated it, else converted on
    /// its own.
    fn entry(&self, name: &str) -> Option<Value> {
        match self.iterated().get() {
            Some(whole) => whole
                .get_item(&Value::from(name))
                .ok()
                .filter(|entry| !entry.is_undefined()),
            None => self.map().entry(name),
        }
    }
}

impl Object for Collection {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.entry(key.as_str()?)
    }

    /// The names, in order; the engine reads each entry through `get_value`, from the whole
    /// map converted here once.
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.iterated().get_or_init(|| self.map().whole());
        self.mapped_enumerator(|this| this.map().names())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.map().len())
    }
}

/// The values each template sees: `model`, and the entry it is rendered for with its tenant.
struct Contexts {
    model: Value,
}

impl Contexts {
    fn new(model: &Arc<Model>) -> Contexts {
        Contexts {
            model: Value::from_object(ModelValue {
                model: Arc::clone(model),
                iterated: Default::default(),
            }),
        }
    }

    fn for_render(&self, context: &RenderContext) -> Result<Value, minijinja::Error> {
        let model = self.model.clone();
        let pick = |collection: &str, name: &str| -> Result<Value, minijinja::Error> {
            model.get_attr(collection)?.get_item(&Value::from(name))
        };
        let tenant_of = |item: &Value| -> Result<Value, minijinja::Error> {
            let tenant = item.get_attr("tenant")?;
            model.get_attr("tenants")?.get_item(&tenant)
        };
        Ok(match context {
            RenderContext::Cluster => minijinja::context! { model },
            RenderContext::Tenant(name) => {
                let tenant = pick("tenants", name)?;
                minijinja::context! { model, tenant }
            }
            RenderContext::User(name) => {
                let user = pick("users", name)?;
                let tenant = tenant_of(&user)?;
                minijinja::context! { model, user, tenant }
            }
            RenderContext::Namespace(name) => {
                let namespace = pick("namespaces", name)?;
                let tenant = tenant_of(&namespace)?;
                minijinja::context! { model, namespace, tenant }
            }
            RenderContext::Network(name) => {
                let network = pick("networks", name)?;
                let tenant = tenant_of(&network)?;
                minijinja::context! { model, network, tenant }
            }
        })
    }
}

/// Everything to render, in output order: the cluster, then each tenant, user, namespace and
/// network, with the input file behind it.
pub fn render_contexts(model: &Model) -> Vec<(RenderContext, Option<String>)> {
    let mut contexts = vec![(RenderContext::Cluster, None)];
    contexts.extend(model.tenants.values().map(|t| {
        (
            RenderContext::Tenant(t.name.clone()),
            Some(t.source.clone()),
        )
    }));
    contexts.extend(
        model
            .users
            .values()
            .map(|u| (RenderContext::User(u.name.clone()), Some(u.source.clone()))),
    );
    contexts.extend(model.namespaces.values().map(|n| {
        (
            RenderContext::Namespace(n.name.clone()),
            Some(n.source.clone()),
        )
    }));
    contexts.extend(model.networks.values().map(|n| {
        (
            RenderContext::Network(n.name.clone()),
            Some(n.source.clone()),
        )
    }));
    contexts
}

/// The compiled templates and the model as a template value, made once per run and shared
/// by every render (also across threads).
pub struct Renderer {
    env: Environment<'static>,
    contexts: Contexts,
}

impl Renderer {
    /// Compiles the templates; their syntax errors are returned as diagnostics.
    pub fn new(model: &Arc<Model>, templates: &TemplateSet) -> Result<Renderer, Diagnostics> {
        let (env, diagnostics) = environment(templates);
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        Ok(Renderer {
            env,
            contexts: Contexts::new(model),
        })
    }

    /// Renders the template for one context and parses its output: the objects, and the
    /// problems found.
    pub fn render_context(
        &self,
        templates: &TemplateSet,
        model: &Arc<Model>,
        context: &RenderContext,
        source: Option<String>,
    ) -> (Vec<RenderedObject>, Diagnostics) {
        let mut objects = Vec::new();
        let mut diagnostics = Diagnostics::default();
        let name = context.template();
        let rendered = self
            .env
            .get_template(name)
            .and_then(|template| template.render(self.contexts.for_render(context)?));
        match rendered {
            Ok(text) => parse_rendered(
                templates,
                model,
                context,
                source,
                &text,
                &mut objects,
                &mut diagnostics,
            ),
            Err(err) => {
                let mut diagnostic = template_error(templates, name, &err);
                diagnostic.message = format!(
                    "{} (rendering for {})",
                    diagnostic.message,
                    context.describe()
                );
                diagnostics.push(diagnostic);
            }
        }
        (objects, diagnostics)
    }
}

/// Renders every template for every object of its kind and parses the output.
pub fn render(model: &Arc<Model>, templates: &TemplateSet) -> (Vec<RenderedObject>, Diagnostics) {
    let renderer = match Renderer::new(model, templates) {
        Ok(renderer) => renderer,
        Err(diagnostics) => return (Vec::new(), diagnostics),
    };
    let mut objects = Vec::new();
    let mut diagnostics = Diagnostics::default();
    for (context, source) in render_contexts(model) {
        let (rendered, found) = renderer.render_context(templates, model, &context, source);
        objects.extend(rendered);
        diagnostics.extend(found);
    }
    (objects, diagnostics)
}

fn parse_rendered(
    templates: &TemplateSet,
    model: &Arc<Model>,
    context: &RenderContext,
    source: Option<String>,
    text: &str,
    objects: &mut Vec<RenderedObject>,
    diagnostics: &mut Diagnostics,
) {
    for slice in split_documents(text) {
        let output = RenderedText {
            text: slice.text.to_string(),
            offset: slice.byte_offset,
            context: context.clone(),
        };
        let parsed: Result<Option<serde_json::Value>, _> =
            serde_saphyr::from_str_with_options(slice.text, crate::document::parse_options());
        match parsed {
            Ok(Some(value)) if !value.is_null() => objects.push(RenderedObject {
                value,
                source: source.clone(),
                output,
            }),
            Ok(_) => {}
            Err(err) => {
                let offset = err
                    .without_snippet()
                    .location()
                    .and_then(|l| l.span().byte_offset())
                    .map_or(0, |o| o as usize);
                let mut message = crate::document::yaml_error_message(&err);
                message = format!(
                    "template output is not valid YAML (rendering for {}): {message}",
                    context.describe()
                );
                diagnostics.push(output_diagnostic(templates, model, &output, offset, message, "fix the template so that it renders valid YAML; quote values with `| yaml_quote`"));
            }
        }
    }
}

/// A diagnostic about a rendered object, pointing at the template line that produced the
/// output at `offset_in_document`.
pub fn output_diagnostic(
    templates: &TemplateSet,
    model: &Arc<Model>,
    output: &RenderedText,
    offset_in_document: usize,
    message: String,
    help: &str,
) -> Diagnostic {
    let name = output.context.template();
    let file = templates
        .get(name)
        .map_or_else(|| name.to_string(), |s| s.display_path.clone());
    let span =
        template_span_for_output(templates, model, output, output.offset + offset_in_document);
    Diagnostic::error(file, span, message).with_help(help)
}

/// Re-renders the template with output spans to find which template text produced the output
/// byte at `output_offset`. Only called on the error path.
fn template_span_for_output(
    templates: &TemplateSet,
    model: &Arc<Model>,
    output: &RenderedText,
    output_offset: usize,
) -> Option<Span> {
    let name = output.context.template();
    let source = templates.get(name)?;
    let (env, _) = environment(templates);
    let template = env.get_template(name).ok()?;
    let contexts = Contexts::new(model);
    let (_, spans) = template
        .render_with_spans(contexts.for_render(&output.context).ok()?)
        .ok()?;
    let span = spans
        .iter()
        .find(|s| s.output_range().contains(&output_offset))?;
    let source_offset = match span.kind() {
        minijinja::OutputSpanKind::Raw => {
            span.source_range().start + (output_offset - span.output_range().start)
        }
        _ => span.source_range().start,
    };
    Some(span_at(&source.text, source_offset, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading entries by name converts nothing whole (the built-in templates only do that);
    /// iterating a map converts that map whole, once.
    #[test]
    fn only_iterated_maps_are_converted_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tenants");
        let (sources, _) = crate::load::load_sources(&root);
        let model = Arc::new(crate::pipeline::validate_sources(&sources).unwrap().0);
        let value = Contexts::new(&model).model;
        let converted = || {
            let model = value.downcast_object_ref::<ModelValue>().unwrap();
            model
                .iterated
                .iter()
                .map(|m| m.get().is_some())
                .collect::<Vec<_>>()
        };
        let env = Environment::new();
        let render = |template: &str| {
            env.render_str(template, minijinja::context! { model => value.clone() })
                .unwrap()
        };
        let user = model.users.keys().next().unwrap();
        render(&format!(
            "{{{{ model.users['{user}'].username }}}} {{{{ model.tenants | length }}}} {{% if model.networks %}}y{{% endif %}}"
        ));
        assert_eq!(converted(), [false; 4]);
        render("{% for name in model.users %}{{ model.users[name].tenant }}{% endfor %}");
        assert_eq!(converted(), [false, true, false, false]);
    }

    /// Templates must not tell the lazily converted model from its serialized form.
    #[test]
    fn templates_see_the_model_as_its_serialized_form() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tenants");
        let (sources, diagnostics) = crate::load::load_sources(&root);
        assert!(!diagnostics.has_errors(), "{diagnostics}");
        let model = Arc::new(crate::pipeline::validate_sources(&sources).unwrap().0);
        assert!(model.tenants.len() > 1 && !model.networks.is_empty());
        // One lazy model shared by all templates (its maps are converted whole once the first
        // template iterates them), and a fresh one for each template (entries one by one).
        let shared = Contexts::new(&model).model;
        let eager = Value::from(Serde(&*model));
        let env = Environment::new();
        for template in [
            "{{ model | tojson }}",
            "{{ model }}",
            "{{ model.tenants | length }} {{ model.users | length }} {{ model | length }}",
            "{% for name in model.namespaces %}{{ name }}={{ model.namespaces[name].tenant }} {% endfor %}",
            "{% for name, user in model.users | items %}{{ name }}:{{ user.username }} {% endfor %}",
            "{{ model.networks | dictsort | tojson }} {{ model.networks | list }}",
            "{{ model.settings | tojson }} {{ model.exceptions | tojson }}",
            "{% for n in model.tenants %}{{ n in model.tenants }}{% endfor %} {{ 'nobody' in model.users }}",
            "{{ model.tenants is mapping }} {{ model.missing is defined }} {{ model['users'] | first }}",
            "{% if model.networks %}yes{% endif %} {% for key in model %}{{ key }} {% endfor %}",
            "{{ model.users.keys() | list }}",
            "{% for name, tenant in model.tenants.items() %}{{ name }}{% endfor %}",
        ] {
            // The same text, or the same kind of error (core minijinja has no `.keys()`).
            let render = |model: &Value| {
                env.render_str(template, minijinja::context! { model => model.clone() })
                    .map_err(|err| err.kind())
            };
            let fresh = Contexts::new(&model).model;
            assert_eq!(render(&fresh), render(&eager), "{template}");
            assert_eq!(render(&shared), render(&eager), "{template}");
            // Only the method calls fail, so the comparison above is not between two errors.
            assert_eq!(
                render(&eager).is_ok(),
                !template.contains("()"),
                "{template}"
            );
        }
    }
}
