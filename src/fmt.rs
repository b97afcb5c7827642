//! Number and date formatting for people: significant digits, thousands separators, money, today's date.

/// `x` with `sig` significant digits; scientific notation outside 1e-3..1e9.
pub fn num(x: f64, sig: usize) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-3..9).contains(&mag) {
        return format!("{:.*e}", sig.saturating_sub(1), x);
    }
    let decimals = (sig as i32 - 1 - mag).max(0) as usize;
    let s = format!("{:.*}", decimals, x);
    group(&s)
}

/// Inserts thousands separators into the integer part of a formatted number.
fn group(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(a, b)| (a, Some(b)));
    let mut out = String::new();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// `num(x, 6)` without trailing zeros: 64, 0.3, 1.5e24.
pub fn short(x: f64) -> String {
    let s = num(x, 6);
    let (mantissa, exp) = s.split_once('e').map_or((s.as_str(), None), |(m, e)| (m, Some(e)));
    let m = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    match exp {
        Some(e) => format!("{m}e{e}"),
        None => m.to_string(),
    }
}

/// A number as a message shows it: short, scientific beyond 1e6 (`1e40`, `0.3`, `-2`).
pub fn plain(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e6).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Money with a scale word: $1.23M, $45.6k, $0.52.
pub fn usd(x: f64) -> String {
    let a = x.abs();
    if a >= 1e12 {
        return format!("${x:.2e}");
    }
    let (v, suffix) = if a >= 1e9 {
        (x / 1e9, "B")
    } else if a >= 1e6 {
        (x / 1e6, "M")
    } else if a >= 1e4 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    format!("${}{suffix}", num(v, 3))
}

/// Today's date as YYYY-MM-DD (UTC), for the fit's source line.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 -> "YYYY-MM-DD" (proleptic Gregorian; H. Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_for_planners() {
        assert_eq!(num(4_423_658.24, 4), "4,423,658");
        assert_eq!(num(0.6828, 3), "0.683");
        assert_eq!(num(6.3e24, 3), "6.30e24");
        assert_eq!(usd(30_434_768.7), "$30.4M");
        assert_eq!(usd(1.3378), "$1.34");
        assert_eq!(usd(45_600.0), "$45.6k");
        assert_eq!(short(64.0), "64");
        assert_eq!(short(300.0), "300");
        assert_eq!(short(0.30), "0.3");
        assert_eq!(short(7e10), "7e10");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        // 2024-02-29 is day 19,782 since the epoch (54 years incl. 13 leap days: 54*365+13 = 19,723,
        // + 31 (Jan) + 28 = 19,782).
        assert_eq!(civil_date(19_782), "2024-02-29");
    }
}
