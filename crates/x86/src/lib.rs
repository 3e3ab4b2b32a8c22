//! The x86 adapter.
