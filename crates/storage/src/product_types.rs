//! Product-type writes (ordered attributes, vendors).
