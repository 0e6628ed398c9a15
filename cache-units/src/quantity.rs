//! The `<number><unit>` parts that `ttl` durations and `max_size` sizes are written in.

/// One part at the start of a text: a number (digits and a point), optional spaces, a unit
/// (letters, possibly none), and the rest of the text.
pub struct Part<'t> {
    /// The number's value.
    pub value: f64,
    /// The number as written.
    pub number: &'t str,
    /// The unit as written, without the spaces before it; empty if there is none.
    pub unit: &'t str,
    /// What follows the unit.
    pub rest: &'t str,
}

/// Reads the part `text` starts with.
///
/// ```
/// let part = fncache_units::quantity::leading("1.5 h 30m").unwrap();
/// assert_eq!((part.value, part.unit, part.rest), (1.5, "h", " 30m"));
/// ```
pub fn leading(text: &str) -> Result<Part<'_>, String> {
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
