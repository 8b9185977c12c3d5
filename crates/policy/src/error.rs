use std::fmt;

/// What kind of entry an error is about; picks the examples in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Rule,
    Cidr,
}

/// An allow-list entry (a [`HostRule`](crate::HostRule) or a [`Cidr`](crate::Cidr))
/// that could not be parsed. The message names the entry, says what is wrong and shows
/// valid examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    entry: String,
    message: String,
    kind: EntryKind,
}

pub(crate) const RULE_EXAMPLES: &str = r#""https://api.example.com", "https://*.example.com:8443", "http://127.0.0.1:*", "*://10.0.0.0/8:*""#;
pub(crate) const CIDR_EXAMPLES: &str = r#""127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8""#;

impl PolicyError {
    pub(crate) fn rule(entry: &str, message: impl Into<String>) -> Self {
        PolicyError {
            entry: entry.to_owned(),
            message: message.into(),
            kind: EntryKind::Rule,
        }
    }

    pub(crate) fn cidr(entry: &str, message: impl Into<String>) -> Self {
        PolicyError {
            entry: entry.to_owned(),
            message: message.into(),
            kind: EntryKind::Cidr,
        }
    }

    /// The entry as it was written.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// What is wrong with it (without the entry and the examples).
    pub fn reason(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` quotes the entry and escapes control characters, so the message stays on one line.
        match self.kind {
            EntryKind::Rule => write!(
                f,
                "invalid outbound rule {:?}: {}; expected e.g. {RULE_EXAMPLES}",
                self.entry, self.message
            ),
            EntryKind::Cidr => write!(
                f,
                "invalid allowPrivate CIDR {:?}: {}; expected e.g. {CIDR_EXAMPLES}",
                self.entry, self.message
            ),
        }
    }
}

impl std::error::Error for PolicyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_error_display_names_entry_reason_and_examples() {
        let e = PolicyError::rule("ftp://x", "unsupported scheme");
        assert_eq!(
            e.to_string(),
            r#"invalid outbound rule "ftp://x": unsupported scheme; expected e.g. "https://api.example.com", "https://*.example.com:8443", "http://127.0.0.1:*", "*://10.0.0.0/8:*""#
        );
        assert_eq!(e.entry(), "ftp://x");
        assert_eq!(e.reason(), "unsupported scheme");
    }

    #[test]
    fn cidr_error_display_has_cidr_examples() {
        let e = PolicyError::cidr("10.0.0.0/33", "prefix too long");
        let s = e.to_string();
        assert!(s.starts_with(r#"invalid allowPrivate CIDR "10.0.0.0/33": prefix too long; expected e.g. "127.0.0.1/32""#), "{s}");
    }

    #[test]
    fn error_display_is_one_line_even_with_control_characters() {
        let e = PolicyError::rule("https://a\nb", "bad");
        assert!(!e.to_string().contains('\n'));
        assert!(e.to_string().contains(r#""https://a\nb""#));
    }

    #[test]
    fn error_is_std_error() {
        fn takes(_: &dyn std::error::Error) {}
        takes(&PolicyError::rule("x", "y"));
    }
}
