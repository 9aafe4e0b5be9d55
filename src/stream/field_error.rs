//! Field errors in Kubernetes' format (`field.Error` and its aggregate):
//! what every validation in this crate reports.

use std::fmt;

/// The type of a field error, as Kubernetes names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldErrorType {
    /// `Required value`
    Required,
    /// `Invalid value`
    Invalid,
    /// `Forbidden`
    Forbidden,
    /// `Not found`
    NotFound,
    /// `Unsupported value`
    Unsupported,
    /// `Internal error`
    Internal,
}

impl FieldErrorType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Required => "Required value",
            Self::Invalid => "Invalid value",
            Self::Forbidden => "Forbidden",
            Self::NotFound => "Not found",
            Self::Unsupported => "Unsupported value",
            Self::Internal => "Internal error",
        }
    }
}

/// One field error: `<path>: <Type>[: <value>][: <detail>]`, exactly as
/// Kubernetes' `field.Error` prints.
///
/// ```
/// use imagestream::stream::{FieldError, FieldErrorType};
///
/// let e = FieldError::invalid("metadata.name", "Foo", "must be lowercase");
/// assert_eq!(e.to_string(), r#"metadata.name: Invalid value: "Foo": must be lowercase"#);
/// assert_eq!(e.kind(), FieldErrorType::Invalid);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldError {
    path: String,
    kind: FieldErrorType,
    /// The bad value, already rendered (`"text"` quoted Go-style, `true`).
    value: Option<String>,
    detail: String,
}

impl FieldError {
    fn new(
        path: impl Into<String>,
        kind: FieldErrorType,
        value: Option<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            kind,
            value,
            detail: detail.into(),
        }
    }

    /// `Required value`, with an optional detail.
    #[must_use]
    pub fn required(path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(path, FieldErrorType::Required, None, detail)
    }

    /// `Invalid value` of a string (quoted as Go's `%q`).
    #[must_use]
    pub fn invalid(path: impl Into<String>, value: &str, detail: impl Into<String>) -> Self {
        let value = crate::reference::go_quote(value);
        Self::new(path, FieldErrorType::Invalid, Some(value), detail)
    }

    /// `Invalid value` of a value printed plainly (`true`, `0`).
    #[must_use]
    pub fn invalid_plain(
        path: impl Into<String>,
        value: impl fmt::Display,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(
            path,
            FieldErrorType::Invalid,
            Some(value.to_string()),
            detail,
        )
    }

    /// `Not found` of a string.
    #[must_use]
    pub fn not_found(path: impl Into<String>, value: &str) -> Self {
        Self::new(
            path,
            FieldErrorType::NotFound,
            Some(crate::reference::go_quote(value)),
            "",
        )
    }

    /// `Forbidden`, with a detail.
    #[must_use]
    pub fn forbidden(path: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(path, FieldErrorType::Forbidden, None, detail)
    }

    /// The field's path, e.g. `spec.tags[latest].from.name`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The error's type.
    #[must_use]
    pub fn kind(&self) -> FieldErrorType {
        self.kind
    }

    /// The detail (the rule that was broken).
    #[must_use]
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.kind.as_str())?;
        if let Some(v) = &self.value {
            write!(f, ": {v}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldError {}

/// Every field error found in one object, in the order OpenShift checks.
///
/// `Display` is Kubernetes' aggregate: the error itself when there is one,
/// `[e1, e2, …]` when there are several.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    errors: Vec<FieldError>,
}

impl ValidationError {
    /// The field errors (never empty).
    #[must_use]
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub(crate) fn internal(path: &str, detail: &str) -> Self {
        Self {
            errors: vec![FieldError::new(
                path,
                FieldErrorType::Internal,
                None,
                detail,
            )],
        }
    }

    pub(crate) fn check(errors: Vec<FieldError>) -> Result<(), Self> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self { errors })
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                f.write_str("[")?;
                for (i, e) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("]")
            }
        }
    }
}
