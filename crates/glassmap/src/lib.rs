//! glassmap: Go's classic runtime hash map in Rust (work in progress).
