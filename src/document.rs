//! Stage 2, `parse`: split each input file into YAML documents and deserialize each into the
//! raw, span-carrying type of its kind. Unknown fields are denied here; meaning is checked in
//! `validate`.
//!
//! Documents are split at `---` lines and parsed one by one, so that an error in one document
//! never hides the errors of the next.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned};

use crate::diagnostic::{Diagnostic, Diagnostics, Span};
use crate::load::{SourceFile, Sources};

pub const API_VERSION: &str = "tenet.dev/v1alpha1";
pub const KINDS: [&str; 6] = [
    "Tenant",
    "User",
    "Namespace",
    "Network",
    "Settings",
    "Exception",
];

/// A string from the input with the place it was written.
pub type Text = Spanned<String>;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenantDocument {
    #[schemars(with = "String")]
    pub api_version: Text,
    #[schemars(with = "String")]
    pub kind: Text,
    pub metadata: Metadata,
    #[serde(default)]
    pub spec: Option<TenantSpec>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenantSpec {
    /// Human-readable name of the tenant.
    #[schemars(with = "Option<String>")]
    pub display_name: Option<Text>,
    /// Users of this tenant who are admins (the built-in `admin` ClusterRole) in every one of
    /// the tenant's namespaces.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub admins: Vec<Text>,
    /// Bind each namespace's `default` service account to the namespace's full-access Role, as
    /// Stackube did. Off by default: every pod that names no service account would get it.
    #[schemars(with = "Option<bool>")]
    pub bind_default_service_account: Option<Spanned<bool>>,
    /// Tenant-wide ceiling: the namespaces' quotas may not add up to more than this.
    #[serde(default)]
    pub quota: TextMap,
    /// The most namespaces this tenant may declare.
    #[schemars(with = "Option<u32>")]
    pub max_namespaces: Option<Spanned<u32>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserDocument {
    #[schemars(with = "String")]
    pub api_version: Text,
    #[schemars(with = "String")]
    pub kind: Text,
    pub metadata: Metadata,
    pub spec: UserSpec,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserSpec {
    /// The tenant this user belongs to.
    #[schemars(with = "String")]
    pub tenant: Text,
    /// The name the API server authenticates for this user. Defaults to metadata.name; must not start with `system:`.
    #[schemars(with = "Option<String>")]
    pub username: Option<Text>,
    /// Human-readable name of the user.
    #[schemars(with = "Option<String>")]
    pub display_name: Option<Text>,
    /// Groups the identity provider puts the user in (for example a Keystone project ID).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub groups: Vec<Text>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamespaceDocument {
    #[schemars(with = "String")]
    pub api_version: Text,
    #[schemars(with = "String")]
    pub kind: Text,
    pub metadata: NamespaceMetadata,
    pub spec: NamespaceSpec,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamespaceSpec {
    /// The tenant that owns this namespace.
    #[schemars(with = "String")]
    pub tenant: Text,
    /// Users of the same tenant who get full access inside the namespace.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub owners: Vec<Text>,
    /// A network of the same tenant that this namespace joins.
    #[schemars(with = "Option<String>")]
    pub network: Option<Text>,
    /// Further people and workloads with a role in this namespace.
    #[serde(default)]
    pub members: Vec<MemberSpec>,
    /// ServiceAccounts to create in this namespace.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub service_accounts: Vec<Text>,
    /// ResourceQuota: Kubernetes resource names to quantities, e.g. `requests.cpu: "4"`.
    #[serde(default)]
    pub quota: TextMap,
    /// Default requests and limits for containers (a LimitRange).
    pub limits: Option<LimitsSpec>,
}

// Not a `#[serde(flatten)]`ed `SubjectSpec`: flattening would lose every position.
/// One member of a namespace: exactly one of user, group or serviceAccount, and a role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MemberSpec {
    /// A User of the same tenant, by metadata.name.
    #[schemars(with = "Option<String>")]
    pub user: Option<Text>,
    /// A group name from the identity provider; not `system:*`.
    #[schemars(with = "Option<String>")]
    pub group: Option<Text>,
    /// `NAMESPACE/NAME` of a service account in a namespace of the same tenant.
    #[schemars(with = "Option<String>")]
    pub service_account: Option<Text>,
    /// `admin`, `edit`, `view`, or the name of a ClusterRole that the output defines or the
    /// Settings allow.
    #[schemars(with = "String")]
    pub role: Text,
}

/// Container defaults and bounds, each a map of resource name to quantity.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitsSpec {
    /// Default limits for containers that set none.
    #[serde(default)]
    pub default: TextMap,
    /// Default requests for containers that set none.
    #[serde(default)]
    pub default_request: TextMap,
    /// Largest limit a container may set.
    #[serde(default)]
    pub max: TextMap,
    /// Smallest request a container may set.
    #[serde(default)]
    pub min: TextMap,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkDocument {
    #[schemars(with = "String")]
    pub api_version: Text,
    #[schemars(with = "String")]
    pub kind: Text,
    pub metadata: Metadata,
    #[schemars(with = "NetworkSpec")]
    pub spec: Spanned<NetworkSpec>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkSpec {
    /// The tenant that owns this network.
    #[schemars(with = "String")]
    pub tenant: Text,
    /// The network's subnets; give either subnets or providerNetworkID.
    #[schemars(with = "Option<Vec<SubnetSpec>>")]
    pub subnets: Option<Spanned<Vec<SubnetSpec>>>,
    /// ID of an existing network in the provider (e.g. Neutron); give either subnets or providerNetworkID.
    #[serde(rename = "providerNetworkID")]
    #[schemars(with = "Option<String>")]
    pub provider_network_id: Option<Text>,
    /// Namespaces outside the network that may reach it, e.g. an ingress controller or
    /// monitoring.
    #[serde(default)]
    pub allow_from: Vec<AllowFromSpec>,
}

/// A peer allowed into a network: a namespace by name, or namespaces by label selector.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AllowFromSpec {
    /// A namespace name.
    #[schemars(with = "Option<String>")]
    pub namespace: Option<Text>,
    /// Namespaces whose labels match this selector.
    #[schemars(with = "Option<SelectorSpec>")]
    pub namespace_selector: Option<Spanned<SelectorSpec>>,
}

/// A Kubernetes label selector.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SelectorSpec {
    #[serde(default)]
    pub match_labels: TextMap,
    #[serde(default)]
    pub match_expressions: Vec<SelectorExpressionSpec>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SelectorExpressionSpec {
    #[schemars(with = "String")]
    pub key: Text,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    #[schemars(with = "String")]
    pub operator: Text,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub values: Vec<Text>,
}

/// Cluster-wide settings; at most one such document.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsDocument {
    #[schemars(with = "String")]
    pub api_version: Text,
    #[schemars(with = "String")]
    pub kind: Text,
    pub metadata: Metadata,
    pub spec: SettingsSpec,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SettingsSpec {
    /// The identities that apply out/ (for example Argo CD's or Flux's service account). Only
    /// they may change what tenet manages, once the admission policy is applied.
    #[serde(default)]
    pub appliers: Vec<SubjectSpec>,
    /// ClusterRoles, besides admin, edit and view, that namespace members may be given even
    /// though the output does not define them.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub allowed_cluster_roles: Vec<Text>,
}

/// An accepted audit finding, reviewed like any other change, until it expires.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExceptionDocument {
    #[schemars(with = "String")]
    pub api_version: Text,
    #[schemars(with = "String")]
    pub kind: Text,
    pub metadata: Metadata,
    pub spec: ExceptionSpec,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExceptionSpec {
    /// The subject of the finding, as `tenet audit` names it.
    pub subject: ExceptionSubjectSpec,
    /// The invariant: cross-tenant, risky-permission, missing-role, namespace-ownership or
    /// network-isolation.
    #[schemars(with = "String")]
    pub invariant: Text,
    /// The permission exactly as `tenet audit` prints it, e.g. `create on pods/exec in globex-web`.
    #[schemars(with = "String")]
    pub permission: Text,
    /// Why the exception is acceptable.
    #[schemars(with = "String")]
    pub reason: Text,
    /// Last day (YYYY-MM-DD) on which the exception applies.
    #[schemars(with = "String")]
    pub expires: Text,
}

/// The subject of an exception: one of user, group, serviceAccount (`NAMESPACE/NAME`) or
/// namespace (for network findings).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExceptionSubjectSpec {
    #[schemars(with = "Option<String>")]
    pub user: Option<Text>,
    #[schemars(with = "Option<String>")]
    pub group: Option<Text>,
    #[schemars(with = "Option<String>")]
    pub service_account: Option<Text>,
    #[schemars(with = "Option<String>")]
    pub namespace: Option<Text>,
}

/// An identity: exactly one of user, group or serviceAccount (`NAMESPACE/NAME`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubjectSpec {
    #[schemars(with = "Option<String>")]
    pub user: Option<Text>,
    #[schemars(with = "Option<String>")]
    pub group: Option<Text>,
    #[schemars(with = "Option<String>")]
    pub service_account: Option<Text>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubnetSpec {
    /// Subnet in CIDR notation (IPv4 or IPv6), with no host bits set.
    #[schemars(with = "String")]
    pub cidr: Text,
    /// Gateway address; must lie inside the subnet.
    #[schemars(with = "Option<String>")]
    pub gateway: Option<Text>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metadata {
    /// Object name: a DNS-1123 label (lowercase letters, digits and '-', at most 63).
    #[schemars(with = "String")]
    pub name: Text,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamespaceMetadata {
    /// Namespace name: a DNS-1123 label, not `default` nor any `kube-*` name.
    #[schemars(with = "String")]
    pub name: Text,
    /// Labels copied onto the Namespace object.
    #[serde(default)]
    pub labels: TextMap,
    /// Annotations copied onto the Namespace object.
    #[serde(default)]
    pub annotations: TextMap,
}

/// A string-to-string mapping whose keys and values both keep their positions.
#[derive(Debug, Clone, Default)]
pub struct TextMap(pub Vec<(Text, Text)>);

impl JsonSchema for TextMap {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StringMap".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "object", "additionalProperties": {"type": "string"}})
    }
}

impl<'de> Deserialize<'de> for TextMap {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextMapVisitor;
        impl<'de> Visitor<'de> for TextMapVisitor {
            type Value = TextMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of strings to strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TextMap, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<Text, Text>()? {
                    entries.push(entry);
                }
                Ok(TextMap(entries))
            }
        }
        deserializer.deserialize_map(TextMapVisitor)
    }
}

/// Only `apiVersion` and `kind`, read first to choose the document's type.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocumentHeader {
    api_version: Option<Text>,
    kind: Option<Text>,
}

