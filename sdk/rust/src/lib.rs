//! The wasmap Rust SDK: runs a Rust handler as a wasmap function module, the guest side of
//! wasmap ABI v1 (`abi/ABI.md`).
//!
//! ```ignore
//! use wasmap::lambda::{self, Context, Error};
//!
//! fn handler(event: &[u8], ctx: &Context) -> Result<Vec<u8>, Error> {
//!     wasmap::log::info(&format!("request {}", ctx.request_id));
//!     Ok(event.to_vec()) // respond with the event itself
//! }
//!
//! fn main() {
//!     lambda::start(handler)
//! }
//! ```
//!
//! Build for `wasm32-wasi` with Debian's rustc (no crates from a registry are needed):
//!
//! ```sh
//! /usr/bin/rustc --edition 2021 --crate-type rlib --crate-name wasmap --target wasm32-wasi -O src/lib.rs -o libwasmap.rlib
//! /usr/bin/rustc --edition 2021 --target wasm32-wasi -O --extern wasmap=libwasmap.rlib main.rs -o fn.wasm
//! ```
//!
//! Modules:
//!
//! - [`extension`]: Lambda extensions (`wasmap_extension_v1`, `wasmap_telemetry_v1`): register,
//!   the next-event loop, telemetry batches; an extension module is a program of its own.
//! - [`lambda`]: `start`, the invocation [`lambda::Context`], [`lambda::Error`], `init_error`.
//! - [`log`]: records at Lambda's levels (the `log` import).
//! - [`object`]: object I/O (`wasmap_object_v1`): `std::io::Read`/`Seek`/`Write` on objects.
//! - [`json`]: the little JSON the SDK needs (a field of an object, strings, integers), public
//!   because a handler without crates needs it too.
//! - [`sys`]: the raw imports.

pub mod extension;
pub mod json;
pub mod lambda;
pub mod log;
pub mod object;
pub mod sys;
