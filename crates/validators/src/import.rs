//! CSV import rows: per-row, per-column errors.
