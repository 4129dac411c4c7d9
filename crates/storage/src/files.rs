//! Uploaded files: metadata rows (the bytes live on disk, see api::minor::files).
