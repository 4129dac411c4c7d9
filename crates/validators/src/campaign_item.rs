//! Campaign-item costs, margin, decorations.
