//! The s390x adapter.
