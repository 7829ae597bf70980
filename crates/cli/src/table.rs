//! Plain-text tables for the terminal.

/// A table with a header, rendered with aligned columns.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, r: Vec<String>) {
        self.rows.push(r);
    }

    /// Renders with every column left-aligned.
    pub fn render(&self) -> String {
        self.render_right(&[])
    }

    /// Renders with the given columns right-aligned (numbers).
    pub fn render_right(&self, right: &[usize]) -> String {
        let n = self.header.len();
        let mut w = vec![0; n];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (i, c) in r.iter().enumerate().take(n) {
                w[i] = w[i].max(c.chars().count().min(60));
            }
        }
        let mut out = String::new();
        for (ri, r) in std::iter::once(&self.header).chain(&self.rows).enumerate() {
            let cells: Vec<String> = (0..n)
                .map(|i| {
                    let c = r.get(i).map(String::as_str).unwrap_or("");
                    let c: String = if c.chars().count() > 60 {
                        c.chars().take(59).chain(std::iter::once('…')).collect()
                    } else {
                        c.to_string()
                    };
                    if right.contains(&i) {
                        format!("{c:>width$}", width = w[i])
                    } else {
                        format!("{c:<width$}", width = w[i])
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
            if ri == 0 {
                out.push_str(
                    &w.iter()
                        .map(|x| "-".repeat(*x))
                        .collect::<Vec<_>>()
                        .join("  "),
                );
                out.push('\n');
            }
        }
        out
    }
}