/// Where a document sits in its file, to turn document-relative positions into file positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentOrigin {
    /// Index into `Sources::files`.
    pub file: usize,
    /// Lines before the document's first line.
    pub line_offset: u64,
    /// Bytes before the document's first byte.
    pub byte_offset: usize,
}

/// One parsed input document. Each kind is boxed: the kinds differ in size by hundreds of
/// bytes, and a large input holds tens of thousands of documents at once.
#[derive(Debug, Clone)]
pub enum RawObject {
    Tenant(Box<TenantDocument>),
    User(Box<UserDocument>),
    Namespace(Box<NamespaceDocument>),
    Network(Box<NetworkDocument>),
    Settings(Box<SettingsDocument>),
    Exception(Box<ExceptionDocument>),
}

#[derive(Debug, Clone)]
pub struct RawDocument {
    pub origin: DocumentOrigin,
    pub object: RawObject,
}

/// A piece of a file holding one YAML document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentSlice<'a> {
    pub text: &'a str,
    pub line_offset: u64,
    pub byte_offset: usize,
}

/// Splits a YAML stream at document-start markers (`---` at the start of a line). YAML forbids
/// such a line inside any scalar, so this split is exact. Slices with no content (only
/// comments, markers or blank lines) are dropped.
pub fn split_documents(text: &str) -> Vec<DocumentSlice<'_>> {
    let mut starts = vec![(0usize, 0u64)];
    let mut line_start = 0usize;
    for (line_number, line) in text.split_inclusive('\n').enumerate() {
        if line_start > 0 && is_document_start(line) {
            starts.push((line_start, line_number as u64));
        }
        line_start += line.len();
    }
    let mut slices = Vec::with_capacity(starts.len());
    for (i, &(start, line_offset)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |&(next, _)| next);
        let slice = &text[start..end];
        if has_content(slice) {
            slices.push(DocumentSlice {
                text: slice,
                line_offset,
                byte_offset: start,
            });
        }
    }
    slices
}

