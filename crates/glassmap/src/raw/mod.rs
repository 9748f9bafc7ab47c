//! The engine. All of the crate's `unsafe` lives under this module; everything above it is safe
//! code.

pub(crate) mod int_table;
