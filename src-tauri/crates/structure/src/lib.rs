//! airlock-structure (placeholder; being written).