fn is_document_start(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

fn has_content(slice: &str) -> bool {
    slice.lines().any(|line| {
        let line = if is_document_start(line) {
            &line[3..]
        } else {
            line
        };
        let trimmed = line.trim();
        !(trimmed.is_empty()
            || trimmed.starts_with('#')
            || trimmed == "..."
            || trimmed.starts_with('%'))
    })
}

/// Most YAML nodes (scalars, sequences, mappings, counting alias replays) one document may
/// hold. A tenant document has a few dozen; the largest annotations stay far below this.
pub const MAX_DOCUMENT_NODES: usize = 20_000;

/// The parser limits for one document: nesting and alias expansion are capped so hostile
/// files fail fast with an error instead of exhausting the stack, memory or time.
pub fn parse_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: 64,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_nodes: MAX_DOCUMENT_NODES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_DOCUMENT_NODES,
        },
    }
}

impl DocumentOrigin {
    /// Converts a position reported by the YAML parser into a file position.
    pub fn span(&self, location: &serde_saphyr::Location) -> Span {
        let span = location.span();
        Span {
            line: self.line_offset + location.line(),
            column: location.column(),
            offset: self.byte_offset + span.byte_offset().unwrap_or(span.offset()) as usize,
            len: span.byte_len().unwrap_or(span.len()).max(1) as usize,
        }
    }

