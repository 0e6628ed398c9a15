//! The `<number><unit>` parts that `ttl` durations and `max_size` sizes are written in.

/// One part at the start of a text: a number (digits and a point), optional spaces, a unit
/// (letters, possibly none), and the rest of the text.
pub(crate) struct Part<'t> {
    pub(crate) value: f64,
    pub(crate) number: &'t str,
    pub(crate) unit: &'t str,
    pub(crate) rest: &'t str,
}

/// Reads the part `text` starts with.
pub(crate) fn leading(text: &str) -> Result<Part<'_>, String> {
    let number_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, after) = text.split_at(number_len);
    if number.is_empty() {
        return Err(format!("expected a number at `{text}`"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{number}` is not a number"))?;
    let after = after.trim_start();
    let unit_len = after
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(after.len());
    let (unit, rest) = after.split_at(unit_len);
    Ok(Part {
        value,
        number,
        unit,
        rest,
    })
}
