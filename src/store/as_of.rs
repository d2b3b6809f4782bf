//! The instant a question is asked about: now, a time, or as a run left the store.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::{Store, StoreError};

/// The instant a question is asked about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AsOf {
    #[default]
    Now,
    Time(DateTime<Utc>),
    /// As the run left the store (its last partition's merge).
    Run(i64),
}

impl std::str::FromStr for AsOf {
    type Err = String;

    /// `now`, a run id, an RFC 3339 time, `YYYY-MM-DDTHH:MM:SS` (UTC) or a date.
    fn from_str(s: &str) -> Result<AsOf, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("now") {
            return Ok(AsOf::Now);
        }
        if let Ok(run) = s.parse::<i64>() {
            return Ok(AsOf::Run(run));
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(AsOf::Time(t.with_timezone(&Utc)));
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
            return Ok(AsOf::Time(t.and_utc()));
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(AsOf::Time(
                d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            ));
        }
        Err(format!(
            "--as-of {s:?} is neither a run id, `now`, a date (2026-10-01) nor a time (2026-10-01T00:00:00Z)"
        ))
    }
}

/// Why an [`AsOf`] names no instant of this store.
#[derive(Debug, thiserror::Error)]
pub enum AsOfError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "--as-of {0}: run {0} has no finished partition in this store; `amiq runs` lists the runs"
    )]
    UnknownRun(i64),
}

impl Store {
    /// The instant `as_of` stands for: a run's is when its last partition merged.
    pub fn instant(&self, as_of: &AsOf) -> Result<DateTime<Utc>, AsOfError> {
        match as_of {
            AsOf::Now => Ok(Utc::now()),
            AsOf::Time(t) => Ok(*t),
            AsOf::Run(run) => {
                let micros: Option<i64> = self
                    .connection()
                    .query_row(
                        "SELECT epoch_us(max(finished_at)::TIMESTAMP) FROM sync_partitions WHERE run_id = ?",
                        [run],
                        |r| r.get(0),
                    )
                    .map_err(|e| self.error(e))?;
                micros
                    .and_then(DateTime::from_timestamp_micros)
                    .ok_or(AsOfError::UnknownRun(*run))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_reads_runs_dates_and_times() {
        assert_eq!("now".parse::<AsOf>().unwrap(), AsOf::Now);
        assert_eq!("42".parse::<AsOf>().unwrap(), AsOf::Run(42));
        let t = |s: &str| match s.parse::<AsOf>().unwrap() {
            AsOf::Time(t) => t.to_rfc3339(),
            other => panic!("{other:?}"),
        };
        assert_eq!(t("2026-10-01T00:00:00Z"), "2026-10-01T00:00:00+00:00");
        assert_eq!(t("2026-10-01T02:00:00+02:00"), "2026-10-01T00:00:00+00:00");
        assert_eq!(t("2026-10-01"), "2026-10-01T00:00:00+00:00");
        assert_eq!(t("2026-10-01T12:30:00"), "2026-10-01T12:30:00+00:00");
        assert!("yesterday".parse::<AsOf>().is_err());
    }
}
