//! Evaluation of the face engine on the team's data (`../shared/data`, read in place), kept out
//! of the product crate `face-engine`:
//!
//! - [`conditions`]: verification per capture condition (colour, ID photo), `face-eval match`;
//! - [`eval`]: the accuracy report (verification FNMR/FMR/EER, APCER/BPCER), `face-eval report`;
//! - [`pad_eval`]: single-frame baseline vs fused multi-signal PAD, `face-eval pad`;
//! - [`gesture_eval`]: gesture pass rates on hand-labelled videos, `face-eval gesture`;
//! - [`synthetic`]: generated hand-held print attacks (for the evaluation and tests);
//! - [`data`]: where the data, models and fixtures are (also for face-engine's tests).

#![warn(missing_docs)]

pub mod conditions;
pub mod data;
pub mod eval;
pub mod gesture_eval;
pub mod pad_eval;
pub mod synthetic;
