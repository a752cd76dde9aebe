//! Printing diagnostics: graphical with a source snippet on a terminal (coloured unless
//! `NO_COLOR` is set), one plain line plus help otherwise.

use std::fmt;
use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use tenet::diagnostic::{Diagnostic, Severity};

/// How diagnostics and reports are drawn, decided once from the terminal and environment.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub graphical: bool,
    pub color: bool,
}

impl Style {
    pub fn for_stderr() -> Style {
        let terminal = std::io::stderr().is_terminal();
        Style {
            graphical: terminal,
            color: terminal && no_color_unset(),
        }
    }
}

impl Style {
    /// Whether `--color auto` colours what goes to stdout.
    pub fn stdout_color() -> bool {
        std::io::stdout().is_terminal() && no_color_unset()
    }
}

pub fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A diagnostic with its file's text, shaped for miette.
struct Snippet<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedSource<String>>,
    span: Option<SourceSpan>,
}

impl fmt::Debug for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.diagnostic)
    }
}

impl fmt::Display for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            self.diagnostic.location(),
            self.diagnostic.message
        )
    }
}

impl std::error::Error for Snippet<'_> {}

impl miette::Diagnostic for Snippet<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some("here".to_string()),
            span,
        ))))
    }
}

/// Renders one diagnostic. `text_of` finds the text of the file it names, for the snippet.
pub fn render_diagnostic<'t>(
    diagnostic: &Diagnostic,
    style: Style,
    text_of: &dyn Fn(&str) -> Option<&'t str>,
) -> String {
    if !style.graphical {
        return format!("{diagnostic}\n");
    }
    let text = text_of(&diagnostic.file);
    let span = match (diagnostic.span, text) {
        (Some(span), Some(text)) if span.offset <= text.len() => {
            let len = span.len.min(text.len() - span.offset);
            Some(SourceSpan::new(span.offset.into(), len))
        }
        _ => None,
    };
    let snippet = Snippet {
        diagnostic,
        source: span
            .and(text)
            .map(|t| NamedSource::new(&diagnostic.file, t.to_string())),
        span,
    };
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    if handler.render_report(&mut out, &snippet).is_err() {
        return format!("{diagnostic}\n");
    }
    out
}
