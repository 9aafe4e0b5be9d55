//! docker/go-units' `HumanSize` and `HumanDuration`.

use chrono::TimeDelta;

use super::Style;

const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/// go-units `HumanSize`: decimal units, 4 significant digits. `Current`
/// writes `251.2MB` (go-units since 2017); `Classic` writes `251.2 MB`, as
/// the seed chapter's samples do.
///
/// ```
/// use imagestream::describe::{human_size, Style};
///
/// assert_eq!(human_size(251_200_000.0, Style::Current), "251.2MB");
/// assert_eq!(human_size(251_200_000.0, Style::Classic), "251.2 MB");
/// assert_eq!(human_size(999_999.0, Style::Current), "1000kB"); // not promoted
/// ```
#[must_use]
pub fn human_size(bytes: f64, style: Style) -> String {
    let mut size = bytes;
    let mut i = 0;
    while size >= 1000.0 && i < UNITS.len() - 1 {
        size /= 1000.0;
        i += 1;
    }
    let number = go_g4(size);
    match style {
        Style::Classic => format!("{number} {}", UNITS[i]),
        Style::Current => format!("{number}{}", UNITS[i]),
    }
}

/// Go's `%.4g`: 4 significant digits, trailing zeros trimmed, exponent form
/// when the exponent is below -4 or at least 4.
fn go_g4(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if !v.is_finite() {
        return if v.is_nan() {
            "NaN".to_owned()
        } else if v > 0.0 {
            "+Inf".to_owned()
        } else {
            "-Inf".to_owned()
        };
    }
    // The exponent after rounding to 4 significant digits.
    let sci = format!("{v:.3e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..4).contains(&exp) {
        let m = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{:02}", exp.abs());
    }
    let decimals = usize::try_from(3 - exp).unwrap_or(0);
    trim_zeros(&format!("{v:.decimals$}")).to_owned()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// go-units `HumanDuration` (since 2019): `Less than a second`, `1 second`,
/// `N seconds`, `About a minute`, `N minutes`, `About an hour`, `N hours`,
/// `N days`, `N weeks`, `N months`, `N years`. `oc` appends ` ago`.
///
/// ```
/// use imagestream::chrono::TimeDelta;
/// use imagestream::describe::human_duration;
///
/// assert_eq!(human_duration(TimeDelta::seconds(90)), "About a minute");
/// assert_eq!(human_duration(TimeDelta::days(15)), "2 weeks");
/// // Beyond Go's largest duration (about 292 years) it saturates, as `oc`.
/// assert_eq!(human_duration(TimeDelta::days(365 * 2024)), "292 years");
/// ```
#[must_use]
pub fn human_duration(d: TimeDelta) -> String {
    let mut out = String::new();
    write_human_duration(&mut out, d);
    out
}

/// [`human_duration`] written into `out` (no intermediate string).
pub(crate) fn write_human_duration(out: &mut impl std::fmt::Write, d: TimeDelta) {
    // Go's `time.Duration` is an i64 of nanoseconds and `time.Since`
    // saturates there (about 292 years); `oc` prints that, not the span.
    let d = d.clamp(
        TimeDelta::nanoseconds(i64::MIN),
        TimeDelta::nanoseconds(i64::MAX),
    );
    let seconds = d.num_seconds();
    let minutes = d.num_minutes();
    // int(d.Hours() + 0.5): hours rounded half up.
    let hours = (seconds + 1800) / 3600;
    // Writing into a String cannot fail.
    let _ = match () {
        () if seconds < 1 => out.write_str("Less than a second"),
        () if seconds == 1 => out.write_str("1 second"),
        () if seconds < 60 => write!(out, "{seconds} seconds"),
        () if minutes == 1 => out.write_str("About a minute"),
        () if minutes < 60 => write!(out, "{minutes} minutes"),
        () if hours == 1 => out.write_str("About an hour"),
        () if hours < 48 => write!(out, "{hours} hours"),
        () if hours < 24 * 7 * 2 => write!(out, "{} days", hours / 24),
        () if hours < 24 * 30 * 2 => write!(out, "{} weeks", hours / 24 / 7),
        () if hours < 24 * 365 * 2 => write!(out, "{} months", hours / 24 / 30),
        () => write!(out, "{} years", d.num_hours() / 24 / 365),
    };
}
