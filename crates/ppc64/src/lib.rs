//! The ppc64 adapter.
