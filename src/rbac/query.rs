//! The batch query line format shared with `rbac-oracle`:
//! `USER VERB RESOURCE[.GROUP][/SUBRESOURCE] NAMESPACE|- [NAME]` or `USER VERB /path`.
//!
//! Fields are separated by whitespace. The resource is split at its first `/` (the rest is the
//! subresource), then at its first `.` (the rest is the API group), exactly like the oracle.
//! Unlike the oracle, which silently skips or guesses, malformed lines are errors.

use std::fmt;

use super::matching::{Action, ResourceAction};

/// One parsed query line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub user: String,
    pub action: Action,
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.user, self.action)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryProblem {
    MissingVerb,
    MissingResource,
    MissingNamespace,
    UnexpectedField { expected_at_most: usize },
    EmptyResource,
    EmptyApiGroup,
    EmptySubresource,
}

impl fmt::Display for QueryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryProblem::MissingVerb => f.write_str("expected a verb after the user"),
            QueryProblem::MissingResource => {
                f.write_str("expected RESOURCE[.GROUP][/SUBRESOURCE] or a /path after the verb")
            }
            QueryProblem::MissingNamespace => {
                f.write_str("expected a namespace after the resource (use - for cluster scope)")
            }
            QueryProblem::UnexpectedField { expected_at_most } => {
                write!(
                    f,
                    "unexpected field; this form takes at most {expected_at_most} fields"
                )
            }
            QueryProblem::EmptyResource => f.write_str("the resource name is empty"),
            QueryProblem::EmptyApiGroup => f.write_str(
                "the API group after '.' is empty (write just the resource for the core group)",
            ),
            QueryProblem::EmptySubresource => f.write_str("the subresource after '/' is empty"),
        }
    }
}

/// A malformed query line. `column` is 1-based and counts characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {problem}")]
pub struct QueryParseError {
    pub column: usize,
    pub problem: QueryProblem,
}

/// A malformed line of a batch.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, {error}")]
pub struct BatchLineError {
    /// 1-based.
    pub line: usize,
    pub error: QueryParseError,
}

