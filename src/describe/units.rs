//! docker/go-units (`size.go`, `duration.go`): `HumanSize`,
//! `HumanSizeWithPrecision`, `BytesSize`, `CustomSize` and `HumanDuration`,
//! each in two eras chosen by [`Style`]:
//!
//! | | `Style::Classic` (go-units 2016-11 to 2019-04) | `Style::Current` (go-units since 2019-04) |
//! |---|---|---|
//! | sizes | `"%.4g %s"`: `251.2 MB`, `1.5 KiB` (a space, until 2017-01) | `"%.4g%s"`: `251.2MB`, `1.5KiB` |
//! | 1 to 45 minutes | `N minutes` | `N minutes` |
//! | 46 to 59 minutes | `About an hour` | `N minutes` |
//! | from an hour on | hours rounded half up, then days, weeks, months, years | the same |
//!
//! The seed chapter's outputs were produced in the Classic era, so
//! `oc describe` in [`Style::Classic`] prints ages with its thresholds.

use chrono::TimeDelta;

use super::Style;

/// go-units' decimal units (`decimapAbbrs`), base 1000.
pub const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/// go-units' binary units (`binaryAbbrs`), base 1024.
pub const BINARY_UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

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
    human_size_with_precision(bytes, 4, style)
}

/// go-units `HumanSizeWithPrecision`: [`human_size`] with `precision`
/// significant digits (Go's `%.*g`; 0 counts as 1, as in Go).
///
/// ```
/// use imagestream::describe::{human_size_with_precision, Style};
///
/// assert_eq!(human_size_with_precision(1_234_567.0, 2, Style::Current), "1.2MB");
/// assert_eq!(human_size_with_precision(1_234_567.0, 6, Style::Classic), "1.23457 MB");
/// ```
#[must_use]
pub fn human_size_with_precision(bytes: f64, precision: usize, style: Style) -> String {
    custom_size(bytes, precision, 1000.0, &DECIMAL_UNITS, style)
}

/// go-units `BytesSize`: binary units (`KiB` … `YiB`, base 1024), 4
/// significant digits.
///
/// ```
/// use imagestream::describe::{bytes_size, Style};
///
/// assert_eq!(bytes_size(1536.0, Style::Current), "1.5KiB");
/// assert_eq!(bytes_size(1536.0, Style::Classic), "1.5 KiB");
/// assert_eq!(bytes_size(1024.0 * 1024.0 * 1024.0, Style::Current), "1GiB");
/// ```
#[must_use]
pub fn bytes_size(bytes: f64, style: Style) -> String {
    custom_size(bytes, 4, 1024.0, &BINARY_UNITS, style)
}

/// go-units `CustomSize` for its two formats (`"%.Ng%s"`, and `"%.Ng %s"`
/// in [`Style::Classic`]): divides by `base` while the size is at least
/// `base` and a larger unit is left in `units`. An empty `units` prints
/// the number alone; a `base` of at most 1 (which would never stop in Go)
/// or a non-finite one divides nothing.
///
/// ```
/// use imagestream::describe::{custom_size, BINARY_UNITS, Style};
///
/// assert_eq!(custom_size(2048.0, 4, 1024.0, &BINARY_UNITS, Style::Current), "2KiB");
/// assert_eq!(custom_size(2048.0, 4, 1000.0, &["B", "KB"], Style::Classic), "2.048 KB");
/// ```
#[must_use]
pub fn custom_size(
    bytes: f64,
    precision: usize,
    base: f64,
    units: &[&str],
    style: Style,
) -> String {
    let mut size = bytes;
    let mut i = 0;
    if base.is_finite() && base > 1.0 {
        while size >= base && i + 1 < units.len() {
            size /= base;
            i += 1;
        }
    }
    let number = go_g(size, precision);
    let unit = units.get(i).copied().unwrap_or("");
    match style {
        Style::Classic => format!("{number} {unit}"),
        Style::Current => format!("{number}{unit}"),
    }
}

/// Go's `%.*g`: `precision` significant digits (0 counts as 1), trailing
/// zeros trimmed, exponent form when the exponent is below -4 or at least
/// the precision.
fn go_g(v: f64, precision: usize) -> String {
    // f64 has 17 significant digits; more would only print noise.
    let p = precision.clamp(1, 17);
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
    let sci = format!("{v:.prec$e}", prec = p - 1);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let p_exp = i32::try_from(p).unwrap_or(17);
    if exp < -4 || exp >= p_exp {
        let m = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{:02}", exp.abs());
    }
    let decimals = usize::try_from(p_exp - 1 - exp).unwrap_or(0);
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
/// The same as [`human_duration_in`] with [`Style::Current`].
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
    human_duration_in(d, Style::Current)
}

/// go-units `HumanDuration` of an era: [`Style::Current`] is today's;
/// [`Style::Classic`] is go-units between 2016-11-22 and 2019-04-23
/// (commits 57ccf25 to 2d3bf93), when 46 to 59 minutes printed
/// `About an hour`.
///
/// ```
/// use imagestream::chrono::TimeDelta;
/// use imagestream::describe::{human_duration_in, Style};
///
/// assert_eq!(human_duration_in(TimeDelta::minutes(47), Style::Classic), "About an hour");
/// assert_eq!(human_duration_in(TimeDelta::minutes(47), Style::Current), "47 minutes");
/// ```
#[must_use]
pub fn human_duration_in(d: TimeDelta, style: Style) -> String {
    let mut out = String::new();
    write_human_duration(&mut out, d, style);
    out
}

/// [`human_duration_in`] written into `out` (no intermediate string).
pub(crate) fn write_human_duration(out: &mut impl std::fmt::Write, d: TimeDelta, style: Style) {
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
    // The last minute count printed as minutes.
    let minutes_below = match style {
        Style::Classic => 46,
        Style::Current => 60,
    };
    // Writing into a String cannot fail.
    let _ = match () {
        () if seconds < 1 => out.write_str("Less than a second"),
        () if seconds == 1 => out.write_str("1 second"),
        () if seconds < 60 => write!(out, "{seconds} seconds"),
        () if minutes == 1 => out.write_str("About a minute"),
        () if minutes < minutes_below => write!(out, "{minutes} minutes"),
        () if hours == 1 => out.write_str("About an hour"),
        () if hours < 48 => write!(out, "{hours} hours"),
        () if hours < 24 * 7 * 2 => write!(out, "{} days", hours / 24),
        () if hours < 24 * 30 * 2 => write!(out, "{} weeks", hours / 24 / 7),
        () if hours < 24 * 365 * 2 => write!(out, "{} months", hours / 24 / 30),
        () => write!(out, "{} years", d.num_hours() / 24 / 365),
    };
}
