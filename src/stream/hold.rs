//! Holds: "leave this tag alone" after a rollback, until released or
//! expired. Kept on the spec tag in
//! [`HOLD_ANNOTATION`](crate::api::HOLD_ANNOTATION); tag policies and
//! scheduled imports respect an active hold.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// Why a hold text does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HoldError {
    /// No `by` line (or an empty one).
    #[error("a hold needs `by <who>`")]
    NoHolder,
    /// A key other than `by`, `reason`, `until`.
    #[error("unknown hold key {key:?} at {position}: expected by, reason or until")]
    UnknownKey {
        /// The key.
        key: String,
        /// Its byte position.
        position: usize,
    },
    /// A key given twice.
    #[error("hold key {key:?} at {position} is given twice")]
    Duplicate {
        /// The key.
        key: String,
        /// Its byte position.
        position: usize,
    },
    /// An expiry that is not an RFC 3339 time.
    #[error("invalid hold expiry {value:?} at {position}: must be an RFC 3339 time")]
    Until {
        /// The value.
        value: String,
        /// Its byte position.
        position: usize,
    },
}

/// A hold on a tag: who set it, why, and until when (forever without an
/// expiry).
///
/// ```
/// use imagestream::chrono::{TimeZone, Utc};
/// use imagestream::stream::Hold;
///
/// let until = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap();
/// let hold = Hold::new("alice", "3.9.2 leaks memory").until(until);
/// assert_eq!(hold.to_string(), "by alice\nuntil 2026-12-04T00:00:00Z\nreason 3.9.2 leaks memory");
/// assert_eq!(hold.to_string().parse::<Hold>()?, hold);
/// assert!(hold.is_active(Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap()));
/// assert!(!hold.is_active(until));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hold {
    by: String,
    reason: String,
    until: Option<DateTime<Utc>>,
}

/// One line of text: no line breaks, trimmed.
fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Hold {
    /// A hold by `by` (whitespace and line breaks folded to one line) for
    /// `reason`, without expiry. An empty holder reads as `unknown`.
    #[must_use]
    pub fn new(by: impl AsRef<str>, reason: impl AsRef<str>) -> Self {
        let by = one_line(by.as_ref());
        Self {
            by: if by.is_empty() {
                "unknown".to_owned()
            } else {
                by
            },
            reason: one_line(reason.as_ref()),
            until: None,
        }
    }

    /// The same hold, expiring at `until` (whole seconds).
    #[must_use]
    pub fn until(mut self, until: DateTime<Utc>) -> Self {
        self.until = Some(until.trunc_subsecs(0));
        self
    }

    /// Who set it.
    #[must_use]
    pub fn by(&self) -> &str {
        &self.by
    }

    /// Why.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// When it expires, if ever.
    #[must_use]
    pub fn expires(&self) -> Option<DateTime<Utc>> {
        self.until
    }

    /// Whether it still holds at `now` (an expired hold holds nothing).
    #[must_use]
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|u| now < u)
    }

    /// Parses the annotation text.
    ///
    /// # Errors
    ///
    /// No `by`, an unknown or repeated key, an expiry that is not RFC 3339.
    pub fn parse(text: &str) -> Result<Self, HoldError> {
        let (mut by, mut reason, mut until) = (None, None, None);
        let mut offset = 0;
        for raw in text.split('\n') {
            let start = offset;
            offset += raw.len() + 1;
            let lead = raw.len() - raw.trim_start().len();
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            let at = start + lead;
            let (key, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let value = rest.trim_start();
            let slot = match key {
                "by" => &mut by,
                "reason" => &mut reason,
                "until" => &mut until,
                other => {
                    return Err(HoldError::UnknownKey {
                        key: other.to_owned(),
                        position: at,
                    });
                }
            };
            if slot.is_some() {
                return Err(HoldError::Duplicate {
                    key: key.to_owned(),
                    position: at,
                });
            }
            *slot = Some((value, at + line.len() - value.len()));
        }
        let by = by
            .filter(|(b, _)| !b.is_empty())
            .ok_or(HoldError::NoHolder)?
            .0;
        let mut hold = Self::new(by, reason.map_or("", |r| r.0));
        if let Some((value, position)) = until {
            let t = DateTime::parse_from_rfc3339(value).map_err(|_| HoldError::Until {
                value: value.to_owned(),
                position,
            })?;
            hold = hold.until(t.with_timezone(&Utc));
        }
        Ok(hold)
    }
}

impl fmt::Display for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "by {}", self.by)?;
        if let Some(u) = self.until {
            write!(
                f,
                "\nuntil {}",
                u.to_rfc3339_opts(SecondsFormat::Secs, true)
            )?;
        }
        if !self.reason.is_empty() {
            write!(f, "\nreason {}", self.reason)?;
        }
        Ok(())
    }
}

impl FromStr for Hold {
    type Err = HoldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn reads_and_writes() {
        let h = Hold::parse("reason  bad build \nby bob\n").unwrap();
        assert_eq!(
            (h.by(), h.reason(), h.expires()),
            ("bob", "bad build", None)
        );
        assert_eq!(h.to_string(), "by bob\nreason bad build");
        assert!(h.is_active(Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0).unwrap()));
        let folded = Hold::new("a\nb", "x\r\ny");
        assert_eq!(folded.to_string().parse::<Hold>().unwrap(), folded);
    }

    #[test]
    fn errors() {
        assert_eq!(Hold::parse("reason x").unwrap_err(), HoldError::NoHolder);
        assert_eq!(Hold::parse("by ").unwrap_err(), HoldError::NoHolder);
        assert_eq!(
            Hold::parse("by a\nwho b").unwrap_err().to_string(),
            "unknown hold key \"who\" at 5: expected by, reason or until"
        );
        assert_eq!(
            Hold::parse("by a\nby b").unwrap_err(),
            HoldError::Duplicate {
                key: "by".into(),
                position: 5
            }
        );
        assert_eq!(
            Hold::parse("by a\nuntil tomorrow").unwrap_err().to_string(),
            "invalid hold expiry \"tomorrow\" at 11: must be an RFC 3339 time"
        );
    }
}
