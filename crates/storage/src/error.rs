//! The storage layer's one error type. Callers above map it to HTTP statuses;
//! nothing above this layer inspects sqlx errors.

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No such row, or not visible to the caller.
    #[error("not found")]
    NotFound,
    /// A unique or exclusion constraint refused the write.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// A check or foreign-key constraint refused the write.
    #[error("constraint {constraint} refused the write")]
    Invalid { constraint: String },
    /// The row changed since the caller read it (`If-Match` is stale).
    #[error("the row changed since it was read")]
    Stale,
    /// Text PostgreSQL cannot store (a NUL character). Validators refuse it
    /// first; this is the net for any value that slips past them.
    #[error("text contains a NUL character")]
    BadText,
    /// A keyset cursor that was tampered with or issued for another query.
    #[error("{0}")]
    BadCursor(String),
    /// The database or cache could not be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(sqlx::Error),
}

/// Whether a SQLSTATE says the server cannot serve now but may soon: it is
/// shutting down or restarting (`57P01` admin shutdown, `57P02` crash
/// shutdown, `57P03` cannot connect now: starting up or in recovery), the
/// connection failed (class `08`), or it has no connection slot left
/// (`53300`). A retry a moment later may succeed.
fn transient(code: &str) -> bool {
    matches!(code, "57P01" | "57P02" | "57P03" | "53300") || code.starts_with("08")
}

impl From<sqlx::Error> for StorageError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StorageError::NotFound,
            // The server could not be reached, or went away: a restart, a
            // network fault, a pool with no connection to give.
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StorageError::Unavailable(err.to_string()),
            sqlx::Error::Database(db) if db.code().as_deref().is_some_and(transient) => {
                StorageError::Unavailable(err.to_string())
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => StorageError::BadText,
            sqlx::Error::Database(db) => {
                let constraint = db.constraint().unwrap_or_default().to_owned();
                match db.kind() {
                    sqlx::error::ErrorKind::UniqueViolation => StorageError::Conflict { constraint },
                    sqlx::error::ErrorKind::CheckViolation
                    | sqlx::error::ErrorKind::ForeignKeyViolation
                    | sqlx::error::ErrorKind::NotNullViolation => StorageError::Invalid { constraint },
                    _ => StorageError::Database(err),
                }
            }
            _ => StorageError::Database(err),
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::StorageError;
    use std::borrow::Cow;

    /// A database error with a SQLSTATE, as the driver reports one.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            self.0
        }

        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }

        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }

        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }

        fn kind(&self) -> sqlx::error::ErrorKind {
            match self.0 {
                "23505" => sqlx::error::ErrorKind::UniqueViolation,
                _ => sqlx::error::ErrorKind::Other,
            }
        }
    }

    fn database(code: &'static str) -> StorageError {
        StorageError::from(sqlx::Error::Database(Box::new(Coded(code))))
    }

    #[test]
    fn a_server_restarting_or_unreachable_is_unavailable() {
        // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect
        // now, class 08 (connection exceptions), 53300 too many connections.
        for code in ["57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004", "08P01", "53300"] {
            assert!(matches!(database(code), StorageError::Unavailable(_)), "{code}");
        }
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        for err in [sqlx::Error::Io(io), sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed, sqlx::Error::WorkerCrashed]
        {
            let shown = err.to_string();
            assert!(matches!(StorageError::from(err), StorageError::Unavailable(_)), "{shown}");
        }
    }

    #[test]
    fn other_database_errors_keep_their_meaning() {
        assert!(matches!(database("22021"), StorageError::BadText));
        assert!(matches!(database("23505"), StorageError::Conflict { .. }));
        // 57014 (query canceled) and 40001 (serialization failure) are not
        // about the server being away.
        for code in ["57014", "40001", "42P01", "XX000"] {
            assert!(matches!(database(code), StorageError::Database(_)), "{code}");
        }
        assert!(matches!(StorageError::from(sqlx::Error::RowNotFound), StorageError::NotFound));
        assert!(matches!(
            StorageError::from(sqlx::Error::Protocol("unexpected message".into())),
            StorageError::Database(_)
        ));
    }
}
