//! Bulk loading with COPY (seeders at scale).
