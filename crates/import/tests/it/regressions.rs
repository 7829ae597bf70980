//! Regression tests, one per panic or unbounded allocation found in the importers (issue 11 and
//! the fuzzing in `fuzz`): each input now gives an error diagnostic, and the program lives on.

use std::io::Write as _;

use sozialmonitor_core::{Dataset, Severity};
use sozialmonitor_import::{Format, Source, gv100ad, ortsteile, sheet};

fn errors(ds: &Dataset) -> Vec<String> {
    ds.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message.english()))
        .collect()
}

fn read(name: &str, bytes: &[u8]) -> Dataset {
    sozialmonitor_import::read_unguarded(name, bytes, None)
}

/// Issue 11: a header with `1_variable_code` but no `1_variable_attribute_code` made a worker
/// thread index `usize::MAX`; the panic was swallowed and half the file stored as 0 rows.
#[test]
fn ffcsv_variable_without_attribute_code_is_a_header_error() {
    let text = "statistics_code;time;1_variable_code;1_variable_label;value;value_unit;value_variable_code;value_variable_label\n\
                12411;2024;KREISE;Kreise;296431;Anzahl;BEVSTD;Bevölkerungsstand\n";
    for ds in [
        read("f.csv", text.as_bytes()),
        sozialmonitor_import::read(&Source::from_bytes("f.csv".into(), text.into()), None),
    ] {
        assert!(ds.observations.is_empty());
        let errs = errors(&ds);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with(
                "1:3: header has `1_variable_code` but no `1_variable_attribute_code`"
            ),
            "{errs:?}"
        );
    }
}

/// Issue 11: a GV100AD key padded with non-breaking spaces (two bytes each) was cut at byte five.
#[test]
fn gv100ad_key_with_non_breaking_spaces_is_an_error() {
    let line = "6020231130010010000000Flensburg, Stadt                                                                                    61    000000056730000009255000000045874    24937*****  2115111211901001";
    let chars: Vec<char> = line.chars().collect();
    let mut bad: String = chars[..10].iter().collect();
    bad.push_str("\u{a0}\u{a0}\u{a0}01001");
    bad.extend(&chars[18..]);
    let ds = gv100ad::read("GV100AD.txt", &format!("{line}\n{bad}\n"));
    assert_eq!(ds.regions.len(), 1, "the good record is read");
    let errs = errors(&ds);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("2:11: Regionalschlüssel"), "{errs:?}");
}

/// A row that lacks the last column was accepted as "one field short" and then indexed there.
#[test]
fn ortsteile_row_without_its_last_column_is_an_error() {
    let text = "ID;SCHLNR;NR_KRS;GEMEINDE;ORTSTEILE;BEARB_STAND\n\
                228;14511000;14511;Chemnitz, Stadt;Adelsberg, Altchemnitz;30.05.2023 16:07:09\n\
                229;14521010;14521;Amtsberg;Dittersdorf\n";
    let ds = ortsteile::read("o.csv", text);
    assert!(
        errors(&ds)
            .iter()
            .any(|e| e.starts_with("3:0: row has 5 fields")),
        "{:?}",
        errors(&ds)
    );
    assert_eq!(ds.regions.len(), 2, "the good row's Ortsteile are kept");
}

/// An INKAR Kreis id was padded to eight characters and cut at byte five; the fuzzer found it
/// again within a thousand cases when the fix was taken out (this is its shrunk input).
#[test]
fn inkar_kreis_id_with_multibyte_characters_is_an_error() {
    let text = "tabelle,kuerzel,raumbezug,kennziffer,name,zeitbezug,wert\n\
                bev,a_bev,KRS,14522000,Mittelsachsen,2020,1.5\n\
                bev,a_bev,KRS,1\u{2dc}\u{20ac}4511000,Chemnitz,2020,2.5\n";
    let ds = sozialmonitor_import::inkar::read_values("i.csv", text);
    assert_eq!(ds.observations.len(), 1);
    assert!(
        errors(&ds).iter().any(|e| e.starts_with("3:4:")),
        "{:?}",
        errors(&ds)
    );
}

/// An INKAR codebook without the optional columns used `usize::MAX` for them.
#[test]
fn inkar_codebook_without_optional_columns() {
    let ds = sozialmonitor_import::inkar::read_codebook(
        "c.csv",
        "kuerzel,name\nbev,Bevölkerung je 1.000 Einwohner\n",
    );
    assert!(errors(&ds).is_empty(), "{:?}", errors(&ds));
    assert_eq!(ds.catalog.len(), 1);
    assert_eq!(ds.catalog[0].unit, "je 1.000 Einwohner");
}