    pub fn span_of<T>(&self, spanned: &Spanned<T>) -> Span {
        self.span(&spanned.referenced)
    }

    /// The first line of the document, for problems about the document as a whole.
    pub fn start(&self) -> Span {
        Span {
            line: self.line_offset + 1,
            column: 1,
            offset: self.byte_offset,
            len: 1,
        }
    }
}

/// The parser's message without its position (tenet reports positions itself).
pub fn yaml_error_message(err: &serde_saphyr::Error) -> String {
    let mut message = serde_saphyr::DefaultMessageFormatter
        .format_message(err.without_snippet())
        .into_owned();
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    message
}

/// Turns a parser error into a diagnostic at the right place in the file.
pub fn yaml_error(
    file: &SourceFile,
    origin: &DocumentOrigin,
    err: &serde_saphyr::Error,
) -> Diagnostic {
    let bare = err.without_snippet();
    let mut message = yaml_error_message(err);
    if message.starts_with("budget breached") || message.contains("replay") {
        message = format!(
            "the document is too big once aliases are expanded (more than {MAX_DOCUMENT_NODES} nodes): {message}"
        );
    } else if message.contains("recursion limit") || message.contains("depth") {
        message = format!("the document is nested too deeply (more than 64 levels): {message}");
    }
    let span = bare
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| origin.span(&l))
        .unwrap_or_else(|| origin.start());
    let help = if message.contains("unknown field") {
        "remove the field or correct its spelling; the input reference in README.md lists every field"
    } else if message.contains("missing field") {
        "add the missing field; the input reference in README.md lists every required field"
    } else if message.contains("duplicate mapping key") {
        "each key may appear only once in a mapping; remove one of them"
    } else if message.contains("too big once aliases") || message.contains("nested too deeply") {
        "tenant files need neither deep nesting nor heavy alias use; write the values out"
    } else {
        "fix the YAML at this position; quote strings that contain special characters"
    };
    Diagnostic::error(
        &file.display_path,
        Some(span),
        format!("invalid document: {message}"),
    )
    .with_help(help)
}

/// Parses every document of every file. Returns the documents that parsed, and a diagnostic
/// for each that did not.
/// Files are parsed on all cores; the result is in file order, as a sequential run gives.
pub fn parse_documents(sources: &Sources) -> (Vec<RawDocument>, Diagnostics) {
    let indexed: Vec<(usize, &SourceFile)> = sources.files.iter().enumerate().collect();
    let parsed = crate::parallel::map_ordered(&indexed, 16, |&(index, file)| {
        let mut documents = Vec::new();
        let mut diagnostics = Diagnostics::default();
        for slice in split_documents(&file.text) {
            let origin = DocumentOrigin {
                file: index,
                line_offset: slice.line_offset,
                byte_offset: slice.byte_offset,
            };
            match parse_document(file, &origin, slice.text) {
                Ok(object) => documents.push(RawDocument { origin, object }),
                Err(diagnostic) => diagnostics.push(diagnostic),
            }
        }
        (documents, diagnostics)
    });
    let mut documents = Vec::new();
    let mut diagnostics = Diagnostics::default();
    for (file_documents, file_diagnostics) in parsed {
        documents.extend(file_documents);
        diagnostics.extend(file_diagnostics);
    }
    (documents, diagnostics)
}

