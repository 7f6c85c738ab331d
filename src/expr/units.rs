//! Units a threshold can carry, and exact decimal arithmetic for them.
//!
//! Thresholds are read and printed with integer arithmetic rather than `f64` so that `1.5s`
//! is exactly 1,500,000,000 ns and prints back as `1.5s`, which keeps `Display` a faithful
//! inverse of the parser.

use std::fmt;

/// The unit a duration threshold was written in; kept so the condition prints back as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    Millis,
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl DurationUnit {
    pub const ALL: [DurationUnit; 5] = [
        DurationUnit::Millis,
        DurationUnit::Seconds,
        DurationUnit::Minutes,
        DurationUnit::Hours,
        DurationUnit::Days,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DurationUnit::Millis => "ms",
            DurationUnit::Seconds => "s",
            DurationUnit::Minutes => "m",
            DurationUnit::Hours => "h",
            DurationUnit::Days => "d",
        }
    }

    pub fn nanos(self) -> u128 {
        const SECOND: u128 = 1_000_000_000;
        match self {
            DurationUnit::Millis => 1_000_000,
            DurationUnit::Seconds => SECOND,
            DurationUnit::Minutes => 60 * SECOND,
            DurationUnit::Hours => 3_600 * SECOND,
            DurationUnit::Days => 86_400 * SECOND,
        }
    }

    pub(super) fn from_suffix(suffix: &str) -> Option<DurationUnit> {
        Self::ALL.into_iter().find(|unit| unit.as_str() == suffix)
    }
}

impl fmt::Display for DurationUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The unit a size threshold was written in.
///
/// `KB`, `MB`, `GB`, `TB` are decimal (1000ⁿ bytes) as SI and IEC define them; `KiB`, `MiB`,
/// `GiB`, `TiB` are binary (1024ⁿ). Both exist so nobody has to guess which one a
/// threshold means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteUnit {
    B,
    KB,
    MB,
    GB,
    TB,
    KiB,
    MiB,
    GiB,
    TiB,
}

impl ByteUnit {
    pub const ALL: [ByteUnit; 9] = [
        ByteUnit::B,
        ByteUnit::KB,
        ByteUnit::MB,
        ByteUnit::GB,
        ByteUnit::TB,
        ByteUnit::KiB,
        ByteUnit::MiB,
        ByteUnit::GiB,
        ByteUnit::TiB,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ByteUnit::B => "B",
            ByteUnit::KB => "KB",
            ByteUnit::MB => "MB",
            ByteUnit::GB => "GB",
            ByteUnit::TB => "TB",
            ByteUnit::KiB => "KiB",
            ByteUnit::MiB => "MiB",
            ByteUnit::GiB => "GiB",
            ByteUnit::TiB => "TiB",
        }
    }

    pub fn bytes(self) -> u64 {
        match self {
            ByteUnit::B => 1,
            ByteUnit::KB => 1_000,
            ByteUnit::MB => 1_000_000,
            ByteUnit::GB => 1_000_000_000,
            ByteUnit::TB => 1_000_000_000_000,
            ByteUnit::KiB => 1 << 10,
            ByteUnit::MiB => 1 << 20,
            ByteUnit::GiB => 1 << 30,
            ByteUnit::TiB => 1 << 40,
        }
    }

    pub fn is_binary(self) -> bool {
        matches!(
            self,
            ByteUnit::KiB | ByteUnit::MiB | ByteUnit::GiB | ByteUnit::TiB
        )
    }

    pub(super) fn from_suffix(suffix: &str) -> Option<ByteUnit> {
        // `kB` is the SI spelling of the same unit.
        if suffix == "kB" {
            return Some(ByteUnit::KB);
        }
        Self::ALL.into_iter().find(|unit| unit.as_str() == suffix)
    }
}

