//! Kubernetes name and label syntax, and the reversible escaping of names into file names.

/// A DNS-1123 label: at most 63 lowercase alphanumerics or '-', starting and ending with an
/// alphanumeric. Namespaces and tenet's own object names must be labels.
pub fn is_dns1123_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns1123_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns1123_label)
}

/// Explains what a DNS-1123 label must look like, with a corrected suggestion when one exists.
pub fn dns1123_label_help(name: &str) -> String {
    let mut suggestion: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    suggestion = suggestion.trim_matches('-').to_string();
    suggestion.truncate(63);
    let suggestion = suggestion.trim_end_matches('-');
    let rule = "use at most 63 characters: lowercase letters, digits and '-', starting and ending with a letter or digit";
    if is_dns1123_label(suggestion) && suggestion != name {
        format!("{rule}, for example `{suggestion}`")
    } else {
        rule.to_string()
    }
}

fn is_label_name_part(part: &str) -> bool {
    let bytes = part.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

/// A label or annotation key: `[prefix/]name`, where prefix is a DNS-1123 subdomain and name is
/// at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric.
pub fn qualified_name_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && !is_dns1123_subdomain(prefix)
    {
        return Some(format!(
            "the prefix `{prefix}` must be a DNS-1123 subdomain (lowercase, like `example.com`)"
        ));
    }
    if !is_label_name_part(name) {
        return Some(
            "the name part must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit".to_string(),
        );
    }
    None
}

/// A label value: empty, or at most 63 alphanumerics, '-', '_' or '.', starting and ending with
/// an alphanumeric.
pub fn is_label_value(value: &str) -> bool {
    value.is_empty() || is_label_name_part(value)
}

/// Escapes a name into one path component. Every byte outside `[a-z0-9.-]` becomes `%XX`, and
/// a leading '.' is escaped too, so the result is never hidden, never `.` or `..`, never
/// contains a separator, and can be decoded back to the exact name.
///
/// ```
/// use tenet::names::{escape_path_component, unescape_path_component};
/// assert_eq!(escape_path_component("system:basic-user"), "system%3Abasic-user");
/// assert_eq!(escape_path_component(".."), "%2E.");
/// assert_eq!(unescape_path_component("system%3Abasic-user").as_deref(), Some("system:basic-user"));
/// ```
pub fn escape_path_component(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, byte) in name.bytes().enumerate() {
        let plain = byte.is_ascii_lowercase()
            || byte.is_ascii_digit()
            || byte == b'-'
            || (byte == b'.' && i > 0);
        if plain {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    if out.is_empty() {
        out.push_str("%00empty");
    }
    out
}

/// The inverse of [`escape_path_component`].
pub fn unescape_path_component(component: &str) -> Option<String> {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = component.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert!(is_dns1123_label("acme-prod"));
        assert!(is_dns1123_label("a"));
        assert!(!is_dns1123_label("Acme"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label("a-"));
        assert!(!is_dns1123_label("a.b"));
        assert!(!is_dns1123_label(""));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_dns1123_label(&"a".repeat(63)));
    }

    #[test]
    fn label_help_suggests_a_fix() {
        assert!(dns1123_label_help("Acme_Prod").ends_with("for example `acme-prod`"));
    }

    #[test]
    fn qualified_names() {
        assert_eq!(qualified_name_problem("team"), None);
        assert_eq!(qualified_name_problem("example.com/team_A.b"), None);
        assert!(qualified_name_problem("Example.com/team").is_some());
        assert!(qualified_name_problem("team-").is_some());
        assert!(qualified_name_problem("a/b/c").is_some());
        assert!(is_label_value(""));
        assert!(is_label_value("Web_1"));
        assert!(!is_label_value("a b"));
    }

    #[test]
    fn escaping_is_reversible_and_safe() {
        for name in [
            "acme",
            "system:basic-user",
            "..",
            ".",
            "a/b",
            "%2e",
            "ünï",
            "",
            "a.b",
        ] {
            let escaped = escape_path_component(name);
            assert!(!escaped.contains('/'), "{escaped}");
            assert!(!escaped.starts_with('.'), "{escaped}");
            if !name.is_empty() {
                assert_eq!(unescape_path_component(&escaped).as_deref(), Some(name));
            }
        }
        assert_eq!(
            escape_path_component("system:basic-user"),
            "system%3Abasic-user"
        );
        assert_eq!(escape_path_component(".."), "%2E.");
        assert_eq!(escape_path_component("%2e"), "%252e");
    }
}
