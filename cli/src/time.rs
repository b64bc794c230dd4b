//! Times on the command line: RFC 3339 (`2026-05-01T12:00:00Z`, `2026-05-01T14:00:00+02:00`) to Kafka's
//! milliseconds since the epoch.

use chrono::DateTime;

/// Milliseconds since the epoch, or why the text is not an RFC 3339 time.
pub fn parse_rfc3339(s: &str) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| format!("`{s}` is not an RFC 3339 time such as 2026-05-01T12:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_utc() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01Z"), Ok(1000));
        assert_eq!(parse_rfc3339("1970-01-01T01:00:01.5+01:00"), Ok(1500));
        assert!(parse_rfc3339("yesterday").unwrap_err().contains("RFC 3339"));
    }
}