impl fmt::Display for ByteUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-negative decimal as written: `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decimal {
    mantissa: u128,
    scale: u32,
}

impl Decimal {
    /// Reads `digits[.digits]`; `None` when it does not fit in 38 significant digits.
    pub(super) fn parse(text: &str) -> Option<Decimal> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let mut mantissa: u128 = 0;
        for byte in whole.bytes().chain(fraction.bytes()) {
            let digit = u128::from(byte.checked_sub(b'0').filter(|d| *d < 10)?);
            mantissa = mantissa.checked_mul(10)?.checked_add(digit)?;
        }
        let scale = u32::try_from(fraction.len()).ok()?;
        Some(Decimal { mantissa, scale })
    }

    /// `self × unit`, rounded to the nearest integer; `None` on overflow.
    pub(super) fn times_rounded(self, unit: u128) -> Option<u128> {
        let denominator = 10u128.checked_pow(self.scale)?;
        let product = self.mantissa.checked_mul(unit)?;
        Some(product / denominator + u128::from(product % denominator >= denominator.div_ceil(2)))
    }

    /// `self × unit` when that is a whole number; `Err(true)` on overflow, `Err(false)` when
    /// the product has a fractional part.
    pub(super) fn times_exact(self, unit: u128) -> Result<u128, bool> {
        let denominator = 10u128.checked_pow(self.scale).ok_or(true)?;
        let product = self.mantissa.checked_mul(unit).ok_or(true)?;
        if product % denominator == 0 {
            Ok(product / denominator)
        } else {
            Err(false)
        }
    }
}

/// `numerator / denominator` as an exact decimal with at most `max_fraction` digits after the
/// point, or `None` when it needs more.
pub(super) fn exact_decimal(
    numerator: u128,
    denominator: u128,
    max_fraction: usize,
) -> Option<String> {
    if denominator == 0 {
        return None;
    }
    let mut text = (numerator / denominator).to_string();
    let mut remainder = numerator % denominator;
    if remainder == 0 {
        return Some(text);
    }
    text.push('.');
    for _ in 0..max_fraction {
        // `remainder < denominator`, and denominators here are far below u128::MAX / 10.
        remainder = remainder.checked_mul(10)?;
        let digit = remainder / denominator;
        remainder %= denominator;
        text.push(char::from_digit(u32::try_from(digit).ok()?, 10)?);
        if remainder == 0 {
            return Some(text);
        }
    }
    None
}

/// `value` with about `significant` significant digits, trailing zeros dropped. Integer
/// digits are never rounded away: 41234 stays 41234.
pub(super) fn round_significant(value: f64, significant: i32) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let magnitude = value.abs().log10().floor();
    // Clamped into a small range, so the conversion cannot truncate.
    let decimals = (f64::from(significant) - 1.0 - magnitude).clamp(0.0, 17.0) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    if text == "-0" { "0".to_owned() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_scale_exactly() {
        let d = Decimal::parse("1.5").unwrap();
        assert_eq!(
            d.times_rounded(DurationUnit::Seconds.nanos()),
            Some(1_500_000_000)
        );
        assert_eq!(d.times_exact(1000), Ok(1500));
        assert_eq!(
            Decimal::parse("1.0001").unwrap().times_exact(1000),
            Err(false)
        );
        assert_eq!(
            Decimal::parse("0.0000000005")
                .unwrap()
                .times_rounded(1_000_000_000),
            Some(1)
        );
        assert_eq!(
            Decimal::parse("0.0000000004")
                .unwrap()
                .times_rounded(1_000_000_000),
            Some(0)
        );
        assert_eq!(Decimal::parse("1".repeat(40).as_str()), None);
        assert_eq!(Decimal::parse("1x"), None);
    }

    #[test]
    fn exact_decimals_stop_when_they_cannot_terminate() {
        assert_eq!(exact_decimal(90, 60, 9).as_deref(), Some("1.5"));
        assert_eq!(exact_decimal(1, 3, 9), None);
        assert_eq!(
            exact_decimal(1, 1 << 10, 20).as_deref(),
            Some("0.0009765625")
        );
        assert_eq!(exact_decimal(7, 1, 0).as_deref(), Some("7"));
    }

    #[test]
    fn significant_rounding_keeps_integer_digits() {
        assert_eq!(round_significant(412.3456, 4), "412.3");
        assert_eq!(round_significant(412.0, 4), "412");
        assert_eq!(round_significant(41234.7, 4), "41235");
        assert_eq!(round_significant(0.000123456, 3), "0.000123");
        assert_eq!(round_significant(1.5, 4), "1.5");
        assert_eq!(round_significant(-0.00001, 1), "-0.00001");
    }
}
