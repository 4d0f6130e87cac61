//! airlock-policy (placeholder; being written).
