//! Diagnostics for bad input: file, line, column, what was expected, and a hint, each said in
//! English (the CLI, logs) and in German (the workspace, where planners read them).

use std::fmt;

/// One message in the product's two languages. Both are required at construction, so a new
/// finding cannot reach the workspace's German pages in English by oversight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    english: String,
    german: String,
}

impl Said {
    /// A message with its English and German wording.
    pub fn both(english: impl Into<String>, german: impl Into<String>) -> Self {
        Said {
            english: english.into(),
            german: german.into(),
        }
    }

    /// A message only the German pages ever show (the workspace's own checks); its English
    /// wording is the German one, so the command line would print it unchanged.
    pub fn german_only(german: impl Into<String>) -> Self {
        let german = german.into();
        Said {
            english: german.clone(),
            german,
        }
    }

    /// The English wording (CLI, logs).
    pub fn english(&self) -> &str {
        &self.english
    }

    /// The German wording (the workspace).
    pub fn german(&self) -> &str {
        &self.german
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; nothing was lost (e.g. a boundary feature matched no region).
    Warning,
    /// The row or file cannot be imported as it is.
    Error,
}

/// One finding about an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File name as given by the user.
    pub file: String,
    /// 1-based line (or record) number; 0 when the finding concerns the whole file.
    pub line: usize,
    /// 1-based column (field) number; 0 when unknown or not applicable.
    pub column: usize,
    /// Severity.
    pub severity: Severity,
    /// What is wrong.
    pub message: Said,
    /// What the user can do about it.
    pub hint: Option<Said>,
}

impl Diagnostic {
    /// An error at a position.
    pub fn error(file: &str, line: usize, column: usize, message: Said) -> Self {
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            severity: Severity::Error,
            message,
            hint: None,
        }
    }

    /// A warning at a position.
    pub fn warning(file: &str, line: usize, column: usize, message: Said) -> Self {
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            severity: Severity::Warning,
            message,
            hint: None,
        }
    }

    /// The whole finding in German, as the workspace's import history lists it
    /// (`datei.csv, Zeile 3, Spalte 2: Fehler: …`).
    pub fn german(&self) -> String {
        let sev = match self.severity {
            Severity::Warning => "Hinweis",
            Severity::Error => "Fehler",
        };
        let mut out = self.file.clone();
        if self.line > 0 {
            out.push_str(&format!(", Zeile {}", self.line));
            if self.column > 0 {
                out.push_str(&format!(", Spalte {}", self.column));
            }
        }
        out.push_str(&format!(": {sev}: {}", self.message.german()));
        if let Some(h) = &self.hint {
            out.push_str(&format!(" – {}", h.german()));
        }
        out
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: Said) -> Self {
        self.hint = Some(hint);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": {sev}: {}", self.message.english())?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {}", h.english())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_is_said_in_english_on_the_command_line_and_in_german_in_the_workspace() {
        let d = Diagnostic::error(
            "a.csv",
            3,
            2,
            Said::both("row has 3 fields", "die Zeile hat 3 Felder"),
        )
        .with_hint(Said::both("check the separator", "das Trennzeichen prüfen"));
        assert_eq!(
            d.to_string(),
            "a.csv:3:2: error: row has 3 fields\n  hint: check the separator"
        );
        assert_eq!(
            d.german(),
            "a.csv, Zeile 3, Spalte 2: Fehler: die Zeile hat 3 Felder – das Trennzeichen prüfen"
        );
        let whole = Diagnostic::warning("b.csv", 0, 0, Said::german_only("nur deutsch"));
        assert_eq!(whole.german(), "b.csv: Hinweis: nur deutsch");
        assert_eq!(whole.message.english(), "nur deutsch");
    }
}