/// A table header of half a million columns (within the 1 MiB line limit) would take hours:
/// every column is compared with every other.
#[test]
fn table_with_half_a_million_columns_is_refused_quickly() {
    let text = format!(
        "GENESIS-Tabelle: 1\nTitel;\n;;{}\n14;Sachsen;1\n",
        "a;".repeat(500_000)
    );
    let ds = read("t.csv", text.as_bytes());
    assert!(
        errors(&ds)
            .iter()
            .any(|e| e.contains("a table may have at most 10000")),
        "{:?}",
        errors(&ds)
    );
}

// ---------------------------------------------------------------- spreadsheets

/// A minimal XLSX file with one sheet named `Daten` holding `cells` (XML `<c>` elements per row).
fn xlsx(sheet_data: &str, shared_strings: Option<&str>) -> Vec<u8> {
    let mut parts = vec![
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Daten" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#
            ),
        ),
    ];
    if let Some(sst) = shared_strings {
        parts.push(("xl/sharedStrings.xml", sst.to_string()));
    }
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, content) in parts {
        w.start_file(name, opts).expect("zip entry");
        w.write_all(content.as_bytes()).expect("zip write");
    }
    w.finish().expect("zip").into_inner()
}

/// The minimal workbook is read at all, so the refusals below are about what they test.
#[test]
fn minimal_xlsx_reads_as_an_inkar_sheet() {
    let ds = sheet::read(
        "d.xlsx",
        &xlsx(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Kennziffer</t></is></c><c r="D1" t="inlineStr"><is><t>bev</t></is></c></row><row r="2"><c r="D2"><v>2016</v></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>14522</t></is></c><c r="D3"><v>1.5</v></c></row>"#,
            None,
        ),
    );
    assert!(errors(&ds).is_empty(), "{:?}", errors(&ds));
    assert_eq!(ds.observations.len(), 1);
}

/// Issue 11: cells at A1 and XFD1048576 asked for 17 billion cells.
#[test]
fn xlsx_with_cells_in_a1_and_xfd1048576_is_refused_before_allocating() {
    let ds = sheet::read(
        "huge.xlsx",
        &xlsx(
            r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>"#,
            None,
        ),
    );
    let errs = errors(&ds);
    assert!(
        errs.iter()
            .any(|e| e.contains("span 1048576 rows and 16384 columns")),
        "{errs:?}"
    );
}

#[test]
fn xlsx_cell_beyond_an_excel_sheet_is_refused() {
    let ds = sheet::read(
        "far.xlsx",
        &xlsx(
            r#"<row r="9999999"><c r="A9999999"><v>1</v></c></row>"#,
            None,
        ),
    );
    assert!(
        errors(&ds)
            .iter()
            .any(|e| e.contains("outside an Excel sheet")),
        "{:?}",
        errors(&ds)
    );
}

/// calamine reserves the announced number of shared strings before reading one: a terabyte.
#[test]
fn xlsx_announcing_a_trillion_shared_strings_is_refused() {
    let ds = sheet::read(
        "sst.xlsx",
        &xlsx(
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
            Some(
                r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1000000000000"><si><t>Kennziffer</t></si></sst>"#,
            ),
        ),
    );
    assert!(
        errors(&ds)
            .iter()
            .any(|e| e.contains("announces 1000000000000 shared strings")),
        "{:?}",
        errors(&ds)
    );
}

