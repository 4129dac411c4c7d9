//! Product writes (soft delete).
