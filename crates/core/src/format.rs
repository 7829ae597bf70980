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

/// Whether an indicator's unit counts people or things (not a share, rate or density): counts
/// of regions of different size do not share a scale, so they are compared by relative change.
pub fn is_count_unit(unit: &str) -> bool {
    matches!(unit.trim(), "Personen" | "Anzahl")
}

/// The decimal places an indicator's values are shown with, by its unit: whole numbers for
/// people, counts, densities and euros, one place for everything else (shares, rates, years of
/// age). One rule for the dashboard, the reports and the command line.
pub fn unit_decimals(unit: &str) -> usize {
    match unit.trim() {
        "Personen" | "Anzahl" | "Einwohner:innen je km²" => 0,
        u if u.starts_with("EUR") => 0,
        // Classes (quintiles) are whole numbers; a 0–1 index needs three places to tell
        // neighbouring regions apart.
        u if u.starts_with("Quintil") => 0,
        u if u.starts_with("Index (0 bis 1)") => 3,
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

/// A count with its noun in the singular or the plural, the number the German way: `1 Eintrag`,
/// `1.234 Einträge`.
pub fn count_de(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", german_number(n as f64, 0))
    }
}

/// The civil date (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a civil date (the inverse of [`civil_from_days`]).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds of 01:00 UTC on the last Sunday of a month (when summer time begins, in
/// March, and ends, in October, everywhere in the EU).
fn last_sunday_1utc(year: i64, month: u32) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: weekday 0 = Sunday is (days + 4) mod 7.
    let sunday = last - (last + 4).rem_euclid(7);
    sunday * 86_400 + 3_600
}

/// A moment (Unix seconds) as German local time, `03.12.2026, 16:05 Uhr`: Central European
/// Time, or summer time between the last Sundays of March and October.
pub fn german_datetime(unix: i64) -> String {
    let (year, ..) = civil_from_days(unix.div_euclid(86_400));
    let summer = (last_sunday_1utc(year, 3)..last_sunday_1utc(year, 10)).contains(&unix);
    let local = unix + if summer { 7_200 } else { 3_600 };
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    format!(
        "{d:02}.{m:02}.{y}, {:02}:{:02} Uhr",
        secs / 3_600,
        secs % 3_600 / 60
    )
}

/// Unix seconds of an ISO 8601 moment in UTC as [`iso_datetime_utc`] writes it
/// (`2026-12-03T15:05:00Z`).
pub fn unix_from_iso_utc(s: &str) -> Option<i64> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-').map(str::parse::<i64>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.split(':').map(str::parse::<i64>);
    let (h, mi, sec) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, m as u32, day as u32) * 86_400 + h * 3_600 + mi * 60 + sec)
}

/// The calendar year (UTC) of a moment in Unix seconds.
pub fn year_utc(unix: i64) -> i32 {
    civil_from_days(unix.div_euclid(86_400)).0 as i32
}

/// A day (days since 1970-01-01) as an ISO date, `2026-03-01`.
pub fn iso_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A moment (Unix seconds) as ISO 8601 in UTC, `2026-12-03T15:05:00Z`, for exports.
pub fn iso_datetime_utc(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

/// A title as a path segment or file name: lower case, umlauts spelt out, words joined by `-`
/// (a chapter's commentary file, an action field's page).
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.to_lowercase().chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => {
                if !out.ends_with('-') {
                    out.push('-');
                }
            }
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::{
        count_de, german_datetime, german_number, iso_datetime_utc, unix_from_iso_utc, year_utc,
    };

    #[test]
    fn counts_say_one_in_the_singular_and_group_thousands() {
        assert_eq!(count_de(1, "Eintrag", "Einträge"), "1 Eintrag");
        assert_eq!(count_de(0, "Eintrag", "Einträge"), "0 Einträge");
        assert_eq!(count_de(1234, "Eintrag", "Einträge"), "1.234 Einträge");
    }

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
        assert_eq!(unit_decimals("Quintil (1 bis 5)"), 0);
        assert_eq!(unit_decimals("Index (0 bis 1)"), 3);
    }

    #[test]
    fn moments_in_german_local_time() {
        // 2026-12-03 15:05 UTC is winter: 16:05 in Germany.
        assert_eq!(german_datetime(1_796_310_300), "03.12.2026, 16:05 Uhr");
        assert_eq!(iso_datetime_utc(1_796_310_300), "2026-12-03T15:05:00Z");
        // Summer time 2026 begins on 29 March at 01:00 UTC and ends on 25 October at 01:00 UTC.
        assert_eq!(german_datetime(1_774_745_999), "29.03.2026, 01:59 Uhr");
        assert_eq!(german_datetime(1_774_746_000), "29.03.2026, 03:00 Uhr");
        assert_eq!(german_datetime(1_792_890_000), "25.10.2026, 02:00 Uhr");
        assert_eq!(german_datetime(1_792_889_999), "25.10.2026, 02:59 Uhr");
        assert_eq!(iso_datetime_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!((year_utc(1_796_310_300), year_utc(-1)), (2026, 1969));
        assert_eq!(iso_datetime_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(
            unix_from_iso_utc("2026-12-03T15:05:00Z"),
            Some(1_796_310_300)
        );
        assert_eq!(unix_from_iso_utc("2026-13-03T15:05:00Z"), None);
        assert_eq!(unix_from_iso_utc("gestern"), None);
    }
}