/// A zip bomb: parts that unpack to 3 GiB are refused from the zip directory alone, before
/// anything is unpacked. (The sizes are patched into a small file, as a real bomb would take
/// seconds to build.)
#[test]
fn xlsx_unpacking_to_more_than_the_limit_is_refused() {
    let mut bytes = xlsx(r#"<row r="1"><c r="A1"><v>1</v></c></row>"#, None);
    let size = (3u32 << 30).to_le_bytes();
    // The uncompressed size in every central directory header (offset 24) and local header
    // (offset 22).
    for at in memchr::memmem::find_iter(&bytes.clone(), b"PK\x01\x02") {
        bytes[at + 24..at + 28].copy_from_slice(&size);
    }
    for at in memchr::memmem::find_iter(&bytes.clone(), b"PK\x03\x04") {
        bytes[at + 22..at + 26].copy_from_slice(&size);
    }
    let ds = sheet::read("bomb.xlsx", &bytes);
    assert!(
        errors(&ds)
            .iter()
            .any(|e| e.contains("unpacks to 15360 MiB, more than the 2048 MiB allowed")),
        "{:?}",
        errors(&ds)
    );
}

/// The real INKAR XLS export, to be patched below.
fn inkar_xls() -> Vec<u8> {
    std::fs::read(super::demo().join("inkar/xls-2018/E_Schuldnerquote.xls")).expect("xls")
}

/// Positions of BIFF records of type `typ` and length `len` in the raw file (the workbook stream
/// of this small file lies in the file in order).
fn records(bytes: &[u8], typ: u16, len: u16) -> Vec<usize> {
    let mut pat = typ.to_le_bytes().to_vec();
    pat.extend(len.to_le_bytes());
    memchr::memmem::find_iter(bytes, &pat).collect()
}

#[test]
fn xls_as_published_is_read() {
    let ds = sheet::read("E_Schuldnerquote.xls", &inkar_xls());
    assert!(errors(&ds).is_empty(), "{:?}", errors(&ds));
    assert!(ds.observations.len() > 100);
}

/// A DIMENSIONS record whose last row lies before its first row: calamine's `end - start + 1`
/// overflows, and in a release build it reserves terabytes, which aborts the process.
#[test]
fn xls_dimensions_record_that_overflows_is_refused() {
    let mut bytes = inkar_xls();
    let at = records(&bytes, 0x0200, 14);
    assert!(!at.is_empty(), "the file has DIMENSIONS records");
    for p in at {
        // rwMic = 5, rwMac = 1: the range ends before it starts.
        bytes[p + 4..p + 8].copy_from_slice(&5u32.to_le_bytes());
        bytes[p + 8..p + 12].copy_from_slice(&1u32.to_le_bytes());
    }
    let ds = sheet::read("dim.xls", &bytes);
    assert!(
        errors(&ds)
            .iter()
            .any(|e| e.contains("inconsistent DIMENSIONS record")),
        "{:?}",
        errors(&ds)
    );
}

#[test]
fn xls_dimensions_record_claiming_billions_of_cells_is_refused() {
    let mut bytes = inkar_xls();
    for p in records(&bytes, 0x0200, 14) {
        bytes[p + 4..p + 8].copy_from_slice(&0u32.to_le_bytes());
        bytes[p + 8..p + 12].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    }
    let ds = sheet::read("dim.xls", &bytes);
    assert!(
        errors(&ds)
            .iter()
            .any(|e| e.contains("cells, more than the 50000000")),
        "{:?}",
        errors(&ds)
    );
}

/// Two number cells 65,535 rows and columns apart: calamine allocates the rectangle between them
/// (4 billion cells) while opening the file.
#[test]
fn xls_cells_far_apart_are_refused() {
    let mut bytes = inkar_xls();
    let at = records(&bytes, 0x0203, 14);
    assert!(at.len() > 2, "the file has NUMBER records");
    let last = at[at.len() - 1];
    bytes[last + 4..last + 6].copy_from_slice(&0xFFFFu16.to_le_bytes());
    bytes[last + 6..last + 8].copy_from_slice(&0xFFFFu16.to_le_bytes());
    let ds = sheet::read("far.xls", &bytes);
    assert!(
        errors(&ds)
            .iter()
            .any(|e| e.contains("span") && e.contains("more than the 50000000")),
        "{:?}",
        errors(&ds)
    );
}

/// A FAT entry pointing at its own sector: calamine follows the directory chain forever.
#[test]
fn xls_sector_chain_in_a_circle_is_refused() {
    let mut bytes = inkar_xls();
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4"));
    let dir_start = u32_at(&bytes, 48) as usize;
    let first_fat_sector = u32_at(&bytes, 76) as usize;
    assert!(
        dir_start < 128,
        "the directory's FAT entry is in the first FAT sector"
    );
    let entry = 512 + first_fat_sector * 512 + dir_start * 4;
    bytes[entry..entry + 4].copy_from_slice(&(dir_start as u32).to_le_bytes());
    let ds = sheet::read("loop.xls", &bytes);
    assert!(
        errors(&ds).iter().any(|e| e.contains("runs in a circle")),
        "{:?}",
        errors(&ds)
    );
}

/// Forcing the spreadsheet format on a text file is an error, not an attempt to read it.
#[test]
fn text_given_as_a_spreadsheet_is_refused() {
    let ds =
        sozialmonitor_import::read_unguarded("x.csv", b"a;b\n1;2\n", Some(Format::Spreadsheet));
    assert!(
        errors(&ds)
            .iter()
            .any(|e| e.contains("neither XLSX nor XLS")),
        "{:?}",
        errors(&ds)
    );
}

/// Deeply nested arrays and tables in the catalogue: the TOML parser must refuse them, not
/// overflow the stack.
#[test]
fn catalogue_with_deeply_nested_toml_is_an_error() {
    for n in [1_000, 100_000] {
        let text = format!("x = {}{}", "[".repeat(n), "]".repeat(n));
        let ds = sozialmonitor_import::catalog::read("c.toml", &text);
        assert!(!errors(&ds).is_empty(), "{n}");
        let text = format!("x = {}1{}", "{a = ".repeat(n), "}".repeat(n));
        let ds = sozialmonitor_import::catalog::read("c.toml", &text);
        assert!(!errors(&ds).is_empty(), "{n}");
    }
}

/// Deeply nested JSON in a GeoJSON file is refused by the JSON parser's depth limit.
#[test]
fn geojson_with_deeply_nested_json_is_an_error() {
    let text = format!(
        "{{\"features\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let ds = sozialmonitor_import::geo::read_geojson("g.geojson", text.as_bytes());
    assert!(!errors(&ds).is_empty());
}
