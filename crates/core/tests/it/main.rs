//! Integration tests of the core against references computed independently on real data.

mod analysis;