/// Whitespace-separated fields with their 1-based character columns.
fn fields_with_columns(line: &str) -> Vec<(usize, &str)> {
    let mut fields = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (byte offset, column)
    let mut column = 0;
    for (offset, character) in line.char_indices() {
        column += 1;
        match (character.is_whitespace(), start) {
            (false, None) => start = Some((offset, column)),
            (true, Some((begin, begin_column))) => {
                fields.push((begin_column, &line[begin..offset]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some((begin, begin_column)) = start {
        fields.push((begin_column, &line[begin..]));
    }
    fields
}

/// Parses one non-blank query line.
pub fn parse_query(line: &str) -> Result<Query, QueryParseError> {
    let fields = fields_with_columns(line);
    let end_column = line.chars().count() + 1;
    let error = |column: usize, problem: QueryProblem| QueryParseError { column, problem };
    let field = |index: usize| fields.get(index).copied();
    let Some((_, user)) = field(0) else {
        return Err(error(1, QueryProblem::MissingVerb));
    };
    let (_, verb) = field(1).ok_or_else(|| error(end_column, QueryProblem::MissingVerb))?;
    let (resource_column, target) =
        field(2).ok_or_else(|| error(end_column, QueryProblem::MissingResource))?;

    if target.starts_with('/') {
        if let Some((column, _)) = field(3) {
            return Err(error(
                column,
                QueryProblem::UnexpectedField {
                    expected_at_most: 3,
                },
            ));
        }
        let action = Action::NonResource {
            verb: verb.to_owned(),
            path: target.to_owned(),
        };
        return Ok(Query {
            user: user.to_owned(),
            action,
        });
    }
    if let Some((column, _)) = field(5) {
        return Err(error(
            column,
            QueryProblem::UnexpectedField {
                expected_at_most: 5,
            },
        ));
    }
    let (_, namespace) =
        field(3).ok_or_else(|| error(end_column, QueryProblem::MissingNamespace))?;

    let (resource_and_group, subresource) = match target.split_once('/') {
        Some((resource_and_group, subresource)) => {
            if subresource.is_empty() {
                // Point at the '/'.
                let column = resource_column + target.chars().count() - 1;
                return Err(error(column, QueryProblem::EmptySubresource));
            }
            (resource_and_group, subresource)
        }
        None => (target, ""),
    };
    let (resource, api_group) = match resource_and_group.split_once('.') {
        Some((resource, api_group)) => {
            if api_group.is_empty() {
                // Point at the '.'.
                let column = resource_column + resource_and_group.chars().count() - 1;
                return Err(error(column, QueryProblem::EmptyApiGroup));
            }
            (resource, api_group)
        }
        None => (resource_and_group, ""),
    };
    if resource.is_empty() {
        return Err(error(resource_column, QueryProblem::EmptyResource));
    }
    let action = Action::Resource(ResourceAction {
        verb: verb.to_owned(),
        api_group: api_group.to_owned(),
        resource: resource.to_owned(),
        subresource: subresource.to_owned(),
        namespace: (namespace != "-").then(|| namespace.to_owned()),
        name: field(4).map(|(_, name)| name.to_owned()),
    });
    Ok(Query {
        user: user.to_owned(),
        action,
    })
}

/// Parses a batch: one query per line; blank lines and lines starting with `#` are skipped.
/// Returns the queries with their 1-based line numbers, and every malformed line.
pub fn parse_batch(text: &str) -> (Vec<(usize, Query)>, Vec<BatchLineError>) {
    let mut queries = Vec::new();
    let mut errors = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match parse_query(line) {
            Ok(query) => queries.push((index + 1, query)),
            Err(error) => errors.push(BatchLineError {
                line: index + 1,
                error,
            }),
        }
    }
    (queries, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(
        verb: &str,
        group: &str,
        resource: &str,
        sub: &str,
        ns: Option<&str>,
        name: Option<&str>,
    ) -> Action {
        Action::Resource(ResourceAction {
            verb: verb.into(),
            api_group: group.into(),
            resource: resource.into(),
            subresource: sub.into(),
            namespace: ns.map(Into::into),
            name: name.map(Into::into),
        })
    }

    #[test]
    fn parses_the_oracle_format() {
        let cases = [
            (
                "alice get pods team-a",
                resource("get", "", "pods", "", Some("team-a"), None),
            ),
            (
                "alice get pods - ",
                resource("get", "", "pods", "", None, None),
            ),
            (
                "bob  update deployments.apps/scale team-a web",
                resource(
                    "update",
                    "apps",
                    "deployments",
                    "scale",
                    Some("team-a"),
                    Some("web"),
                ),
            ),
            // Split at the first '/' then the first '.', like the oracle.
            ("u get a/b.c -", resource("get", "", "a", "b.c", None, None)),
            (
                "u get x.y.z/s/t -",
                resource("get", "y.z", "x", "s/t", None, None),
            ),
            (
                "u get /healthz/ready",
                Action::NonResource {
                    verb: "get".into(),
                    path: "/healthz/ready".into(),
                },
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(
                parse_query(line).map(|query| query.action),
                Ok(expected),
                "{line}"
            );
        }
    }

    #[test]
    fn reports_precise_errors() {
        let cases = [
            ("alice", 6, QueryProblem::MissingVerb),
            ("alice get", 10, QueryProblem::MissingResource),
            ("alice get pods", 15, QueryProblem::MissingNamespace),
            (
                "alice get /healthz extra",
                20,
                QueryProblem::UnexpectedField {
                    expected_at_most: 3,
                },
            ),
            (
                "alice get pods ns name more",
                24,
                QueryProblem::UnexpectedField {
                    expected_at_most: 5,
                },
            ),
            ("alice get pods/ ns", 15, QueryProblem::EmptySubresource),
            ("alice get pods./log ns", 15, QueryProblem::EmptyApiGroup),
            ("alice get .apps ns", 11, QueryProblem::EmptyResource),
        ];
        for (line, column, problem) in cases {
            assert_eq!(
                parse_query(line),
                Err(QueryParseError { column, problem }),
                "{line}"
            );
        }
    }

    #[test]
    fn batches_skip_blank_and_comment_lines_and_number_errors() {
        let (queries, errors) = parse_batch("# header\n\nalice get pods -\nbob get\n");
        assert_eq!(queries.len(), 1);
        assert_eq!(queries[0].0, 3);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "line 4, column 8: expected RESOURCE[.GROUP][/SUBRESOURCE] or a /path after the verb"
        );
    }
}
