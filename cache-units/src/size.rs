//! Byte sizes: `"500MB"`, `"1.5GiB"`, `"64 kib"`.

use crate::quantity::{self, Part};

/// Parses `<number><unit>`, with optional spaces around and between, into bytes.
pub fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let Part {
        value,
        number,
        unit,
        rest,
    } = quantity::leading(text)?;
    if unit.is_empty() {
        return Err(format!(
            "`{number}` has no unit (write `{number}B`, `{number}MB`, `{number}MiB`, ...)"
        ));
    }
    if !rest.trim().is_empty() {
        return Err(format!("unexpected `{}` after the unit", rest.trim()));
    }
    let per = bytes_per(unit).ok_or_else(|| format!("unknown unit `{unit}`"))?;
    let bytes = (value * per).round();
    if bytes < 1.0 {
        return Err("the size must be at least one byte".into());
    }
    if bytes >= u64::MAX as f64 {
        return Err("the size is too large".into());
    }
    Ok(bytes as u64)
}

fn bytes_per(unit: &str) -> Option<f64> {
    const K: f64 = 1000.0;
    const KI: f64 = 1024.0;
    Some(match unit.to_ascii_lowercase().as_str() {
        "b" => 1.0,
        "kb" => K,
        "mb" => K * K,
        "gb" => K * K * K,
        "tb" => K * K * K * K,
        "kib" => KI,
        "mib" => KI * KI,
        "gib" => KI * KI * KI,
        "tib" => KI * KI * KI * KI,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn sizes_in_every_unit_and_case() {
        assert_eq!(parse("1B"), Ok(1));
        assert_eq!(parse("500MB"), Ok(500_000_000));
        assert_eq!(parse("500mb"), Ok(500_000_000));
        assert_eq!(parse("1.5GiB"), Ok(1_610_612_736));
        assert_eq!(parse(" 64 kib "), Ok(65_536));
        assert_eq!(parse("2TB"), Ok(2_000_000_000_000));
        assert_eq!(parse("1TiB"), Ok(1 << 40));
        assert_eq!(parse("0.5KB"), Ok(500));
    }

    #[test]
    fn what_is_not_a_size() {
        for bad in [
            "",
            "MB",
            "12",
            "12 parsecs",
            "0MB",
            "0.0001B",
            "1.2.3MB",
            "-5MB",
            "1e3MB",
        ] {
            assert!(parse(bad).is_err(), "`{bad}` was taken for a size");
        }
        assert!(parse("99999999999TiB").is_err());
    }
}
