//! [`Date`]: a civil (proleptic Gregorian) date, `YYYY-MM-DD`, enough for expiry dates.

use std::fmt;
use std::str::FromStr;

use jiff::civil;

/// A calendar date. Ordered chronologically; parsed from and displayed as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(civil::Date);

/// The text is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a date (expected YYYY-MM-DD): {reason}")]
pub struct BadDate {
    pub text: String,
    pub reason: &'static str,
}

impl Date {
    /// A valid date (years -9999 to 9999), or `None`.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let year = i16::try_from(year).ok()?;
        let (month, day) = (i8::try_from(month).ok()?, i8::try_from(day).ok()?);
        civil::Date::new(year, month, day).ok().map(Date)
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        Date(
            jiff::tz::Offset::UTC
                .to_datetime(jiff::Timestamp::now())
                .date(),
        )
    }

    /// The date `days` after 1970-01-01; beyond the years -9999 to 9999 it stops at the first or
    /// last day of that range.
    pub fn from_unix_days(days: i64) -> Date {
        let date = jiff::Span::new()
            .try_days(days)
            .and_then(|span| civil::date(1970, 1, 1).checked_add(span));
        Date(date.unwrap_or(if days < 0 {
            civil::Date::MIN
        } else {
            civil::Date::MAX
        }))
    }

    pub fn year(self) -> i32 {
        i32::from(self.0.year())
    }
    pub fn month(self) -> u8 {
        self.0.month().unsigned_abs()
    }
    pub fn day(self) -> u8 {
        self.0.day().unsigned_abs()
    }
}

impl FromStr for Date {
    type Err = BadDate;

    /// `YYYY-MM-DD`; a time after it (`2024-01-31T00:00:00Z`, as some tools write
    /// `expired_at`) is accepted and ignored.
    fn from_str(s: &str) -> Result<Date, BadDate> {
        let bad = |reason| BadDate {
            text: s.to_string(),
            reason,
        };
        let t = s.trim();
        let t = t.split(['T', ' ']).next().unwrap_or(t);
        let mut parts = t.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not three `-`-separated numbers"));
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad("not YYYY-MM-DD"));
        }
        let num = |p: &str| {
            p.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| p.parse::<u32>().ok())
                .flatten()
        };
        let (Some(y), Some(m), Some(d)) = (num(y), num(m), num(d)) else {
            return Err(bad("not YYYY-MM-DD"));
        };
        Date::new(y as i32, m as u8, d as u8).ok_or_else(|| bad("no such day"))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let d: Date = "2024-02-29".parse().expect("a leap day");
        assert_eq!(d.to_string(), "2024-02-29");
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2024-13-01".parse::<Date>().is_err());
        assert!("24-01-01".parse::<Date>().is_err());
        assert!("2024-1-01".parse::<Date>().is_err());
        assert!("tomorrow".parse::<Date>().is_err());
        assert_eq!(
            "2023-09-01T00:00:00Z".parse::<Date>(),
            Ok(Date::new(2023, 9, 1).expect("valid"))
        );
    }

    #[test]
    fn unix_days() {
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(19_782).to_string(), "2024-02-29");
        assert_eq!(Date::from_unix_days(-1).to_string(), "1969-12-31");
        assert!(Date::today() > Date::new(2024, 1, 1).expect("valid"));
    }
}
