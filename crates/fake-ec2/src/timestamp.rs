//! EC2's timestamp text (`2021-09-29T11:04:43.305Z`), written without a date library
//! because the renderer writes several per image and must stay in microseconds.

use std::fmt::Write;

/// Seconds since the Unix epoch of some fixed instants the generator draws between.
pub(crate) mod instant {
    pub const Y2009: i64 = 1_230_768_000;
    pub const Y2013_06: i64 = 1_370_044_800;
    pub const Y2016_12: i64 = 1_483_142_400;
    pub const Y2019: i64 = 1_546_300_800;
    pub const Y2021: i64 = 1_609_459_200;
    pub const Y2022: i64 = 1_640_995_200;
    pub const Y2023_03: i64 = 1_678_838_400;
    pub const Y2025_06: i64 = 1_748_736_000;
    /// The latest past deprecation time: anything deprecated is deprecated by then.
    pub const Y2025_06_30: i64 = 1_751_241_600;
    pub const Y2025_10: i64 = 1_759_276_800;
    /// The earliest future deprecation time.
    pub const Y2030: i64 = 1_893_456_000;
    pub const Y2033: i64 = 1_988_150_400;
}

/// The civil date and time of a Unix timestamp (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Civil {
    /// Howard Hinnant's `civil_from_days`.
    pub(crate) fn from_unix(secs: i64) -> Civil {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400) as u32;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
        }
    }

    /// `20241010`, as in image names.
    pub(crate) fn compact_date(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// `2024.10.10`, as in Windows and custom image names.
    pub(crate) fn dotted_date(&self) -> String {
        format!("{:04}.{:02}.{:02}", self.year, self.month, self.day)
    }
}

/// `2021-09-29T11:04:43.305Z`.
pub(crate) fn iso8601(secs: i64, millis: u64) -> String {
    let c = Civil::from_unix(secs);
    let mut s = String::with_capacity(24);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, millis
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_ec2() {
        assert_eq!(iso8601(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_632_913_483, 305), "2021-09-29T11:04:43.305Z");
        assert_eq!(iso8601(instant::Y2025_06_30, 0), "2025-06-30T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400, 1), "2000-02-29T00:00:00.001Z");
        assert_eq!(iso8601(instant::Y2009, 0), "2009-01-01T00:00:00.000Z");
        assert_eq!(iso8601(instant::Y2021, 0), "2021-01-01T00:00:00.000Z");
        assert_eq!(
            Civil::from_unix(instant::Y2023_03).compact_date(),
            "20230315"
        );
    }
}
