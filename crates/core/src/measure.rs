//! Measures (GENESIS value variables such as `BEVSTD`) and their breakdowns (`GES=GESW`).

/// A value variable of a statistic, e.g. `BEVSTD` Bevölkerungsstand in `Anzahl`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Measure {
    /// GENESIS code (`BEVSTD`), or for sources without codes a stable code derived from the table.
    pub code: String,
    /// Label as published.
    pub label: String,
    /// Unit as published (`Anzahl`, `Prozent`, `EUR`, `1000`).
    pub unit: String,
    /// Code of the statistic or table it comes from (`12411`, `12411-05-01-4`).
    pub statistic: String,
}

/// One breakdown dimension value: variable code and label, attribute code and label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BreakdownItem {
    /// Variable code (`GES`), or the variable's label where the source has no codes.
    pub variable: String,
    /// Attribute code (`GESW`), or the attribute's label where the source has no codes.
    pub value: String,
    /// Human-readable label of the attribute (`weiblich`).
    pub label: String,
}

/// The breakdown of an observation: a set of [`BreakdownItem`]s, sorted by variable. The total
/// ("Insgesamt") of a variable is not a breakdown value: the variable is simply absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Breakdown(Vec<BreakdownItem>);

impl Breakdown {
    /// The total (no breakdown).
    pub fn total() -> Self {
        Breakdown(Vec::new())
    }

    /// Builds a breakdown; items are sorted by variable so equal breakdowns compare equal.
    pub fn new(mut items: Vec<BreakdownItem>) -> Self {
        items.sort();
        Breakdown(items)
    }

    /// The items, sorted by variable.
    pub fn items(&self) -> &[BreakdownItem] {
        &self.0
    }

    /// Whether this is the total.
    pub fn is_total(&self) -> bool {
        self.0.is_empty()
    }

    /// Canonical key as stored: `GES=GESW|NAT=NATA`, empty for the total.
    pub fn key(&self) -> String {
        let mut s = String::new();
        for (i, it) in self.0.iter().enumerate() {
            if i > 0 {
                s.push('|');
            }
            s.push_str(&it.variable);
            s.push('=');
            s.push_str(&it.value);
        }
        s
    }

    /// Human-readable German label: `weiblich, ausländisch`, or `Insgesamt`.
    pub fn label(&self) -> String {
        if self.0.is_empty() {
            return "Insgesamt".to_string();
        }
        self.0
            .iter()
            .map(|i| i.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Parses a key written as `GES=GESW|NAT=NATA` (labels equal the codes).
    pub fn parse_key(s: &str) -> Option<Self> {
        if s.trim().is_empty() {
            return Some(Breakdown::total());
        }
        let mut items = Vec::new();
        for part in s.split('|') {
            let (v, a) = part.split_once('=')?;
            let (v, a) = (v.trim(), a.trim());
            if v.is_empty() || a.is_empty() {
                return None;
            }
            items.push(BreakdownItem {
                variable: v.to_string(),
                value: a.to_string(),
                label: a.to_string(),
            });
        }
        Some(Breakdown::new(items))
    }
}

/// Whether an attribute label denotes the total of its variable.
pub fn is_total_label(label: &str) -> bool {
    matches!(
        label.trim().to_lowercase().as_str(),
        "insgesamt" | "total" | "zusammen" | "gesamt"
    )
}

/// How a measure's numbers behave, declared per measure: whether they add up the region
/// hierarchy and whether small values fall under statistical confidentiality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeasureKind {
    /// Counts of people, cases or households: additive, and small counts are withheld.
    Count,
    /// Amounts (money, areas): additive, not confidential as such.
    Amount,
    /// Rates, shares, averages and indices: neither summed nor protected as counts (they are
    /// protected through the counts they are computed from).
    NotAdditive,
}

impl MeasureKind {
    /// A declaration as written in a file or the catalogue: `anzahl`/`count`,
    /// `summe`/`amount`, `quote`/`anteil`/`rate`/`durchschnitt`/`index`.
    pub fn parse(text: &str) -> Option<MeasureKind> {
        match text.trim().to_lowercase().as_str() {
            "anzahl" | "count" | "fallzahl" => Some(MeasureKind::Count),
            "summe" | "amount" | "betrag" | "flaeche" | "fläche" => Some(MeasureKind::Amount),
            "quote" | "anteil" | "rate" | "not_additive" | "durchschnitt" | "mittelwert"
            | "index" | "dichte" => Some(MeasureKind::NotAdditive),
            _ => None,
        }
    }

    /// The kind that a unit of the statistical offices' fixed vocabulary declares (GENESIS and
    /// regionalstatistik.de units), or `None` for a unit outside it, which the caller must treat
    /// as a count and report.
    pub fn of_unit(unit: &str) -> Option<MeasureKind> {
        let u = unit.trim();
        match u {
            "Anzahl" | "Personen" | "Fälle" | "Haushalte" | "Einwohner" | "1000" | "Tsd." => {
                Some(MeasureKind::Count)
            }
            "EUR" | "Tsd. EUR" | "1000 EUR" | "Mill. EUR" | "ha" | "qkm" | "km²" | "m²" | "qm"
            | "1000 qm" | "1000 m²" => Some(MeasureKind::Amount),
            "Prozent" | "%" | "‰" | "Promille" | "Jahre" | "Index" | "Indexwert" => {
                Some(MeasureKind::NotAdditive)
            }
            _ if u.starts_with("je ")
                || u.starts_with("EUR je")
                || u.starts_with("Anteil")
                || u.starts_with("%")
                || u.contains(" je ")
                || u.contains(" pro ") =>
            {
                Some(MeasureKind::NotAdditive)
            }
            _ => None,
        }
    }

    /// Whether values add up the region hierarchy.
    pub fn additive(self) -> bool {
        matches!(self, MeasureKind::Count | MeasureKind::Amount)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureKind::Count => "count",
            MeasureKind::Amount => "amount",
            MeasureKind::NotAdditive => "not_additive",
        }
    }
}

#[cfg(test)]
mod kind_tests {
    use super::MeasureKind;

    #[test]
    fn units_and_declarations_give_kinds() {
        assert_eq!(MeasureKind::of_unit("Anzahl"), Some(MeasureKind::Count));
        assert_eq!(MeasureKind::of_unit("Tsd. EUR"), Some(MeasureKind::Amount));
        assert_eq!(
            MeasureKind::of_unit("je 1000 Einwohner"),
            Some(MeasureKind::NotAdditive)
        );
        // Outside the vocabulary: the caller protects it as a count and says so.
        assert_eq!(MeasureKind::of_unit("Kinder"), None);
        assert_eq!(MeasureKind::of_unit(""), None);
        assert_eq!(MeasureKind::parse(" Anzahl "), Some(MeasureKind::Count));
        assert_eq!(MeasureKind::parse("Quote"), Some(MeasureKind::NotAdditive));
        for k in [
            MeasureKind::Count,
            MeasureKind::Amount,
            MeasureKind::NotAdditive,
        ] {
            assert_eq!(MeasureKind::parse(k.as_str()), Some(k));
        }
        assert!(MeasureKind::Count.additive() && !MeasureKind::NotAdditive.additive());
    }
}