fn parse_document(
    file: &SourceFile,
    origin: &DocumentOrigin,
    text: &str,
) -> Result<RawObject, Diagnostic> {
    let header: DocumentHeader = serde_saphyr::from_str_with_options(text, parse_options())
        .map_err(|err| {
            // A syntax error later in the document can surface first as a type error of the
            // header; report the syntax error, which is the real problem.
            match serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(
                text,
                parse_options(),
            ) {
                Err(syntax) => yaml_error(file, origin, &syntax),
                Ok(_) => yaml_error(file, origin, &err),
            }
        })?;
    let path = &file.display_path;
    let api_version = header.api_version.ok_or_else(|| {
        Diagnostic::error(path, Some(origin.start()), "document has no `apiVersion`")
            .with_help(format!("add `apiVersion: {API_VERSION}` to the document"))
    })?;
    if api_version.value != API_VERSION {
        return Err(Diagnostic::error(
            path,
            Some(origin.span_of(&api_version)),
            format!("unknown apiVersion `{}`", api_version.value),
        )
        .with_help(format!("tenet reads `apiVersion: {API_VERSION}`")));
    }
    let kind = header.kind.ok_or_else(|| {
        Diagnostic::error(path, Some(origin.start()), "document has no `kind`")
            .with_help(format!("add `kind:` with one of {}", KINDS.join(", ")))
    })?;
    let parse = |text| -> Result<RawObject, serde_saphyr::Error> {
        Ok(match kind.value.as_str() {
            "Tenant" => {
                RawObject::Tenant(serde_saphyr::from_str_with_options(text, parse_options())?)
            }
            "User" => RawObject::User(serde_saphyr::from_str_with_options(text, parse_options())?),
            "Namespace" => {
                RawObject::Namespace(serde_saphyr::from_str_with_options(text, parse_options())?)
            }
            "Network" => {
                RawObject::Network(serde_saphyr::from_str_with_options(text, parse_options())?)
            }
            "Settings" => {
                RawObject::Settings(serde_saphyr::from_str_with_options(text, parse_options())?)
            }
            _ => RawObject::Exception(serde_saphyr::from_str_with_options(text, parse_options())?),
        })
    };
    if !KINDS.contains(&kind.value.as_str()) {
        let mut diagnostic = Diagnostic::error(
            path,
            Some(origin.span_of(&kind)),
            format!("unknown kind `{}`", kind.value),
        );
        let suggestion = KINDS.iter().find(|k| k.eq_ignore_ascii_case(&kind.value));
        diagnostic = match suggestion {
            Some(k) => diagnostic.with_help(format!("kinds are case-sensitive: write `{k}`")),
            None => diagnostic.with_help(format!("tenet reads the kinds {}", KINDS.join(", "))),
        };
        return Err(diagnostic);
    }
    parse(text).map_err(|err| yaml_error(file, origin, &err))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every parsed input document is held until the model is built: each kind is boxed so
    /// that the small ones do not take the size of the largest.
    #[test]
    fn parsed_documents_stay_small() {
        assert!(std::mem::size_of::<RawObject>() <= 16);
    }

    #[test]
    fn splits_at_document_markers_only_at_line_start() {
        let text = "a: 1\n---\nb: 2\n  ---\n--- # c\nc: 3\n---\n# only a comment\n";
        let slices = split_documents(text);
        assert_eq!(slices.len(), 3);
        assert_eq!(slices[0].text, "a: 1\n");
        assert_eq!(slices[1].line_offset, 1);
        assert_eq!(slices[1].text, "---\nb: 2\n  ---\n");
        assert_eq!(slices[2].line_offset, 4);
        assert_eq!(slices[2].byte_offset, text.find("--- # c").unwrap());
    }

    #[test]
    fn a_line_starting_with_four_dashes_is_not_a_marker() {
        assert_eq!(split_documents("a: |\n  x\n----\n").len(), 1);
    }
}
