//! The secrets engine (work in progress).
