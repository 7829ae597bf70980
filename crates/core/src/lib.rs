//! Pure domain model of Sozialmonitor: validated region keys, periods, statistical values with their
//! symbols, measures, breakdowns, observations, indicator catalogue entries and import diagnostics.
//!
//! This crate does no I/O, no async, no SQL and no HTTP; every type here can be built from text and
//! validated on construction, so the rest of the system can rely on the guarantees the types carry.

pub mod access;
pub mod analysis;
pub mod audit;
pub mod catalog;
pub mod classify;
pub mod confidential;
pub mod currency;
pub mod dataset;
pub mod diag;
pub mod engine;
pub mod format;
pub mod formula;
pub mod frame;
pub mod indicators;
pub mod key;
pub mod measure;
pub mod network;
pub mod parallel;
pub mod period;
pub mod planning;
pub mod region;
pub mod services;
pub mod territory;
pub mod value;

pub use catalog::{IndicatorEntry, IndicatorStatus, Polarity};
pub use dataset::{Boundary, Content, Dataset, Observation, RegionChange};
pub use diag::{Diagnostic, Said, Severity};
pub use key::{Ags, Ars, KeyError, RegionKey};
pub use measure::{Breakdown, BreakdownItem, Measure, MeasureKind};
pub use period::{Period, PeriodError};
pub use region::{Region, RegionLevel};
pub use value::{DecimalSeparator, Symbol, Value, ValueError};
