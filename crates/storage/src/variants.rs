//! Variant writes (values, bulk cartesian creation).
