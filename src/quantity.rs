//! Kubernetes resource quantities (`500m`, `1.5`, `512Mi`, `1e3`): parsed with Kubernetes'
//! grammar, added exactly, and written in Kubernetes' canonical form.

use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    DecimalSI,
    BinarySI,
    DecimalExponent,
}

/// An exact non-negative quantity: `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    mantissa: i128,
    exponent: i32,
    pub format: Format,
}

const BINARY: [(&str, u32); 6] = [
    ("Ki", 1),
    ("Mi", 2),
    ("Gi", 3),
    ("Ti", 4),
    ("Pi", 5),
    ("Ei", 6),
];
const DECIMAL: [(&str, i32); 10] = [
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("", 0),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];

const GRAMMAR: &str = "a number with an optional suffix: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent like e3";

impl Quantity {
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let bad = || format!("`{text}` is not a Kubernetes quantity: use {GRAMMAR}");
        let body = text.strip_prefix('+').unwrap_or(text);
        if body.starts_with('-') {
            return Err(format!(
                "`{text}` is negative; quantities here must be zero or more"
            ));
        }
        let number_len = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (number, suffix) = body.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(bad());
        }
        let digits = format!("{whole}{fraction}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 30 {
            return Err(format!("`{text}` is too large"));
        }
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| bad())?
        };
        let mut exponent = -(fraction.len() as i32);
        let format = if let Some((_, power)) = BINARY.iter().find(|(s, _)| *s == suffix) {
            mantissa = mantissa
                .checked_mul(1024i128.pow(*power))
                .ok_or_else(|| format!("`{text}` is too large"))?;
            Format::BinarySI
        } else if let Some((_, power)) = DECIMAL.iter().find(|(s, _)| *s == suffix) {
            exponent += power;
            Format::DecimalSI
        } else if let Some(rest) = suffix.strip_prefix(['e', 'E']) {
            let power: i32 = rest.parse().map_err(|_| bad())?;
            if !(-30..=30).contains(&power) {
                return Err(format!("`{text}` is out of range"));
            }
            exponent += power;
            Format::DecimalExponent
        } else {
            return Err(bad());
        };
        let mut quantity = Quantity {
            mantissa,
            exponent,
            format,
        };
        quantity.normalize();
        if quantity.mantissa != 0 && quantity.exponent < -9 {
            return Err(format!(
                "`{text}` is more precise than Kubernetes keeps (1n, a billionth)"
            ));
        }
        if quantity.mantissa != 0 && quantity.exponent > 36 {
            return Err(format!("`{text}` is too large"));
        }
        Ok(quantity)
    }

    fn normalize(&mut self) {
        if self.mantissa == 0 {
            self.exponent = 0;
            return;
        }
        while self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.exponent += 1;
        }
    }

    /// The value as an integer count of `10^exponent` units.
    fn scaled(&self, exponent: i32) -> Option<i128> {
        let shift = self.exponent - exponent;
        10i128
            .checked_pow(shift.max(0) as u32)
            .and_then(|p| self.mantissa.checked_mul(p))
    }

    pub fn checked_add(&self, other: &Quantity) -> Option<Quantity> {
        let exponent = self.exponent.min(other.exponent);
        let mut sum = Quantity {
            mantissa: self
                .scaled(exponent)?
                .checked_add(other.scaled(exponent)?)?,
            exponent,
            format: self.format,
        };
        sum.normalize();
        Some(sum)
    }

    pub fn zero(format: Format) -> Quantity {
        Quantity {
            mantissa: 0,
            exponent: 0,
            format,
        }
    }

    /// Kubernetes' canonical text: no fractional digits, the largest suffix that loses no
    /// precision, and the input's format (binary only while the value is whole).
    pub fn canonical(&self) -> String {
        if self.mantissa == 0 {
            return "0".to_string();
        }
        if self.format == Format::BinarySI
            && self.exponent >= 0
            && let Some(value) = self.scaled(0)
        {
            for (suffix, power) in BINARY.iter().rev() {
                let unit = 1024i128.pow(*power);
                if value % unit == 0 {
                    return format!("{}{suffix}", value / unit);
                }
            }
            return value.to_string();
        }
        // Decimal: the largest multiple-of-three exponent that keeps the mantissa whole.
        let mut exponent = self.exponent.div_euclid(3) * 3;
        let mantissa = self.scaled(exponent).unwrap_or(self.mantissa);
        let (mut mantissa, max) = (
            mantissa,
            if self.format == Format::DecimalExponent {
                i32::MAX
            } else {
                18
            },
        );
        while mantissa % 1000 == 0 && exponent + 3 <= max {
            mantissa /= 1000;
            exponent += 3;
        }
        if self.format == Format::DecimalExponent {
            return if exponent == 0 {
                mantissa.to_string()
            } else {
                format!("{mantissa}e{exponent}")
            };
        }
        let suffix = DECIMAL
            .iter()
            .find(|(_, p)| *p == exponent)
            .map_or("", |(s, _)| s);
        format!("{mantissa}{suffix}")
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        let exponent = self.exponent.min(other.exponent);
        match (self.scaled(exponent), other.scaled(exponent)) {
            (Some(a), Some(b)) => a.cmp(&b),
            // Only astronomically large values overflow; compare by magnitude.
            _ => (self.exponent + digits(self.mantissa))
                .cmp(&(other.exponent + digits(other.mantissa))),
        }
    }
}

fn digits(value: i128) -> i32 {
    value
        .unsigned_abs()
        .checked_ilog10()
        .map_or(0, |d| d as i32 + 1)
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        Quantity::parse(text).unwrap().canonical()
    }

    #[test]
    fn canonical_forms_match_kubernetes() {
        assert_eq!(canon("1.5"), "1500m");
        assert_eq!(canon("500m"), "500m");
        assert_eq!(canon("0.5"), "500m");
        assert_eq!(canon("4"), "4");
        assert_eq!(canon("1000"), "1k");
        assert_eq!(canon("1000000"), "1M");
        assert_eq!(canon("1024Mi"), "1Gi");
        assert_eq!(canon("512Mi"), "512Mi");
        assert_eq!(canon("1.5Gi"), "1536Mi");
        assert_eq!(canon("0.5Gi"), "512Mi");
        assert_eq!(canon("1536"), "1536");
        assert_eq!(canon("1e3"), "1e3");
        assert_eq!(canon("1E6"), "1e6");
        assert_eq!(canon("100e-3"), "100e-3");
        assert_eq!(canon("+20"), "20");
        assert_eq!(canon("0"), "0");
        assert_eq!(canon("8Gi"), "8Gi");
        assert_eq!(canon("1E"), "1E");
        assert_eq!(canon("0.1Ki"), "102400m");
    }

    #[test]
    fn rejects_bad_quantities() {
        for bad in ["", "abc", "1.2.3", "1Kb", "-1", "1ki", ".", "1e", "1n5"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn adds_mixed_units_exactly() {
        let cpu = Quantity::parse("500m")
            .unwrap()
            .checked_add(&Quantity::parse("1.5").unwrap())
            .unwrap();
        assert_eq!(cpu, Quantity::parse("2").unwrap());
        let memory = Quantity::parse("512Mi")
            .unwrap()
            .checked_add(&Quantity::parse("1Gi").unwrap())
            .unwrap();
        assert_eq!(memory.canonical(), "1536Mi");
        assert!(Quantity::parse("1.5Gi").unwrap() > Quantity::parse("1G").unwrap());
        assert!(Quantity::parse("1k").unwrap() < Quantity::parse("1Ki").unwrap());
    }
}
