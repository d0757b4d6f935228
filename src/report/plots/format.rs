//! Numbers for humans, shared by the plots and the HTML report: thousands
//! separators, percentages with as many decimals as the value needs, and
//! compact axis ticks (`1.5M`).

/// Groups the digits of a non-negative integer string by thousands: `1234567` -> `1,234,567`.
fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number with thousands separators and `decimals` decimals: `number(1234567.891, 2)` = `1,234,567.89`.
pub fn number(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let text = format!("{:.*}", decimals, x.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if x < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{}", group(whole))
    } else {
        format!("{sign}{}.{frac}", group(whole))
    }
}

/// An amount of money in whole currency units with thousands separators, as
/// the report shows it: `money(1234567.891)` = `1,234,568`.
pub fn money(x: f64) -> String {
    number(x, 0)
}

/// A count with thousands separators: `count(12000)` = `12,000`.
pub fn count(n: u64) -> String {
    group(&n.to_string())
}

/// A fraction as a percentage with `decimals` decimals: `percent(0.01234, 2)` = `1.23%`.
pub fn percent(x: f64, decimals: usize) -> String {
    format!("{}%", number(100.0 * x, decimals))
}

/// A risk level as a percentage without trailing zeros: `0.999` -> `99.9%`, `0.95` -> `95%`.
pub fn level(q: f64) -> String {
    let text = format!("{:.4}", 100.0 * q);
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    format!("{trimmed}%")
}

/// A probability on a log axis as a percentage with just enough decimals:
/// `1` -> `100%`, `0.001` -> `0.1%`, `2e-5` -> `0.002%`.
pub fn probability(p: f64) -> String {
    if p <= 0.0 || !p.is_finite() {
        return "0%".to_string();
    }
    let pct = 100.0 * p;
    let decimals = (-pct.log10().floor()).max(0.0) as usize;
    let text = format!("{:.*}", decimals.min(12), pct);
    format!("{text}%")
}

/// An exceedance probability with its return period, for a log axis:
/// `100%`, `10% · 1 in 10`, `0.1% · 1 in 1,000`.
pub fn probability_and_return_period(p: f64) -> String {
    if p >= 1.0 || p <= 0.0 || !p.is_finite() {
        return probability(p);
    }
    format!("{} · 1 in {}", probability(p), count((1.0 / p).round() as u64))
}

/// A compact axis tick: `950`, `12k`, `1.5M`, `2B` (at most 3 significant digits).
pub fn compact(x: f64) -> String {
    let a = x.abs();
    let (value, suffix) = if a >= 1e9 {
        (x / 1e9, "B")
    } else if a >= 1e6 {
        (x / 1e6, "M")
    } else if a >= 1e4 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let text = if value.abs() >= 100.0 || value == value.round() {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    let text = if suffix.is_empty() && a >= 1000.0 {
        number(x, 0)
    } else {
        text
    };
    if text == "-0" {
        format!("0{suffix}")
    } else {
        format!("{text}{suffix}")
    }
}

/// A tick value with enough decimals for the axis' step: ticks 0.5 apart get one decimal.
pub fn tick(x: f64, step: f64) -> String {
    let decimals = if step > 0.0 && step.is_finite() {
        (-(step * 1.0001).log10().floor()).clamp(0.0, 8.0) as usize
    } else {
        2
    };
    let text = format!("{:.*}", decimals, x);
    if text.starts_with('-') && text.trim_start_matches(['-', '0', '.']).is_empty() {
        text[1..].to_string()
    } else {
        text
    }
}

/// A swept value as a person writes it: no trailing zeros ("500", not
/// "500.0"; "0.25"), to six decimals at most, so float noise such as
/// 0.30000000000000004 reads 0.3.
pub fn plain(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceedance_ticks_carry_their_return_period() {
        assert_eq!(probability_and_return_period(1.0), "100%");
        assert_eq!(probability_and_return_period(0.1), "10% · 1 in 10");
        assert_eq!(probability_and_return_period(0.001), "0.1% · 1 in 1,000");
        assert_eq!(probability_and_return_period(1e-5), "0.001% · 1 in 100,000");
    }

    #[test]
    fn swept_values_have_no_trailing_zeros() {
        assert_eq!(plain(500.0), "500");
        assert_eq!(plain(510.0), "510");
        assert_eq!(plain(0.25), "0.25");
        assert_eq!(plain(0.1 + 0.2), "0.3");
        assert_eq!(plain(-0.0), "0");
        assert_eq!(plain(-1.5), "-1.5");
        assert_eq!(plain(100.0), "100");
    }

    #[test]
    fn numbers_read_like_a_person_writes_them() {
        assert_eq!(money(1234567.891), "1,234,568");
        assert_eq!(money(-1000.4), "-1,000");
        assert_eq!(money(-0.4), "0");
        assert_eq!(number(1234.5, 2), "1,234.50");
        assert_eq!(count(12000), "12,000");
        assert_eq!(count(999), "999");
        assert_eq!(percent(0.012345, 2), "1.23%");
        assert_eq!(level(0.999), "99.9%");
        assert_eq!(level(0.95), "95%");
        assert_eq!(probability(1.0), "100%");
        assert_eq!(probability(0.001), "0.1%");
        assert_eq!(probability(0.00002), "0.002%");
        assert_eq!(compact(1_500_000.0), "1.5M");
        assert_eq!(compact(12_000.0), "12k");
        assert_eq!(compact(2500.0), "2,500");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(tick(2.5, 0.5), "2.5");
        assert_eq!(tick(-0.0001, 0.5), "0.0");
    }
}
