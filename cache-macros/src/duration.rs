//! Duration strings for `ttl`, parsed at compile time: `"45s"`, `"1h 30m"`, `"1d2h34m"`,
//! `"2 days"`, `"100ms"`, `"1.5h"`.

use std::time::Duration;

use fncache_units::quantity::{self, Part};

/// The accepted forms, for error messages.
pub(crate) const FORMS: &str = "a positive number of seconds (`ttl = 60`, `ttl = 0.5`), a duration string \
     (`\"45s\"`, `\"30m\"`, `\"1h 30m\"`, `\"1d2h34m\"`, `\"2 days\"`, `\"100ms\"`) or a `std::time::Duration` \
     expression (`ttl = Duration::from_secs(60)`)";

/// Parses a sum of `<number><unit>` parts, with optional spaces between and inside them.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("the duration string is empty".into());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let Part {
            value,
            number,
            unit,
            rest: after,
        } = quantity::leading(rest)?;
        if unit.is_empty() {
            return Err(format!(
                "`{number}` has no unit (write `{number}s`, `{number}m`, `{number}h`, ...)"
            ));
        }
        total += value * seconds_per(unit).ok_or_else(|| format!("unknown unit `{unit}`"))?;
        rest = after.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    }
    if total <= 0.0 {
        return Err("the duration must be longer than zero".into());
    }
    Duration::try_from_secs_f64(total).map_err(|_| "the duration is too long".into())
}

fn seconds_per(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" | "nanosecond" | "nanoseconds" => 1e-9,
        "us" | "µs" | "microsecond" | "microseconds" => 1e-6,
        "ms" | "millisecond" | "milliseconds" => 1e-3,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86_400.0,
        "w" | "week" | "weeks" => 604_800.0,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        assert_eq!(parse("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(
            parse("1d2h34m"),
            Ok(Duration::from_secs(86_400 + 2 * 3600 + 34 * 60))
        );
        assert_eq!(parse("2 days"), Ok(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("1 hour, 2 minutes"), Ok(Duration::from_secs(3720)));
    }

    #[test]
    fn rejected_forms() {
        for bad in ["", "  ", "60", "5 parsecs", "h", "0s", "1..5s", "-5s"] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
