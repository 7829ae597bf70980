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
