//! Typst used as a library: the bundled fonts, an in-memory world per document (templates, data,
//! figures, commentary) and the export to a tagged PDF/UA-1 file. Nothing is read from the
//! system: no system fonts, no package downloads, no clock.

use std::path::PathBuf;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

/// The fonts every report is set in (Noto Sans and Noto Sans Symbols, SIL Open Font License 1.1; see
/// `fonts/LICENSE.txt`). Bundled in the binary so that a report looks the same on every
/// machine.
const FONT_FILES: &[&[u8]] = &[
    include_bytes!("../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../fonts/NotoSans-Italic.ttf"),
    include_bytes!("../fonts/NotoSans-BoldItalic.ttf"),
    // Arrows (↑ ↓ →) for the direction of change, which Noto Sans lacks.
    include_bytes!("../fonts/NotoSansSymbols-Regular.ttf"),
];

/// The shared part of every document: the standard library and the fonts. Built once per
/// process; Typst's memoization then reuses work across documents.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::builder().build()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

/// A document to typeset: Typst sources and binary files under virtual paths.
#[derive(Debug, Default)]
pub struct Document {
    /// A stable identifier (PDF document ID), e.g. `profil/14522010`.
    pub ident: String,
    /// Sources: virtual path, text and, for a planner's file, where it came from (for errors).
    sources: Vec<(String, String, Option<PathBuf>)>,
    /// Binary files (data, figures): virtual path and bytes.
    files: Vec<(String, Vec<u8>)>,
}

/// Why a document could not be typeset.
#[derive(Debug, thiserror::Error)]
pub enum TypesetError {
    /// Typst reported errors; each line names file, line and column.
    #[error("the report could not be typeset:\n{0}")]
    Compile(String),
    /// The PDF export failed (e.g. a PDF/UA rule was broken).
    #[error("the PDF could not be written:\n{0}")]
    Export(String),
}

impl Document {
    /// A document whose main file is `main` (Typst markup).
    pub fn new(ident: impl Into<String>, main: &str) -> Document {
        let mut d = Document {
            ident: ident.into(),
            ..Document::default()
        };
        d.source("/main.typ", main, None);
        d
    }

    /// Adds a Typst source under a virtual path (`origin`: the file on disk it was read from).
    pub fn source(&mut self, path: &str, text: &str, origin: Option<PathBuf>) -> &mut Self {
        self.sources
            .push((path.to_string(), text.to_string(), origin));
        self
    }

    /// Adds a binary file under a virtual path.
    pub fn file(&mut self, path: &str, bytes: Vec<u8>) -> &mut Self {
        self.files.push((path.to_string(), bytes));
        self
    }

    /// Typesets the document and exports it as a tagged PDF/UA-1 file.
    pub fn pdf(&self) -> Result<Vec<u8>, TypesetError> {
        let world = DocWorld::new(self);
        let warned = typst::compile::<PagedDocument>(&world);
        let doc = warned
            .output
            .map_err(|errors| TypesetError::Compile(world.describe(&errors)))?;
        let options = PdfOptions {
            ident: Smart::Custom(self.ident.clone()),
            creator: Smart::Custom(Some(format!(
                "Sozialmonitor {} (Typst)",
                env!("CARGO_PKG_VERSION")
            ))),
            // No timestamp: the template sets the document date to the date of the data.
            timestamp: None,
            standards: PdfStandards::new(&[PdfStandard::Ua_1])
                .map_err(|e| TypesetError::Export(e.message().to_string()))?,
            ..PdfOptions::default()
        };
        let pdf = typst_pdf::pdf(&doc, &options)
            .map_err(|errors| TypesetError::Export(world.describe(&errors)))?;
        // Typst memoizes across documents in a process; keep what recent documents used (the
        // templates, the fonts) and drop the rest, so a batch of 400 profiles stays small.
        typst::comemo::evict(8);
        Ok(pdf)
    }
}

fn file_id(path: &str) -> Option<FileId> {
    let vpath = VirtualPath::new(path).ok()?;
    Some(FileId::new(RootedPath::new(VirtualRoot::Project, vpath)))
}

/// The world Typst sees for one document.
struct DocWorld<'a> {
    main: FileId,
    sources: FxHashMap<FileId, (Source, Option<&'a PathBuf>)>,
    files: FxHashMap<FileId, Bytes>,
}

impl<'a> DocWorld<'a> {
    fn new(doc: &'a Document) -> DocWorld<'a> {
        let mut sources = FxHashMap::default();
        let mut main = None;
        for (path, text, origin) in &doc.sources {
            let Some(id) = file_id(path) else { continue };
            main.get_or_insert(id);
            sources.insert(id, (Source::new(id, text.clone()), origin.as_ref()));
        }
        let files = doc
            .files
            .iter()
            .filter_map(|(path, bytes)| Some((file_id(path)?, Bytes::new(bytes.clone()))))
            .collect();
        DocWorld {
            main: main.unwrap_or_else(|| file_id("/main.typ").expect("valid path")),
            sources,
            files,
        }
    }

    /// Errors as `file:line:column: message`, with hints, for a planner or a developer.
    fn describe(&self, diagnostics: &[SourceDiagnostic]) -> String {
        let mut out = Vec::new();
        for d in diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            let place = d
                .span
                .id()
                .and_then(|id| {
                    let (source, origin) = self.sources.get(&id)?;
                    let range = self.range(d.span)?;
                    let (line, col) = source.lines().byte_to_line_column(range.start)?;
                    let name = origin
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| id.get().vpath().get_with_slash().to_string());
                    Some(format!("{name}:{}:{}", line + 1, col + 1))
                })
                .unwrap_or_else(|| "report".to_string());
            let mut line = format!("{place}: {}", d.message);
            for h in &d.hints {
                line.push_str(&format!(" (hint: {})", h.v));
            }
            out.push(line);
        }
        out.join("\n")
    }
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.sources
            .get(&id)
            .map(|(s, _)| s.clone())
            .ok_or_else(|| FileError::NotFound(id.get().vpath().get_without_slash().into()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let Some(b) = self.files.get(&id) {
            return Ok(b.clone());
        }
        if let Some((s, _)) = self.sources.get(&id) {
            return Ok(Bytes::from_string(s.text().to_string()));
        }
        Err(FileError::NotFound(
            id.get().vpath().get_without_slash().into(),
        ))
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    /// No clock: a report shows the date of its data, never the day it was made.
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        None
    }
}
