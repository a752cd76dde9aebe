//! The JSON Schema of tenet's input, derived from the same Rust types the loader parses into,
//! so editor completion and the loader cannot disagree.

use schemars::{SchemaGenerator, generate::SchemaSettings};
use serde_json::{Value, json};

use crate::document::{
    API_VERSION, ExceptionDocument, NamespaceDocument, NetworkDocument, SettingsDocument,
    TenantDocument, UserDocument,
};

/// Where the committed copy lives, for `# yaml-language-server: $schema=...` lines.
pub const SCHEMA_PATH: &str = "schema/tenet.schema.json";

/// The schema of one input document: any of the four kinds, told apart by `kind`.
pub fn input_schema() -> Value {
    let mut generator = SchemaGenerator::new(SchemaSettings::draft07());
    let mut kinds = Vec::new();
    for (kind, schema) in [
        ("Tenant", generator.subschema_for::<TenantDocument>()),
        ("User", generator.subschema_for::<UserDocument>()),
        ("Namespace", generator.subschema_for::<NamespaceDocument>()),
        ("Network", generator.subschema_for::<NetworkDocument>()),
        ("Settings", generator.subschema_for::<SettingsDocument>()),
        ("Exception", generator.subschema_for::<ExceptionDocument>()),
    ] {
        kinds.push((kind, schema.to_value()));
    }
    let mut definitions = generator.take_definitions(true);
    // Pin apiVersion and kind in each document type, so editors suggest the right values.
    for (kind, reference) in &kinds {
        let name = reference["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or_default()
            .to_string();
        if let Some(Value::Object(properties)) = definitions
            .get_mut(&name)
            .and_then(|d| d.get_mut("properties"))
        {
            properties.insert("apiVersion".into(), json!({"const": API_VERSION}));
            properties.insert("kind".into(), json!({"const": kind}));
        }
    }
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://tenet.dev/schema/tenet.schema.json",
        "title": "tenet input document",
        "description": "One document of a tenet tenants/ directory: a Tenant, User, Namespace, Network, Settings or Exception.",
        "oneOf": kinds.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        "definitions": definitions,
    })
}

/// The schema as committed: pretty JSON with a final newline.
pub fn input_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&input_schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_pins_its_kind_and_api_version() {
        let schema = input_schema();
        let definitions = schema["definitions"].as_object().unwrap();
        for kind in [
            "TenantDocument",
            "UserDocument",
            "NamespaceDocument",
            "NetworkDocument",
        ] {
            assert_eq!(
                definitions[kind]["properties"]["apiVersion"]["const"],
                API_VERSION
            );
            assert_eq!(
                definitions[kind]["additionalProperties"], false,
                "{kind} denies unknown fields"
            );
        }
        assert_eq!(
            definitions["NetworkSpec"]["properties"]["providerNetworkID"]["type"],
            json!(["string", "null"])
        );
    }
}
