//! German number formatting for users (`1.234,5`).

/// Formats a number with `decimals` places, a decimal comma and `.` thousands separators.
pub fn german_number(n: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, n.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    let negative = n < 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if negative {
        out.push('-');
    }
    let len = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    out
}

/// The decimal places an indicator's values are shown with, by its unit: whole numbers for
/// people, counts, densities and euros, one place for everything else (shares, rates, years of
/// age). One rule for the dashboard, the reports and the command line.
pub fn unit_decimals(unit: &str) -> usize {
    match unit.trim() {
        "Personen" | "Anzahl" | "Einwohner:innen je km²" => 0,
        u if u.starts_with("EUR") => 0,
        _ => 1,
    }
}

/// `2026-11-23` → `23.11.2026`.
pub fn german_date(iso: &str) -> String {
    let p: Vec<&str> = iso.split('-').collect();
    if p.len() == 3 {
        format!("{}.{}.{}", p[2], p[1], p[0])
    } else {
        iso.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::german_number;

    #[test]
    fn formats_like_a_german_office() {
        assert_eq!(german_number(1234.5, 1), "1.234,5");
        assert_eq!(german_number(296_000.0, 0), "296.000");
        assert_eq!(german_number(-0.04, 1), "0,0");
        assert_eq!(german_number(-1234567.891, 2), "-1.234.567,89");
        assert_eq!(german_number(12.0, 0), "12");
    }

    #[test]
    fn densities_are_whole_and_years_of_age_have_one_place() {
        use super::unit_decimals;
        assert_eq!(unit_decimals("Einwohner:innen je km²"), 0);
        assert_eq!(unit_decimals("EUR je Einwohner:in"), 0);
        assert_eq!(unit_decimals("Jahre"), 1);
        assert_eq!(unit_decimals("je 1.000 Einwohner:innen"), 1);
        assert_eq!(unit_decimals("%"), 1);
    }
}
